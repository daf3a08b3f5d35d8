"""The periodic escalation sweep, day by day over a simulated month with holidays.

Each file climbs its state's ladder on the days the calendar says, once per step, and stays
at the top; files with the citizen or acted on in time never move. The sweep runs twice
each day (the service, then the Celery task) and on two workers at once without ever
escalating a file twice.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import time_machine
import yaml
from django.conf import settings
from django.utils import timezone

import seva.demo
from seva.applications.models import Application, ApplicationEvent
from seva.applications.services import (
    application_act,
    application_submit,
    applications_escalate_overdue,
)
from seva.applications.tasks import escalate_overdue
from seva.definitions.models import Service
from seva.notifications.models import OutboxMessage
from seva.org.models import Holiday, Jurisdiction
from tests.helpers import example_with_documents, ist
from tests.threads import cleanup, committed, needs_postgres, run_together

FILED_ON = dt.date(2026, 9, 30)  # a Wednesday; every file is submitted that morning
# Thirty days, and on until the grievance is past its deadline at the top of its ladder.
LAST_DAY = dt.date(2026, 11, 2)
AMBALA, HISAR = "HR-AMB", "HR-HSR"  # the files' district, and another one
# Local holidays the test declares: Ambala's counts for the files, Hisar's must not.
AMBALA_FAIR = dt.date(2026, 10, 8)
HISAR_FAIR = dt.date(2026, 10, 5)

# The ladders and stage deadlines, as workflows_yaml/ gives them. A grievance's days are
# calendar days, a certificate's working days: stage deadlines count like the service's RTS.
GRIEVANCE_LADDER = ["grievance_l1", "grievance_l2", "grievance_l3", "grievance_l4"]
SCRUTINY_LADDER, SCRUTINY_DAYS = ["revenue_clerk", "tehsildar"], 3
FIELD_LADDER, FIELD_DAYS = ["patwari", "tehsildar"], 5
DECISION_LADDER, DECISION_DAYS = ["tehsildar", "sdm"], 4


# ------------------------------------------------------------------------------
# The expected history, worked out from the calendar without seva.workflows.clock
# ------------------------------------------------------------------------------
def _gazetted_holidays(district: str) -> set[dt.date]:
    """The demo gazette, read from its YAML file: state-wide holidays and the district's."""
    path = Path(seva.demo.__file__).parent / "data" / "holidays.yaml"
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))["holidays"]
    return {e["date"] for e in entries if e.get("district") in (None, district)}


def _is_ambala_working_day() -> Callable[[dt.date], bool]:
    holidays = _gazetted_holidays(AMBALA) | {AMBALA_FAIR}
    weekly_offs = set(settings.SEVA_WEEKLY_OFF_DAYS)
    return lambda day: day.weekday() not in weekly_offs and day not in holidays


def _every_day(day: dt.date) -> bool:
    return True


def _nth_day_after(start: dt.date, days: int, counts: Callable[[dt.date], bool]) -> dt.date:
    day, counted = start, 0
    while counted < days:
        day += dt.timedelta(days=1)
        counted += counts(day)
    return day


def _climb(
    *,
    entered_on: dt.date,
    ladder: list[str],
    days: int,
    counts: Callable[[dt.date], bool],
    until: dt.date = LAST_DAY,
) -> list[tuple[dt.date, str, str, int]]:
    """(day, from role, to role, level) of each escalation of a file nobody acts on: its
    stage deadline is the end of the `days`-th counted day after it entered (or last
    climbed), and the first sweep after that midnight moves it one rung up."""
    steps = []
    for level in range(1, len(ladder)):
        climbs_on = _nth_day_after(entered_on, days, counts) + dt.timedelta(days=1)
        if climbs_on > until:
            break
        steps.append((climbs_on, ladder[level - 1], ladder[level], level))
        entered_on = climbs_on
    return steps


# ------------------------------------------------------------------------------
# The simulation
# ------------------------------------------------------------------------------
def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return ist(day.year, day.month, day.day, hour, minute)


