"""A fee paid online, in a real browser, against the demo's fake payment gateway on loopback
(the `site_gateway` fixture, which the server is pointed at): the citizen applies for a
marriage registration, whose fee is due with the application, presses "Pay" on the
acknowledgement, pays on the gateway's own page and comes back to the acknowledgement with
the receipt; the revenue clerk sees the fee paid on the file. A second application's payment
fails first; the citizen comes back to the application with the fee still due and pays again.

The amount on the gateway's page is the one Seva showed. Seva's pages are screenshotted and
checked by axe-core as in every journey; the gateway's page is screenshotted but not checked
(it is not Seva's), and the requests that go to it are the only ones allowed to leave Seva.
Going there is itself a check of the page's Content-Security-Policy: a form posted to Seva and
redirected to the gateway is governed by `form-action`, which the pages offering "Pay" widen
to the gateway's origin (seva.portal.payments.allow_paying_from)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import urllib.parse
from decimal import Decimal

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from seva.documents.pdf import extract_text

from .browser import artefact_path, audit, csp_violations
from .citizen import fill, form_schema, press_continue, sign_in, switch_language
from .officer import open_application, open_queue, sign_in_officer, summary_value
from .test_citizen_journey import answers_and_files, step_ids

# Citizens of this test's own: a number may ask for a sign-in code only once a minute, and
# the other journeys sign in the demo citizens.
MOBILE = "9812300471"
MOBILE_RETRYING = "9812300472"
FEE = "registration_fee"
# 200 days before the application: the fee is Rs 200 (within a year of the marriage).
DAYS_MARRIED = 200
FEE_PAISE = 20_000
PREPARE = (
    "from tests.system.test_payments import prepare_application; "
    f"prepare_application({MOBILE_RETRYING!r})"
)


def path(page) -> str:
    return urllib.parse.urlsplit(page.url).path


def paise(text: str) -> int:
    """ "Rs 1,250.50", "₹ 200.00" or "Pay Rs 200 online" -> paise."""
    match = re.search(r"(?:Rs|₹)\s*([0-9][0-9,]*(?:\.[0-9]{2})?)", text)
    assert match, f"no amount in {text!r}"
    return int(Decimal(match.group(1).replace(",", "")) * 100)


def marriage_data(mobile: str) -> dict:
    """The form's example, for `mobile`, married DAYS_MARRIED days ago in Ambala."""
    data = copy.deepcopy(form_schema("revenue/marriage_registration.json")["examples"][0])
    data["applicant"]["mobile"] = mobile
    married_on = dt.date.today() - dt.timedelta(days=DAYS_MARRIED)
    data["marriage"]["date_of_marriage"] = married_on.isoformat()
    data["marriage"]["tehsil"] = "HR-AMB-AMB-AMB"
    return data


# ------------------------------------------------------------------------------
# On the server's side (manage.py shell)
# ------------------------------------------------------------------------------
def prepare_application(mobile: str) -> None:
    """A marriage registration filed by the citizen with `mobile`, waiting for its fee.
    Prints its reference."""
    from seva.applications.services import application_submit
    from seva.citizens.services import citizen_for_mobile
    from seva.definitions.models import Service
    from tests.helpers import example_with_documents

    citizen = citizen_for_mobile(mobile=mobile)
    service = Service.objects.get(code="marriage-registration")
    data = example_with_documents(service, citizen, marriage_data(mobile))
    application = application_submit(service=service, data=data, applicant=citizen)
    assert application.state == "payment", application.state
    print(json.dumps({"reference": application.reference}))


# ------------------------------------------------------------------------------
# In the browser
# ------------------------------------------------------------------------------
def fee_panel(page):
    return page.locator(f"#fee-{FEE}")


def pay_button(page):
    return fee_panel(page).locator(f"form[action$='/fees/{FEE}/pay/'] button")


