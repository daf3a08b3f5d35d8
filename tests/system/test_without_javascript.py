"""With JavaScript turned off in the browser, a citizen still completes and sends a
multi-step application: rows of a repeatable group added and removed by the server, a
conditional question answered though it no longer applies (and dropped), files attached."""

from __future__ import annotations

import copy
import re

from .browser import audit
from .citizen import fill, form_schema, press_continue, sign_in
from .test_citizen_journey import answers_and_files, path, step_ids

MOBILE = "9812300002"


def test_a_multi_step_application_is_completed_and_sent_without_javascript(
    page_without_javascript,
):
    page = page_without_javascript
    sign_in(page, MOBILE, language="en")

    schema = form_schema("revenue/income_certificate.json")
    data = copy.deepcopy(schema["examples"][0])
    data["applicant"]["mobile"] = MOBILE
    steps = dict(step_ids(schema))

    page.goto("/apply/income-certificate/")
    for step in ("applicant", "address"):
        assert path(page).endswith(f"/{step}/"), page.url
        audit(page, f"apply-{step}", language="en")
        answers, files = answers_and_files(schema, data, steps[step])
        fill(page, answers, files)
        press_continue(page)

    # Three family members: the page shows fewer rows, so "Add another" asks the server for
    # one more each time (keeping what was typed); then a row added by mistake is removed.
    assert path(page).endswith("/family/"), page.url
    audit(page, "apply-family", language="en")
    answers, _ = answers_and_files(schema, data, steps["family"])
    fill(page, answers)
    assert page.locator("[name='family_members.2.name']").count() == 1
    with page.expect_navigation():
        page.click("button[name='_add'][value='family_members']")
    assert page.locator("[name='family_members.3.name']").count() == 1
    assert page.input_value("[name='family_members.2.name']") == "Pooja"
    audit(page, "apply-family-row-added", language="en")
    with page.expect_navigation():
        page.click("button[name='_remove'][value='family_members.3']")
    assert page.locator("[name='family_members.3.name']").count() == 0
    press_continue(page)

    # Without scripts the PAN question is always on show. Answered, though the citizen
    # pays no income tax, it is dropped, not kept and not validated.
    assert path(page).endswith("/income/"), page.url
    assert page.is_visible("#f-pan")
    answers, _ = answers_and_files(schema, data, steps["income"])
    fill(page, {**answers, "pan": "not a PAN"})
    audit(page, "apply-income", language="en")
    press_continue(page)

    assert path(page).endswith("/documents/"), page.url
    answers, files = answers_and_files(schema, data, steps["documents"])
    fill(page, answers, files)
    audit(page, "apply-documents", language="en")
    press_continue(page)
    fill(page, {"declaration": True})
    press_continue(page)

    assert path(page).endswith("/check/"), page.url
    audit(page, "apply-check", language="en")
    check = page.inner_text("main")
    assert "Pooja" in check and "not a PAN" not in check
    for name in ("scan.pdf", "photo.png", "photo.jpg"):
        if name in check:
            break
    else:
        raise AssertionError("the check page lists no attached file:\n" + check)
    with page.expect_navigation():
        page.click("main form button[type=submit]:not([formnovalidate])")

    assert re.search(r"/my/[A-Z0-9-]+/acknowledgement/$", path(page)), page.url
    audit(page, "acknowledgement", language="en")
    reference = page.inner_text(".reference").strip()
    # The page's own scripts did not run: the print button, which a script reveals, is hidden.
    assert not page.is_visible("[data-print]")
    page.goto("/my/")
    assert reference in page.inner_text("main")
