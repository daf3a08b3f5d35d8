"""The marriage registration sample (revenue): a fee that grows with the delay since the
marriage, computed by the form (days since the marriage, then the fee) and charged through
Seva with the application (the service's `fees`: tests/applications/test_fees.py follows it
from due to paid, lapsed or cancelled); cross-field rules on the dates of birth and of
marriage. Every path to every outcome is walked through the REST API; a computed answer a
client sends is ignored and computed again; a rule's error is keyed to its field; the SMS
carries the fee worked out on the answers. The counter's own fee, worked out on the answers
of a service whose fee is paid outside Seva (`fee`), is shown on the land mutation."""

from __future__ import annotations

import copy
import datetime as dt
import html

import pytest
import time_machine
from django.contrib.auth import get_user_model

from seva.applications.models import Application, FeeDue
from seva.channels.services import assisted_draft_save, assisted_filing_submit
from seva.core.errors import ValidationFailed
from seva.definitions.models import Service
from seva.notifications.models import OutboxMessage
from seva.workflows.engine import compile_workflow
from tests.channels.test_assisted_filing import (
    BASE,
    NEW_CITIZEN,
    OPERATOR,
    consented_draft,
    signed_in,
)
from tests.helpers import example_with_documents

from .walk import Walk, act, at, covering_paths, example_for, sample_services, submit

CODE = "marriage-registration"
BUNDLE = sample_services()[CODE]
MARRIED_ON = dt.date(2026, 3, 14)  # the form's example
START = dt.date(2026, 7, 6)  # a Monday, 114 days after the marriage in the example


def _fee_on(day: dt.date, married_on: dt.date = MARRIED_ON) -> int:
    """The rule the description states, worked out here by hand."""
    days = (day - married_on).days
    return 100 if days <= 90 else 200 if days <= 365 else 500


def _example(**changes) -> dict:
    service = Service.objects.get(code=CODE)
    data = copy.deepcopy(service.current_version.form_schema["examples"][0])
    for path, value in changes.items():
        node = data
        *parents, last = path.split(".")
        for part in parents:
            node = node[part]
        node[last] = value
    return example_with_documents(service, get_user_model().objects.get(username="citizen"), data)


def _apply(api, data: dict, day: dt.date = START, language: str = "en"):
    with time_machine.travel(at(day, 10), tick=False):
        return api("citizen").post(
            "/api/v1/applications/",
            {"service": CODE, "data": data, "language": language},
            format="json",
        )


# ------------------------------------------------------------------------------
# Every path to every outcome, through the API
# ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_every_path_reaches_its_outcome_through_the_api_with_the_fee_in_the_sms(
    api, django_capture_on_commit_callbacks
):
    workflow = compile_workflow(BUNDLE["workflow"])
    paths = covering_paths(workflow)
    outcomes = set()
    for index, path in enumerate(paths):
        walk = Walk(CODE, BUNDLE)
        day = START + dt.timedelta(days=7 * index)
        application = submit(api, walk, day, example_for(BUNDLE, path))
        assert application.data["days_since_marriage"] == (day - MARRIED_ON).days
        assert application.data["registration_fee"] == _fee_on(day) == 200
        due = OutboxMessage.objects.get(application=application, event="fee_due")
        assert f"Please pay the fee of Rs {_fee_on(day)} by " in due.body
        # The outcome's SMS goes with the signed certificate, issued once the decision commits.
        with django_capture_on_commit_callbacks(execute=True):
            for transition in path:
                day += dt.timedelta(days=5 if workflow.state(application.state).with_citizen else 1)
                act(api, walk, transition, day)
                application.refresh_from_db()
                assert application.state == transition.target
        state = workflow.state(application.state)
        assert state.terminal and application.outcome == state.outcome
        outcomes.add(application.state)
        history = [
            e.action
            for e in application.events.exclude(kind__in=["fee", "escalated"]).order_by("sequence")
        ]
        assert history == ["submit", *[t.action for t in path]]
        if application.state == "registered":
            # The fee was fixed when the application came in, not on the day it was paid.
            (fee,) = application.fees.all()
            assert (fee.status, fee.amount_paise) == ("paid", _fee_on(walk.submitted_on) * 100)
            registered = OutboxMessage.objects.get(application=application, event="registered")
            assert "The signed certificate is issued at https://" in registered.body
    assert outcomes == {"registered", "rejected", "withdrawn", "lapsed"}
    taken = {(t.action, source) for path in paths for t in path for source in t.sources}
    assert {(t.action, s) for t in workflow.transitions for s in t.sources} <= taken


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("married_on", "fee"),
    [
        (dt.date(2026, 4, 7), 100),  # 90 days before the day of applying
        (dt.date(2026, 4, 6), 200),  # 91 days
        (dt.date(2025, 7, 6), 200),  # 365 days
        (dt.date(2025, 7, 5), 500),  # a year and a day
    ],
)
def test_the_fee_grows_with_the_delay_since_the_marriage(api, married_on, fee):
    response = _apply(
        api, _example(**{"marriage.date_of_marriage": married_on.isoformat()}), language="hi"
    )
    assert response.status_code == 201, response.json()
    application = Application.objects.get(reference=response.json()["reference"])
    assert application.data["registration_fee"] == fee == _fee_on(START, married_on)
    assert FeeDue.objects.get(application=application).amount_paise == fee * 100
    due = OutboxMessage.objects.get(application=application, event="fee_due")
    assert f"कृपया शुल्क {fee} रुपये" in due.body


