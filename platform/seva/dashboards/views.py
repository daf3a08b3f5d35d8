"""The RTS board in the staff workspace: filters, sortable columns, drill-down (state ->
district -> tehsil -> office; department -> service) and exports. Thin: the filters come
from `filters`, the rows from `selectors.rts_board`, scoped to the reader."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from seva.core.errors import ActionNotAllowed, ValidationFailed

from .boards import KINDS, BoardFilters, score_band
from .charts import SERIES, pendency_heat_map, trend_svg, weekly_trend
from .exports import (
    COLUMNS,
    GRIEVANCE_COLUMNS,
    board_csv,
    board_xlsx,
    columns_for,
    payments_csv,
    payments_xlsx,
)
from .fees import FEE_BYS, FeeFilters, fees_board, fees_scope, fees_total, payments_snapshot
from .filters import board_filters_from, fee_filters_from, snapshot_filters_from
from .risk import applications_at_risk, offices_at_risk
from .selectors import rts_board

SORTABLE = {attribute for _heading, attribute in COLUMNS + GRIEVANCE_COLUMNS}
# Where a row leads: the next level down, keeping the other filters.
DRILL = {
    "district": ("tehsil", "district"),
    "tehsil": ("office", "tehsil"),
    "office": ("officer", "office"),
    "department": ("service", "department"),
}


def _board(request: HttpRequest):
    try:
        filters = board_filters_from(request.GET)
        rows = rts_board(user=request.user, filters=filters)
    except ActionNotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    return filters, rows


def board_view(request: HttpRequest) -> HttpResponse:
    try:
        filters, rows = _board(request)
        errors = {}
    except ValidationFailed as exc:
        filters, rows, errors = BoardFilters(), [], exc.errors
    sort = request.GET.get("sort", "rank")
    descending = sort.startswith("-")
    attribute = sort.lstrip("-")
    if attribute in SORTABLE:
        present = [r for r in rows if getattr(r, attribute) is not None]
        missing = [r for r in rows if getattr(r, attribute) is None]
        rows = sorted(present, key=lambda r: getattr(r, attribute), reverse=descending) + missing
    today = timezone.localdate()
    pictures = {}
    if not errors:
        trend = weekly_trend(user=request.user, filters=filters, today=today)
        pictures = {
            "trend": trend,
            "trend_svg": mark_safe(trend_svg(trend)),  # built from numbers and escaped labels
            "series": SERIES,
            "heat_map": pendency_heat_map(user=request.user, filters=filters, today=today),
        }
    query = request.GET.copy()
    query.pop("sort", None)
    drill = DRILL.get(filters.by)
    for row in rows:
        row.band = score_band(row.score)
        row.drill_url = ""
        if drill and row.code:
            following = query.copy()
            following["by"] = drill[0]
            if drill[1]:
                following[drill[1]] = row.code
            row.drill_url = "?" + following.urlencode()
    headings = []
    for heading, attribute in columns_for(filters):
        following = query.copy()
        following["sort"] = attribute if sort != attribute else f"-{attribute}"
        current = (
            "ascending"
            if sort == attribute
            else "descending"
            if sort == f"-{attribute}"
            else "none"
        )
        headings.append({"label": heading, "url": "?" + following.urlencode(), "sort": current})
    return render(
        request,
        "dashboards/board.html",
        {
            "filters": filters,
            "rows": rows,
            "errors": errors,
            "headings": headings,
            "grievance": filters.kind == "grievance",
            "params": request.GET,
            "kinds": KINDS,
            "groupings": ["district", "department", "service", "tehsil", "office"]
            + (["officer"] if filters.office_id else []),
            "export_query": urlencode({k: v for k, v in request.GET.items() if k != "sort"}),
            # The Fees page keeps the board's department and district.
            "fees_query": urlencode(
                {k: v for k, v in request.GET.items() if k in ("department", "district")}
            ),
            "today": today,
            **pictures,
        },
        status=400 if errors else 200,
    )


def export_view(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in ("csv", "xlsx"):
        raise Http404("Exports are CSV or XLSX.")
    try:
        filters, rows = _board(request)
    except ValidationFailed as exc:
        return HttpResponse(
            "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items()),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    name = f"rts-by-{filters.by}-{timezone.localdate().isoformat()}"
    if fmt == "xlsx":
        response = HttpResponse(
            board_xlsx(rows, filters),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = HttpResponse(board_csv(rows, filters), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def at_risk_view(request: HttpRequest) -> HttpResponse:
    """Files due within `days` working days, by office; `office=<code>` lists that office's
    files the reader may read."""
    errors: dict[str, list[str]] = {}
    offices, applications = [], []
    raw_days = request.GET.get("days") or "3"
    days = int(raw_days) if raw_days.isdigit() else -1
    office = request.GET.get("office", "")
    try:
        filters = board_filters_from(request.GET)
        if office:
            applications = applications_at_risk(user=request.user, office_code=office, days=days)
        else:
            offices = offices_at_risk(user=request.user, filters=filters, days=days)
    except ValidationFailed as exc:
        errors = exc.errors
    except ActionNotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    query = request.GET.copy()
    for item in offices:
        following = query.copy()
        following["office"] = item.code
        item.url = "?" + following.urlencode()
    return render(
        request,
        "dashboards/at_risk.html",
        {
            "days": raw_days,
            "office": office,
            "offices": offices,
            "applications": applications,
            "errors": errors,
            "back": "?" + urlencode({k: v for k, v in request.GET.items() if k != "office"}),
        },
        status=400 if errors else 200,
    )


# ------------------------------------------------------------------------------
# Fees: collected and refunded, and the daily snapshot of payments
# ------------------------------------------------------------------------------
# Where a row of the Fees page leads, keeping the other filters: a month to its services,
# a service to its districts, a district or department to its services.
FEE_DRILL = {
    "month": "service",
    "service": "district",
    "district": "service",
    "department": "service",
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _fees_reader(request: HttpRequest) -> None:
    """Refuse at once whoever may not read fees, whatever the parameters say."""
    try:
        fees_scope(request.user)
    except ActionNotAllowed as exc:
        raise PermissionDenied(exc.message) from exc


def fees_view(request: HttpRequest) -> HttpResponse:
    _fees_reader(request)
    language = "hi" if translation.get_language() == "hi" else "en"
    errors: dict[str, list[str]] = {}
    try:
        filters = fee_filters_from(request.GET)
        rows = fees_board(user=request.user, filters=filters, language=language)
    except ValidationFailed as exc:
        filters, rows, errors = FeeFilters(), [], exc.errors
    query = request.GET.copy()
    for row in rows:
        following = query.copy()
        following["by"] = FEE_DRILL[filters.by]
        if filters.by == "month":
            following["from"] = following["to"] = f"{row.key:%Y-%m}"
        elif row.code:
            following[filters.by] = row.code
        row.drill_url = "?" + following.urlencode()
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    places = {k: v for k, v in request.GET.items() if k in ("department", "district", "service")}
    return render(
        request,
        "dashboards/fees.html",
        {
            "filters": filters,
            "rows": rows,
            "total": fees_total(rows),
            "errors": errors,
            "params": request.GET,
            "bys": FEE_BYS,
            "yesterday": yesterday,
            "places": places,
            "snapshot_query": urlencode({**places, "day": yesterday.isoformat()}),
        },
        status=400 if errors else 200,
    )


def fee_payments_export_view(request: HttpRequest, fmt: str) -> HttpResponse:
    """The daily snapshot of payments, for a day (yesterday by default) or a range, as CSV
    (streamed as it is read) or XLSX (written to a temporary file, then streamed)."""
    if fmt not in ("csv", "xlsx"):
        raise Http404("Exports are CSV or XLSX.")
    _fees_reader(request)
    try:
        filters = snapshot_filters_from(request.GET, today=timezone.localdate())
        lines = payments_snapshot(user=request.user, filters=filters)
    except ValidationFailed as exc:
        return HttpResponse(
            "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items()),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    period = filters.start.isoformat()
    if filters.end != filters.start:
        period += f"-to-{filters.end.isoformat()}"
    name = f"fee-payments-{period}.{fmt}"
    if fmt == "xlsx":
        return FileResponse(
            payments_xlsx(lines), as_attachment=True, filename=name, content_type=XLSX
        )
    response = StreamingHttpResponse(payments_csv(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
