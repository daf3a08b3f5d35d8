"""The REST API contract: paths, error bodies keyed by field, 404 for others' files, auth."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from seva.applications.models import Application
from seva.definitions.models import Service
from tests.helpers import example_with_documents

CODE = "income-certificate"


def example(username: str = "citizen") -> dict:
    """The form's example with its documents uploaded by `username`."""
    owner = get_user_model().objects.get(username=username)
    return example_with_documents(Service.objects.get(code=CODE), owner)


def submit(api, username="citizen") -> str:
    response = api(username).post(
        "/api/v1/applications/", {"service": CODE, "data": example(username)}, format="json"
    )
    assert response.status_code == 201, response.json()
    return response.json()["reference"]


@pytest.mark.django_db
def test_the_service_catalogue_is_public(api):
    listed = api(None).get("/api/v1/services/")
    assert listed.status_code == 200
    codes = [s["code"] for s in listed.json()["results"]]
    assert CODE in codes
    detail = api(None).get(f"/api/v1/services/{CODE}/").json()
    assert detail["rts"]["days"] == 15 and detail["rts"]["designated_officer"] == "tehsildar"
    assert detail["name"]["hi"]
    form = api(None).get(f"/api/v1/services/{CODE}/form/").json()
    assert form["schema"]["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert form["schema"]["examples"]


@pytest.mark.django_db
def test_an_unknown_service_answers_404(api):
    assert api(None).get("/api/v1/services/no-such-service/").status_code == 404
    response = api("citizen").post(
        "/api/v1/applications/", {"service": "no-such-service", "data": {}}, format="json"
    )
    assert response.status_code == 404


@pytest.mark.django_db
def test_submitting_needs_a_signed_in_user(api):
    response = api(None).post(
        "/api/v1/applications/", {"service": CODE, "data": example()}, format="json"
    )
    assert response.status_code in (401, 403)
    assert not Application.objects.exists()


@pytest.mark.django_db
def test_submission_answers_reference_state_and_rts_due_date(api):
    response = api("citizen").post(
        "/api/v1/applications/", {"service": CODE, "data": example()}, format="json"
    )
    body = response.json()
    assert response.status_code == 201
    assert body["state"] == "scrutiny"
    assert body["reference"].startswith("HR-REV-INC-")
    assert body["rts_due_at"].endswith("+05:30")


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"data": {}}, "service"),
        ({"service": CODE}, "data"),
        ({"service": "Not A Slug!", "data": {}}, "service"),
        ({"service": CODE, "data": "not an object"}, "data"),
        ({"service": CODE, "data": [1, 2]}, "data"),
    ],
)
@pytest.mark.django_db
def test_malformed_submissions_answer_400_keyed_by_field(api, payload, field):
    response = api("citizen").post("/api/v1/applications/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


@pytest.mark.django_db
def test_invalid_form_data_answers_400_with_every_field_named(api):
    data = example()
    data["applicant"] = {**data["applicant"], "mobile": "12345", "aadhaar": "234567890123"}
    data["family_members"][0]["age"] = -3
    del data["address"]["pincode"]
    response = api("citizen").post(
        "/api/v1/applications/", {"service": CODE, "data": data}, format="json"
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {
        "data.applicant.mobile",
        "data.applicant.aadhaar",
        "data.family_members.0.age",
        "data.address.pincode",
    }
    assert errors["data.address.pincode"] == ["This field is required."]
    assert "10-digit" in errors["data.applicant.mobile"][0]


@pytest.mark.django_db
def test_a_conditional_field_is_required_only_when_its_condition_holds(api):
    data = example()
    data["income_tax_payer"] = True
    response = api("citizen").post(
        "/api/v1/applications/", {"service": CODE, "data": data}, format="json"
    )
    assert response.status_code == 400 and list(response.json()["errors"]) == ["data.pan"]
    data["pan"] = "ABCDE1234F\n"  # a trailing newline must not slip past `$`
    response = api("citizen").post(
        "/api/v1/applications/", {"service": CODE, "data": data}, format="json"
    )
    assert response.json()["errors"]["data.pan"] == ["Enter a PAN like ABCDE1234F."]
    data["pan"] = "ABCDE1234F"
    assert (
        api("citizen")
        .post("/api/v1/applications/", {"service": CODE, "data": data}, format="json")
        .status_code
        == 201
    )


@pytest.mark.django_db
def test_an_unknown_place_is_refused_on_the_field(api):
    data = example()
    data["address"]["tehsil"] = "HR-NOWHERE"
    response = api("citizen").post(
        "/api/v1/applications/", {"service": CODE, "data": data}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["data.address.tehsil"]


@pytest.mark.django_db
def test_malformed_json_answers_400_not_500(api):
    response = api("citizen").post(
        "/api/v1/applications/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400


@pytest.mark.django_db
def test_someone_elses_application_answers_404_and_an_officer_elsewhere_sees_nothing(api):
    reference = submit(api)
    assert api("citizen").get(f"/api/v1/applications/{reference}/").status_code == 200
    for outsider in ("citizen2", "clerk.hisar", "tehsildar.hisar", "registrar.ambala"):
        assert api(outsider).get(f"/api/v1/applications/{reference}/").status_code == 404, outsider
        assert api(outsider).get(f"/api/v1/applications/{reference}/actions/").status_code == 404, (
            outsider
        )
        response = api(outsider).post(
            f"/api/v1/applications/{reference}/actions/",
            {"action": "forward_for_verification"},
            format="json",
        )
        assert response.status_code == 404, outsider
    assert Application.objects.get(reference=reference).state == "scrutiny"
    for insider in ("clerk.ambala", "tehsildar.ambala", "dc.ambala", "cmo"):
        assert api(insider).get(f"/api/v1/applications/{reference}/").status_code == 200, insider


@pytest.mark.django_db
def test_the_detail_shows_holder_deadlines_clock_and_history(api):
    reference = submit(api)
    body = api("clerk.ambala").get(f"/api/v1/applications/{reference}/").json()
    assert body["state"]["code"] == "scrutiny"
    assert body["holder"]["role"]["code"] == "revenue_clerk"
    assert body["holder"]["office"]["code"] == "HR-AMB-AMB-AMB"
    assert body["clock"]["days_allowed"] == 15 and body["clock"]["paused"] is False
    assert body["history"][0]["action"] == "submit" and body["history"][0]["role"] == "citizen"
    assert body["data"]["applicant"]["aadhaar"] == "XXXXXXXX0124"


@pytest.mark.django_db
def test_actions_list_only_what_the_caller_may_do_now(api):
    reference = submit(api)
    clerk = api("clerk.ambala").get(f"/api/v1/applications/{reference}/actions/").json()["actions"]
    assert {a["action"] for a in clerk} == {"forward_for_verification", "return_for_correction"}
    assert (
        api("patwari.ambala").get(f"/api/v1/applications/{reference}/actions/").json()["actions"]
        == []
    )
    citizen = api("citizen").get(f"/api/v1/applications/{reference}/actions/").json()["actions"]
    assert {a["action"] for a in citizen} == {"withdraw"}
    response = api("patwari.ambala").post(
        f"/api/v1/applications/{reference}/actions/",
        {"action": "submit_verification_report"},
        format="json",
    )
    assert response.status_code == 403


@pytest.mark.django_db
def test_remarks_and_officer_inputs_are_checked_field_by_field(api):
    reference = submit(api)
    url = f"/api/v1/applications/{reference}/actions/"
    response = api("clerk.ambala").post(
        url, {"action": "return_for_correction", "data": {"correction_needed": 5}}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"remarks", "data.correction_needed"}
    assert Application.objects.get(reference=reference).state == "scrutiny"


@pytest.mark.django_db
def test_an_officer_cannot_decide_their_own_application(api):
    # The tehsildar applies for a certificate; when the file reaches their own desk the
    # workflow's guard stops them deciding it.
    reference = submit(api, "tehsildar.ambala")
    for action, username in (
        ("forward_for_verification", "clerk.ambala"),
        ("submit_verification_report", "patwari.ambala"),
    ):
        inputs = {"facts_verified": True} if action == "submit_verification_report" else {}
        api(username).post(
            f"/api/v1/applications/{reference}/actions/",
            {"action": action, "remarks": "ok", "data": inputs},
            format="json",
        )
    assert Application.objects.get(reference=reference).state == "decision"
    actions = (
        api("tehsildar.ambala").get(f"/api/v1/applications/{reference}/actions/").json()["actions"]
    )
    assert "approve" not in {a["action"] for a in actions}
    response = api("tehsildar.ambala").post(
        f"/api/v1/applications/{reference}/actions/", {"action": "approve"}, format="json"
    )
    assert response.status_code == 403
    assert "yourself" in response.json()["detail"]


@pytest.mark.django_db
def test_a_token_is_issued_for_a_demo_login_and_refused_for_a_wrong_password():
    client = APIClient()
    good = client.post(
        "/api/v1/auth/token/", {"username": "citizen", "password": "seva-demo"}, format="json"
    )
    assert good.status_code == 200 and good.json()["token"]
    bad = client.post(
        "/api/v1/auth/token/", {"username": "citizen", "password": "wrong"}, format="json"
    )
    assert bad.status_code == 400 and "non_field_errors" in bad.json()["errors"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {good.json()['token']}")
    assert client.get("/api/v1/applications/").status_code == 200


@pytest.mark.django_db
def test_a_citizen_lists_only_their_own_applications(api):
    mine = submit(api, "citizen")
    theirs = submit(api, "citizen2")
    listed = [a["reference"] for a in api("citizen").get("/api/v1/applications/").json()["results"]]
    assert mine in listed and theirs not in listed
