"""The counter's and the helpline's lists are paged: a busy centre's filings, an agent's
calls, and a caller with many applications get a bounded page with links to the next, and
the filings' page asks the database as many questions for ten filings as for a hundred."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from seva.applications.services import application_submit
from seva.channels.models import AssistedFiling, HelplineCall, HelplineCallKind
from seva.channels.selectors import STATUS_ANSWER_LIMIT, centre_of_operator
from seva.channels.views import CALLS_PAGE_SIZE, FILED_PAGE_SIZE
from seva.definitions.models import Service
from tests.helpers import example_with_documents
from tests.lists import applications_copied

pytestmark = pytest.mark.django_db

OPERATOR, AGENT = "operator.ambala", "agent.helpline"
COUNTER, HELPLINE = "/admin/assisted/", "/admin/helpline/"


def signed_in(user, username: str) -> Client:
    client = Client()
    client.force_login(user(username))
    return client


def _citizens_application(user):
    service = Service.objects.get(code="income-certificate")
    citizen = user("citizen")
    return application_submit(
        service=service, data=example_with_documents(service, citizen), applicant=citizen
    )


def _filed_at_counter(user, count: int) -> list[AssistedFiling]:
    operator = user(OPERATOR)
    centre = centre_of_operator(operator)
    applications = applications_copied(_citizens_application(user), count)
    return AssistedFiling.objects.bulk_create(
        AssistedFiling(
            application=application,
            centre=centre,
            operator=operator,
            fee_amount=10,
            fee_receipt_number=f"R-{application.reference}",
            consent_verified_at=application.submitted_at,
            filed_at=application.submitted_at,
        )
        for application in applications
    )


def _filed_references(html: str) -> list[str]:
    return re.findall(r'<tr data-reference="([^"]+)"', html)


def test_the_centres_filings_are_paged_newest_first_with_links_to_the_next(user):
    filings = _filed_at_counter(user, FILED_PAGE_SIZE + 5)
    client = signed_in(user, OPERATOR)

    first = client.get(f"{COUNTER}filed/").content.decode()
    assert _filed_references(first) == [f.application.reference for f in filings][:FILED_PAGE_SIZE]
    assert f"the newest first: {FILED_PAGE_SIZE + 5} in all" in first
    assert "Page 1 of 2" in first and 'href="?page=2" rel="next"' in first
    second = client.get(f"{COUNTER}filed/?page=2").content.decode()
    assert len(_filed_references(second)) == 5
    assert 'href="?page=1" rel="prev"' in second and 'rel="next"' not in second
    # Past the end, the last page: the list grows while an operator reads it.
    assert _filed_references(client.get(f"{COUNTER}filed/?page=9").content.decode()) == (
        _filed_references(second)
    )


def test_the_filings_page_asks_as_much_for_a_hundred_filings_as_for_a_few(user):
    _filed_at_counter(user, 3)
    client = signed_in(user, OPERATOR)
    client.get(f"{COUNTER}filed/")  # the versions' compiled workflows are kept per process
    with CaptureQueriesContext(connection) as few:
        assert client.get(f"{COUNTER}filed/").status_code == 200
    _filed_at_counter(user, 100)
    with CaptureQueriesContext(connection) as many:
        assert client.get(f"{COUNTER}filed/?page=2").status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    page_query = next(q["sql"] for q in many.captured_queries if "LIMIT" in q["sql"])
    assert '"applications_application"."data"' not in page_query


def test_an_agents_calls_are_paged_latest_first(user):
    agent = user(AGENT)
    now = timezone.now()
    HelplineCall.objects.bulk_create(
        HelplineCall(
            kind=HelplineCallKind.STATUS_QUERY,
            agent=agent,
            caller_mobile=f"98123{number:05d}",
            at=now - dt.timedelta(minutes=number),
        )
        for number in range(CALLS_PAGE_SIZE + 3)
    )
    client = signed_in(user, AGENT)
    first = client.get(HELPLINE).content.decode()
    assert first.count("<td>98123") == CALLS_PAGE_SIZE
    assert "<td>9812300000</td>" in first  # the latest
    assert "Page 1 of 2" in first and 'href="?calls=2#calls-title" rel="next"' in first
    second = client.get(f"{HELPLINE}?calls=2").content.decode()
    assert second.count("<td>98123") == 3
    assert f"<td>98123{CALLS_PAGE_SIZE + 2:05d}</td>" in second  # the earliest


def test_a_caller_with_many_applications_hears_the_newest_and_how_many_there_are(user):
    newest = _citizens_application(user)  # made with 9812345678
    applications_copied(newest, STATUS_ANSWER_LIMIT + 10)
    client = signed_in(user, AGENT)
    with CaptureQueriesContext(connection) as asked:
        answer = client.post(HELPLINE, {"mobile": "9812345678", "reference": ""})
    body = answer.content.decode()
    assert answer.status_code == 200
    named = re.findall(r'data-reference="([^"]+)"', body)
    assert len(named) == STATUS_ANSWER_LIMIT and named[0] == newest.reference
    assert f"{STATUS_ANSWER_LIMIT + 11} found, the {STATUS_ANSWER_LIMIT} newest shown" in body
    assert "Ask the caller for the reference number" in body
    assert len(asked) < 6 * STATUS_ANSWER_LIMIT  # bounded by the answer, not the applications
    older = f"{newest.reference}-C{STATUS_ANSWER_LIMIT + 10}"
    by_reference = client.post(HELPLINE, {"mobile": "9812345678", "reference": older})
    assert f'data-reference="{older}"' in by_reference.content.decode()
