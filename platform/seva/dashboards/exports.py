"""The board as CSV or XLSX, with the filters applied: the same rows and columns as the page;
and the daily snapshot of payments, streamed."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from collections.abc import Iterable, Iterator
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from seva.core.money import PAISE_PER_RUPEE

from .boards import BoardFilters, BoardRow
from .fees import PaymentLine

# A spreadsheet reads a cell that begins with one of these as a formula (or, for tab and
# carriage return, strips them and then may); text from definitions and people (service and
# office names) could then compute, or call out of, the sheet of whoever opens the export.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutral_text(value):
    """A text cell as plain text in any spreadsheet: one beginning with a formula character
    gets a leading apostrophe (OWASP's advice for CSV). Numbers are left as numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


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
    writer.writerow([neutral_text(_title(filters))])
    writer.writerow([neutral_text(heading) for heading in _headings(rows, filters)])
    for row in rows:
        writer.writerow(["" if v is None else neutral_text(v) for v in _values(row, filters)])
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
        sheet.append([neutral_text(value) for value in _values(row, filters)])
        for cell in sheet[sheet.max_row]:
            # Written as text, never as a formula, whatever it begins with.
            if isinstance(cell.value, str):
                cell.data_type = "s"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# ------------------------------------------------------------------------------
# The daily snapshot of payments (seva.dashboards.fees.payments_snapshot)
# ------------------------------------------------------------------------------
# The state's review format: its first four columns are what it asks for; names in English.
SNAPSHOT_COLUMNS = (
    "Date",
    "Service",
    "Application reference",
    "Amount paid (Rs)",
    "District",
    "Department",
    "Fee",
    "Budget head",
    "Method",
    "Receipt number",
    "Transaction id",
    "Order or challan number",
    "Status",
    "Refunded (Rs)",
)


def _amount(paise: int) -> Decimal:
    """Rupees as a number with two decimals (1250.50), for a spreadsheet to add up."""
    return Decimal(paise) / PAISE_PER_RUPEE


def _snapshot_values(line: PaymentLine) -> list:
    return [
        line.day,
        line.service,
        line.reference,
        _amount(line.paid_paise),
        line.district,
        line.department,
        line.fee,
        line.head,
        line.method,
        line.receipt_number,
        line.txn_id,
        line.order_id,
        line.status,
        _amount(line.refunded_paise),
    ]


class _Line:
    """A file-like that hands back what the csv writer writes, so that each row is sent
    as soon as it is written."""

    def write(self, value: str) -> str:
        return value


def payments_csv(lines: Iterable[PaymentLine]) -> Iterator[str]:
    """The snapshot as CSV, a row at a time (for a streaming response): the headings, then
    a row per payment; dates as YYYY-MM-DD, amounts as rupees with two decimals."""
    writer = csv.writer(_Line())
    yield writer.writerow(SNAPSHOT_COLUMNS)
    for line in lines:
        values = _snapshot_values(line)
        yield writer.writerow(
            [
                value.isoformat()
                if isinstance(value, dt.date)
                else f"{value:.2f}"
                if isinstance(value, Decimal)
                else neutral_text(value)
                for value in values
            ]
        )


def payments_xlsx(lines: Iterable[PaymentLine]):
    """The snapshot as an XLSX workbook in a temporary file (open, at its start; the caller
    closes it): written row by row in openpyxl's write-only mode, so that a year of payments
    never sits in memory; dates as dates, amounts as numbers."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Payments")
    bold = Font(bold=True)
    heading = []
    for title in SNAPSHOT_COLUMNS:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        heading.append(cell)
    sheet.append(heading)
    for line in lines:
        cells = []
        for value in _snapshot_values(line):
            cell = WriteOnlyCell(sheet, value=neutral_text(value))
            if isinstance(value, str):
                # Written as text, never as a formula, whatever it begins with.
                cell.data_type = "s"
            elif isinstance(value, Decimal):
                cell.number_format = "#,##0.00"
            elif isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        sheet.append(cells)
    out = tempfile.TemporaryFile()  # noqa: SIM115 (the response streams it, then closes it)
    try:
        workbook.save(out)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out
