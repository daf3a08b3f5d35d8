"""Officers at work in the staff workspace, in a real browser, with a citizen in between.

Files for income certificates are filed beforehand straight into the server's database,
back-dated so that the tehsildar's queue holds one past its deadline, one due within a
working day and one within time. The tehsildar of Ambala sees them in deadline order with
their colours, opens the overdue one, views a document and returns it for a correction;
the citizen signs in on the portal, replaces the document and sends it back; the clerk
forwards it, the patwari reports on it and the tehsildar approves it. Then the tehsildar of
Hisar approves three files of his own queue at once.

Every page visited is screenshotted (var/test-artifacts/screenshots/) and checked by
axe-core for WCAG 2.1 A and AA: the workspace's pages and Wagtail's sign-in page as much as
the portal's.
"""

from __future__ import annotations

from pathlib import Path

from tests.helpers import PDF_BYTES

from .browser import audit
from .citizen import press_continue, sign_in
from .officer import (
    audit_workspace,
    open_application,
    open_queue,
    parse_prepared,
    queue_counts,
    queue_rows,
    sign_in_officer,
    summary_value,
    take_action,
)

PREPARE = "from tests.system.officer import prepare_files; prepare_files()"
# The applicant of the file that is returned: the demo citizen Rakesh Kumar. (The citizen
# journey signs in as the other demo citizen; a number may ask for a code once a minute.)
CITIZEN_MOBILE = "9876501234"
COLOUR_LABELS = {
    "within": "Within time",
    "due_soon": "Due within a working day",
    "breached": "Past the deadline",
}
URGENCY = ["breached", "due_soon", "within"]
PHONE = {"width": 360, "height": 740}  # the citizen's, as in the citizen journey
RETURN_REMARKS = "The income proof carries no signature of the issuing authority."
CORRECTION = "Upload the income proof signed and stamped by the issuing authority."
SIGNED_PROOF = {
    "name": "income-proof-signed.pdf",
    "mimeType": "application/pdf",
    "buffer": PDF_BYTES,
}