# ------------------------------------------------------------------------------
# Computed answers and rules
# ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_computed_answers_sent_by_a_client_are_ignored_and_computed_again(api):
    response = _apply(api, _example(days_since_marriage=3, registration_fee=0))
    assert response.status_code == 201, response.json()
    application = Application.objects.get(reference=response.json()["reference"])
    assert application.data["days_since_marriage"] == 114
    assert application.data["registration_fee"] == 200
    detail = api("citizen").get(f"/api/v1/applications/{application.reference}/").json()
    assert detail["data"]["registration_fee"] == 200
    # And the fee charged is the one worked out on the server.
    assert FeeDue.objects.get(application=application).amount_paise == 200_00


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        (
            {"marriage.date_of_marriage": "1998-05-01"},
            "data.marriage.date_of_marriage",
            "must be after both dates of birth",
        ),
        (
            {"marriage.date_of_marriage": "2026-07-07"},
            "data.marriage.date_of_marriage",
            "the date cannot be in the future",
        ),
        (
            {"bride.date_of_birth": "2008-03-15"},  # 17 on the day of the marriage
            "data.bride.date_of_birth",
            "bride must have been at least 18",
        ),
        (
            {"groom.date_of_birth": "2005-03-15"},  # 20 on the day of the marriage
            "data.groom.date_of_birth",
            "groom must have been at least 21",
        ),
    ],
)
def test_a_rule_error_is_keyed_to_its_field_in_the_api(api, changes, field, says):
    response = _apply(api, _example(**changes))
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert says in " ".join(errors.get(field, [])), errors
    assert not Application.objects.filter(service__code=CODE).exists()


@pytest.mark.django_db
def test_a_groom_exactly_21_on_the_day_of_the_marriage_may_register(api):
    response = _apply(api, _example(**{"groom.date_of_birth": "2005-03-14"}))
    assert response.status_code == 201, response.json()


# ------------------------------------------------------------------------------
# The counter: a fee paid outside Seva (`fee`), worked out on the citizen's answers. The
# marriage registration's fee is paid through Seva now, so the land mutation shows it.
# ------------------------------------------------------------------------------
MUTATION = "land-mutation"


def _counter_draft(user, mobile: str = NEW_CITIZEN, **changes):
    operator = user(OPERATOR)
    draft = consented_draft(operator, mobile, MUTATION)
    data = example_with_documents(draft.service, operator)
    data["applicant"]["mobile"] = mobile
    for path, value in changes.items():
        node = data
        *parents, last = path.split(".")
        for part in parents:
            node = node[part]
        if value is None:
            node.pop(last)
        else:
            node[last] = value
    assisted_draft_save(draft=draft, data=data)
    return draft


@pytest.mark.django_db
@time_machine.travel(at(START, 11))
def test_the_counter_offers_and_checks_the_fee_worked_out_on_the_answers(user):
    draft = _counter_draft(user)  # a sale: Rs 500
    client = signed_in(user, OPERATOR)
    url = f"{BASE}{draft.id}/check/"
    page = html.unescape(client.get(url).content.decode())
    assert "This service's fee, worked out from the answers: Rs 500." in page
    assert 'value="500"' in page

    refused = client.post(url, {"fee_amount": "500", "fee_receipt_number": "", "language": "en"})
    assert refused.status_code == 400
    assert "this service's fee is Rs 500" in html.unescape(refused.content.decode())

    filed = client.post(
        url, {"fee_amount": "500", "fee_receipt_number": "SK/2026/0300", "language": "en"}
    )
    assert filed.status_code == 302
    application = Application.objects.get(applicant_mobile=NEW_CITIZEN)
    assert application.assisted_filing.fee_amount == 500
    assert not application.fees.exists()  # paid outside Seva: nothing falls due on the file


@pytest.mark.django_db
@time_machine.travel(at(START, 11))
def test_a_fee_that_cannot_be_worked_out_is_a_clear_refusal_at_the_counter(user):
    draft = _counter_draft(user, mutation_type=None)
    page = html.unescape(signed_in(user, OPERATOR).get(f"{BASE}{draft.id}/check/").content.decode())
    assert "This service's fee depends on the answers. The fee depends on an answer" in page
    with pytest.raises(ValidationFailed) as refused:
        assisted_filing_submit(draft=draft, fee_amount=500, fee_receipt_number="SK/2026/0301")
    assert "The fee depends on an answer not given yet" in refused.value.errors["fee_amount"][0]
    assert not Application.objects.filter(applicant_mobile=NEW_CITIZEN).exists()
