"""A holiday declared after a file was submitted moves its deadlines; files elsewhere stay."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone

from seva.applications.models import Application
from seva.applications.services import application_submit
from seva.core.errors import ValidationFailed
from seva.definitions.models import Service
from seva.org.models import Holiday, Jurisdiction
from seva.org.services import holiday_add
from tests.helpers import example_with_documents, ist


def _file(tehsil: str) -> Application:
    service = Service.objects.get(code="income-certificate")
    citizen = get_user_model().objects.get(username="citizen")
    data = example_with_documents(service, citizen)
    data = {**data, "address": {**data["address"], "tehsil": tehsil}}
    return application_submit(service=service, data=data, applicant=citizen)


def _free_working_day_before(application: Application) -> dt.date:
    """A working day inside the application's RTS period that is not yet a holiday."""
    due = timezone.localtime(application.rts_due_at).date()
    day = due - dt.timedelta(days=1)
    taken = set(Holiday.objects.values_list("date", flat=True))
    while day.weekday() >= 5 or day in taken:
        day -= dt.timedelta(days=1)
    return day


@pytest.mark.django_db
def test_a_district_holiday_moves_the_deadlines_of_that_district_only(
    django_capture_on_commit_callbacks,
):
    with time_machine.travel(ist(2026, 9, 7), tick=False):  # a Monday
        ambala = _file("HR-AMB-AMB-AMB")
        hisar = _file("HR-HSR-HSR-HSR")
    ambala_due, hisar_due = ambala.rts_due_at, hisar.rts_due_at
    holiday = _free_working_day_before(ambala)

    with django_capture_on_commit_callbacks(execute=True):
        holiday_add(
            date=holiday,
            name_en="Local fair",
            name_hi="स्थानीय मेला",
            district=Jurisdiction.objects.get(code="HR-AMB"),
        )

    ambala.refresh_from_db()
    hisar.refresh_from_db()
    assert ambala.rts_due_at > ambala_due
    assert hisar.rts_due_at == hisar_due
    event = ambala.events.order_by("-sequence").first()
    assert event.action == "recompute_deadlines" and event.actor_role == "system"
    assert event.data["before"]["rts_due_at"] == timezone.localtime(ambala_due).isoformat()


@pytest.mark.django_db
def test_a_state_wide_holiday_moves_every_open_file(django_capture_on_commit_callbacks):
    with time_machine.travel(ist(2026, 9, 7), tick=False):
        ambala = _file("HR-AMB-AMB-AMB")
        hisar = _file("HR-HSR-HSR-HSR")
    before = (ambala.rts_due_at, hisar.rts_due_at)
    holiday = _free_working_day_before(ambala)
    with django_capture_on_commit_callbacks(execute=True):
        holiday_add(date=holiday, name_en="State mourning", name_hi="राजकीय शोक")
    ambala.refresh_from_db()
    hisar.refresh_from_db()
    assert ambala.rts_due_at > before[0] and hisar.rts_due_at > before[1]


@pytest.mark.django_db
def test_a_holiday_cannot_be_declared_twice_or_for_a_tehsil():
    day = dt.date(2026, 9, 30)
    holiday_add(date=day, name_en="One", name_hi="एक")
    with pytest.raises(ValidationFailed):
        holiday_add(date=day, name_en="Again", name_hi="फिर")
    with pytest.raises(ValidationFailed):
        holiday_add(
            date=dt.date(2026, 10, 1),
            name_en="x",
            name_hi="x",
            district=Jurisdiction.objects.get(code="HR-AMB-AMB-AMB"),
        )
