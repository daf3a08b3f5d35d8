"""Every response carries a strict Content-Security-Policy, and no page needs more than it
allows (issue 16, finding 12).

The policy: nothing from outside the project; scripts and styles from our own files, or inline
with the response's nonce; no plugins; no <base> elsewhere; forms post only to us; framed only
by us (Wagtail's preview). The pages are found, not listed: every URL of Seva's own views and
of the API (the access matrix's walk of the resolver), Wagtail's portal pages, the staff
workspace and the Django admin as crawled by the state admin, the API's documentation and the
error pages; as an anonymous visitor, a citizen, an officer and the state admin. Each page's
HTML is read for what the policy would block: an inline script or style without the nonce, a
style="" or on...="" attribute, a javascript: link, an asset from another host.

What only a browser shows (Wagtail's own scripts writing styles or inline code) is checked
by the browser suite, which fails on any violation the browser reports (tests/system/browser.py).
"""

from __future__ import annotations

import json
import logging
import re
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.urls import path

from seva.applications import drafts
from seva.applications.models import Document
from seva.applications.services import application_submit
from seva.definitions.models import Service
from seva.definitions.services import draft_start_from_service
from seva.notifications.models import OutboxMessage
from seva.portal.csp_reports import REPORTS_PER_ADDRESS
from tests.helpers import example_with_documents
from tests.queues.test_access_matrix import in_scope, served_urls

pytestmark = pytest.mark.django_db

HEADER = "Content-Security-Policy"
# Script types that are data, never run (json_script, Wagtail's telepath and config blocks).
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json", "text/template"}
ASSETS = {  # element -> the attributes that fetch something
    "script": ["src"],
    "link": ["href"],
    "img": ["src", "srcset"],
    "iframe": ["src"],
    "source": ["src", "srcset"],
    "audio": ["src"],
    "video": ["src", "poster"],
    "embed": ["src"],
    "object": ["data"],
    "input": ["src"],
}
OWN_HOSTS = {"testserver"}


# ------------------------------------------------------------------------------
# Reading a policy and a page
# ------------------------------------------------------------------------------
def directives(response) -> dict[str, list[str]]:
    header = response.get(HEADER, "")
    parsed = {}
    for part in header.split(";"):
        if part.strip():
            name, *sources = part.split()
            parsed[name] = sources
    return parsed


def nonce_of(response) -> str | None:
    for source in directives(response).get("script-src", []):
        if source.startswith("'nonce-"):
            return source.removeprefix("'nonce-").removesuffix("'")
    return None


# The one exception: Swagger UI draws its icons as data: images (seva/config/urls.py).
DATA_IMAGES = {"/api/docs/"}


