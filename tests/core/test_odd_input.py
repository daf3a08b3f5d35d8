"""Input no page can use is refused with a 400 that says what is wrong, never a server error:
a NUL byte (PostgreSQL cannot store or look one up), a lone surrogate (not a character),
JSON nested deeper than any form and a body larger than the server takes. Under /api/ the
answer is the API's JSON; elsewhere the portal's page. Nothing is written."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from seva.applications.drafts import draft_for
from seva.applications.models import Application, ApplicationEvent
from seva.applications.services import application_submit
from seva.definitions.models import Service
from tests.helpers import example_with_documents

CODE = "income-certificate"
NUL_MESSAGE = "contains a NUL character, which cannot be used"


def _browser(user, username: str | None) -> Client:
    browser = Client(raise_request_exception=False)
    if username:
        browser.force_login(user(username))
    return browser


def _is_page(answer, status: int = 400) -> str:
    assert answer.status_code == status, answer.content[:300]
    assert answer["Content-Type"].startswith("text/html")
    return answer.content.decode()


def _is_json(answer, status: int = 400) -> str:
    assert answer.status_code == status, answer.content[:300]
    assert answer["Content-Type"].startswith("application/json")
    return answer.json()["detail"]


@pytest.fixture
def filed(user):
    """An income certificate of the citizen's, waiting at the Ambala clerk."""
    service = Service.objects.get(code=CODE)
    citizen = user("citizen")
    return application_submit(
        service=service, data=example_with_documents(service, citizen), applicant=citizen
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "path"),
    [
        ("tehsildar.ambala", "/admin/queue/%00/"),
        ("citizen", "/my/%00/"),
        ("citizen", "/documents/%00/"),
        ("citizen", "/my/HR%00/acknowledgement/"),
        ("operator.ambala", "/admin/assisted/filed/%00/"),
    ],
)
def test_a_nul_in_the_address_is_refused_on_a_page(user, username, path):
    page = _is_page(_browser(user, username).get(path))
    assert f"The address {NUL_MESSAGE}." in page


@pytest.mark.django_db
def test_a_nul_in_an_api_address_is_refused_in_json(api):
    assert _is_json(api("citizen").get("/api/v1/applications/%00/")) == (
        f"The address {NUL_MESSAGE}."
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/admin/dashboard/rts/",
        "/admin/dashboard/rts/export.csv",
        "/admin/dashboard/rts/export.xlsx",
    ],
)
@pytest.mark.parametrize("parameter", ["district", "office", "service", "from"])
def test_a_nul_in_the_boards_and_exports_filters_is_refused(user, path, parameter):
    page = _is_page(_browser(user, "cmo").get(path, {parameter: "HR-AMB\x00"}))
    assert f"The query parameter “{parameter}” {NUL_MESSAGE}." in page


@pytest.mark.django_db
def test_a_nul_in_a_form_step_is_refused_and_the_draft_keeps_its_answers(user):
    citizen = user("citizen")
    draft = draft_for(user=citizen, service=Service.objects.get(code=CODE), language="en")
    kept = dict(draft.data)
    browser = _browser(user, "citizen")
    step = browser.get(f"/apply/{CODE}/", follow=True)
    step_path = step.redirect_chain[-1][0]
    fields = [
        name
        for name in re.findall(r'name="([^"]+)"', step.content.decode())
        if name != "csrfmiddlewaretoken"
    ]
    assert fields, "the first step asks something"

    page = _is_page(browser.post(step_path, dict.fromkeys(fields, "Ram\x00")))

    assert f"The field “{fields[0]}” {NUL_MESSAGE}." in page
    draft.refresh_from_db()
    assert draft.data == kept


