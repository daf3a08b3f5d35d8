"""Lists come in pages; odd input is refused with the API's error body, never a server error
(the cases schemathesis, or a look at what it generates, turned up); callers over their rate
are told to wait."""

from __future__ import annotations

import pytest
from rest_framework.throttling import SimpleRateThrottle

from seva.applications.services import application_submit
from seva.definitions.models import Service
from tests.helpers import example_with_documents

CODE = "income-certificate"


def _file(user, username: str = "citizen") -> str:
    service = Service.objects.select_related("current_version", "department").get(code=CODE)
    applicant = user(username)
    return application_submit(
        service=service, data=example_with_documents(service, applicant), applicant=applicant
    ).reference


@pytest.mark.django_db
def test_the_service_list_is_paged_with_links_to_the_pages_around(api):
    everything = api(None).get("/api/v1/services/").json()
    total = everything["count"]
    assert total == len(everything["results"]) >= 3
    assert everything["next"] is None and everything["previous"] is None

    first = api(None).get("/api/v1/services/", {"page_size": 2}).json()
    assert first["count"] == total and len(first["results"]) == 2
    assert first["next"] == "http://testserver/api/v1/services/?page=2&page_size=2"
    second = api(None).get("/api/v1/services/", {"page_size": 2, "page": 2}).json()
    assert second["previous"] == "http://testserver/api/v1/services/?page_size=2"
    codes = [s["code"] for s in first["results"] + second["results"]]
    assert codes == [s["code"] for s in everything["results"][:4]]


@pytest.mark.django_db
def test_a_page_past_the_end_is_empty_and_points_back_to_the_last_page(api):
    total = api(None).get("/api/v1/services/").json()["count"]
    last = -(-total // 2)
    beyond = api(None).get("/api/v1/services/", {"page_size": 2, "page": last + 5})
    assert beyond.status_code == 200
    assert beyond.json()["results"] == [] and beyond.json()["next"] is None
    assert beyond.json()["previous"].endswith(f"page={last}&page_size=2")


@pytest.mark.parametrize(
    "query,fields",
    [
        ({"page": 0}, {"page"}),
        ({"page": "two"}, {"page"}),
        # The row offset of a page this far would overflow the database's integer.
        ({"page": 10**19}, {"page"}),
        ({"page_size": 201}, {"page_size"}),
        ({"page_size": 0, "page": -1}, {"page", "page_size"}),
    ],
)
@pytest.mark.django_db
def test_a_malformed_page_answers_400_keyed_by_parameter(api, query, fields):
    for url, username in (
        ("/api/v1/services/", None),
        ("/api/v1/applications/", "citizen"),
        ("/api/v1/queue/", "clerk.ambala"),
    ):
        response = api(username).get(url, query)
        assert response.status_code == 400, (url, response.content)
        assert set(response.json()["errors"]) == fields, url


@pytest.mark.django_db
def test_the_callers_applications_are_paged_newest_first(api, user):
    references = [_file(user) for _ in range(3)]
    page = api("citizen").get("/api/v1/applications/", {"page_size": 2}).json()
    assert page["count"] == 3
    assert [a["reference"] for a in page["results"]] == references[::-1][:2]
    assert page["next"].endswith("page=2&page_size=2")


@pytest.mark.django_db
def test_the_queue_keeps_its_counts_and_pages_like_the_other_lists(api, user):
    reference = _file(user)
    body = api("clerk.ambala").get("/api/v1/queue/", {"page_size": 1}).json()
    assert set(body) == {"count", "next", "previous", "counts", "page", "page_size", "results"}
    assert (body["page"], body["page_size"]) == (1, 1)
    assert body["count"] == sum(body["counts"].values()) >= 1
    everything = api("clerk.ambala").get("/api/v1/queue/", {"page_size": 200}).json()
    assert reference in {row["reference"] for row in everything["results"]}


@pytest.mark.django_db
def test_a_reference_with_a_nul_character_is_refused_as_unusable(api, user):
    reference = _file(user)
    for suffix in ("", "actions/"):
        response = api("citizen").get(f"/api/v1/applications/{reference}%00/{suffix}")
        assert response.status_code == 400
        assert response.json() == {
            "detail": "The address contains a NUL character, which cannot be used."
        }


@pytest.mark.django_db
def test_a_nul_character_in_a_dashboard_code_answers_400(api):
    response = api("dc.ambala").get("/api/v1/dashboard/rts/", {"district": "HR-AMB\x00"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"district"}


@pytest.mark.django_db
def test_the_dashboards_own_messages_survive_the_shape_check(api):
    response = api("cmo").get("/api/v1/dashboard/rts/", {"by": "village", "from": "yesterday"})
    assert response.json()["errors"] == {
        "by": ["Choose one of: district, department, service, tehsil, office, officer."],
        "from": ["Give a date as YYYY-MM-DD."],
    }


@pytest.mark.django_db
def test_form_answers_with_a_nul_character_are_refused_not_stored(api, user):
    data = example_with_documents(Service.objects.get(code=CODE), user("citizen"))
    data["applicant"]["name"] = "Ram\x00 Kumar"
    response = api("citizen").post(
        "/api/v1/applications/", {"service": CODE, "data": data}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"data.applicant.name"}


@pytest.mark.django_db
def test_any_other_path_under_api_answers_a_json_404_and_the_site_keeps_its_page(api):
    for path in ("/api/v1/nothing-here/", "/api/v1/services/not%20a%20slug/", "/api/v2/"):
        response = api("citizen").get(path)
        assert response.status_code == 404, path
        assert response.json() == {"detail": "Not found."}, path
    page = api(None).get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


@pytest.fixture
def low_rates(monkeypatch):
    """Rates low enough to reach in a test (the settings' are read when DRF loads)."""
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "3/min", "anon": "2/min"})


@pytest.mark.django_db
def test_a_caller_over_their_rate_is_told_to_wait(api, low_rates):
    citizen = api("citizen")
    for _ in range(3):
        assert citizen.get("/api/v1/applications/").status_code == 200
    refused = citizen.get("/api/v1/applications/")
    assert refused.status_code == 429
    assert "throttled" in refused.json()["detail"] and int(refused["Retry-After"]) > 0
    # Each person has their own allowance.
    assert api("citizen2").get("/api/v1/applications/").status_code == 200


@pytest.mark.django_db
def test_passwords_cannot_be_guessed_at_leisure(api, low_rates):
    anonymous = api(None)
    for _ in range(2):
        guess = {"username": "citizen", "password": "guess"}
        assert anonymous.post("/api/v1/auth/token/", guess, format="json").status_code == 400
    refused = anonymous.post(
        "/api/v1/auth/token/", {"username": "citizen", "password": "seva-demo"}, format="json"
    )
    assert refused.status_code == 429
