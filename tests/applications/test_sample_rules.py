"""The factory registration and the land mutation samples, beyond the walk every sample gets
(tests/applications/test_every_service.py takes every action of their workflows, consultations
answered both ways, to every outcome): computed answers a client sends are ignored and
computed again; a rule's error is keyed to its field in the API and drawn beside the field in
the portal; the land goes to the SDM by its area, and an inheritance has its own RTS period
and its own stage deadline."""

from __future__ import annotations

import copy
import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from seva.applications.models import Application
from seva.definitions.models import Service
from seva.notifications.models import OutboxMessage
from tests.helpers import example_with_documents, expected_due_date
from tests.portal.flow import sign_in, step_post, steps_of

from .walk import holidays_for

TODAY = dt.datetime(2026, 12, 7, 11, 0, tzinfo=dt.UTC)  # a Monday


def _example(code: str, index: int = 0, **changes) -> dict:
    service = Service.objects.get(code=code)
    data = copy.deepcopy(service.current_version.form_schema["examples"][index])
    for path, value in changes.items():
        node = data
        *parents, last = path.split(".")
        for part in parents:
            node = node[part]
        node[last] = value
    return example_with_documents(service, get_user_model().objects.get(username="citizen"), data)


def _apply(api, code: str, data: dict):
    return api("citizen").post(
        "/api/v1/applications/", {"service": code, "data": data}, format="json"
    )


# ------------------------------------------------------------------------------
# Factory registration
# ------------------------------------------------------------------------------
@pytest.mark.django_db
@time_machine.travel(TODAY)
def test_the_factorys_fee_is_computed_on_the_server_whatever_is_sent(api):
    response = _apply(
        api, "factory-registration", _example("factory-registration", registration_fee=1)
    )
    assert response.status_code == 201, response.json()
    application = Application.objects.get(reference=response.json()["reference"])
    assert application.data["registration_fee"] == 10000  # 45 workers: up to 100
    sms = OutboxMessage.objects.get(application=application, event="received")
    assert "Registration fee Rs 10000." in sms.body


@pytest.mark.django_db
@time_machine.travel(TODAY)
@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        (
            {"unit.women_workers": 50},
            "data.unit.women_workers",
            "cannot be more than all the workers",
        ),
        (
            {"unit.workers": 6, "unit.women_workers": 2, "unit.power_kw": 0.0},
            "data.unit.workers",
            "register it as a shop",
        ),
    ],
)
def test_a_factory_rule_error_is_keyed_to_its_field_in_the_api(api, changes, field, says):
    response = _apply(api, "factory-registration", _example("factory-registration", **changes))
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert says in " ".join(errors[field]), errors


@pytest.mark.django_db
@time_machine.travel(TODAY)
def test_the_portal_shows_a_factory_rule_error_beside_its_field_and_the_computed_fee():
    client = Client()
    sign_in(client)
    response = client.get("/apply/factory-registration/")
    draft_id = re.match(r"/apply/draft/([0-9a-f-]+)/", response["Location"]).group(1)
    schema = Service.objects.get(code="factory-registration").current_version.form_schema
    unit = next(step for step in steps_of(schema) if step.id == "unit")
    data = copy.deepcopy(schema["examples"][0])
    data["unit"]["women_workers"] = 50
    page = client.post(f"/apply/draft/{draft_id}/unit/", step_post(schema, data, unit))
    assert page.status_code == 400
    html = page.content.decode()
    field = re.search(
        r'<div class="field[^"]*"[^>]*>\s*<label[^>]*for="f-unit-women_workers".*?</div>',
        html,
        re.S,
    )
    assert field and "cannot be more than all the workers" in field.group(0), html[:3000]
    fee = re.search(r'<output class="computed" id="f-registration_fee"[^>]*>([^<]*)</output>', html)
    assert fee and fee.group(1).strip() == "10000", html[:3000]


