"""A grievance: the file climbs the L1-L4 ladder on each missed 7-day deadline; it closes only
with the citizen's consent; a citizen who is not satisfied sends it back to the officer who
reported the action taken, not to the bottom of the ladder."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from seva.applications.models import Application
from seva.applications.services import (
    application_act,
    application_submit,
    applications_escalate_overdue,
)
from seva.core.errors import ActionNotAllowed
from seva.definitions.models import Service
from tests.helpers import example_with_documents, ist

ATR = {"action_taken": "The pipeline near the temple was repaired on 8 May; supply restored."}


def _file(user) -> Application:
    service = Service.objects.get(code="public-grievance")
    with time_machine.travel(ist(2026, 5, 4, 10), tick=False):
        return application_submit(
            service=service,
            data=example_with_documents(service, user("citizen")),
            applicant=user("citizen"),
        )


def _atr_inputs(application: Application) -> dict:
    transition = next(
        t
        for t in application.service_version.workflow_doc["transitions"]
        if t["action"] == "submit_action_taken_report"
    )
    return transition["input_schema"]["examples"][0]


@pytest.mark.django_db
def test_closure_needs_the_citizens_consent_and_reopening_returns_to_the_reporting_officer(user):
    grievance = _file(user)
    assert grievance.holder_role.code == "grievance_l1"
    # L1 misses the 7-day deadline: the file climbs to L2.
    with time_machine.travel(
        timezone.localtime(grievance.stage_due_at) + dt.timedelta(hours=1), tick=False
    ):
        applications_escalate_overdue()
    grievance.refresh_from_db()
    assert grievance.holder_role.code == "grievance_l2" and grievance.escalation_level == 1

    with pytest.raises(ActionNotAllowed):  # L1 no longer holds it
        application_act(
            application=grievance,
            user=user("grievance.l1.ambala"),
            action="submit_action_taken_report",
            inputs=_atr_inputs(grievance),
        )
    grievance = application_act(
        application=grievance,
        user=user("grievance.l2.ambala"),
        action="submit_action_taken_report",
        remarks="Repaired.",
        inputs=_atr_inputs(grievance),
    )
    assert grievance.state == "awaiting_consent" and grievance.clock_paused_at is not None
    # No officer can close it: only the citizen's consent closes a grievance.
    for officer in ("grievance.l1.ambala", "grievance.l2.ambala", "grievance.l4"):
        with pytest.raises(ActionNotAllowed):
            application_act(application=grievance, user=user(officer), action="accept_closure")

    reopened = application_act(
        application=grievance,
        user=user("citizen"),
        action="reopen",
        remarks="Water is still not coming.",
        inputs={"reason": "no_action"},
    )
    assert reopened.state == "under_action"
    assert reopened.holder_role.code == "grievance_l2" and reopened.escalation_level == 1
    assert reopened.clock_paused_at is None

    reopened = application_act(
        application=reopened,
        user=user("grievance.l2.ambala"),
        action="submit_action_taken_report",
        inputs=_atr_inputs(reopened),
    )
    closed = application_act(
        application=reopened, user=user("citizen"), action="accept_closure", inputs={"rating": 4}
    )
    assert closed.outcome == "closed" and closed.closed_at is not None
