"""A department admin puts a brand-new service online in the admin, in a real browser, with no
file written and no code changed: a land-record copy service with a form of nine fields (one
shown only for one answer, one a file upload), the three-state workflow it starts with, a
5-working-day RTS timeline and an SMS on approval. The admin previews the form in Hindi and
sends it for review; the department's approver publishes it; a citizen applies on the
portal; the tehsildar approves; the citizen gets the SMS. axe-core checks every admin screen
the builder adds, and the preview as a citizen would see it. The scripted admin's time is
printed and kept with the test's artefacts."""

from __future__ import annotations

import re
import time

from .browser import artefact_path, audit
from .citizen import fill, press_continue, sign_in, upload
from .officer import audit_workspace, open_application, open_queue, sign_in_officer, take_action

CODE = "land-record-copy"
CITIZEN_MOBILE = "9812300077"  # a citizen who has never signed in before
APPROVED_SMS = {
    "en": ("1107161234500009901", "Your copy of the land record for {#var#} is approved. -HRSEVA"),
    "hi": ("1107161234500009902", "आवेदन {#var#} की भूमि रिकॉर्ड प्रति स्वीकृत हुई। -HRSEVA"),
}


def _save(page, button: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()


def _blank_row(page, legend: str, nth: int = 0) -> str:
    """The form-set prefix ("fields-5") of the n-th empty row, those titled `legend`."""
    rows = page.locator(f"fieldset:has(> legend:text-is('{legend}'))")
    name = (
        rows.nth(nth)
        .locator("input[name$='-name'], input[name$='-event']")
        .first.get_attribute("name")
    )
    return name.rsplit("-", 1)[0]


def _add_field(
    page, name, kind, en, hi, *, step=2, required=True, choices="", show_when=None
) -> None:
    row = _blank_row(page, "Add a field")
    page.fill(f"#id_{row}-name", name)
    page.select_option(f"#id_{row}-kind", kind)
    page.fill(f"#id_{row}-label_en", en)
    page.fill(f"#id_{row}-label_hi", hi)
    page.set_checked(f"#id_{row}-required", required)
    page.fill(f"#id_{row}-step", str(step))
    if choices:
        page.fill(f"#id_{row}-choices", choices)
    if show_when:
        page.fill(f"#id_{row}-show_when_field", show_when[0])
        page.fill(f"#id_{row}-show_when_value", show_when[1])
    _save(page, "Save the form")
    assert page.locator(".messages .success, .messages li.success").count(), page.inner_text("main")


def _row_of(page, attribute: str, value: str) -> str:
    name = page.locator(
        f"fieldset[{attribute}='{value}'] input[name$='-code'], "
        f"fieldset[{attribute}='{value}'] input[name$='-name']"
    ).first.get_attribute("name")
    return name.rsplit("-", 1)[0]


def test_a_department_admin_builds_a_service_a_citizen_applies_and_an_officer_approves(page):
    started = time.perf_counter()

    # --- The admin starts a new service ------------------------------------------------
    sign_in_officer(page, "admin.revenue")
    with page.expect_navigation():
        page.get_by_role("link", name="Services").first.click()
    with page.expect_navigation():
        page.get_by_role("link", name="Import a service from its files").click()
    audit_workspace(page, "builder-import")
    page.go_back()
    with page.expect_navigation():
        page.get_by_role("link", name="New service").click()
    audit_workspace(page, "builder-new-service")
    page.fill("#id_code", CODE)
    page.fill("#id_reference_code", "LRC")
    page.fill("#id_name_en", "Certified copy of land record")
    page.fill("#id_name_hi", "भूमि रिकॉर्ड की प्रमाणित प्रति")
    page.select_option("#id_processing_level", "tehsil")
    page.fill("#id_rts_days", "5")
    page.select_option("#id_designated_officer", "tehsildar")
    page.select_option("#id_first_appellate_authority", "sdm")
    page.select_option("#id_second_appellate_authority", "deputy_commissioner")
    _save(page, "Create the draft")
    assert re.search(r"/admin/services/drafts/\d+/$", page.url), page.url
    audit_workspace(page, "builder-draft")
    draft_url = page.url

    # --- The form: a step of its own and five more fields --------------------------------
    with page.expect_navigation():
        page.get_by_role("link", name="Form", exact=True).click()
    audit_workspace(page, "builder-form")
    page.fill(
        "#id_steps",
        "About you | आपके बारे में\nLand and purpose | भूमि और उद्देश्य\nDeclaration | घोषणा",
    )
    page.fill(f"#id_{_row_of(page, 'data-field', 'declaration')}-step", "3")
    # A first try without the Hindi label: refused, the message beside that input.
    row = _blank_row(page, "Add a field")
    page.fill(f"#id_{row}-name", "khasra_number")
    page.fill(f"#id_{row}-label_en", "Khasra number")
    page.fill(f"#id_{row}-step", "2")
    _save(page, "Save the form")
    beside = page.locator(f".w-field__wrapper:has(#id_{row}-label_hi) .error-message")
    assert "Hindi (hi)" in beside.inner_text(), page.inner_text("main")
    audit_workspace(page, "builder-form-refused")
    page.fill(f"#id_{row}-label_hi", "खसरा संख्या")
    _save(page, "Save the form")
    _add_field(page, "copies", "number", "Number of copies", "प्रतियों की संख्या")
    _add_field(
        page,
        "purpose",
        "choice",
        "What is the copy for?",
        "प्रति किस लिए चाहिए?",
        choices="loan | Bank loan | बैंक ऋण\ncourt | Court case | न्यायालय का मामला\nother | Other | अन्य",
    )
    _add_field(
        page,
        "purpose_other",
        "text",
        "Please describe the purpose",
        "कृपया उद्देश्य बताएँ",
        show_when=("purpose", "other"),
    )
    _add_field(page, "jamabandi", "file", "Last jamabandi you hold", "आपके पास की अंतिम जमाबंदी")
    assert page.locator("fieldset[data-field]").count() >= 9
    audit_workspace(page, "builder-form-built")

    # --- The workflow: an SMS when approved, and its template in both languages ---------
    with page.expect_navigation():
        page.get_by_role("link", name="Workflow", exact=True).click()
    audit_workspace(page, "builder-workflow")
    assert page.locator(".s-diagram svg").count() == 1
    assert page.input_value(f"#id_{_row_of(page, 'data-state', 'pending')}-sla_days") == "5"
    page.fill(f"#id_{_row_of(page, 'data-state', 'approved')}-sms_on_enter", "approved")
    _save(page, "Save the workflow")
    assert "1 problem" in page.inner_text(".messages"), page.inner_text(".messages")

    with page.expect_navigation():
        page.get_by_role("link", name="SMS templates").click()
    audit_workspace(page, "builder-sms")
    for nth, (language, (template_id, text)) in enumerate(APPROVED_SMS.items()):
        row = _blank_row(page, "Add a template", nth)
        page.fill(f"#id_{row}-event", "approved")
        page.select_option(f"#id_{row}-language", language)
        page.fill(f"#id_{row}-dlt_template_id", template_id)
        page.fill(f"#id_{row}-text", text)
        page.fill(f"#id_{row}-variables", "reference")
    _save(page, "Save the SMS templates")
    assert "No problems found" in page.inner_text(".messages"), page.inner_text(".messages")

    with page.expect_navigation():
        page.get_by_role("link", name="Details", exact=True).click()
    audit_workspace(page, "builder-details")
    assert page.input_value("#id_rts_days") == "5"
    assert page.input_value("#id_rts_day_type") == "working"

    # --- Preview in Hindi, then the dry run ---------------------------------------------
    with page.expect_navigation():
        page.get_by_role("link", name="Preview").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Hindi").click()
    audit(page, "builder-preview-hi", language="hi")
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("भूमि और उद्देश्य")).click()
    audit(page, "builder-preview-hi-land", language="hi")
    assert page.get_by_label("खसरा संख्या").count() == 1
    page.goto(draft_url)
    with page.expect_navigation():
        page.get_by_role("link", name="Dry run").click()
    audit_workspace(page, "builder-dry-run")
    assert "approved" in page.inner_text("main")

    # --- Sent for review -----------------------------------------------------------------
    page.goto(draft_url)
    assert page.locator(".s-ok").count(), page.inner_text("main")
    _save(page, "Send to the approver for review")
    audit_workspace(page, "builder-in-review")
    admin_seconds = time.perf_counter() - started
    artefact_path(page, "service-builder-time.txt").write_text(f"{admin_seconds:.1f} s\n")
    print(f"\nscripted department admin built the service in {admin_seconds:.1f} s")

    # --- The approver publishes ----------------------------------------------------------
    sign_in_officer(page, "approver.revenue")
    page.goto(draft_url)
    audit_workspace(page, "builder-review")
    _save(page, "Publish")
    assert page.url.endswith(f"/admin/services/{CODE}/"), page.url
    assert "Published as v1" in page.inner_text(".messages")
    audit_workspace(page, "builder-published")

    # --- A citizen applies ---------------------------------------------------------------
    page.context.clear_cookies()
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, CITIZEN_MOBILE, language="en")
    page.goto(f"/apply/{CODE}/")
    fill(
        page,
        {
            "full_name": "Savitri Devi",
            "mobile": CITIZEN_MOBILE,
            "address.house": "House 7",
            "address.village_or_ward": "Babyal",
            "address.tehsil": "HR-AMB-AMB-AMB",
            "address.pincode": "133005",
        },
    )
    press_continue(page)
    audit(page, "builder-apply-land", language="en")
    purpose_other = page.locator("[name='purpose_other']")
    page.select_option("[name='purpose']", "other")
    assert purpose_other.is_visible()
    fill(
        page,
        {"khasra_number": "112/4", "copies": 2, "purpose_other": "Partition of the family land"},
        {"jamabandi": upload(["application/pdf"])},
    )
    press_continue(page)
    fill(page, {"declaration": True})
    press_continue(page)
    assert page.url.endswith("/check/"), page.url
    with page.expect_navigation():
        page.click("main form button[type=submit]:not([formnovalidate])")
    reference = page.inner_text(".reference").strip()
    assert reference.startswith("HR-REV-LRC-"), reference

    # --- The tehsildar approves; the citizen gets the SMS ---------------------------------
    sign_in_officer(page, "tehsildar.ambala")
    open_queue(page, "builder-queue")
    open_application(page, reference, "builder-application")
    take_action(page, "approve")
    assert f"{reference}: done" in page.inner_text("main"), page.inner_text("main")
    page.context.clear_cookies()
    box = page.context.new_page()
    box.goto("/demo/sms/")
    box.fill("#mobile", CITIZEN_MOBILE)
    with box.expect_navigation():
        box.press("#mobile", "Enter")
    assert f"land record for {reference} is approved" in box.inner_text(".sms-table"), (
        box.inner_text(".sms-table")
    )
    box.close()