# ------------------------------------------------------------------------------
# Land mutation
# ------------------------------------------------------------------------------
def _report(api, application: Application, area: float) -> None:
    response = api("patwari.ambala").post(
        f"/api/v1/applications/{application.reference}/actions/",
        {
            "action": "report",
            "remarks": "Record checked.",
            "data": {"record_matches": True, "area_found_acres": area},
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    application.refresh_from_db()


@pytest.mark.django_db
@time_machine.travel(TODAY)
def test_a_mutation_goes_to_the_tehsildar_or_by_its_area_to_the_sdm(api):
    small = Application.objects.get(
        reference=_apply(api, "land-mutation", _example("land-mutation", 0)).json()["reference"]
    )
    large = Application.objects.get(
        reference=_apply(api, "land-mutation", _example("land-mutation", 1)).json()["reference"]
    )
    _report(api, small, 2.5)
    _report(api, large, 14.75)
    assert (small.state, small.holder_role.code) == ("tehsildar_decision", "tehsildar")
    assert (large.state, large.holder_role.code) == ("sdm_decision", "sdm")
    last = large.events.order_by("-sequence").first()
    assert (last.action, last.actor_role) == ("refer_to_sdm", "system")


@pytest.mark.django_db
@time_machine.travel(TODAY)
def test_an_inheritance_has_its_own_rts_period_stage_deadline_and_no_fee(api):
    sale = Application.objects.get(
        reference=_apply(api, "land-mutation", _example("land-mutation", 0, mutation_fee=0)).json()[
            "reference"
        ]
    )
    inheritance = Application.objects.get(
        reference=_apply(
            api, "land-mutation", _example("land-mutation", 1, mutation_fee=500)
        ).json()["reference"]
    )
    assert (sale.data["mutation_fee"], inheritance.data["mutation_fee"]) == (500, 0)
    holidays = holidays_for(sale)
    today = timezone.localdate()

    def due(days: int) -> dt.date:
        return expected_due_date(start=today, days=days, working_days_only=True, holidays=holidays)

    assert timezone.localdate(sale.rts_due_at) == due(30)
    assert timezone.localdate(inheritance.rts_due_at) == due(15)
    assert timezone.localdate(sale.stage_due_at) == due(7)
    assert timezone.localdate(inheritance.stage_due_at) == due(5)
    sms = OutboxMessage.objects.get(application=inheritance, event="received")
    assert "for 14.75 acres is received" in sms.body


@pytest.mark.django_db
@time_machine.travel(TODAY)
def test_a_sale_without_its_deed_or_dated_tomorrow_is_refused_field_by_field(api):
    data = _example("land-mutation", 0, date_of_transfer="2026-12-08")
    del data["documents"]["transfer_deed"]
    response = _apply(api, "land-mutation", data)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "cannot be in the future" in " ".join(errors["data.date_of_transfer"]), errors
    assert "data.documents.transfer_deed" in errors, errors


# ------------------------------------------------------------------------------
# Every sample with rules: a rule's error beside its field in the portal, a computed answer
# drawn read-only; and in the API, the error keyed to its field and a computed answer sent
# by a client computed again
# ------------------------------------------------------------------------------
PORTAL_CASES = [
    # (service, step, changes, field id, message, computed field id, computed value)
    (
        "sewer-connection",
        "connection",
        {"connection_type": "temporary", "plot_area_sq_m": 2500.0},
        "f-plot_area_sq_m",
        "2,000 square metres",
        "f-connection_charges",
        "1000",
    ),
    (
        "marriage-registration",
        "marriage",
        {"marriage.date_of_marriage": "2026-12-25"},
        "f-marriage-date_of_marriage",
        "future",
        None,
        None,
    ),
    (
        "land-mutation",
        "transfer",
        {"date_of_transfer": "2026-12-25"},
        "f-date_of_transfer",
        "cannot be in the future",
        "f-mutation_fee",
        "500",
    ),
]


def _changed(example: dict, changes: dict) -> dict:
    data = copy.deepcopy(example)
    for path, value in changes.items():
        node = data
        *parents, last = path.split(".")
        for part in parents:
            node = node[part]
        node[last] = value
    return data


@pytest.mark.django_db
@time_machine.travel(TODAY)
@pytest.mark.parametrize(
    ("code", "step_id", "changes", "field_id", "says", "computed_id", "computed"), PORTAL_CASES
)
def test_the_portal_shows_each_samples_rule_beside_its_field(
    code, step_id, changes, field_id, says, computed_id, computed
):
    client = Client()
    sign_in(client)
    response = client.get(f"/apply/{code}/")
    draft_id = re.match(r"/apply/draft/([0-9a-f-]+)/", response["Location"]).group(1)
    schema = Service.objects.get(code=code).current_version.form_schema
    step = next(s for s in steps_of(schema) if s.id == step_id)
    data = _changed(schema["examples"][0], changes)
    page = client.post(f"/apply/draft/{draft_id}/{step_id}/", step_post(schema, data, step))
    assert page.status_code == 400
    html = page.content.decode()
    # The field's own block: from its label to the next field.
    field = re.search(
        rf'<label[^>]*for="{field_id}".*?(?=<div class="field field--|</form>)', html, re.S
    )
    assert field and says in field.group(0), html[:3000]
    if computed_id:
        shown = re.search(
            rf'<output class="computed" id="{computed_id}"[^>]*>([^<]*)</output>', html
        )
        assert shown and shown.group(1).strip() == computed, html[:3000]


@pytest.mark.django_db
@time_machine.travel(TODAY)
def test_the_sewer_charges_are_computed_again_and_its_rule_keyed_in_the_api(api):
    sent = _example("sewer-connection", connection_charges=1.0)
    response = _apply(api, "sewer-connection", sent)
    assert response.status_code == 201, response.json()
    application = Application.objects.get(reference=response.json()["reference"])
    area = application.data["plot_area_sq_m"]
    expected = 1000.0 if application.data["connection_type"] == "temporary" else 500.0 + area * 2
    assert application.data["connection_charges"] == expected
    refused = _apply(
        api,
        "sewer-connection",
        _example("sewer-connection", connection_type="temporary", plot_area_sq_m=2500.0),
    )
    assert refused.status_code == 400
    assert "2,000 square metres" in " ".join(refused.json()["errors"]["data.plot_area_sq_m"])