def leave_for_gateway(page, gateway) -> tuple[str, int]:
    """Press the fee's "Pay ... online" and land on the gateway's payment page; answer the
    gateway's order and the amount it asks for. Seva's page has been audited before."""
    try:
        with page.expect_navigation(url=re.compile(re.escape(gateway.url) + r"/pay/")):
            pay_button(page).click()
    except PlaywrightTimeout:
        raise AssertionError(
            f"the browser did not reach the gateway from {page.url}; blocked by the page's "
            f"policy: {csp_violations(page)}"
        ) from None
    assert not (blocked := csp_violations(page)), blocked
    # Screenshotted in the sequence of Seva's pages (browser.audit), but not audited.
    page.seva_screenshots = count = getattr(page, "seva_screenshots", 0) + 1
    page.screenshot(path=str(artefact_path(page, f"{count:02d}-gateway.png")), full_page=True)
    only_gateway_was_visited(page, gateway)
    order_id = urllib.parse.unquote(path(page).removeprefix("/pay/"))
    return order_id, paise(page.inner_text(".amount"))


def choose_on_gateway(page, gateway, outcome: str) -> None:
    """Press one of the gateway page's buttons; the gateway calls Seva back and sends the
    browser to Seva's return address, which sends it on to the citizen's own page."""
    with page.expect_navigation(url=re.compile(r"/my/")):
        page.click(f"button[name=outcome][value={outcome}]")
    only_gateway_was_visited(page, gateway)


def only_gateway_was_visited(page, gateway) -> None:
    """The requests that left Seva went to the gateway, and nowhere else: forgotten, so that
    the next audit of a Seva page sees what came after."""
    outside = list(page.context.seva_outside)
    page.context.seva_outside.clear()
    strangers = [url for url in outside if not url.startswith(gateway.url + "/")]
    assert not strangers, (
        f"requests left the site for somewhere other than the gateway: {strangers}"
    )


def fee_status(page) -> str:
    return fee_panel(page).locator("dl.summary div:nth-child(2) dd").inner_text().strip()


def receipt_pdf(page, link) -> bytes:
    """The receipt the link points at, fetched in the citizen's session."""
    answer = page.request.get(link.get_attribute("href"))
    assert answer.status == 200, (answer.status, answer.text()[:300])
    assert answer.headers["content-type"] == "application/pdf", answer.headers
    assert answer.body().startswith(b"%PDF-")
    return answer.body()


def test_the_citizen_pays_the_fee_online_and_the_clerk_sees_it_paid(page, site_gateway):
    gateway = site_gateway
    language = "en"
    sign_in(page, MOBILE, language=language)

    # --- The application, step by step ------------------------------------------------
    schema = form_schema("revenue/marriage_registration.json")
    data = marriage_data(MOBILE)
    page.goto("/apply/marriage-registration/")
    for step, fields in step_ids(schema):
        assert path(page).endswith(f"/{step}/"), page.url
        audit(page, f"apply-{step}", language=language)
        # The days since the marriage and the fee are the server's to work out.
        fields = [f for f in fields if f not in ("days_since_marriage", "registration_fee")]
        answers, files = answers_and_files(schema, data, fields)
        fill(page, answers, files)
        press_continue(page)
    assert path(page).endswith("/check/"), page.url
    audit(page, "apply-check", language=language)
    with page.expect_navigation():
        page.click("main form button[type=submit]:not([formnovalidate])")

    # --- The acknowledgement: the fee to pay, and a button to pay it ----------------
    assert re.search(r"/my/[A-Z0-9-]+/acknowledgement/$", path(page)), page.url
    audit(page, "acknowledgement-fee-due", language=language)
    reference = page.inner_text(".reference").strip()
    assert fee_status(page) == "To be paid", fee_panel(page).inner_text()
    button = pay_button(page).inner_text().strip()
    assert button == "Pay Rs 200 online", button
    shown = paise(fee_panel(page).locator("dl.summary div:first-child dd").inner_text())
    assert shown == paise(button) == FEE_PAISE

    # --- The gateway's page asks for Seva's amount; paid -------------------------------
    order_id, asked = leave_for_gateway(page, gateway)
    assert asked == shown
    assert reference in page.inner_text("dl")  # what the payment is for
    choose_on_gateway(page, gateway, "success")
    # The gateway's signed callback reached Seva, server to server, and was accepted.
    callbacks = [c for c in gateway.callbacks() if c["order_id"] == order_id]
    assert [(c["answer_status"], c["answer"]) for c in callbacks] == [(200, "OK")], callbacks

    # --- Back on the acknowledgement, with the receipt -------------------------------
    assert path(page) == f"/my/{reference}/acknowledgement/", page.url
    audit(page, "acknowledgement-paid", language=language)
    notice = page.inner_text(".notice-success")
    receipt = re.search(r"Receipt (\S+?)\.?$", notice.strip())
    assert receipt, notice
    receipt = receipt.group(1)
    assert fee_status(page).startswith("Paid"), fee_panel(page).inner_text()
    assert receipt in fee_status(page)
    assert not pay_button(page).count()
    link = fee_panel(page).get_by_role("link", name=receipt)
    pdf = receipt_pdf(page, link)
    artefact_path(page, "receipt.pdf").write_bytes(pdf)
    text = extract_text(pdf)
    assert receipt in text and reference in text and "Rs 200" in text, text

    # The application has moved on, out of the citizen's hands.
    with page.expect_navigation():
        page.click(f"a[href='/my/{reference}/']")
    audit(page, "my-application-paid", language=language)
    assert "Documents being checked" in page.inner_text(".panel")

    # --- The revenue clerk of the tehsil: the file, with its fee paid -----------------
    sign_in_officer(page, "clerk.ambala")
    open_queue(page)
    open_application(page, reference, "file-paid")
    assert summary_value(page, "Stage") == "Documents being checked"
    row = page.locator(f"table[data-fees] tr[data-fee='{FEE}']")
    assert row.get_attribute("data-status") == "paid", row.inner_text()
    cells = row.locator("td").all_inner_texts()
    assert paise("Rs " + cells[1]) == FEE_PAISE, cells
    assert "Paid" in cells[3] and receipt in cells[3], cells