def policy_problems(response, url: str) -> list[str]:
    """What is missing from the strict policy, or more than it allows."""
    if HEADER not in response:
        return [f"no {HEADER} header"]
    policy = directives(response)
    expected = {
        "default-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    }
    problems = [
        f"{name} is {policy.get(name)}, expected {sources}"
        for name, sources in expected.items()
        if policy.get(name) != sources
    ]
    for name in ("script-src", "style-src"):
        sources = policy.get(name, [])
        if "'self'" not in sources or not all(
            s in ("'self'", "'report-sample'") or s.startswith("'nonce-") for s in sources
        ):
            problems.append(f"{name} is {sources}: only 'self' and the nonce")
    images = ["'self'", "data:"] if urllib.parse.urlsplit(url).path in DATA_IMAGES else ["'self'"]
    if policy.get("img-src") != images:
        problems.append(f"img-src is {policy.get('img-src')}, expected {images}")
    for name, sources in policy.items():
        if name == "report-uri":
            if not all(s.startswith("/") and not s.startswith("//") for s in sources):
                problems.append(f"report-uri {sources} is not ours")
        elif name != "img-src" and any(not s.startswith("'") for s in sources):
            problems.append(f"{name} {sources} names a host or scheme")
    return problems


def outside(url: str) -> bool:
    """Whether fetching `url` from one of our pages would leave the project."""
    url = url.strip()
    if url.startswith("data:"):
        return True  # img-src and the rest allow none
    parts = urllib.parse.urlsplit(url)
    return bool(parts.scheme or parts.netloc) and parts.hostname not in OWN_HOSTS


class BlockedMarkup(HTMLParser):
    """Collects what the policy would block in a page."""

    def __init__(self, nonce: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.nonce = nonce
        self.problems: list[str] = []
        self._tag: tuple[str, dict] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        shown = f"<{tag} {' '.join(f'{k}={v!r}' for k, v in values.items())}>"[:160]
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"an inline event handler {name}=: {shown}")
            if name == "style":
                self.problems.append(f"a style attribute: {shown}")
            if name in ("href", "src", "action", "formaction") and value.strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"a javascript: URL: {shown}")
        for name in ASSETS.get(tag, []):
            if (
                tag == "link"
                and "stylesheet" not in values.get("rel", "")
                and "preload" not in (values.get("rel", ""))
            ):
                continue
            for url in values.get(name, "").split(","):
                url = url.split()[0] if url.split() else ""
                if url and outside(url):
                    self.problems.append(f"an asset from outside: {shown}")
        nonced = bool(self.nonce) and values.get("nonce") == self.nonce
        runs = tag == "script" and not values.get("src")
        if runs and values.get("type", "").lower() not in DATA_SCRIPT_TYPES and not nonced:
            self._tag = (tag, values)
        if tag == "style" and not nonced:
            self._tag = (tag, values)

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        if self._tag and data.strip():
            self.problems.append(
                f"an inline <{self._tag[0]}> without the nonce: {data.strip()[:120]}"
            )
        self._tag = None

    def handle_endtag(self, tag: str) -> None:
        self._tag = None


def page_problems(response, url: str) -> list[str]:
    problems = policy_problems(response, url)
    content_type = response.get("Content-Type", "")
    if content_type.startswith("text/html") and not response.streaming:
        reader = BlockedMarkup(nonce_of(response))
        reader.feed(response.content.decode(errors="replace"))
        problems += reader.problems
    if "gravatar" in (b"" if response.streaming else response.content).decode(errors="replace"):
        problems.append("an avatar from gravatar.com")
    return problems


# ------------------------------------------------------------------------------
# Who visits, and the URLs they visit
# ------------------------------------------------------------------------------
VISITORS = [None, "citizen", "clerk.ambala", "admin"]


@dataclass
class Findings:
    problems: dict[str, list[str]] = field(default_factory=dict)
    visited: int = 0

    def check(self, who: str | None, url: str, response) -> None:
        self.visited += 1
        if found := page_problems(response, url):
            self.problems[f"{who or 'anonymous'} GET {url} ({response.status_code})"] = found

    def assert_none(self) -> None:
        assert not self.problems, json.dumps(self.problems, indent=1, ensure_ascii=False)


def client_for(username: str | None) -> Client:
    client = Client()
    if username:
        client.force_login(get_user_model().objects.get(username=username))
    return client


@pytest.fixture
def known(user) -> dict[str, str]:
    """Real values for the URL patterns' parameters, so that pages render rather than 404:
    a filed application (its reference, a document, an SMS), a citizen's draft and a
    service draft in the service editor."""
    citizen = user("citizen")
    service = Service.objects.get(code="income-certificate")
    application = application_submit(
        service=service, data=example_with_documents(service, citizen), applicant=citizen
    )
    draft = drafts.draft_for(user=citizen, service=service, language="en")
    service_draft = draft_start_from_service(user=user("admin"), service=service)
    return {
        "reference": application.reference,
        "token": Document.objects.filter(application=application).first().token,
        "pk": str(OutboxMessage.objects.filter(application=application).first().pk),
        "code": service.code,
        "fmt": "csv",
        "number": "1",
        "draft_id:uuid": str(draft.id),
        "draft_id:int": str(service_draft.pk),
        "step_id": "applicant",
        "action": "check",
    }


PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def concrete(route: str, known: dict[str, str]) -> str:
    def fill(match: re.Match) -> str:
        name, converter = match["name"], match["converter"] or "str"
        if f"{name}:{converter}" in known:
            return known[f"{name}:{converter}"]
        if name in known:
            return known[name]
        return {"int": "1", "uuid": str(uuid.uuid4())}.get(converter, "x")

    return "/" + PARAMETER.sub(fill, route)


