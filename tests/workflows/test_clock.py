"""The RTS clock, on dates worked out by hand (Saturdays and Sundays are weekly offs)."""

import datetime as dt

import pytest

from seva.workflows.clock import DayType, Pause, WorkingCalendar, days_used, due_date

D = dt.date
WORKING = DayType.WORKING


def cal(*holidays: dt.date) -> WorkingCalendar:
    return WorkingCalendar(holidays=frozenset(holidays), weekly_off_days=frozenset({5, 6}))


def test_the_day_of_receipt_does_not_count_and_weekends_are_skipped():
    # Friday 9 Jan 2026 + 3 working days: Mon 12, Tue 13, Wed 14.
    assert due_date(start=D(2026, 1, 9), days=3, day_type=WORKING, calendar=cal()) == D(2026, 1, 14)


def test_a_holiday_inside_the_period_pushes_the_due_date():
    # Mon 19 Jan + 5: Tue 20 .. Fri 23 (4), then Sat, Sun, Mon 26 (Republic Day) skipped: Tue 27.
    calendar = cal(D(2026, 1, 26))
    assert due_date(start=D(2026, 1, 19), days=5, day_type=WORKING, calendar=calendar) == D(
        2026, 1, 27
    )


def test_a_holiday_on_a_weekend_changes_nothing():
    calendar = cal(D(2026, 1, 10))  # a Saturday
    assert due_date(start=D(2026, 1, 9), days=3, day_type=WORKING, calendar=calendar) == D(
        2026, 1, 14
    )


def test_the_period_runs_across_a_month_end():
    # Thu 30 Apr + 2: Fri 1 May, Mon 4 May.
    assert due_date(start=D(2026, 4, 30), days=2, day_type=WORKING, calendar=cal()) == D(2026, 5, 4)


def test_the_period_runs_across_a_year_end_with_new_years_day_off():
    # Wed 30 Dec + 3: Thu 31, (Fri 1 Jan off, weekend), Mon 4, Tue 5.
    calendar = cal(D(2027, 1, 1))
    assert due_date(start=D(2026, 12, 30), days=3, day_type=WORKING, calendar=calendar) == D(
        2027, 1, 5
    )


def test_calendar_days_count_weekends_and_holidays():
    calendar = cal(D(2027, 1, 1))
    assert due_date(
        start=D(2026, 12, 30), days=3, day_type=DayType.CALENDAR, calendar=calendar
    ) == D(2027, 1, 2)


def test_a_pause_removes_the_days_after_the_return_up_to_the_resubmission():
    # Mon 2 Feb + 10 working days is Mon 16 Feb. Returned Wed 4 Feb, back Mon 9 Feb:
    # Thu 5, Fri 6 and Mon 9 do not count, so the period ends on Thu 19 Feb.
    start = D(2026, 2, 2)
    assert due_date(start=start, days=10, day_type=WORKING, calendar=cal()) == D(2026, 2, 16)
    one_pause = [Pause(D(2026, 2, 4), D(2026, 2, 9))]
    assert due_date(start=start, days=10, day_type=WORKING, calendar=cal(), pauses=one_pause) == D(
        2026, 2, 19
    )


def test_several_pauses_add_up():
    # As above, then returned again Wed 11 Feb and back Fri 13 Feb: Thu 12 and Fri 13 are
    # lost too. Counted: 3, 4, 10, 11, 16, 17, 18, 19, 20, 23 -> Mon 23 Feb.
    pauses = [Pause(D(2026, 2, 4), D(2026, 2, 9)), Pause(D(2026, 2, 11), D(2026, 2, 13))]
    assert due_date(
        start=D(2026, 2, 2), days=10, day_type=WORKING, calendar=cal(), pauses=pauses
    ) == D(2026, 2, 23)


def test_a_pause_over_a_holiday_does_not_count_the_holiday_twice():
    # Holiday Thu 5 Feb falls inside the pause; it was not a working day anyway.
    pauses = [Pause(D(2026, 2, 4), D(2026, 2, 9))]
    calendar = cal(D(2026, 2, 5))
    assert due_date(
        start=D(2026, 2, 2), days=10, day_type=WORKING, calendar=calendar, pauses=pauses
    ) == D(2026, 2, 19)


def test_a_pause_in_calendar_mode_stops_every_day():
    # 2 Feb + 7 calendar days is 9 Feb; a pause from 3 Feb to 6 Feb removes 4, 5, 6.
    pauses = [Pause(D(2026, 2, 3), D(2026, 2, 6))]
    assert due_date(
        start=D(2026, 2, 2), days=7, day_type=DayType.CALENDAR, calendar=cal(), pauses=pauses
    ) == D(2026, 2, 12)


def test_a_holiday_declared_later_moves_the_due_date():
    start = D(2026, 3, 2)  # Monday
    before = due_date(start=start, days=15, day_type=WORKING, calendar=cal())
    assert before == D(2026, 3, 23)
    after = due_date(start=start, days=15, day_type=WORKING, calendar=cal(D(2026, 3, 10)))
    assert after == D(2026, 3, 24)
    # A holiday after the due date changes nothing.
    assert due_date(start=start, days=15, day_type=WORKING, calendar=cal(D(2026, 3, 30))) == before


def test_days_used_counts_only_running_working_days():
    pauses = [Pause(D(2026, 2, 4), D(2026, 2, 9))]
    # 3, 4 then 10, 11, 12, 13 -> 6 by Fri 13 Feb.
    assert (
        days_used(
            start=D(2026, 2, 2),
            until=D(2026, 2, 13),
            day_type=WORKING,
            calendar=cal(),
            pauses=pauses,
        )
        == 6
    )


def test_days_used_stops_while_a_pause_is_still_open():
    pauses = [Pause(D(2026, 2, 4), None)]
    assert (
        days_used(
            start=D(2026, 2, 2),
            until=D(2026, 3, 31),
            day_type=WORKING,
            calendar=cal(),
            pauses=pauses,
        )
        == 2
    )


def test_zero_days_is_the_start_and_negative_days_are_refused():
    assert due_date(start=D(2026, 2, 2), days=0, day_type=WORKING, calendar=cal()) == D(2026, 2, 2)
    with pytest.raises(ValueError):
        due_date(start=D(2026, 2, 2), days=-1, day_type=WORKING, calendar=cal())


def test_a_calendar_with_no_working_days_fails_instead_of_looping_for_ever():
    every_day_off = WorkingCalendar(weekly_off_days=frozenset(range(7)))
    with pytest.raises(ValueError, match="no counted day"):
        due_date(start=D(2026, 2, 2), days=1, day_type=WORKING, calendar=every_day_off)