def test_a_failed_payment_leaves_the_fee_due_and_the_citizen_pays_again(
    page, site_gateway, site_manage
):
    gateway = site_gateway
    language = "en"
    output = site_manage("shell", "-c", PREPARE)
    reference = json.loads(output.strip().splitlines()[-1])["reference"]

    sign_in(page, MOBILE_RETRYING, language=language)
    audit(page, "my-applications", language=language)
    with page.expect_navigation():
        page.click(f"a[href='/my/{reference}/']")
    audit(page, "my-application-fee-due", language=language)
    assert fee_status(page) == "To be paid"
    shown = paise(pay_button(page).inner_text())
    assert shown == FEE_PAISE

    # --- The payment fails at the gateway ---------------------------------------------
    failed_order, asked = leave_for_gateway(page, gateway)
    assert asked == shown
    choose_on_gateway(page, gateway, "failure")
    assert path(page) == f"/my/{reference}/", page.url
    audit(page, "my-application-payment-failed", language=language)
    error = page.inner_text(".notice-error")
    assert "did not go through" in error, error
    assert fee_status(page) == "To be paid"
    assert "Waiting for the registration fee" in page.inner_text(".panel")
    attempts = fee_panel(page).locator("table.payments tbody tr")
    assert attempts.count() == 1
    assert not fee_panel(page).locator("table.payments a").count()  # no receipt
    # The same page in Hindi offers to pay again too.
    switch_language(page, "hi")
    audit(page, "my-application-payment-failed-hi", language="hi")
    assert pay_button(page).count() == 1
    switch_language(page, language)

    # --- Paid on the second try, as another order ------------------------------------
    paid_order, asked = leave_for_gateway(page, gateway)
    assert asked == shown and paid_order != failed_order
    choose_on_gateway(page, gateway, "success")
    assert path(page) == f"/my/{reference}/acknowledgement/", page.url
    audit(page, "acknowledgement-paid-on-retry", language=language)
    assert "Payment received" in page.inner_text(".notice-success")
    assert fee_status(page).startswith("Paid")

    with page.expect_navigation():
        page.click(f"a[href='/my/{reference}/']")
    audit(page, "my-application-paid-on-retry", language=language)
    assert "Documents being checked" in page.inner_text(".panel")
    assert not pay_button(page).count()
    attempts = fee_panel(page).locator("table.payments tbody tr")
    assert attempts.count() == 2
    receipts = fee_panel(page).locator("table.payments a")
    assert receipts.count() == 1
    receipt = receipts.first.inner_text().strip()
    assert receipt in extract_text(receipt_pdf(page, receipts.first))
    # Each attempt was an order of its own at the gateway, for the same amount.
    orders = {o["order_id"]: o for o in gateway.log()["orders"]}
    assert orders[failed_order]["status"] == "failure"
    assert orders[paid_order]["status"] == "success"
    assert orders[failed_order]["amount_paise"] == orders[paid_order]["amount_paise"] == FEE_PAISE
