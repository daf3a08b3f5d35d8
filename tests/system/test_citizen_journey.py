"""A citizen's whole visit, in a real browser, once in English and once in Hindi: find a
service, check eligibility, sign in by OTP, apply for two services (a multi-step form with
a conditional field, a repeatable group and file uploads; a mistake fixed; a draft saved and
resumed), see and print the acknowledgement, and track the application without signing in.

Every page visited is screenshotted (var/test-artifacts/screenshots/) and checked by
axe-core for WCAG 2.1 A and AA."""

from __future__ import annotations

import copy
import re
import urllib.parse

import pytest

from .browser import artefact_path, audit
from .citizen import (
    fill,
    form_schema,
    press_continue,
    sign_in,
    switch_language,
    upload,
)

# Each language signs in with its own number: the resend throttle is per number.
MOBILES = {"en": "9812345678", "hi": "9812300001"}
SEARCH = {"en": "income", "hi": "आय"}


def path(page) -> str:
    return urllib.parse.urlsplit(page.url).path


def step_ids(schema: dict) -> list[tuple[str, list[str]]]:
    return [(step["id"], step["fields"]) for step in schema["x-steps"]]


def file_fields(schema: dict, prefix: str = "") -> dict[str, dict]:
    """Every file question of a form, by dotted path: {"documents.photo": {...}}."""
    found = {}
    for name, prop in schema.get("properties", {}).items():
        if "x-file" in prop:
            found[prefix + name] = prop
        elif prop.get("type") == "object":
            found.update(file_fields(prop, f"{prefix}{name}."))
    return found


def answers_and_files(schema: dict, data: dict, fields: list[str]):
    """The answers of one step, with file questions turned into files to attach."""
    answers = copy.deepcopy({name: data[name] for name in fields if name in data})
    files = {}
    for path, prop in file_fields(schema).items():
        head, _, rest = path.partition(".")
        if head not in answers:
            continue
        if rest:
            if answers[head].pop(rest, None) is not None:
                files[path] = upload(prop["x-file"]["accept"])
            if not answers[head]:
                answers.pop(head)
        else:
            answers.pop(head)
            files[path] = upload(prop["x-file"]["accept"])
    return answers, files