def test_the_state_admin_changes_a_published_service_and_sees_the_sms_settings(page):
    """The other screens this issue adds: a draft of a published service with its changes
    from the version it started from, and the state's SMS settings."""
    sign_in_officer(page, "admin")
    page.goto("/admin/services/income-certificate/")
    _save(page, "Change this service")
    assert re.search(r"/admin/services/drafts/\d+/$", page.url), page.url
    assert "Starts from" in page.inner_text("main") and "v1" in page.inner_text("main")
    with page.expect_navigation():
        page.get_by_role("link", name="Details", exact=True).click()
    page.fill("#id_rts_days", "12")
    _save(page, "Save the details")
    with page.expect_navigation():
        page.get_by_role("link", name="Overview and publishing").click()
    assert "Changes from v1" in page.inner_text("main")
    assert page.locator(".s-diff .s-add").count() >= 1
    audit_workspace(page, "builder-draft-changes")
    _save(page, "Discard the draft")
    page.goto("/admin/settings/notifications/smssettings/")
    audit_workspace(page, "sms-settings")
    assert page.locator("#id_sender_header").count() == 1


def test_the_state_admin_changes_a_fee_in_the_fees_editor(page):
    """The fees editor: a fee's amount as an expression naming no field of the form is
    refused with the reason beside it; a good one is saved."""
    sign_in_officer(page, "admin")
    page.goto("/admin/services/marriage-registration/")
    _save(page, "Change this service")
    with page.expect_navigation():
        page.get_by_role("link", name="Fees", exact=True).click()
    audit_workspace(page, "builder-fees")
    row = _row_of(page, "data-fee", "registration_fee")
    assert page.input_value(f"#id_{row}-amount") == "data.registration_fee"
    page.fill(f"#id_{row}-amount", "data.area_sq_m <= 100 ? 500 : 1000")
    _save(page, "Save the fees")
    beside = page.locator(f".w-field__wrapper:has(#id_{row}-amount) .error-message")
    assert "area_sq_m" in beside.inner_text(), page.inner_text("main")
    audit_workspace(page, "builder-fees-refused")
    page.fill(f"#id_{row}-amount", "data.registration_fee + 10")
    _save(page, "Save the fees")
    assert page.locator(".messages .success, .messages li.success").count(), page.inner_text("main")
    with page.expect_navigation():
        page.get_by_role("link", name="Overview and publishing").click()
    _save(page, "Discard the draft")