def _file(user, service_code: str) -> Application:
    service = Service.objects.get(code=service_code)
    return application_submit(
        service=service,
        data=example_with_documents(service, user("citizen")),
        applicant=user("citizen"),
    )


def _atr_inputs() -> dict:
    return {
        "action_taken": "The pipeline near the temple was repaired; supply restored.",
        "action_date": "2026-10-05",
        "resolution": "resolved",
    }


def _escalations(application: Application) -> list[tuple[dt.date, str, str, int]]:
    events = ApplicationEvent.objects.filter(
        application=application, kind=ApplicationEvent.Kind.ESCALATED
    ).order_by("sequence")
    for event in events:
        assert (event.actor, event.actor_role, event.action) == (None, "system", "escalate")
        assert event.from_state == event.to_state
    return [
        (
            timezone.localdate(e.at),
            e.data["from_role"],
            e.data["to_role"],
            e.data["level"],
        )
        for e in events
    ]


@pytest.mark.django_db
def test_a_month_of_sweeps_run_twice_escalates_each_file_once_per_step_on_the_right_days(
    user,
):
    ambala, hisar = (Jurisdiction.objects.get(code=code) for code in (AMBALA, HISAR))
    for day, district in ((AMBALA_FAIR, ambala), (HISAR_FAIR, hisar)):
        Holiday.objects.create(
            date=day, name_en="Local fair", name_hi="स्थानीय मेला", district=district
        )

    with time_machine.travel(_at(FILED_ON, 11), tick=False):
        grievance = _file(user, "public-grievance")  # nobody acts: climbs to L4
        answered = _file(user, "public-grievance")  # L1 reports the action in time
        unread = _file(user, "income-certificate")  # the clerk never opens it
        verified = _file(user, "income-certificate")  # forwarded, then verified late
        returned = _file(user, "income-certificate")  # with the citizen: the clock stops
    with time_machine.travel(_at(FILED_ON, 15), tick=False):
        application_act(
            application=returned,
            user=user("clerk.ambala"),
            action="return_for_correction",
            remarks="Income proof unsigned.",
            inputs={"correction_needed": "Sign the income proof."},
        )

    working_day = _is_ambala_working_day()
    field_climb = _climb(
        entered_on=dt.date(2026, 10, 1), ladder=FIELD_LADDER, days=FIELD_DAYS, counts=working_day
    )
    # The tehsildar, now holding the field verification, reports the day after it arrived.
    reported_on = field_climb[0][0] + dt.timedelta(days=1)
    expected = {
        grievance.reference: _climb(
            entered_on=FILED_ON, ladder=GRIEVANCE_LADDER, days=7, counts=_every_day
        ),
        answered.reference: [],
        unread.reference: _climb(
            entered_on=FILED_ON, ladder=SCRUTINY_LADDER, days=SCRUTINY_DAYS, counts=working_day
        ),
        verified.reference: [
            *field_climb,
            *_climb(
                entered_on=reported_on,
                ladder=DECISION_LADDER,
                days=DECISION_DAYS,
                counts=working_day,
            ),
        ],
        returned.reference: [],
    }
    # Calendar days: neither the holidays nor the weekends move a grievance.
    assert [step[0] for step in expected[grievance.reference]] == [
        dt.date(2026, 10, 8),
        dt.date(2026, 10, 16),
        dt.date(2026, 10, 24),
    ]

    actions = {
        dt.date(2026, 10, 1): lambda: application_act(
            application=Application.objects.get(pk=verified.pk),
            user=user("clerk.ambala"),
            action="forward_for_verification",
        ),
        dt.date(2026, 10, 5): lambda: application_act(
            application=Application.objects.get(pk=answered.pk),
            user=user("grievance.l1.ambala"),
            action="submit_action_taken_report",
            inputs=_atr_inputs(),
        ),
        reported_on: lambda: application_act(
            application=Application.objects.get(pk=verified.pk),
            user=user("tehsildar.ambala"),
            action="submit_verification_report",
            remarks="Verified on the spot.",
            inputs={"facts_verified": True, "verified_annual_income": 180000},
        ),
    }
    sms_before = OutboxMessage.objects.count()
    sms_from_actions = 0
    escalated_per_day = {}
    day = FILED_ON
    while day < LAST_DAY:
        day += dt.timedelta(days=1)
        # The first sweep after midnight, and the same moment again through Celery.
        with time_machine.travel(_at(day, 0, 30), tick=False):
            first = applications_escalate_overdue(at=timezone.now())
            # Eager tasks share Celery's process-wide "inside a task" flag: waiting is safe here.
            again = escalate_overdue.delay().get(disable_sync_subtasks=False)
        if day in actions:
            with time_machine.travel(_at(day, 15), tick=False):
                before = OutboxMessage.objects.count()
                actions[day]()
                sms_from_actions += OutboxMessage.objects.count() - before
        # An evening sweep, the same way.
        with time_machine.travel(_at(day, 19), tick=False):
            evening = applications_escalate_overdue(at=timezone.now())
            evening_again = escalate_overdue.delay().get(disable_sync_subtasks=False)
        escalated_per_day[day] = (first, again, evening, evening_again)

    files = {app.reference: app for app in (grievance, answered, unread, verified, returned)}
    assert {ref: _escalations(app) for ref, app in files.items()} == expected
    per_day = Counter(step[0] for steps in expected.values() for step in steps)
    assert escalated_per_day == {d: (per_day[d], 0, 0, 0) for d in escalated_per_day}
    # Escalation sends no SMS.
    assert OutboxMessage.objects.count() - sms_before == sms_from_actions

    now = {ref: Application.objects.get(reference=ref) for ref in files}
    holders = {
        ref: (app.state, app.holder_role.code if app.holder_role else None, app.escalation_level)
        for ref, app in now.items()
    }
    assert holders == {
        grievance.reference: ("under_action", "grievance_l4", 3),
        answered.reference: ("awaiting_consent", None, 0),
        unread.reference: ("scrutiny", "tehsildar", 1),
        verified.reference: ("decision", "sdm", 1),
        returned.reference: ("returned", None, 0),
    }
    # At the top of its ladder a file stays where it is, past its deadline.
    for file in (grievance, unread, verified):
        assert now[file.reference].stage_due_at < _at(LAST_DAY, 0, 30)
    # The holidays were in the way: the certificates climbed later than weekends alone say.
    assert expected[unread.reference] != _climb(
        entered_on=FILED_ON,
        ladder=SCRUTINY_LADDER,
        days=SCRUTINY_DAYS,
        counts=lambda day: day.weekday() not in settings.SEVA_WEEKLY_OFF_DAYS,
    )


