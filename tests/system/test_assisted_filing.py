"""A Saral Kendra's operator at the counter, in a real browser: signs in to the staff
workspace, registers a citizen who has never used Seva by their mobile number (the code the
citizen reads out, here from the demo SMS box, is their consent), files an income
certificate for them step by step with scanned documents, records the fee and its receipt,
prints the acknowledgement, and finds the application in the centre's list.

Every page visited is screenshotted (var/test-artifacts/screenshots/) and checked by
axe-core for WCAG 2.1 A and AA."""

from __future__ import annotations

import copy
import re
import urllib.parse

from .browser import artefact_path
from .citizen import fill, form_schema, press_continue, sms_code
from .officer import audit_workspace, sign_in_officer
from .test_citizen_journey import answers_and_files, step_ids

OPERATOR = "operator.ambala"
# A number no other browser test uses: a number may be sent a code once a minute.
CITIZEN_MOBILE = "9812300088"
CITIZEN_NAME = "Santosh Devi"
RECEIPT = "SK-AMB/2026/0101"
SERVICE_CHARGE = 30  # rupees: the income certificate is free, the counter charges for its work


def path(page) -> str:
    return urllib.parse.urlsplit(page.url).path


def click_and_wait(page, locator) -> None:
    with page.expect_navigation():
        locator.click()


def test_an_operator_files_for_a_citizen_at_the_counter_and_prints_the_acknowledgement(page):
    sign_in_officer(page, OPERATOR)

    # --- The "Assisted filing" menu, shown to the operator -----------------------------
    page.get_by_role("button", name="Assisted filing").click()
    click_and_wait(page, page.get_by_role("link", name="File for a citizen"))
    assert path(page) == "/admin/assisted/", page.url
    audit_workspace(page, "start")

    # --- The citizen's mobile, the service, and the code they read out ------------------
    page.fill("#id_mobile", CITIZEN_MOBILE)
    page.select_option("#id_service", "income-certificate")
    page.check("#id_language_0")  # English SMS
    click_and_wait(page, page.get_by_role("button", name="Send the code"))
    assert re.fullmatch(r"/admin/assisted/[0-9a-f-]+/consent/", path(page)), page.url
    audit_workspace(page, "consent")
    assert "98XXXXXX88" in page.inner_text("main")
    code = sms_code(page, CITIZEN_MOBILE, language="en")
    page.fill("#id_code", code)
    click_and_wait(page, page.get_by_role("button", name="Confirm the code"))

    # --- The form, step by step, with the scans ----------------------------------------
    schema = form_schema("revenue/income_certificate.json")
    data = copy.deepcopy(schema["examples"][0])
    data["applicant"]["full_name"] = CITIZEN_NAME
    data["applicant"]["mobile"] = CITIZEN_MOBILE
    data["family_members"] = data["family_members"][:2]
    data["family_members"][0]["name"] = CITIZEN_NAME
    for step, fields in step_ids(schema):
        assert path(page).endswith(f"/step/{step}/"), page.url
        # The mobile that consented is filled in already.
        if step == "applicant":
            assert page.input_value("#f-applicant-mobile") == CITIZEN_MOBILE
        answers, files = answers_and_files(schema, data, fields)
        fill(page, answers, files)
        audit_workspace(page, f"step-{step}")
        press_continue(page)

    # --- Check, the fee and its receipt, file ------------------------------------------
    assert path(page).endswith("/check/"), page.url
    audit_workspace(page, "check")
    main = page.inner_text("main")
    assert CITIZEN_NAME in main and "XXXXXXXX0124" in main
    page.fill("#id_fee_amount", str(SERVICE_CHARGE))
    page.fill("#id_fee_receipt_number", RECEIPT)
    page.check("#id_language_1")  # Hindi SMS
    click_and_wait(page, page.get_by_role("button", name="File the application"))

    # --- The acknowledgement, printed -------------------------------------------------
    assert re.fullmatch(r"/admin/assisted/filed/[A-Z0-9-]+/", path(page)), page.url
    audit_workspace(page, "acknowledgement")
    reference = page.inner_text(".reference").strip()
    assert re.fullmatch(r"HR-REV-INC-\d{4}-\d{6}", reference), reference
    slip = page.inner_text(".c-ack-box")
    for shown in (
        "Income certificate",
        CITIZEN_NAME,
        "Saral Kendra, Ambala (centre SK-AMB-AMB)",
        "Pardeep Saini",
        f"Rs {SERVICE_CHARGE}, receipt {RECEIPT}",
    ):
        assert shown in slip, shown
    assert re.search(r"To be decided by\s+\d{2}-\d{2}-\d{4}", slip), slip
    assert page.is_visible("[data-print]")  # revealed by the page's script
    page.emulate_media(media="print")
    assert not page.is_visible("#wagtail-sidebar")
    assert not page.is_visible("[data-print]")
    assert page.is_visible(".reference")
    page.screenshot(
        path=str(artefact_path(page, "acknowledgement-print.png")), full_page=True, caret="initial"
    )
    page.pdf(path=str(artefact_path(page, "acknowledgement.pdf")))
    page.emulate_media(media="screen")

    # --- The centre's list -----------------------------------------------------------
    click_and_wait(page, page.get_by_role("link", name="Applications filed at this centre"))
    assert path(page) == "/admin/assisted/filed/", page.url
    audit_workspace(page, "filed")
    row = page.locator(f"tr[data-reference='{reference}']")
    assert row.count() == 1
    assert CITIZEN_NAME in row.inner_text() and RECEIPT in row.inner_text()