def test_officers_return_a_file_approve_it_when_corrected_and_approve_three_at_once(
    page, site_manage
):
    prepared = parse_prepared(site_manage("shell", "-c", PREPARE))
    overdue = prepared["ambala"][0]

    # --- The tehsildar of Ambala: the queue, most urgent first, coloured -------------
    sign_in_officer(page, "tehsildar.ambala")
    open_queue(page)
    rows = queue_rows(page)
    assert [row.reference for row in rows] == prepared["ambala"], rows
    assert [row.stage_due for row in rows] == sorted(row.stage_due for row in rows)
    assert [row.colour for row in rows] == URGENCY
    for row in rows:
        assert row.tag_class == f"q-{row.colour}", row
        assert row.tag_label == COLOUR_LABELS[row.colour], row
    backgrounds = page.locator("tbody .q-tag").evaluate_all(
        "tags => tags.map(t => getComputedStyle(t).backgroundColor)"
    )
    assert len(set(backgrounds)) == 3, backgrounds
    assert queue_counts(page) == {
        colour: (label, sum(row.colour == colour for row in rows))
        for colour, label in COLOUR_LABELS.items()
    }

    # The count of overdue files is a link to them alone.
    with page.expect_navigation():
        page.click(".q-counts a.q-breached")
    audit_workspace(page, "queue-past-the-deadline")
    assert [row.reference for row in queue_rows(page)] == [overdue]

    # --- The overdue file: its answers, a document, and back to the citizen ------------
    open_application(page, overdue, "application-overdue")
    assert summary_value(page, "Stage") == "Awaiting tehsildar's decision"
    assert summary_value(page, "Applicant").startswith("Rakesh Kumar, mobile 9876501234")
    assert "Visited the house" in page.inner_text("section[aria-labelledby='history-title']")

    proof = page.get_by_role("link", name="income-proof.pdf", exact=True)
    proof_url = proof.get_attribute("href")
    with page.expect_download() as download:
        proof.click()
    assert download.value.suggested_filename == "income-proof.pdf"
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")
    served = page.request.get(proof_url)
    assert served.status == 200
    assert served.headers["content-type"] == "application/pdf"
    assert served.headers["x-content-type-options"] == "nosniff"
    photo = page.request.get(page.get_by_role("link", name="photo.png").get_attribute("href"))
    assert photo.headers["content-type"] == "image/png"
    assert photo.body().startswith(b"\x89PNG")

    take_action(
        page,
        "return_for_correction",
        remarks=RETURN_REMARKS,
        inputs={"correction_needed": CORRECTION},
    )
    assert page.url.endswith("/admin/queue/"), page.url
    audit_workspace(page, "queue-after-return")
    assert f"{overdue}: done." in page.inner_text("body")
    assert overdue not in [row.reference for row in queue_rows(page)]

    # --- The citizen corrects the application on the portal ------------------------
    page.context.clear_cookies()
    page.set_viewport_size(PHONE)
    sign_in(page, CITIZEN_MOBILE, language="en")
    with page.expect_navigation():
        page.click(f"a[href='/my/{overdue}/']")
    audit(page, "citizen-returned-application", language="en")
    assert "Returned to you for correction" in page.inner_text("main")
    assert RETURN_REMARKS in page.inner_text(".timeline")
    with page.expect_navigation():
        page.click(f"form[action='/my/{overdue}/correct/'] button[type=submit]")
    steps = []
    while not page.url.endswith("/check/"):
        step = page.url.rstrip("/").rsplit("/", 1)[-1]
        assert step not in steps, f"stuck on the {step} step: {page.inner_text('main')}"
        steps.append(step)
        audit(page, f"citizen-correct-{step}", language="en")
        if step == "documents":
            page.set_input_files("input[type=file][name='documents.income_proof']", SIGNED_PROOF)
        press_continue(page)
    audit(page, "citizen-correct-check", language="en")
    assert "income-proof-signed.pdf" in page.inner_text("main")
    with page.expect_navigation():
        page.click("main form button[type=submit]:not([formnovalidate])")
    assert page.url.endswith(f"/my/{overdue}/"), page.url
    audit(page, "citizen-sent-back", language="en")
    assert "Documents being checked" in page.inner_text("main")

    # --- The clerk forwards it; the patwari reports on it ------------------------------
    sign_in_officer(page, "clerk.ambala")
    open_queue(page, "clerk-queue")
    assert overdue in [row.reference for row in queue_rows(page)]
    open_application(page, overdue, "clerk-application")
    assert summary_value(page, "Stage") == "Documents being checked"
    assert page.get_by_role("link", name="income-proof-signed.pdf").count() == 1
    assert "Send back with corrections" in page.inner_text(
        "section[aria-labelledby='history-title']"
    )
    take_action(page, "forward_for_verification")
    audit_workspace(page, "clerk-queue-after-forward")

    sign_in_officer(page, "patwari.ambala")
    open_queue(page, "patwari-queue")
    open_application(page, overdue, "patwari-application")
    take_action(
        page,
        "submit_verification_report",
        remarks="Saw the signed income proof and the family again; all correct.",
        inputs={"facts_verified": True, "verified_annual_income": 180000},
    )
    audit_workspace(page, "patwari-queue-after-report")

    # --- The tehsildar approves it ---------------------------------------------------
    sign_in_officer(page, "tehsildar.ambala")
    open_queue(page, "queue-corrected-file-back")
    assert overdue in [row.reference for row in queue_rows(page)]
    open_application(page, overdue, "application-corrected")
    assert summary_value(page, "Stage") == "Awaiting tehsildar's decision"
    take_action(page, "approve", remarks="Income certificate issued.")
    audit_workspace(page, "queue-after-approval")
    assert overdue not in [row.reference for row in queue_rows(page)]
    page.goto(f"/admin/queue/{overdue}/")
    audit_workspace(page, "application-approved")
    assert summary_value(page, "Stage") == "Certificate issued"
    assert "You have no action on this application now." in page.inner_text("main")

    # --- The tehsildar of Hisar approves three files at once -------------------------
    sign_in_officer(page, "tehsildar.hisar")
    # Another district's officer cannot fetch Ambala's documents.
    assert page.request.get(proof_url).status == 404
    open_queue(page, "hisar-queue")
    assert [row.reference for row in queue_rows(page)] == prepared["hisar"]
    chosen, left = prepared["hisar"][:3], prepared["hisar"][3:]
    for reference in chosen:
        page.check(f"#select-{reference}")
    page.select_option("#bulk-action", "approve")
    page.fill("#bulk-remarks", "Verified by the patwari; certificates issued.")
    with page.expect_navigation():
        page.get_by_role("button", name="Apply to the selected").click()
    assert page.url.endswith("/admin/queue/bulk/"), page.url
    audit_workspace(page, "bulk-result")
    results = {
        row.locator("td").nth(0).inner_text(): (
            row.get_attribute("data-ok"),
            row.locator("td").nth(1).inner_text(),
        )
        for row in page.locator("table.q-table tbody tr").all()
    }
    assert results == dict.fromkeys(chosen, ("yes", "Done"))
    with page.expect_navigation():
        page.get_by_role("link", name="Back to my queue").click()
    audit_workspace(page, "hisar-queue-after-bulk")
    assert [row.reference for row in queue_rows(page)] == left
    for reference in chosen:
        page.goto(f"/admin/queue/{reference}/")
        audit_workspace(page, f"approved-{reference}")
        assert summary_value(page, "Stage") == "Certificate issued", reference
