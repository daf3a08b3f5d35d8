"""The counter takes a fee due with the application in cash or by UPI: the same ledger as an
online payment, the amount the server's, and the file moves on once paid. The marriage
registration's fee falls due with the application."""

from __future__ import annotations

import pytest
from django.test import Client

from seva.applications.models import Application, FeeDue
from seva.applications.services import application_submit
from seva.channels.selectors import fee_due
from seva.channels.services import assisted_draft_save
from seva.core.money import rupees
from seva.definitions.models import Service
from seva.payments.models import Payment
from tests.channels.test_assisted_filing import (
    BASE,
    OPERATOR,
    consented_draft,
    second_centre,
    signed_in,
)
from tests.helpers import example_with_documents

pytestmark = pytest.mark.django_db

MOBILE = "9812300061"


def marriage_draft(operator, mobile: str = MOBILE):
    draft = consented_draft(operator, mobile, "marriage-registration")
    data = example_with_documents(draft.service, operator)
    data["applicant"]["mobile"] = mobile
    assisted_draft_save(draft=draft, data=data)
    return draft


def _file(client, draft, **posted):
    return client.post(f"{BASE}{draft.id}/check/", {"language": "en", **posted})


def test_cash_at_the_counter_pays_the_fee_in_the_ledger_and_moves_the_file_on(user):
    operator = user(OPERATOR)
    draft = marriage_draft(operator)
    due = fee_due(draft)
    assert due >= 100
    client = signed_in(user, OPERATOR)
    assert f'value="{due}"' in client.get(f"{BASE}{draft.id}/check/").content.decode()

    filed = _file(
        client, draft, fee_amount=str(due), fee_receipt_number="SK/26/77", fee_method="upi"
    )
    assert filed.status_code == 302, filed.content.decode()[:2000]
    application = Application.objects.get(applicant_mobile=MOBILE)
    fee = application.fees.get()
    payment = Payment.objects.get(fee=fee)
    assert (payment.method, payment.status, payment.amount_paise) == ("upi", "success", due * 100)
    assert payment.receipt_number and fee.status == FeeDue.Status.PAID
    assert payment.created_by == operator
    assert application.state != "payment"


def test_the_counter_takes_the_fee_in_full_or_not_at_all(user):
    operator = user(OPERATOR)
    draft = marriage_draft(operator)
    due = fee_due(draft)
    client = signed_in(user, OPERATOR)

    short = _file(client, draft, fee_amount=str(due - 50), fee_receipt_number="SK/26/78")
    assert short.status_code == 400
    assert f"fee is Rs {due}" in short.content.decode()
    no_receipt = _file(client, draft, fee_amount=str(due), fee_receipt_number="")
    assert no_receipt.status_code == 400
    assert not Application.objects.filter(applicant_mobile=MOBILE).exists()

    # Nothing taken: filed all the same, and the file waits for the citizen to pay.
    assert _file(client, draft, fee_amount="0", fee_receipt_number="").status_code == 302
    application = Application.objects.get(applicant_mobile=MOBILE)
    assert application.state == "payment"
    assert application.fees.get().status == FeeDue.Status.DUE
    assert not Payment.objects.filter(application=application).exists()


def test_a_receipt_number_is_taken_once_at_a_centre(user):
    operator = user(OPERATOR)
    client = signed_in(user, OPERATOR)
    first = marriage_draft(operator, "9812300062")
    due = fee_due(first)
    assert (
        _file(client, first, fee_amount=str(due), fee_receipt_number="SK/26/79").status_code == 302
    )
    second = marriage_draft(operator, "9812300063")
    again = _file(client, second, fee_amount=str(due), fee_receipt_number="SK/26/79")
    assert again.status_code == 400
    assert "already" in again.content.decode()
    assert not Application.objects.filter(applicant_mobile="9812300063").exists()


def test_a_fee_of_an_application_made_online_is_taken_at_any_counter(user):
    """The citizen applied online and pays in cash at a Saral Kendra: the operator finds the
    file by its reference and mobile, the amount is the file's own, and a receipt prints."""
    service = Service.objects.get(code="marriage-registration")
    citizen = user("citizen")
    application = application_submit(
        service=service, data=example_with_documents(service, citizen), applicant=citizen
    )
    fee = application.fees.get()
    client = signed_in(user, OPERATOR)
    url = "/admin/assisted/fees/"

    wrong = client.post(url, {"reference": application.reference, "mobile": "9812399999"})
    assert wrong.status_code == 400
    assert "No application with that reference" in wrong.content.decode()

    found = client.post(url, {"reference": application.reference, "mobile": "9812345678"})
    assert found.status_code == 200
    assert f"Rs {rupees(fee.amount_paise)}" in found.content.decode()

    taken = client.post(
        url,
        {
            "reference": application.reference,
            "mobile": "9812345678",
            "fee_code": fee.code,
            "fee_method": "cash",
            "fee_receipt_number": "SK/26/90",
        },
    )
    assert taken.status_code == 200, taken.content.decode()[:2000]
    payment = Payment.objects.get(fee=fee)
    assert (payment.status, payment.method, payment.amount_paise) == (
        "success",
        "cash",
        fee.amount_paise,
    )
    application.refresh_from_db()
    assert application.state != "payment"
    receipt = client.get(f"{url}{payment.order_id}/receipt/")
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")
    # Another centre's operator cannot print it, and a second payment is refused.
    _centre, other = second_centre(user)
    other_client = Client()
    other_client.force_login(other)
    assert other_client.get(f"{url}{payment.order_id}/receipt/").status_code == 404
    again = client.post(
        url,
        {
            "reference": application.reference,
            "mobile": "9812345678",
            "fee_code": fee.code,
            "fee_method": "cash",
            "fee_receipt_number": "SK/26/91",
        },
    )
    assert Payment.objects.filter(fee=fee).count() == 1
    assert again.status_code == 400
    assert "not due now" in again.content.decode()


def test_only_operators_take_fees(user):
    client = signed_in(user, "clerk.ambala")
    assert client.get("/admin/assisted/fees/").status_code in (302, 403)
