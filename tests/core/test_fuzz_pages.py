"""Fuzzing the pages: every form on the portal's and the workspace's pages is sent back with
each kind of odd input in its fields, and every query parameter the page's forms and links
use is given the same values. No answer may be a server error; input no page can use gets
a 400 (tests/core/test_odd_input.py checks its message), anything else the page's own
answer. The pages are found by following the journeys of each kind of user."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from django.test import Client

from seva.applications.drafts import draft_for
from seva.applications.services import application_submit
from seva.definitions.models import Service
from tests.helpers import example_with_documents

CODE = "income-certificate"
# The classes of input a probe sends: bytes no database stores, text far longer than any
# field, markup, SQL, paths, numbers out of range, dates that do not exist, direction
# overrides, JSON where text is expected, and nothing at all.
ODD = [
    "\x00",
    "Ram\x00Kumar",
    "x" * 100_000,
    "<script>alert(1)</script>",
    "' OR '1'='1' --",
    "../../../../etc/passwd",
    "-1",
    "99999999999999999999999999",
    "1e309",
    "NaN",
    "2026-02-30",
    "\u202eevil",
    "%00",
    '{"a": [[[[[[[[]]]]]]]]}',
    " ",
    "",
]
# Per query parameter on its own (the others as the page gave them), the sharpest of them.
ODD_ONE_BY_ONE = ["\x00", "x" * 100_000, "-1", "2026-02-30"]


class _Forms(HTMLParser):
    """The forms of a page (method, action, fields) and the query parameters of its links."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self.link_parameters: dict[str, set[str]] = {}
        self._form: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {
                "method": (attrs.get("method") or "get").lower(),
                "action": attrs.get("action") or "",
                "fields": {},
            }
            self.forms.append(self._form)
        elif tag in ("input", "select", "textarea", "button") and self._form is not None:
            name = attrs.get("name")
            if name and attrs.get("type") != "file":
                self._form["fields"].setdefault(name, attrs.get("value") or "")
        elif tag == "a" and "?" in (attrs.get("href") or ""):
            address = urlsplit(attrs["href"])
            for name, _value in parse_qsl(address.query, keep_blank_values=True):
                self.link_parameters.setdefault(address.path, set()).add(name)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


@pytest.fixture
def journey(user):
    """The pages each kind of user reaches: (username, path)."""
    service = Service.objects.get(code=CODE)
    citizen = user("citizen")
    filed = application_submit(
        service=service, data=example_with_documents(service, citizen), applicant=citizen
    )
    draft = draft_for(user=citizen, service=service, language="en")
    return {
        "anonymous": [None, ["/", "/track/", "/eligibility/", "/login/", "/admin/login/"]],
        "citizen": [
            "citizen",
            [
                "/my/",
                "/my/messages/",
                f"/my/{filed.reference}/",
                f"/apply/{CODE}/",
                f"/apply/draft/{draft.pk}/check/",
            ],
        ],
        "officer": ["clerk.ambala", ["/admin/queue/", f"/admin/queue/{filed.reference}/"]],
        "cmo": ["cmo", ["/admin/dashboard/rts/", "/admin/dashboard/rts/at-risk/"]],
        "counter": ["operator.ambala", ["/admin/assisted/"]],
        "helpline": ["agent.helpline", ["/admin/helpline/", "/admin/helpline/grievance/"]],
    }


def _fuzz(user, username: str | None, paths: list[str]) -> tuple[int, list[str]]:
    browser = Client(raise_request_exception=False)
    person = user(username) if username else None
    sent, failures = 0, []

    def send(method: str, path: str, data: dict) -> None:
        nonlocal sent
        if person is not None:
            browser.force_login(person)  # a form may have signed the person out
        answer = getattr(browser, method)(path, data)
        sent += 1
        if answer.status_code >= 500:
            shown = {k: (v[:20] + "…" if len(v) > 20 else v) for k, v in data.items()}
            failures.append(f"{method.upper()} {path} {shown!r} -> {answer.status_code}")

    for start in paths:
        if person is not None:
            browser.force_login(person)
        page = browser.get(start, follow=True)
        assert page.status_code == 200, (start, page.status_code)
        here = page.redirect_chain[-1][0] if page.redirect_chain else start
        found = _Forms()
        found.feed(page.content.decode())
        queries = {urlsplit(here).path: set()}
        for path, names in found.link_parameters.items():
            queries.setdefault(urljoin(here, path), set()).update(names)
        for form in found.forms:
            action = urlsplit(urljoin(here, form["action"] or here)).path
            fields = {k: v for k, v in form["fields"].items() if k != "csrfmiddlewaretoken"}
            if form["method"] == "get":
                queries.setdefault(action, set()).update(fields)
                continue
            for odd in ODD:
                send("post", action, {**form["fields"], **dict.fromkeys(fields, odd)})
        for path, names in queries.items():
            if not path.startswith(("/admin/", "/my/", "/apply/", "/track", "/eligibility")):
                continue
            for odd in ODD:
                send("get", path, dict.fromkeys(names, odd) if names else {"q": odd})
            for name in names:
                for odd in ODD_ONE_BY_ONE:
                    send("get", path, {name: odd})
    return sent, failures


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "citizen", "officer", "cmo", "counter", "helpline"])
def test_no_form_or_query_parameter_gives_a_server_error(user, journey, who):
    username, paths = journey[who]
    sent, failures = _fuzz(user, username, paths)
    assert sent >= 2 * len(ODD), f"only {sent} requests: the pages' forms were not found"
    assert failures == [], "\n".join(failures[:30])
