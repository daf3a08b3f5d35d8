"""Paying a fee online, against the fake gateway on loopback: success, failure, cancel, a
payment settled by the status query when no callback came, callbacks twice and late, a forged
checksum, an amount the gateway changed, a payment for a withdrawn application, refunds by
the service's rules, and the RTS clock starting once the fee is paid. The marriage
registration's fee is due with the application (its workflow's first state, `payment`)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from seva.applications.models import Application, FeeDue
from seva.applications.services import (
    application_act,
    application_submit,
    applications_escalate_overdue,
)
from seva.definitions.models import Service
from seva.documents.pdf import extract_text
from seva.payments.models import Payment, PaymentEvent, Refund
from seva.payments.services import (
    PaymentNotPossible,
    RefundTooLarge,
    payment_settle,
    payment_start,
    payments_settle_pending,
    refund_request,
)
from tests.helpers import example_with_documents, expected_due_date, ist

pytestmark = pytest.mark.django_db

RETURN = "http://testserver/payments/return/online/"
CALLBACK = "http://testserver/payments/callback/online/"


@pytest.fixture
def marriage(user):
    """A marriage registration filed by the demo citizen, waiting for its fee."""
    service = Service.objects.get(code="marriage-registration")
    citizen = user("citizen")
    application = application_submit(
        service=service, data=example_with_documents(service, citizen), applicant=citizen
    )
    assert application.state == "payment"
    return application


def _fee(application) -> FeeDue:
    return application.fees.get(code="registration_fee")


def _start(application, citizen):
    payment, url = payment_start(
        fee=_fee(application), user=citizen, return_url=RETURN, callback_url=CALLBACK
    )
    return payment, url


def _post_callback(client, fields: dict):
    return client.post(reverse("portal:payment-callback", args=["online"]), fields)


def test_success_marks_the_fee_paid_once_and_moves_the_file_on(
    marriage, user, client, payment_gateway
):
    citizen = user("citizen")
    payment, url = _start(marriage, citizen)
    assert url.startswith(payment_gateway.url)
    assert payment.status == Payment.Status.PENDING
    assert payment.amount_paise == _fee(marriage).amount_paise > 0

    paid = payment_gateway.pay(payment.order_id, "success")
    assert _post_callback(client, paid["callback_fields"]).status_code == 200

    payment.refresh_from_db()
    marriage.refresh_from_db()
    fee = _fee(marriage)
    assert payment.status == Payment.Status.SUCCESS
    assert payment.receipt_number and fee.receipt == payment.receipt_number
    assert fee.status == FeeDue.Status.PAID
    assert marriage.state != "payment"  # taken up by the tehsil
    # The browser's return finds it settled and shows the acknowledgement with the receipt.
    client.force_login(citizen)
    back = client.get(paid["return_url"].replace(payment_gateway.url, ""), follow=False)
    assert back.status_code == 302
    page = client.get(back["Location"])
    assert payment.receipt_number in page.content.decode()


def test_failure_and_cancel_leave_the_fee_due_and_a_retry_pays_it(
    marriage, user, client, payment_gateway
):
    citizen = user("citizen")
    for outcome in ("failure", "cancelled"):
        payment, _url = _start(marriage, citizen)
        paid = payment_gateway.pay(payment.order_id, outcome)
        _post_callback(client, paid["callback_fields"])
        payment.refresh_from_db()
        assert payment.status == outcome
        assert _fee(marriage).status == FeeDue.Status.DUE
    retry, _url = _start(marriage, citizen)
    _post_callback(client, payment_gateway.pay(retry.order_id, "success")["callback_fields"])
    retry.refresh_from_db()
    assert retry.status == Payment.Status.SUCCESS
    assert _fee(marriage).status == FeeDue.Status.PAID


def test_no_callback_and_no_return_the_sweep_settles_from_the_status_query(
    marriage, user, payment_gateway
):
    payment, _url = _start(marriage, user("citizen"))
    payment_gateway.behaviour(payment.order_id, callback="none")
    payment_gateway.pay(payment.order_id, "success")
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.PENDING

    later = timezone.now() + dt.timedelta(minutes=5)
    assert payments_settle_pending(at=later) == 1
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCESS
    assert _fee(marriage).status == FeeDue.Status.PAID


def test_an_order_never_paid_expires_and_a_late_payment_is_still_credited(
    marriage, user, client, payment_gateway
):
    payment, _url = _start(marriage, user("citizen"))
    payments_settle_pending(at=timezone.now() + dt.timedelta(minutes=45))
    payment.refresh_from_db()
    assert payment.status == Payment.Status.EXPIRED
    # The citizen paid after all, and the gateway's callback comes late: nothing is lost.
    paid = payment_gateway.pay(payment.order_id, "success")
    _post_callback(client, paid["callback_fields"])
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCESS


def test_duplicate_and_late_callbacks_pay_the_fee_once(marriage, user, client, payment_gateway):
    payment, _url = _start(marriage, user("citizen"))
    payment_gateway.behaviour(payment.order_id, callback="twice")
    paid = payment_gateway.pay(payment.order_id, "success")
    for _again in range(3):  # and the same callback replayed later
        assert _post_callback(client, paid["callback_fields"]).status_code == 200
    assert Payment.objects.filter(fee=_fee(marriage), status="success").count() == 1
    assert marriage.events.filter(kind="fee", action="fee_paid").count() == 1
    kinds = list(PaymentEvent.objects.filter(payment=payment).values_list("kind", flat=True))
    assert kinds.count("settled") == 1
    assert "callback_after_settled" in kinds


def test_a_second_attempt_paid_after_the_first_is_refunded_not_credited_twice(
    marriage, user, client, payment_gateway, django_capture_on_commit_callbacks
):
    citizen = user("citizen")
    first, _url = _start(marriage, citizen)
    second, _url = _start(marriage, citizen)  # two tabs
    _post_callback(client, payment_gateway.pay(first.order_id, "success")["callback_fields"])
    with django_capture_on_commit_callbacks(execute=True):
        _post_callback(client, payment_gateway.pay(second.order_id, "success")["callback_fields"])
    second.refresh_from_db()
    assert second.status == Payment.Status.DUPLICATE
    refund = second.refunds.get()
    assert refund.amount_paise == second.amount_paise
    assert refund.status == Refund.Status.PROCESSED  # sent to the gateway after the commit
    assert payment_gateway.log()["refunds"]


def test_a_forged_checksum_is_refused_and_recorded_and_pays_nothing(
    marriage, user, client, payment_gateway
):
    payment, _url = _start(marriage, user("citizen"))
    payment_gateway.behaviour(payment.order_id, callback="none")
    fields = dict(payment_gateway.pay(payment.order_id, "success")["callback_fields"])
    fields["checksum"] = "0" * 64
    assert _post_callback(client, fields).status_code == 400
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING
    assert PaymentEvent.objects.filter(payment=payment, kind="callback_forged").exists()
    assert _fee(marriage).status == FeeDue.Status.DUE


def test_an_amount_changed_at_the_gateway_is_held_for_review_not_paid(
    marriage, user, client, payment_gateway
):
    payment, _url = _start(marriage, user("citizen"))
    payment_gateway.behaviour(payment.order_id, amount_paise=100)
    paid = payment_gateway.pay(payment.order_id, "success")
    _post_callback(client, paid["callback_fields"])
    payment.refresh_from_db()
    assert payment.status == Payment.Status.HELD
    assert payment.reported_paise == 100
    assert _fee(marriage).status == FeeDue.Status.DUE
    assert marriage.state == "payment"


def test_the_amount_is_the_servers_whatever_the_form_claims(user, payment_gateway):
    """The registration fee is computed from the date of marriage on the server: a client
    that sends its own `registration_fee` (or posts an amount) changes nothing."""
    service = Service.objects.get(code="marriage-registration")
    citizen = user("citizen")
    data = example_with_documents(service, citizen)
    honest = application_submit(service=service, data=data, applicant=citizen)
    data = example_with_documents(service, citizen)
    data["registration_fee"] = 1
    cheat = application_submit(service=service, data=data, applicant=citizen)
    assert _fee(cheat).amount_paise == _fee(honest).amount_paise >= 10000
    payment, _url = _start(cheat, citizen)
    assert payment.amount_paise == _fee(honest).amount_paise
    (order,) = [o for o in payment_gateway.log()["orders"] if o["order_id"] == payment.order_id]
    assert int(order["amount_paise"]) == _fee(honest).amount_paise


def test_a_payment_for_a_withdrawn_application_is_recorded_and_refunded(
    marriage, user, client, payment_gateway
):
    citizen = user("citizen")
    payment, _url = _start(marriage, citizen)
    payment_gateway.behaviour(payment.order_id, callback="none")
    paid = payment_gateway.pay(payment.order_id, "success")
    application_act(application=marriage, user=citizen, action="withdraw")
    with pytest.raises(PaymentNotPossible):
        _start(Application.objects.get(pk=marriage.pk), citizen)
    _post_callback(client, paid["callback_fields"])
    payment.refresh_from_db()
    assert payment.status == Payment.Status.UNAPPLIED
    assert payment.receipt_number  # money received is receipted
    assert payment.refunds.get().amount_paise == payment.amount_paise


def test_rejected_before_processing_is_refunded_by_the_rule(
    marriage, user, client, payment_gateway, django_capture_on_commit_callbacks
):
    citizen = user("citizen")
    payment, _url = _start(marriage, citizen)
    _post_callback(client, payment_gateway.pay(payment.order_id, "success")["callback_fields"])
    marriage.refresh_from_db()
    # The clerk did not act in time: the file climbed to the tehsildar, who refuses it at
    # scrutiny, before anybody took it up.
    assert applications_escalate_overdue(at=marriage.stage_due_at + dt.timedelta(hours=1)) >= 1
    marriage.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        application_act(
            application=marriage,
            user=user("tehsildar.ambala"),
            action="refuse",
            remarks="The marriage was in Panchkula and neither lives here.",
            inputs={"reason": "outside_jurisdiction"},
        )
    refund = Refund.objects.get(payment=payment)
    assert refund.rule == Refund.Rule.REJECTED
    assert refund.amount_paise == payment.amount_paise
    assert refund.status == Refund.Status.PROCESSED


def test_rejected_after_processing_began_keeps_the_fee(marriage, user, client, payment_gateway):
    payment, _url = _start(marriage, user("citizen"))
    _post_callback(client, payment_gateway.pay(payment.order_id, "success")["callback_fields"])
    marriage.refresh_from_db()
    application_act(application=marriage, user=user("clerk.ambala"), action="send_to_registrar")
    marriage.refresh_from_db()
    application_act(
        application=marriage,
        user=user("tehsildar.ambala"),
        action="refuse",
        remarks="The witnesses did not come.",
        inputs={"reason": "parties_absent"},
    )
    assert not Refund.objects.filter(payment=payment).exists()


def test_a_refund_is_never_more_than_was_paid(marriage, user, client, payment_gateway):
    payment, _url = _start(marriage, user("citizen"))
    _post_callback(client, payment_gateway.pay(payment.order_id, "success")["callback_fields"])
    payment.refresh_from_db()
    refund_request(
        payment=payment, amount_paise=payment.amount_paise - 100, rule="review", reason="x"
    )
    with pytest.raises(RefundTooLarge):
        refund_request(payment=payment, amount_paise=101, rule="review", reason="x")
    refund_request(payment=payment, amount_paise=100, rule="review", reason="x")
    with pytest.raises(RefundTooLarge):
        refund_request(payment=payment, amount_paise=1, rule="review", reason="x")


def test_the_rts_clock_starts_once_the_fee_is_paid(user, payment_gateway, local_date, monkeypatch):
    """Filed on Monday 2 March 2026, paid a week later: the ten working days count from the
    day after the payment (Holi, 4 March, falls in the wait; 23 March is a holiday)."""
    service = Service.objects.get(code="marriage-registration")
    citizen = user("citizen")
    application = application_submit(
        service=service,
        data=example_with_documents(service, citizen),
        applicant=citizen,
        at=ist(2026, 3, 2),
    )
    payment, _url = _start(application, citizen)
    paid_at = ist(2026, 3, 9, 12)
    payment_gateway.behaviour(payment.order_id, callback="none")
    payment_gateway.pay(payment.order_id, "success", paid_at=paid_at)
    monkeypatch.setattr(timezone, "now", lambda: paid_at)
    payment_settle(order_id=payment.order_id, source="sweep")
    application.refresh_from_db()
    assert application.state != "payment"
    holidays = {dt.date(2026, 3, 4), dt.date(2026, 3, 21), dt.date(2026, 3, 23)}
    assert (
        local_date(application.rts_due_at)
        == expected_due_date(
            start=dt.date(2026, 3, 2),
            days=10,
            working_days_only=True,
            holidays=holidays,
            pauses=[(dt.date(2026, 3, 2), dt.date(2026, 3, 9))],
        )
        == dt.date(2026, 3, 24)
    )


def test_the_return_url_tells_nobody_else_anything(marriage, user, client, payment_gateway):
    payment, _url = _start(marriage, user("citizen"))
    paid = payment_gateway.pay(payment.order_id, "success")
    path = urlsplit(paid["return_url"])
    assert parse_qs(path.query)["order_id"] == [payment.order_id]
    client.force_login(user("tehsildar.ambala"))
    answer = client.get(f"{path.path}?{path.query}")
    assert answer.status_code == 302
    assert answer["Location"] == reverse("portal:my-applications")


def test_a_browser_that_returns_without_a_callback_settles_it_from_the_status_query(
    marriage, user, client, payment_gateway
):
    citizen = user("citizen")
    payment, _url = _start(marriage, citizen)
    payment_gateway.behaviour(payment.order_id, callback="none")
    paid = payment_gateway.pay(payment.order_id, "success")
    assert payment_gateway.callbacks() == []
    client.force_login(citizen)
    back = urlsplit(paid["return_url"])
    answer = client.get(f"{back.path}?{back.query}")
    assert answer["Location"] == reverse("portal:acknowledgement", args=[marriage.reference])
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCESS
    assert _fee(marriage).status == FeeDue.Status.PAID


def test_the_receipt_is_a_pdf_for_the_applicant_only(marriage, user, client, payment_gateway):
    payment, _url = _start(marriage, user("citizen"))
    _post_callback(client, payment_gateway.pay(payment.order_id, "success")["callback_fields"])
    url = reverse("portal:payment-receipt", args=[marriage.reference, payment.order_id])
    client.force_login(user("citizen2"))
    assert client.get(url).status_code == 404
    client.force_login(user("citizen"))
    answer = client.get(url)
    assert answer.status_code == 200
    assert answer.content.startswith(b"%PDF")
    text = extract_text(answer.content)
    payment.refresh_from_db()
    assert payment.receipt_number in text and marriage.reference in text


def test_the_service_tells_its_fees_before_anyone_applies(api):
    detail = api(None).get("/api/v1/services/water-connection/").json()
    (fee,) = detail["fees"]
    assert fee["code"] == "connection_charges"
    assert fee["due_in_state"] == "awaiting_fee" and fee["head"]
    assert fee["depends_on_answers"] is True  # worked out from the inspection
