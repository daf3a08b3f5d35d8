"""My applications is paged: a citizen with thousands of applications gets a page of them,
newest first, with links to the pages before and after it (in English and Hindi), the
drafts paged apart, and as many queries for ten applications as for a thousand."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from seva.applications.drafts import draft_for
from seva.applications.models import Application, ApplicationDraft
from seva.applications.services import application_submit
from seva.definitions.models import Service
from seva.portal.selectors import APPLICATIONS_PAGE_SIZE, DRAFTS_PAGE_SIZE
from tests.helpers import example_with_documents
from tests.lists import applications_copied

MOBILE = "9812345678"


@pytest.fixture
def citizen(db):
    user = get_user_model().objects.create_user(username="many.applications")
    return user


@pytest.fixture
def client(citizen) -> Client:
    client = Client()
    client.force_login(citizen)
    return client


def _submitted(citizen, code: str = "income-certificate") -> Application:
    service = Service.objects.get(code=code)
    return application_submit(
        service=service, data=example_with_documents(service, citizen), applicant=citizen
    )


def _references(html: str) -> list[str]:
    return [r for r in re.findall(r'href="/my/([^/"]+)/"', html) if r != "messages"]


def _pager(html: str) -> str:
    found = re.search(
        r'<nav class="pager" aria-label="Pages of applications sent">.*?</nav>', html, re.S
    )
    assert found, html[-3000:]
    return found.group(0)


@pytest.mark.django_db
def test_a_citizen_with_many_applications_sees_a_page_of_them_newest_first(citizen, client):
    newest = _submitted(citizen)
    applications_copied(newest, 2 * APPLICATIONS_PAGE_SIZE + 4)  # 45 in all: three pages

    first = client.get("/my/")
    html = first.content.decode()
    references = _references(html)
    assert first.status_code == 200
    assert len(references) == APPLICATIONS_PAGE_SIZE
    assert references[0] == newest.reference
    assert references[1:3] == [f"{newest.reference}-C1", f"{newest.reference}-C2"]
    pager = _pager(html)
    assert "Page 1 of 3" in pager
    assert 'rel="next"' in pager and 'href="?page=2#sent"' in pager
    assert 'rel="prev"' not in pager
    assert "Applications sent: 45, the newest first." in html

    second = client.get("/my/?page=2").content.decode()
    assert _references(second)[0] == f"{newest.reference}-C{APPLICATIONS_PAGE_SIZE}"
    pager = _pager(second)
    assert "Page 2 of 3" in pager
    assert 'href="/my/#sent" rel="prev"' in pager and 'href="?page=3#sent" rel="next"' in pager

    last = client.get("/my/?page=3").content.decode()
    assert _references(last) == [
        f"{newest.reference}-C{n}" for n in range(2 * APPLICATIONS_PAGE_SIZE, 45)
    ]
    assert 'rel="next"' not in _pager(last)


@pytest.mark.django_db
@pytest.mark.parametrize("asked", ["4", "0", "-1", "two", "1e3", "²", "9999999"])
def test_a_page_that_does_not_exist_answers_not_found(citizen, client, asked):
    applications_copied(_submitted(citizen), 2 * APPLICATIONS_PAGE_SIZE)  # three pages
    assert client.get(f"/my/?page={asked}").status_code == 404
    assert client.get(f"/my/?drafts={asked}").status_code == 404


@pytest.mark.django_db
def test_one_page_has_no_page_links(citizen, client):
    _submitted(citizen)
    html = client.get("/my/").content.decode()
    assert len(_references(html)) == 1
    assert 'class="pager"' not in html and "Page 1 of" not in html


@pytest.mark.django_db
def test_the_pages_are_named_in_hindi(citizen, client):
    applications_copied(_submitted(citizen), APPLICATIONS_PAGE_SIZE)
    client.cookies["django_language"] = "hi"
    html = client.get("/my/?page=2").content.decode()
    assert '<html lang="hi"' in html
    assert "2 में से पृष्ठ 2" in html
    assert 'aria-label="भेजे गए आवेदनों के पृष्ठ"' in html
    assert ">पिछला पृष्ठ</a>" in html


@pytest.mark.django_db
def test_drafts_are_paged_apart_keeping_the_page_of_applications(citizen, client):
    applications_copied(_submitted(citizen), APPLICATIONS_PAGE_SIZE)
    services = list(Service.objects.filter(current_version__isnull=False).order_by("code"))
    wanted = DRAFTS_PAGE_SIZE + 2
    if len(services) < wanted:
        pytest.skip("the demo has too few services for two pages of drafts")
    for service in services[:wanted]:
        draft_for(user=citizen, service=service, language="en")
    assert ApplicationDraft.objects.filter(user=citizen).count() == wanted

    html = client.get("/my/?page=2").content.decode()
    assert html.count(">Continue<") == DRAFTS_PAGE_SIZE
    drafts_pager = re.search(
        r'<nav class="pager" aria-label="Pages of drafts">.*?</nav>', html, re.S
    )
    assert drafts_pager, html
    assert "Page 1 of 2" in drafts_pager.group(0)
    assert 'href="?page=2&amp;drafts=2#drafts" rel="next"' in drafts_pager.group(0)
    assert "Page 2 of 2" in _pager(html)  # the applications' page is kept

    second = client.get("/my/?page=2&drafts=2").content.decode()
    assert second.count(">Continue<") == 2
    assert 'href="?page=2#drafts" rel="prev"' in second


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_the_applications(citizen, client):
    first = _submitted(citizen)
    other = _submitted(citizen, "old-age-pension")
    client.get("/my/")  # the versions' compiled workflows are kept per process

    with CaptureQueriesContext(connection) as few:
        assert client.get("/my/").status_code == 200
    applications_copied(first, 300)
    applications_copied(other, 300)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/my/?page=7").status_code == 200
    assert len(many) == len(few) <= 8, [q["sql"] for q in many.captured_queries]
    page_query = next(q["sql"] for q in many.captured_queries if "LIMIT" in q["sql"])
    # Only what the list shows: never the answers.
    assert '"applications_application"."data"' not in page_query