@needs_postgres
@pytest.mark.postgres
@pytest.mark.django_db
def test_two_workers_sweeping_at_once_escalate_each_overdue_file_once(user):
    services = [Service.objects.get(code=c) for c in ("public-grievance", "income-certificate")]

    def file_eight() -> list[str]:
        return [_file(user, service.code).reference for service in services for _ in range(4)]

    with time_machine.travel(_at(FILED_ON, 11), tick=False):
        references = committed(file_eight)
    try:
        escalated = ApplicationEvent.objects.filter(kind=ApplicationEvent.Kind.ESCALATED)
        escalated_before = escalated.count()
        # Past every stage deadline: the certificates' three working days, the grievances'
        # seven calendar days. One worker runs the service, the other the Celery task.
        with time_machine.travel(_at(dt.date(2026, 10, 9), 0, 30), tick=False):
            results = run_together(
                [
                    lambda: applications_escalate_overdue(at=timezone.now()),
                    lambda: escalate_overdue.delay().get(disable_sync_subtasks=False),
                ]
            )
        assert all(isinstance(r, int) for r in results), results
        assert escalated.count() - escalated_before == sum(results)
        for app in Application.objects.filter(reference__in=references):
            steps = list(escalated.filter(application=app).values_list("data", flat=True))
            assert len(steps) == 1, (app.reference, steps)
            assert steps[0]["level"] == app.escalation_level == 1
            assert steps[0]["to_role"] == app.holder_role.code
            assert app.holder_role.code in ("grievance_l2", "tehsildar")
    finally:
        committed(lambda: cleanup(references))
