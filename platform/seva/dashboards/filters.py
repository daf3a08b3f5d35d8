"""The board's filters from query parameters (the pages and the API read the same ones),
and a board row as plain values (for JSON and the exports)."""

from __future__ import annotations

import datetime as dt

from seva.core.errors import ValidationFailed
from seva.definitions.models import Service
from seva.org.models import Department, Jurisdiction, JurisdictionLevel

from .boards import BYS, KINDS, BoardFilters, BoardRow
from .fees import FEE_BYS, FeeFilters, SnapshotFilters


def board_filters_from(params) -> BoardFilters:
    """Filters from `by`, `from`, `to` (YYYY-MM-DD), `kind`, `department`, `district`,
    `tehsil` and `office` (codes; `by=officer` needs an office). Every bad parameter is reported at once, under its own name."""
    errors: dict[str, list[str]] = {}
    by = params.get("by") or "district"
    if by not in BYS:
        errors["by"] = [f"Choose one of: {', '.join(BYS)}."]
    dates: dict[str, dt.date | None] = {}
    for name in ("from", "to"):
        value = params.get(name) or ""
        try:
            dates[name] = dt.date.fromisoformat(value) if value else None
        except ValueError:
            errors[name] = ["Give a date as YYYY-MM-DD."]
    kind = params.get("kind") or ""
    if kind and kind not in KINDS:
        errors["kind"] = [f"Choose one of: {', '.join(KINDS)}."]
    found: dict[str, int | None] = {}
    for name, things, level in (
        ("department", Department.objects, None),
        ("district", Jurisdiction.objects, JurisdictionLevel.DISTRICT),
        ("tehsil", Jurisdiction.objects, JurisdictionLevel.TEHSIL),
        ("office", Jurisdiction.objects, None),
    ):
        found[name] = None
        if params.get(name):
            matches = things.filter(code=params[name])
            if level:
                matches = matches.filter(level=level)
            found[name] = matches.values_list("pk", flat=True).first()
            if found[name] is None:
                errors[name] = [f"No {name} with this code."]
    if by == "officer" and not params.get("office"):
        errors["office"] = ["Choose an office (office=<code>) to see its officers."]
    if not errors and dates["from"] and dates["to"] and dates["from"] > dates["to"]:
        errors["from"] = ["The start of the range is after its end."]
    if errors:
        raise ValidationFailed(errors)
    return BoardFilters(
        by=by,
        start=dates["from"],
        end=dates["to"],
        kind=kind,
        department_id=found["department"],
        district_id=found["district"],
        tehsil_id=found["tehsil"],
        office_id=found["office"],
    )


def _text(value) -> str | None:
    return None if value is None else str(value)


def board_row_json(row: BoardRow, filters: BoardFilters) -> dict:
    found = {
        "rank": row.rank,
        "id": row.key,
        "code": row.code,
        "name": row.name,
        "received": row.received,
        "completed": row.completed,
        "completed_within_pct": _text(row.completed_within_pct),
        "completed_outside_pct": _text(row.completed_outside_pct),
        "underway": row.underway,
        "underway_within_pct": _text(row.underway_within_pct),
        "underway_beyond_pct": _text(row.underway_beyond_pct),
        "rejection_pct": _text(row.rejection_pct),
        "score": _text(row.score),
        "monthly_scores": [
            {"month": f"{month:%Y-%m}", "score": _text(score), "rank": rank}
            for month, score, rank in row.history
        ],
    }
    if filters.kind == "grievance":
        found["grievances"] = {
            "action_taken_reports": row.atr,
            "atr_within_service_level_pct": _text(row.atr_within_pct),
            "closed_with_consent_pct": _text(row.consented_pct),
            "reopened_pct": _text(row.reopened_pct),
            "average_satisfaction": _text(row.satisfaction),
        }
    return found


# ------------------------------------------------------------------------------
# Fees (seva.dashboards.fees)
# ------------------------------------------------------------------------------
def _fee_places(params, errors: dict[str, list[str]]) -> dict[str, int | None]:
    """The `department`, `district` and `service` codes given, as ids; an unknown code is
    reported under its own name."""
    found: dict[str, int | None] = {}
    for name, matches in (
        ("department", Department.objects.all()),
        ("district", Jurisdiction.objects.filter(level=JurisdictionLevel.DISTRICT)),
        ("service", Service.objects.all()),
    ):
        found[name] = None
        code = params.get(name) or ""
        if code:
            found[name] = matches.filter(code=code).values_list("pk", flat=True).first()
            if found[name] is None:
                errors[name] = [f"No {name} with this code."]
    return found


def fee_filters_from(params) -> FeeFilters:
    """The Fees page's filters: `by` (month, service, district, department), `from` and
    `to` (months, YYYY-MM), `department`, `district` and `service` (codes)."""
    errors: dict[str, list[str]] = {}
    by = params.get("by") or "month"
    if by not in FEE_BYS:
        errors["by"] = [f"Choose one of: {', '.join(FEE_BYS)}."]
    months: dict[str, dt.date | None] = {}
    for name in ("from", "to"):
        value = params.get(name) or ""
        try:
            months[name] = dt.date.fromisoformat(f"{value}-01") if value else None
        except ValueError:
            errors[name] = ["Give a month as YYYY-MM."]
    found = _fee_places(params, errors)
    if not errors and months["from"] and months["to"] and months["from"] > months["to"]:
        errors["from"] = ["The first month is after the last."]
    if errors:
        raise ValidationFailed(errors)
    return FeeFilters(
        by=by,
        start=months["from"],
        end=months["to"],
        department_id=found["department"],
        district_id=found["district"],
        service_id=found["service"],
    )


def snapshot_filters_from(params, *, today: dt.date) -> SnapshotFilters:
    """The snapshot's filters: `day`, or `from` and `to` (YYYY-MM-DD, both days included;
    yesterday when no date is given), and `department`, `district` and `service` (codes)."""
    errors: dict[str, list[str]] = {}
    dates: dict[str, dt.date | None] = {}
    for name in ("day", "from", "to"):
        value = params.get(name) or ""
        try:
            dates[name] = dt.date.fromisoformat(value) if value else None
        except ValueError:
            errors[name] = ["Give a date as YYYY-MM-DD."]
    found = _fee_places(params, errors)
    if errors:
        raise ValidationFailed(errors)
    # One day (yesterday when none is given); a range with one end given is that day.
    start = dates["day"] or dates["from"] or dates["to"] or today - dt.timedelta(days=1)
    end = dates["day"] or dates["to"] or start
    return SnapshotFilters(
        start=start,
        end=end,
        department_id=found["department"],
        district_id=found["district"],
        service_id=found["service"],
    )
