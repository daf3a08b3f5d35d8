"""Small helpers shared by tests."""

from __future__ import annotations

import datetime as dt

IST = dt.timezone(dt.timedelta(hours=5, minutes=30))


def ist(year: int, month: int, day: int, hour: int = 11, minute: int = 0) -> dt.datetime:
    """An aware datetime in India Standard Time."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=IST)


# ------------------------------------------------------------------------------
# An RTS oracle written independently of seva.workflows.clock, to check it against.
# ------------------------------------------------------------------------------
def expected_due_date(
    *,
    start: dt.date,
    days: int,
    working_days_only: bool,
    holidays: set[dt.date],
    pauses: list[tuple[dt.date, dt.date]] = (),
) -> dt.date:
    """Count `days` days after `start`, skipping weekends and holidays (when working days
    only) and every day d with pause_start < d <= pause_end."""
    day, counted = start, 0
    while counted < days:
        day += dt.timedelta(days=1)
        if any(p_start < day <= p_end for p_start, p_end in pauses):
            continue
        if working_days_only and (day.weekday() >= 5 or day in holidays):
            continue
        counted += 1
    return day