@pytest.mark.parametrize("language", ["en", "hi"])
def test_a_citizen_finds_checks_applies_and_tracks(page, language):
    mobile = MOBILES[language]

    # --- Home, catalogue search, a service page and a department page -------------
    page.goto("/")
    if language != "en":
        switch_language(page, language)
    audit(page, "home", language=language)

    page.fill("#home-search", SEARCH[language])
    with page.expect_navigation():
        page.press("#home-search", "Enter")
    audit(page, "catalogue-search", language=language)
    with page.expect_navigation():
        page.click("a[href='/revenue/income-certificate/']")
    audit(page, "service-page", language=language)
    assert page.locator("a[href='/apply/income-certificate/']").count()

    page.goto("/revenue/")
    audit(page, "department-page", language=language)
    page.goto("/services/")
    audit(page, "catalogue", language=language)

    # --- Eligibility finder -------------------------------------------------------------
    page.goto("/eligibility/")
    audit(page, "eligibility", language=language)
    page.fill("#id_age", "67")
    page.fill("#id_annual_family_income", "1,20,000")
    page.fill("#id_years_resident", "40")
    page.select_option("#id_district", "HR-AMB")
    with page.expect_navigation():
        page.click("form[action='/eligibility/'] button[type=submit]")
    audit(page, "eligibility-results", language=language)
    eligible = page.locator("section:has(> #group-eligible)")
    assert eligible.locator("a[href='/apply/old-age-pension/']").count(), eligible.inner_text()
    pension = eligible.locator("li:has(a[href='/apply/old-age-pension/'])")
    reasons = pension.locator(".reasons").inner_text()
    assert ("60" in reasons) and ("3,00,000" in reasons), reasons

    # --- Sign in by OTP (the code is read from the demo SMS box) ------------------
    sign_in(page, mobile, language=language)
    audit(page, "my-applications", language=language)

    # --- Income certificate: six steps ---------------------------------------------
    schema = form_schema("revenue/income_certificate.json")
    data = copy.deepcopy(schema["examples"][0])
    data["applicant"]["mobile"] = mobile
    data["family_members"] = data["family_members"][:2]
    steps = dict(step_ids(schema))

    page.goto("/apply/income-certificate/")
    assert re.search(r"/apply/draft/[0-9a-f-]+/applicant/$", path(page)), page.url
    audit(page, "apply-applicant", language=language)

    # A mistake first: a mobile number of five digits. The error is shown next to the
    # field, the summary on top links to it, and nothing typed is lost.
    wrong = copy.deepcopy(data)
    wrong["applicant"]["mobile"] = "12345"
    answers, _ = answers_and_files(schema, wrong, steps["applicant"])
    fill(page, answers)
    press_continue(page)
    assert path(page).endswith("/applicant/"), page.url
    audit(page, "apply-applicant-error", language=language)
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert summary.locator("a[href='#f-applicant-mobile']").count()
    assert page.get_attribute("#f-applicant-mobile", "aria-invalid") == "true"
    assert page.input_value("#f-applicant-full_name") == data["applicant"]["full_name"]
    summary.locator("a[href='#f-applicant-mobile']").click()
    assert page.evaluate("document.activeElement.id") == "f-applicant-mobile"
    page.fill("#f-applicant-mobile", mobile)
    press_continue(page)

    for step in ("address", "family"):
        assert path(page).endswith(f"/{step}/"), page.url
        audit(page, f"apply-{step}", language=language)
        answers, files = answers_and_files(schema, data, steps[step])
        fill(page, answers, files)
        press_continue(page)

    # The income step: PAN is asked only of income-tax payers. It appears when the answer
    # is yes, and what was typed into it is dropped when the answer goes back to no.
    assert path(page).endswith("/income/"), page.url
    audit(page, "apply-income", language=language)
    pan = page.locator("#f-pan")
    assert not pan.is_visible()
    page.check("[name='income_tax_payer'][value='true']")
    assert pan.is_visible()
    pan.fill("ABCDE1234F")
    audit(page, "apply-income-pan-shown", language=language)
    page.check("[name='income_tax_payer'][value='false']")
    assert not pan.is_visible()
    answers, files = answers_and_files(schema, data, steps["income"])
    fill(page, answers, files)
    press_continue(page)

    # Documents: save a draft half-way and come back to it later.
    assert path(page).endswith("/documents/"), page.url
    audit(page, "apply-documents", language=language)
    with page.expect_navigation():
        page.click("button[name='save_and_exit']")
    assert path(page).endswith("/my/"), page.url
    audit(page, "my-applications-with-draft", language=language)
    with page.expect_navigation():
        page.click("a[href='/apply/income-certificate/']")
    assert re.search(r"/apply/draft/[0-9a-f-]+/[a-z_]+/$", path(page)), page.url
    page.goto(path(page).rsplit("/", 2)[0] + "/income/")
    assert page.input_value("[name='total_annual_income']") == str(data["total_annual_income"])
    press_continue(page)

    answers, files = answers_and_files(schema, data, steps["documents"])
    fill(page, answers, files)
    press_continue(page)
    assert path(page).endswith("/declaration/"), page.url
    audit(page, "apply-declaration", language=language)
    fill(page, {"declaration": True})
    press_continue(page)

    # Check your answers: PAN, answered while hidden, is not among them.
    assert path(page).endswith("/check/"), page.url
    audit(page, "apply-check", language=language)
    check = page.inner_text("main")
    assert data["applicant"]["full_name"] in check
    assert "ABCDE1234F" not in check
    with page.expect_navigation():
        page.click("main form button[type=submit]:not([formnovalidate])")

    # --- Acknowledgement, printable -------------------------------------------------
    assert re.search(r"/my/[A-Z0-9-]+/acknowledgement/$", path(page)), page.url
    audit(page, "acknowledgement", language=language)
    reference = page.inner_text(".reference").strip()
    assert re.fullmatch(r"[A-Z0-9-]{8,}", reference), reference
    assert re.search(r"\d{2}-\d{2}-\d{4}", page.inner_text("dl.summary"))
    assert page.is_visible("[data-print]")  # revealed by the page's script
    page.emulate_media(media="print")
    assert not page.is_visible(".site-header")
    assert page.is_visible(".reference")
    page.pdf(path=str(artefact_path(page, "acknowledgement.pdf")))
    page.emulate_media(media="screen")

    with page.expect_navigation():
        page.click(f"a[href='/my/{reference}/']")
    audit(page, "my-application", language=language)
    assert page.locator(".timeline li").count() >= 1

    # --- A second service: a grievance in five steps -------------------------------
    grievance = form_schema("cm_grievance/public_grievance.json")
    gdata = copy.deepcopy(grievance["examples"][0])
    gdata["complainant"]["mobile"] = mobile
    page.goto("/apply/public-grievance/")
    for step, fields in step_ids(grievance):
        assert path(page).endswith(f"/{step}/"), page.url
        audit(page, f"grievance-{step}", language=language)
        answers, files = answers_and_files(grievance, gdata, fields)
        fill(page, answers, files)
        press_continue(page)
    assert path(page).endswith("/check/"), page.url
    audit(page, "grievance-check", language=language)
    with page.expect_navigation():
        page.click("main form button[type=submit]:not([formnovalidate])")
    assert path(page).endswith("/acknowledgement/"), page.url
    audit(page, "grievance-acknowledgement", language=language)
    grievance_reference = page.inner_text(".reference").strip()

    page.goto("/my/")
    audit(page, "my-applications-two", language=language)
    listing = page.inner_text("main")
    assert reference in listing and grievance_reference in listing

    # --- Message choices: no requests to rate, the language kept ---------------------
    page.goto("/my/messages/")
    audit(page, "message-choices", language=language)
    assert page.is_checked(f"input[name=language][value={language}]")
    page.uncheck("#id_other_messages")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    audit(page, "message-choices-saved", language=language)
    assert not page.is_checked("#id_other_messages")

    # --- Public tracking, signed out -----------------------------------------------
    with page.expect_navigation():
        page.click(".site-nav form button[type=submit]")
    page.goto("/track/")
    audit(page, "track", language=language)
    page.fill("#id_reference", reference)
    page.fill("#id_mobile", "9999999999")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    audit(page, "track-wrong-mobile", language=language)
    assert page.locator(".error-summary[role=alert]").is_visible()
    main = page.inner_text("main")
    assert data["applicant"]["full_name"] not in main and "Tehsildar" not in main

    page.fill("#id_reference", reference)
    page.fill("#id_mobile", mobile)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    audit(page, "track-found", language=language)
    assert reference in page.inner_text("main")
    assert page.locator(".timeline li").count() >= 1
