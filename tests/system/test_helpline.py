"""A helpline agent on a call, in a real browser: registers a grievance from what the caller
says (category from the grievance definition's list, the location, the text), reads the
reference out, then answers the caller's status query by mobile and reference. axe-core
checks every page for WCAG 2.1 A and AA."""

from __future__ import annotations

import copy
import urllib.parse

from .citizen import fill, form_schema
from .officer import audit_workspace, sign_in_officer

AGENT = "agent.helpline"
CALLER_MOBILE = "9812300066"  # no other browser test uses it
CALLER_NAME = "Ramphal Singh"


def path(page) -> str:
    return urllib.parse.urlsplit(page.url).path


def test_an_agent_registers_a_grievance_from_a_call_and_answers_a_status_query(page):
    sign_in_officer(page, AGENT)
    page.get_by_role("button", name="Helpline", exact=True).click()
    with page.expect_navigation():
        page.get_by_role("link", name="Register a grievance").click()
    assert path(page) == "/admin/helpline/grievance/", page.url
    audit_workspace(page, "grievance")

    answers = copy.deepcopy(form_schema("cm_grievance/public_grievance.json")["examples"][0])
    answers.pop("attachment")
    answers["complainant"] = {"full_name": CALLER_NAME, "mobile": CALLER_MOBILE}
    answers["category"] = "roads"
    # The admin's <meta name="description"> shares a name with the form's question.
    page.fill("textarea[name='description']", answers.pop("description"))
    fill(page, answers)
    page.check("#id_call-language_1")
    with page.expect_navigation():
        page.get_by_role("button", name="Register the grievance").click()
    assert path(page).startswith("/admin/helpline/grievance/HR-"), page.url
    audit_workspace(page, "registered")
    reference = page.inner_text(".reference").strip()
    assert CALLER_NAME in page.inner_text("main")

    with page.expect_navigation():
        page.get_by_role("link", name="Status query").last.click()
    audit_workspace(page, "status")
    page.fill("#id_mobile", CALLER_MOBILE)
    page.fill("#id_reference", reference)
    with page.expect_navigation():
        page.get_by_role("button", name="Find").click()
    audit_workspace(page, "status-found")
    found = page.locator(f"[data-reference='{reference}']")
    assert found.count() == 1
    assert "With the officer for action" in found.inner_text()