def seva_urls(known: dict[str, str]) -> list[str]:
    return sorted({concrete(s.route, known) for s in served_urls() if in_scope(s)})


OTHER_PAGES = [
    "/",
    "/services/",
    "/revenue/",
    "/social-justice/old-age-pension/",
    "/no-such-page/",  # the site's 404
    "/api/v1/no-such-endpoint/",  # the API's JSON 404
    "/api/docs/",
    "/api/schema/",
    "/admin/login/",
    "/django-admin/login/",
]


def test_every_seva_url_sends_the_strict_policy_and_needs_no_more(known):
    findings = Findings()
    for who in VISITORS:
        client = client_for(who)
        for url in seva_urls(known) + OTHER_PAGES:
            findings.check(who, url, client.get(url))
    assert findings.visited > 300
    findings.assert_none()


# ------------------------------------------------------------------------------
# The workspace, the Django admin and the portal, crawled
# ------------------------------------------------------------------------------
SHAPE = re.compile(r"/(\d+|[0-9a-f-]{36}|HR-[A-Z0-9-]+)(?=/)")
NEVER_FOLLOW = ("logout", "/delete/", "/unpublish/", "/lock/", "/unlock/", "/copy/")
DOWNLOADS = (".zip", ".csv", ".xlsx")  # files, not pages: the walk of Seva's URLs has them


def crawl(
    client: Client, start: str, prefix: str, *, limit: int, avoid: tuple[str, ...] = ()
) -> Iterator[tuple[str, object]]:
    """Follow the links of the pages under `prefix` (but not under `avoid`), one page of each
    shape (numbers and references stand for any), without query strings."""
    queue, seen = [start], set()
    while queue and len(seen) < limit:
        url = queue.pop(0)
        shape = SHAPE.sub("/N", url)
        if shape in seen:
            continue
        seen.add(shape)
        response = client.get(url)
        yield url, response
        if not response.get("Content-Type", "").startswith("text/html") or response.streaming:
            continue
        # Links, and the URLs in the data the workspace's scripts draw their menus from.
        for href in re.findall(r'"(/[^"\\\s<>#?]*)', response.content.decode(errors="replace")):
            href = urllib.parse.urljoin(url, href)
            if (
                href.startswith(prefix)
                and not href.startswith((*avoid, "/static/", "/media/"))
                and not any(part in href for part in NEVER_FOLLOW)
                and not href.endswith(DOWNLOADS)
            ):
                queue.append(href)


@pytest.mark.parametrize(
    "who,start,prefix,limit",
    [
        ("admin", "/admin/", "/admin/", 400),
        ("admin", "/django-admin/", "/django-admin/", 150),
        ("citizen", "/", "/", 150),
    ],
    ids=["workspace", "django-admin", "portal"],
)
def test_crawled_pages_send_the_strict_policy_and_need_no_more(known, who, start, prefix, limit):
    findings = Findings()
    avoid = ("/admin/", "/django-admin/", "/api/") if prefix == "/" else ()
    for url, response in crawl(client_for(who), start, prefix, limit=limit, avoid=avoid):
        findings.check(who, url, response)
    assert findings.visited > 10
    findings.assert_none()


def test_each_response_has_a_nonce_of_its_own_which_its_inline_script_carries():
    client = Client()
    responses = [client.get("/api/docs/") for _ in range(3)]
    nonces = {nonce_of(response) for response in responses}
    assert None not in nonces and len(nonces) == 3
    for response in responses:
        assert f'<script nonce="{nonce_of(response)}">' in response.content.decode()


# ------------------------------------------------------------------------------
# The server's error page
# ------------------------------------------------------------------------------
def broken_view(request):
    raise RuntimeError("a bug")


urlpatterns = [path("broken/", broken_view)]  # this module is the URLconf of the test below


