"""The Right-to-Service clock: working days, pauses and due dates.

Pure functions over dates, no database. The rules, as the RTS Acts read:

- The day of receipt does not count; the period starts on the next day that counts.
- In `working` mode only working days count: not a weekly off, not a holiday (state-wide
  or of the district). In `calendar` mode every day counts.
- While the file is with the citizen the clock stops. The day it is returned still counts
  (the office worked on it); the day it comes back does not (like a fresh receipt). So a
  pause from day P to day R removes the days after P up to and including R.
- The due date is the day on which the counted days reach the period. Closing on or
  before that day is "within RTS".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class DayType(StrEnum):
    WORKING = "working"
    CALENDAR = "calendar"


@dataclass(frozen=True)
class Pause:
    """The file was with the citizen from `started_on`; `ended_on` is None while it still is."""

    started_on: dt.date
    ended_on: dt.date | None = None

    def excludes(self, day: dt.date) -> bool:
        if day <= self.started_on:
            return False
        return self.ended_on is None or day <= self.ended_on


@dataclass(frozen=True)
class WorkingCalendar:
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    weekly_off_days: frozenset[int] = frozenset({5, 6})

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() not in self.weekly_off_days and day not in self.holidays

    def counts(self, day: dt.date, day_type: DayType) -> bool:
        return day_type is DayType.CALENDAR or self.is_working_day(day)

    def add_days(self, start: dt.date, days: int, day_type: DayType = DayType.WORKING) -> dt.date:
        """The day on which `days` counted days have passed after `start`."""
        return due_date(start=start, days=days, day_type=day_type, calendar=self)


# No RTS period runs for years; failing to find enough counted days in this many means the
# calendar is broken (every day a holiday), and looping on would hang the caller.
_SEARCH_LIMIT_DAYS = 4 * 366


def _counted_days(
    start: dt.date,
    *,
    day_type: DayType,
    calendar: WorkingCalendar,
    pauses: Sequence[Pause] = (),
) -> Iterable[dt.date]:
    day = start
    for _ in range(_SEARCH_LIMIT_DAYS):
        day += dt.timedelta(days=1)
        if calendar.counts(day, day_type) and not any(p.excludes(day) for p in pauses):
            yield day
    raise ValueError(f"no counted day within {_SEARCH_LIMIT_DAYS} days of {start}")


def due_date(
    *,
    start: dt.date,
    days: int,
    day_type: DayType,
    calendar: WorkingCalendar,
    pauses: Sequence[Pause] = (),
) -> dt.date:
    """The date by which `days` counted days have passed since `start`, skipping pauses.

    An open pause (the file is still with the citizen) is taken to end today by the caller;
    pass it with `ended_on` set to the day the clock would restart.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    if days == 0:
        return start
    for count, day in enumerate(
        _counted_days(start, day_type=day_type, calendar=calendar, pauses=pauses), start=1
    ):
        if count == days:
            return day
    raise AssertionError("unreachable")  # pragma: no cover


def days_used(
    *,
    start: dt.date,
    until: dt.date,
    day_type: DayType,
    calendar: WorkingCalendar,
    pauses: Sequence[Pause] = (),
) -> int:
    """Counted days after `start` up to and including `until`."""
    used = 0
    day = start + dt.timedelta(days=1)
    while day <= until:
        if calendar.counts(day, day_type) and not any(p.excludes(day) for p in pauses):
            used += 1
        day += dt.timedelta(days=1)
    return used
