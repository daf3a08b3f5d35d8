"""Reads of the RTS rollups: the board (the way in for the pages, the exports and the API),
and the rollups checked against the applications table."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from seva.core.errors import ValidationFailed

from .boards import BYS, KINDS, BoardFilters, BoardRow, board_rows, board_scope
from .officers import officer_rows
from .services import FOLDED, ROLLUPS, expected_rollups, fold_past_due, stored_rollups
from .snapshots import history_attach


def rts_board(
    *, user, filters: BoardFilters, today: dt.date | None = None, language: str = "en"
) -> list[BoardRow]:
    """The board's rows, ranked by score (best first; rows with no score last). By officer,
    the rows of one office (`filters.office_id`): see seva.dashboards.officers."""
    if filters.by not in BYS:
        raise ValidationFailed({"by": [f"Choose one of: {', '.join(BYS)}."]})
    if filters.kind and filters.kind not in KINDS:
        raise ValidationFailed({"kind": [f"Choose one of: {', '.join(KINDS)}."]})
    if filters.start and filters.end and filters.start > filters.end:
        raise ValidationFailed({"from": ["The start of the range is after its end."]})
    today = today or timezone.localdate()
    scope = board_scope(user)
    if filters.by == "officer":
        return officer_rows(filters, scope, today, language)
    rows = board_rows(filters, scope, today, language)
    if not scope.children and not (
        filters.kind or filters.department_id or filters.district_id or filters.tehsil_id
    ):
        history_attach(rows, filters.by, today)
    return rows


def rollups_differences(*, limit: int = 50) -> list[str]:
    """Each rollup row that differs from a direct count of the applications table, in words
    (at most `limit`); empty when the rollups are right."""
    expected = expected_rollups()
    stored = stored_rollups()
    # Files due in the past count the same whether or not the nightly fold has run.
    today = timezone.localdate()
    for rollups in (expected, stored):
        for name in FOLDED:
            rollups[name] = fold_past_due(name, rollups[name], today)
    differences = []
    for name, rollup in ROLLUPS.items():
        columns = rollup.counts
        for key in sorted(set(expected[name]) | set(stored[name]), key=str):
            want = {c: expected[name].get(key, {}).get(c, 0) for c in columns}
            have = {c: stored[name].get(key, {}).get(c, 0) for c in columns}
            if want != have:
                differences.append(f"{name} {key}: counted {want}, rollup has {have}")
    return differences[:limit]