@override_settings(ROOT_URLCONF=__name__)
def test_the_server_error_page_sends_the_policy():
    response = Client(raise_request_exception=False).get("/broken/")
    assert response.status_code == 500
    assert page_problems(response, "/broken/") == []


# ------------------------------------------------------------------------------
# The browsers' reports
# ------------------------------------------------------------------------------
REPORT = {
    "csp-report": {
        "document-uri": "https://seva.example.gov.in/admin/queue/",
        "effective-directive": "script-src-elem",
        "blocked-uri": "inline",
        "source-file": "https://seva.example.gov.in/admin/queue/",
        "line-number": 12,
        "script-sample": "alert(document.cookie)",
    }
}


def post_report(client: Client, body, content_type: str = "application/csp-report"):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post("/csp-report/", data, content_type=content_type)


def test_the_policy_names_the_report_endpoint_which_logs_each_report(caplog):
    client = Client(enforce_csrf_checks=True)  # a browser's report carries no CSRF token
    assert directives(client.get("/login/"))["report-uri"] == ["/csp-report/"]
    with caplog.at_level(logging.WARNING, logger="seva.csp"):
        response = post_report(client, REPORT)
    assert response.status_code == 204
    [record] = [r for r in caplog.records if r.name == "seva.csp"]
    logged = record.getMessage()
    for shown in (
        "script-src-elem",
        "inline",
        "/admin/queue/",
        "line 12",
        "alert(document.cookie)",
    ):
        assert shown in logged, (shown, logged)


def test_the_report_endpoint_reads_the_reporting_apis_format_too(caplog):
    body = [
        {
            "type": "csp-violation",
            "body": {
                "documentURL": "https://seva.example.gov.in/track/",
                "effectiveDirective": "img-src",
                "blockedURL": "https://www.gravatar.com/avatar/x",
            },
        }
    ]
    with caplog.at_level(logging.WARNING, logger="seva.csp"):
        response = post_report(Client(), body, "application/reports+json")
    assert response.status_code == 204
    assert "img-src: https://www.gravatar.com/avatar/x on https://seva.example.gov.in/track/" in (
        caplog.text
    )


@pytest.mark.parametrize(
    "body,status,detail",
    [
        ("not json", 400, "not JSON"),
        ({"something": "else"}, 400, "no CSP violation"),
        ("[" * 100_000, 413, "too large"),
    ],
    ids=["not-json", "not-a-report", "too-large"],
)
def test_the_report_endpoint_refuses_what_is_not_a_report(caplog, body, status, detail):
    with caplog.at_level(logging.WARNING, logger="seva.csp"):
        response = post_report(Client(), body)
    assert response.status_code == status
    assert detail in response.json()["detail"]
    assert not [r for r in caplog.records if r.name == "seva.csp"]


def test_the_report_endpoint_takes_only_posts():
    assert Client().get("/csp-report/").status_code == 405


def test_one_address_cannot_flood_the_log(caplog):
    client = Client()
    with caplog.at_level(logging.WARNING, logger="seva.csp"):
        answers = {post_report(client, REPORT).status_code for _ in range(REPORTS_PER_ADDRESS + 5)}
    assert answers == {204}
    assert len([r for r in caplog.records if r.name == "seva.csp"]) == REPORTS_PER_ADDRESS


def test_the_reader_finds_what_the_policy_would_block():
    """The checks above can fail: each kind of markup the policy blocks is found."""
    reader = BlockedMarkup("n0nce")
    reader.feed(
        '<script>run()</script><script nonce="n0nce">allowed()</script>'
        '<script type="application/json">{"data": 1}</script><style>p {}</style>'
        '<p style="color: red" onclick="run()">x</p><a href="javascript:run()">x</a>'
        '<img src="https://www.gravatar.com/avatar/x"><link rel="stylesheet" href="//cdn.example/a.css">'
        '<img src="/static/ours.png"><script src="/static/ours.js"></script>'
    )
    found = "\n".join(reader.problems)
    assert len(reader.problems) == 7, found
    for expected in (
        "run()",
        "<style>",
        "style attribute",
        "onclick",
        "javascript:",
        "gravatar",
        "cdn",
    ):
        assert expected in found, (expected, found)
