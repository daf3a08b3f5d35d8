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
# Shown with the board of grievances (kind=grievance).
GRIEVANCE_COLUMNS = (
    ("Action taken reports", "atr"),
    ("ATR within service level (%)", "atr_within_pct"),
    ("Closed with consent (%)", "consented_pct"),
    ("Reopened (%)", "reopened_pct"),
    ("Average satisfaction (1-5)", "satisfaction"),
)


def columns_for(filters: BoardFilters) -> tuple[tuple[str, str], ...]:
    return COLUMNS + GRIEVANCE_COLUMNS if filters.kind == "grievance" else COLUMNS


def _headings(rows: list[BoardRow], filters: BoardFilters) -> list[str]:
    """The columns, and the score and rank of each month with a snapshot on the board."""
    headings = [heading for heading, _attribute in columns_for(filters)]
    for month, _score, _rank in rows[0].history if rows else ():
        headings += [f"Score {month:%b %Y}", f"Rank {month:%b %Y}"]
    return headings


def _values(row: BoardRow, filters: BoardFilters) -> list:
    values = []
    for _heading, attribute in columns_for(filters):
        value = getattr(row, attribute)
        values.append(float(value) if hasattr(value, "as_tuple") else value)
    for _month, score, rank in row.history:
        values += [None if score is None else float(score), rank]
    return values


def _title(filters: BoardFilters) -> str:
    period = f"{filters.start or 'start'} to {filters.end or 'today'}"
    return f"RTS adherence by {filters.by}, {period}"


def board_csv(rows: list[BoardRow], filters: BoardFilters) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_title(filters)])
    writer.writerow(_headings(rows, filters))
    for row in rows:
        writer.writerow(["" if v is None else v for v in _values(row, filters)])
    return out.getvalue()


def board_xlsx(rows: list[BoardRow], filters: BoardFilters) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"By {filters.by}"
    sheet.append([_title(filters)])
    sheet.append(_headings(rows, filters))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(_values(row, filters))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
