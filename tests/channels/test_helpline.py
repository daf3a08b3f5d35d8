"""The helpline (issue 8, item 2): an agent registers a grievance from a call (the caller's
mobile, a category from the grievance definition's list, the location, the text), or
answers a status query by the caller's mobile, with or without a reference. The record
shows the helpline channel and the agent; the grievance reaches the same queue, deadline
and SMS as one filed online."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from seva.applications.models import Application, ApplicationEvent, Channel
from seva.applications.services import application_submit
from seva.channels.models import HelplineAgent, HelplineCall, HelplineCallKind
from seva.channels.services import helpline_agent_access_sync, helpline_grievance_register
from seva.citizens.models import CitizenProfile
from seva.core.errors import ActionNotAllowed, ValidationFailed
from seva.definitions.models import Service
from seva.notifications.models import OutboxMessage
from seva.queues.selectors import queue_for
from tests.helpers import example_with_documents
from tests.portal.flow import flatten

pytestmark = pytest.mark.django_db

AGENT = "agent.helpline"
CALLER = "9812300066"  # no account yet: registered by the call
BASE = "/admin/helpline/"


def signed_in(user, username: str) -> Client:
    client = Client()
    client.force_login(user(username))
    return client


def grievance() -> Service:
    return Service.objects.get(code="public-grievance")


def call_answers(mobile: str = CALLER) -> dict:
    """What the caller says, as the one-page form posts it (no attachment on a call)."""
    data = copy.deepcopy(grievance().current_version.form_schema["examples"][0])
    data.pop("attachment")
    data["complainant"] = {"full_name": "Ramphal Singh", "mobile": mobile}
    data["category"] = "roads"
    data["subject"] = "Potholes on the Babyal main road"
    return data


def post_of(data: dict, language: str = "hi") -> dict:
    post: dict = {}
    for name, value in flatten(data):
        post.setdefault(name, []).append(value)
    return {**post, "call-language": language}


def test_the_demo_has_a_helpline_agent(user):
    agent = user(AGENT)
    assert HelplineAgent.objects.filter(user=agent, active=True).exists()
    assert agent.check_password("seva-demo") and agent.has_perm("wagtailadmin.access_admin")


def test_a_grievance_from_a_call_records_the_helpline_and_the_agent_and_reaches_its_queue(
    user, local_date
):
    client = signed_in(user, AGENT)
    page = client.get(f"{BASE}grievance/")
    body = page.content.decode()
    assert page.status_code == 200
    assert 'name="category"' in body and 'value="roads"' in body  # the definition's list
    assert 'type="file"' not in body  # a caller cannot hand over a file

    registered = client.post(f"{BASE}grievance/", post_of(call_answers()))
    assert registered.status_code == 302, registered.content.decode()[:3000]
    reference = registered["Location"].rstrip("/").rsplit("/", 1)[1]
    application = Application.objects.get(reference=reference)

    caller = CitizenProfile.objects.get(mobile=CALLER).user
    assert application.channel == Channel.HELPLINE
    assert application.filed_by == user(AGENT) and application.applicant == caller
    call = HelplineCall.objects.get(application=application)
    assert (call.kind, call.agent, call.caller_mobile) == (
        HelplineCallKind.GRIEVANCE,
        user(AGENT),
        CALLER,
    )
    submitted = application.events.get(kind=ApplicationEvent.Kind.SUBMITTED)
    assert submitted.actor == user(AGENT) and submitted.actor_role == Channel.HELPLINE

    # The same queue, deadline and SMS as online: the tehsil's level-1 grievance officer,
    # 30 calendar days, the "assigned" SMS to the caller in the language chosen.
    assert application.holder_role.code == "grievance_l1"
    assert application.reference in [
        a.reference for a in queue_for(user("grievance.l1.ambala")).items
    ]
    assert local_date(application.rts_due_at) == local_date(
        application.submitted_at
    ) + dt.timedelta(days=30)
    sms = OutboxMessage.objects.get(application=application, event="assigned")
    assert sms.recipient == CALLER and sms.language == "hi"

    shown = client.get(registered["Location"]).content.decode()
    assert reference in shown and "Ramphal Singh" in shown and "98XXXXXX66" in shown


def test_a_grievance_with_a_mistake_is_shown_again_with_the_error_beside_the_field(user):
    client = signed_in(user, AGENT)
    answers = call_answers()
    answers["subject"] = "Road"  # too short
    page = client.post(f"{BASE}grievance/", post_of(answers))
    body = page.content.decode()
    assert page.status_code == 400
    assert 'id="f-subject"' in body and 'aria-invalid="true"' in body
    assert 'href="#f-subject"' in body  # the summary links to it
    assert "Ramphal Singh" in body  # nothing typed is lost
    assert not Application.objects.filter(applicant_mobile=CALLER).exists()
    assert not CitizenProfile.objects.filter(mobile=CALLER).exists()


def test_the_helpline_registers_grievances_only(user):
    service = Service.objects.get(code="income-certificate")
    with pytest.raises(ValidationFailed):
        helpline_grievance_register(
            agent=user(AGENT),
            service=service,
            data=example_with_documents(service, user(AGENT)),
        )
    assert not Application.objects.filter(channel=Channel.HELPLINE).exists()


def test_a_status_query_names_only_the_callers_own_applications_and_is_recorded(user):
    service = Service.objects.get(code="income-certificate")
    citizen = user("citizen")
    data = example_with_documents(service, citizen)  # made with 9812345678
    own = application_submit(service=service, data=data, applicant=citizen)
    client = signed_in(user, AGENT)

    by_mobile = client.post(BASE, {"mobile": "9812345678", "reference": ""}).content.decode()
    assert f'data-reference="{own.reference}"' in by_mobile
    assert "Documents being checked" in by_mobile
    by_reference = client.post(BASE, {"mobile": "9812345678", "reference": own.reference.lower()})
    assert f'data-reference="{own.reference}"' in by_reference.content.decode()
    # Another caller's number with this reference names nothing.
    other = client.post(BASE, {"mobile": "9876501234", "reference": own.reference})
    assert f'data-reference="{own.reference}"' not in other.content.decode()
    assert "Nothing found" in other.content.decode()
    assert "Documents being checked" not in other.content.decode()

    calls = HelplineCall.objects.filter(agent=user(AGENT), kind=HelplineCallKind.STATUS_QUERY)
    assert [(c.caller_mobile, c.reference_asked, c.applications_named) for c in calls] == [
        ("9876501234", own.reference, 0),
        ("9812345678", own.reference, 1),
        ("9812345678", "", 1),
    ]


def test_the_helpline_is_for_agents_only(user):
    clerk = signed_in(user, "clerk.ambala")
    for url in (BASE, f"{BASE}grievance/"):
        refused = clerk.get(url)
        assert (refused.status_code, refused["Location"]) == (302, "/admin/"), url
    assert clerk.post(f"{BASE}grievance/", post_of(call_answers()))["Location"] == "/admin/"
    assert not Application.objects.filter(applicant_mobile=CALLER).exists()
    assert "Helpline" not in clerk.get("/admin/").content.decode()
    assert "Helpline" in signed_in(user, AGENT).get("/admin/").content.decode()
    with pytest.raises(ActionNotAllowed):
        helpline_grievance_register(
            agent=user("clerk.ambala"), service=grievance(), data=call_answers()
        )


def test_an_agent_sees_only_the_registrations_they_made(user):
    client = signed_in(user, AGENT)
    registered = client.post(f"{BASE}grievance/", post_of(call_answers()))
    other = get_user_model().objects.create_user("agent2.helpline")
    HelplineAgent.objects.create(user=other)
    helpline_agent_access_sync(user=other)
    second = Client()
    second.force_login(other)
    assert second.get(registered["Location"]).status_code == 404
    # Ending an agent's link closes the workspace to them.
    HelplineAgent.objects.filter(user=other).update(active=False)
    helpline_agent_access_sync(user=other)
    assert not get_user_model().objects.get(pk=other.pk).has_perm("wagtailadmin.access_admin")