@pytest.mark.django_db
def test_a_nul_in_an_officers_remarks_is_refused_and_nothing_happens(user, filed):
    events = ApplicationEvent.objects.filter(application=filed).count()
    state = filed.state
    browser = _browser(user, "clerk.ambala")

    page = _is_page(
        browser.post(
            f"/admin/queue/{filed.reference}/act/",
            {"action": "forward_for_verification", "remarks": "Checked\x00", "state": filed.state},
        )
    )

    assert f"The field “remarks” {NUL_MESSAGE}." in page
    filed.refresh_from_db()
    assert filed.state == state
    assert ApplicationEvent.objects.filter(application=filed).count() == events


@pytest.mark.django_db
def test_a_nul_in_a_bulk_reference_is_refused(user, filed):
    state = filed.state
    page = _is_page(
        _browser(user, "clerk.ambala").post(
            "/admin/queue/bulk/",
            {"action": "forward_for_verification", "reference": [filed.reference, "HR\x00"]},
        )
    )
    assert f"The field “reference” {NUL_MESSAGE}." in page
    filed.refresh_from_db()
    assert filed.state == state


@pytest.mark.django_db
def test_deeply_nested_json_is_refused_at_sign_in_and_in_an_application(api, user):
    deep = "[" * 100_000 + "]" * 100_000
    anonymous, citizen = api(None), api("citizen")
    before = Application.objects.count()

    token = anonymous.post("/api/v1/auth/token/", deep, content_type="application/json")
    assert _is_json(token) == "The body is nested more than 32 levels deep."

    body = json.dumps({"service": CODE, "data": {"applicant": {"name": "x"}}})
    nested = body.replace('"x"', "[" * 40 + '"x"' + "]" * 40)
    answer = citizen.post("/api/v1/applications/", nested, content_type="application/json")
    assert _is_json(answer) == "The body is nested more than 32 levels deep."
    assert Application.objects.count() == before


@pytest.mark.django_db
def test_a_lone_surrogate_in_a_name_is_refused_naming_the_field(api, user):
    service = Service.objects.get(code=CODE)
    data = example_with_documents(service, user("citizen"))
    data["applicant"]["name"] = "\ud800"
    body = json.dumps({"service": CODE, "data": data})  # the escape \ud800, as a client sends it
    before = Application.objects.count()

    answer = api("citizen").post("/api/v1/applications/", body, content_type="application/json")

    assert _is_json(answer) == (
        "The field “data.applicant.name” contains a broken character (a lone surrogate); "
        "type it again."
    )
    assert Application.objects.count() == before


@pytest.mark.django_db
def test_a_nul_in_json_is_refused_naming_the_field(api):
    body = json.dumps({"service": CODE, "data": {"applicant": {"name": "Ram\x00"}}})
    answer = api("citizen").post("/api/v1/applications/", body, content_type="application/json")
    assert _is_json(answer) == f"The field “data.applicant.name” {NUL_MESSAGE}."
    assert answer.json()["errors"] == {"data.applicant.name": [answer.json()["detail"]]}


@pytest.mark.django_db
def test_a_ten_megabyte_body_gets_the_apis_json_error(api):
    body = json.dumps({"service": CODE, "data": {"note": "x" * 10_000_000}})
    answer = api("citizen").post("/api/v1/applications/", body, content_type="application/json")
    assert _is_json(answer, status=413) == (
        "The request is larger than 2 MB. Send less at once, or upload large files one by one."
    )


@pytest.mark.django_db
def test_a_ten_megabyte_form_gets_the_portals_page(user):
    answer = _browser(user, None).post("/track/", {"reference": "x" * 10_000_000, "mobile": "1"})
    assert "The request is larger than 2 MB." in _is_page(answer, status=413)


@pytest.mark.django_db
def test_the_refusal_is_in_hindi_for_a_hindi_reader(user):
    browser = _browser(user, "citizen")
    page = _is_page(browser.get("/my/%00/", HTTP_ACCEPT_LANGUAGE="hi"))
    assert 'lang="hi"' in page
    assert "पते में NUL अक्षर है, जिसका उपयोग नहीं किया जा सकता।" in page
