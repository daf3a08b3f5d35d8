"""The API's list of the caller's applications is paged like every list: bounded pages
linked by `next`, an empty page past the end, and as many queries for a thousand
applications as for a few."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from seva.api.pagination import MAX_PAGE_SIZE
from seva.applications.services import application_submit
from seva.definitions.models import Service
from tests.helpers import example_with_documents
from tests.lists import applications_copied

pytestmark = pytest.mark.django_db


def _submitted(user):
    service = Service.objects.get(code="income-certificate")
    citizen = user("citizen")
    return application_submit(
        service=service, data=example_with_documents(service, citizen), applicant=citizen
    )


def test_the_callers_applications_come_a_page_at_a_time_newest_first(api, user):
    newest = _submitted(user)
    applications_copied(newest, 24)  # 25 in all
    client = api("citizen")

    first = client.get("/api/v1/applications/", {"page_size": 10}).json()
    assert first["count"] == 25 and len(first["results"]) == 10
    assert first["results"][0]["reference"] == newest.reference
    assert first["previous"] is None and "page=2" in first["next"]
    seen = [row["reference"] for row in first["results"]]
    page = first
    while page["next"]:
        page = client.get(page["next"]).json()
        seen += [row["reference"] for row in page["results"]]
    assert len(seen) == len(set(seen)) == 25  # no row twice, none left out
    beyond = client.get("/api/v1/applications/", {"page": 9, "page_size": 10}).json()
    assert beyond["results"] == [] and beyond["next"] is None
    assert client.get("/api/v1/applications/", {"page_size": MAX_PAGE_SIZE + 1}).status_code == 400


def test_the_list_asks_as_much_for_hundreds_of_applications_as_for_one(api, user):
    first = _submitted(user)
    client = api("citizen")
    client.get("/api/v1/applications/")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/applications/").status_code == 200
    applications_copied(first, 400)
    with CaptureQueriesContext(connection) as many:
        answer = client.get("/api/v1/applications/", {"page": 3})
    assert answer.status_code == 200 and len(answer.json()["results"]) == 50
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    page_query = next(q["sql"] for q in many.captured_queries if "LIMIT" in q["sql"])
    assert '"applications_application"."data"' not in page_query
    assert '"definitions_serviceversion"' not in page_query
