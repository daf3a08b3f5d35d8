"""Monthly score snapshots: the state's board by district, department and service for a
month, stored when the month closes and never rewritten, so that a month's score and rank
stay as they were announced even when files of that month are disposed of later. The board
shows the last three months beside today's score (on the state-wide, unfiltered boards:
a snapshot is the state's ranking, not a collector's or a department's)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .boards import BoardFilters, BoardRow, board_rows, month_after
from .models import ScoreSnapshot

SNAPSHOT_GROUPINGS = ("district", "department", "service")
HISTORY_MONTHS = 3


def months_before(today: dt.date, count: int) -> list[dt.date]:
    """The firsts of the `count` months before `today`'s, oldest first."""
    months, month = [], today.replace(day=1)
    for _ in range(count):
        month = (month - dt.timedelta(days=1)).replace(day=1)
        months.append(month)
    return months[::-1]


def scores_snapshot(month: dt.date, *, at: dt.datetime | None = None) -> int:
    """Store `month`'s board for the whole state by district, department and service: the
    flows of the month, and the files underway (and beyond RTS) at its end. A month already
    stored is left as it is. Returns the rows written (0 if the month was stored)."""
    month = month.replace(day=1)
    at = at or timezone.now()
    end = month_after(month) - dt.timedelta(days=1)
    if end >= timezone.localdate(at):
        raise ValueError(f"{month:%B %Y} has not ended yet.")
    written = 0
    with transaction.atomic():
        for by in SNAPSHOT_GROUPINGS:
            if ScoreSnapshot.objects.filter(month=month, by=by).exists():
                continue
            rows = board_rows(
                BoardFilters(by=by, start=month, end=end), Q(), end + dt.timedelta(days=1), "en"
            )
            ScoreSnapshot.objects.bulk_create(
                [
                    ScoreSnapshot(
                        month=month,
                        by=by,
                        key_id=row.key,
                        name=row.name[:200],
                        received=row.received,
                        completed=row.completed,
                        completed_within=row.completed_within,
                        rejected=row.rejected,
                        underway=row.underway,
                        underway_beyond=row.underway_beyond,
                        score=row.score,
                        rank=row.rank,
                        taken_at=at,
                    )
                    for row in rows
                ],
                ignore_conflicts=True,  # a concurrent run stored it first
            )
            written += len(rows)
    return written


def history_attach(rows: list[BoardRow], by: str, today: dt.date) -> None:
    """Give each row the score and rank of each of the last HISTORY_MONTHS months (None
    where the month has no snapshot of it)."""
    if by not in SNAPSHOT_GROUPINGS or not rows:
        return
    months = months_before(today, HISTORY_MONTHS)
    snapshots = ScoreSnapshot.objects.filter(by=by, month__in=months)
    if len(rows) <= 50:  # a long list of keys costs more than the few rows it leaves out
        snapshots = snapshots.filter(key_id__in=[row.key for row in rows])
    stored = {
        (month, key_id): (score, rank)
        for month, key_id, score, rank in snapshots.values_list("month", "key_id", "score", "rank")
    }
    for row in rows:
        row.history = [(month, *stored.get((month, row.key), (None, None))) for month in months]
