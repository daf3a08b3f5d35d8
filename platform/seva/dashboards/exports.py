"""The board as CSV or XLSX, with the filters applied: the same rows and columns as the page."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font

from .boards import BoardFilters, BoardRow

COLUMNS = (
    ("Rank", "rank"),
    ("Name", "name"),
    ("Code", "code"),
    ("Received", "received"),
    ("Completed", "completed"),
    ("Completed within RTS (%)", "completed_within_pct"),
    ("Completed outside RTS (%)", "completed_outside_pct"),
    ("Underway", "underway"),
    ("Underway within RTS (%)", "underway_within_pct"),
    ("Underway beyond RTS (%)", "underway_beyond_pct"),
    ("Rejection (%)", "rejection_pct"),
    ("Score (0-10)", "score"),
)


def _values(row: BoardRow) -> list:
    values = []
    for _heading, attribute in COLUMNS:
        value = getattr(row, attribute)
        values.append(float(value) if hasattr(value, "as_tuple") else value)
    return values


def _title(filters: BoardFilters) -> str:
    period = f"{filters.start or 'start'} to {filters.end or 'today'}"
    return f"RTS adherence by {filters.by}, {period}"


def board_csv(rows: list[BoardRow], filters: BoardFilters) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_title(filters)])
    writer.writerow([heading for heading, _attribute in COLUMNS])
    for row in rows:
        writer.writerow(["" if v is None else v for v in _values(row)])
    return out.getvalue()


def board_xlsx(rows: list[BoardRow], filters: BoardFilters) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"By {filters.by}"
    sheet.append([_title(filters)])
    sheet.append([heading for heading, _attribute in COLUMNS])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(_values(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
