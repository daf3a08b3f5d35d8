"""A service whose form computes answers and holds cross-field rules (the disability
pension): computed answers sent by a client are ignored and computed again; a rule's error is
keyed to its field in the API and shown beside the field in the portal."""

from __future__ import annotations

import copy
import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client

from seva.applications.models import Application
from seva.definitions.models import Service
from seva.notifications.models import OutboxMessage
from tests.helpers import example_with_documents
from tests.portal.flow import sign_in, step_post, steps_of

CODE = "disability-pension"
TODAY = dt.datetime(2026, 12, 7, 11, 0, tzinfo=dt.UTC)


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


@pytest.mark.django_db
@time_machine.travel(TODAY)
def test_computed_answers_sent_by_a_client_are_ignored_and_computed_again(api):
    data = _example(**{"applicant.age": 7, "annual_family_income": 1})
    response = api("citizen").post(
        "/api/v1/applications/", {"service": CODE, "data": data}, format="json"
    )
    assert response.status_code == 201, response.json()
    application = Application.objects.get(reference=response.json()["reference"])
    stored = application.data
    assert stored["applicant"]["age"] == 47  # born 1979-03-10
    assert stored["annual_family_income"] == 84000 + 36000
    # The acknowledgement SMS carries the computed total (an expression in the service file).
    sms = OutboxMessage.objects.get(application=application, event="received")
    assert "with a family income of Rs 120000 a year" in sms.body


@pytest.mark.django_db
@time_machine.travel(TODAY)
@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"disability_percent": 40}, "data.disability_percent", "disability of 60% or more"),
        ({"applicant.date_of_birth": "2010-01-01"}, "data.applicant.date_of_birth", "aged 18"),
        (
            {
                "applicant.category": "general",
                "income_rows": [{"source": "Wages", "amount": 250000}],
            },
            "data.income_rows",
            "above the limit for your category",
        ),
    ],
)
def test_a_rule_error_is_keyed_to_its_field_in_the_api(api, changes, field, says):
    response = api("citizen").post(
        "/api/v1/applications/", {"service": CODE, "data": _example(**changes)}, format="json"
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert says in " ".join(errors[field]), errors
    assert not Application.objects.filter(service__code=CODE).exists()


@pytest.mark.django_db
@time_machine.travel(TODAY)
def test_the_same_income_is_within_the_limit_for_a_scheduled_caste(api):
    data = _example(**{"income_rows": [{"source": "Wages", "amount": 250000}]})
    response = api("citizen").post(
        "/api/v1/applications/", {"service": CODE, "data": data}, format="json"
    )
    assert response.status_code == 201, response.json()


@pytest.mark.django_db
@time_machine.travel(TODAY)
def test_the_portal_shows_a_rule_error_beside_its_field_and_the_computed_total():
    client = Client()
    sign_in(client)
    response = client.get(f"/apply/{CODE}/")
    draft_id = re.match(r"/apply/draft/([0-9a-f-]+)/", response["Location"]).group(1)
    schema = Service.objects.get(code=CODE).current_version.form_schema
    income = next(step for step in steps_of(schema) if step.id == "income")
    data = copy.deepcopy(schema["examples"][0]) | {"disability_percent": 40}
    page = client.post(f"/apply/draft/{draft_id}/income/", step_post(schema, data, income))
    assert page.status_code == 400
    html = page.content.decode()
    field = re.search(
        r'<div class="field[^"]*"[^>]*>\s*<label[^>]*for="f-disability_percent".*?</div>',
        html,
        re.S,
    )
    assert field and "disability of 60% or more" in field.group(0), html[:3000]
    total = re.search(
        r'<output class="computed" id="f-annual_family_income"[^>]*>([^<]*)</output>', html
    )
    assert total and total.group(1).strip() == "120000", html[:3000]
