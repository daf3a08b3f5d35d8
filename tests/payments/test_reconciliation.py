"""Reconciliation against the fake gateway and bank on loopback: the day's settlement file
matched to Seva's payments, its exceptions listed (a payment missing from the file, an
amount that differs, a line Seva does not know), the same file imported twice, an e-challan
paid by the bank's file, an uploaded file refused with its line and column and nothing
written, an exception resolved with remarks, and the daily job."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from seva.applications.models import FeeDue
from seva.applications.services import application_submit
from seva.core.errors import ActionNotAllowed, ValidationFailed
from seva.definitions.models import Service
from seva.payments.gateways import SettlementFileError, SettlementLine
from seva.payments.models import Payment, PaymentEvent, ReconciliationItem, Settlement
from seva.payments.reconciliation import (
    reconciliation_item_resolve,
    settlement_digest,
    settlement_fetch,
    settlement_import,
    settlement_upload,
)
from seva.payments.services import challan_create, payment_start
from seva.payments.tasks import reconcile_yesterday
from tests.helpers import example_with_documents

pytestmark = pytest.mark.django_db

RETURN = "http://testserver/payments/return/online/"
CALLBACK = "http://testserver/payments/callback/online/"
Kind = ReconciliationItem.Kind


def file_marriage(citizen):
    """A marriage registration waiting for its fee (due in the workflow's first state)."""
    service = Service.objects.get(code="marriage-registration")
    application = application_submit(
        service=service, data=example_with_documents(service, citizen), applicant=citizen
    )
    assert application.state == "payment"
    return application


def fee_of(application) -> FeeDue:
    return application.fees.get(code="registration_fee")


def paid_online(application, citizen, client, gateway, **behaviour) -> Payment:
    """The fee paid on the gateway's page, its callback received; `behaviour` makes the
    gateway misbehave for this order (amount_paise=..., callback="none")."""
    payment, _url = payment_start(
        fee=fee_of(application), user=citizen, return_url=RETURN, callback_url=CALLBACK
    )
    if behaviour:
        gateway.behaviour(payment.order_id, **behaviour)
    fields = gateway.pay(payment.order_id, "success")["callback_fields"]
    if behaviour.get("callback") != "none":
        client.post(reverse("portal:payment-callback", args=["online"]), fields)
    payment.refresh_from_db()
    return payment


def exceptions(settlement: Settlement) -> set[tuple[str, str]]:
    return set(settlement.items.values_list("kind", "reference"))


def test_a_missing_payment_and_a_mismatched_amount_are_listed_and_the_rest_matched(
    user, client, payment_gateway
):
    citizen = user("citizen")
    today = timezone.localdate()
    matched = paid_online(file_marriage(citizen), citizen, client, payment_gateway)
    missing = paid_online(file_marriage(citizen), citizen, client, payment_gateway)
    differs = paid_online(file_marriage(citizen), citizen, client, payment_gateway)
    # Held for review when it was paid (the gateway took Rs 1 less): the file reports the
    # same amount the gateway reported then, so the two ledgers agree about it.
    held = paid_online(file_marriage(citizen), citizen, client, payment_gateway, amount_paise=100)
    assert {p.status for p in (matched, missing, differs)} == {Payment.Status.SUCCESS}
    assert held.status == Payment.Status.HELD
    payment_gateway.settlement_lines(
        today,
        [
            {"order_id": missing.order_id, "omit": True},
            {"order_id": differs.order_id, "amount_paise": differs.amount_paise - 100},
            {
                "order_id": "SV202612089999999999",
                "txn_id": "FGT000000000001",
                "amount_paise": 25000,
                "status": "success",
                "settled_on": today.isoformat(),
            },
        ],
    )

    settlement = settlement_fetch(gateway_name="online", day=today)

    assert settlement.lines == 4  # matched, differs, held, and the stranger
    assert settlement.matched == 2
    assert exceptions(settlement) == {
        (Kind.MISSING_AT_GATEWAY, missing.order_id),
        (Kind.AMOUNT_DIFFERS, differs.order_id),
        (Kind.MISSING_IN_SEVA, "SV202612089999999999"),
    }
    amount = settlement.items.get(kind=Kind.AMOUNT_DIFFERS)
    assert (amount.seva_paise, amount.reported_paise) == (
        differs.amount_paise,
        differs.amount_paise - 100,
    )
    # Each exception about a payment carries its scope; a stranger line has none.
    assert amount.department_id == differs.department_id
    assert amount.district_id == differs.district_id is not None
    stranger = settlement.items.get(kind=Kind.MISSING_IN_SEVA)
    assert stranger.payment is None and stranger.department is None
    reconciled = dict(Payment.objects.values_list("order_id", "reconciled_on"))
    assert reconciled[matched.order_id] == today
    assert reconciled[held.order_id] == today
    assert reconciled[missing.order_id] is None
    assert reconciled[differs.order_id] is None


def test_the_same_file_twice_is_recognised_and_counted_once(user, client, payment_gateway):
    citizen = user("citizen")
    today = timezone.localdate()
    payment = paid_online(file_marriage(citizen), citizen, client, payment_gateway)
    payment_gateway.settlement_lines(
        today, [{"order_id": "SV202612080000000007", "txn_id": "FGT7", "amount_paise": 100}]
    )

    first = settlement_fetch(gateway_name="online", day=today)
    again = settlement_fetch(gateway_name="online", day=today)
    # The same lines uploaded by an officer are the same file.
    content = (
        "order_id,txn_id,amount_paise,status,settled_on\n"
        f"{payment.order_id},{payment.txn_id},{payment.amount_paise},success,{today}\n"
        f"SV202612080000000007,FGT7,100,success,{today}\n"
    )
    uploaded = settlement_upload(
        gateway_name="online",
        day=today,
        content=content.encode(),
        filename="settlement.csv",
        by=user("treasury"),
    )

    assert not first.already_imported
    assert again.already_imported and again.pk == first.pk
    assert uploaded.already_imported and uploaded.pk == first.pk
    assert Settlement.objects.count() == 1
    assert first.matched == 1
    assert ReconciliationItem.objects.count() == 1
    assert PaymentEvent.objects.filter(payment=payment, kind="reconciled").count() == 1


def test_an_exception_still_open_is_not_listed_again_by_a_corrected_file(
    user, client, payment_gateway
):
    citizen = user("citizen")
    today = timezone.localdate()
    payment = paid_online(file_marriage(citizen), citizen, client, payment_gateway)
    payment_gateway.settlement_lines(today, [{"order_id": payment.order_id, "omit": True}])
    first = settlement_fetch(gateway_name="online", day=today)
    # The gateway sends the day's file again, with one more unknown line.
    payment_gateway.settlement_lines(
        today, [{"order_id": "SV202612080000000008", "txn_id": "FGT8", "amount_paise": 5}]
    )
    second = settlement_fetch(gateway_name="online", day=today)

    assert first.pk != second.pk
    assert exceptions(first) == {(Kind.MISSING_AT_GATEWAY, payment.order_id)}
    assert exceptions(second) == {(Kind.MISSING_IN_SEVA, "SV202612080000000008")}


def test_a_challan_is_paid_by_the_banks_file(user, payment_gateway):
    citizen = user("citizen")
    today = timezone.localdate()
    application = file_marriage(citizen)
    challan = challan_create(fee=fee_of(application), user=citizen)
    short = challan_create(fee=fee_of(file_marriage(citizen)), user=citizen)
    payment_gateway.challan_paid(challan.order_id, challan.amount_paise)
    payment_gateway.challan_paid(short.order_id, short.amount_paise - 1000)

    settlement = settlement_fetch(gateway_name="challan", day=today)

    challan.refresh_from_db()
    application.refresh_from_db()
    assert challan.status == Payment.Status.SUCCESS and challan.receipt_number
    assert challan.txn_id.startswith("FBK")
    assert challan.reconciled_on == today
    assert fee_of(application).status == FeeDue.Status.PAID
    assert application.state != "payment"
    assert (settlement.lines, settlement.matched) == (2, 1)
    # A challan paid for another amount is held for the accounts officer, and listed.
    short.refresh_from_db()
    assert short.status == Payment.Status.HELD and short.reported_paise == short.amount_paise - 1000
    assert exceptions(settlement) == {(Kind.AMOUNT_DIFFERS, short.order_id)}
    # Nothing of it is missing at the bank the next time the file is read.
    assert settlement_fetch(gateway_name="challan", day=today).already_imported


def test_a_bad_uploaded_file_is_refused_with_its_line_and_column_and_nothing_written(
    user, payment_gateway
):
    citizen = user("citizen")
    today = timezone.localdate()
    challan = challan_create(fee=fee_of(file_marriage(citizen)), user=citizen)
    header = "challan_number,amount_paise,paid_on,bank_ref\n"
    good = f"{challan.order_id},{challan.amount_paise},{today},FBK0000000001\n"
    bad_amount = f"CHL99,12.50,{today},FBK0000000002\n"
    other_day = f"CHL98,1250,{today - dt.timedelta(days=1)},FBK0000000003\n"
    treasury = user("treasury")

    for content, line, column in [
        (header + good + bad_amount, 3, "amount_paise"),
        (header + good + "\n" + other_day, 4, "paid_on"),
        ("challan,amount\n" + good, 1, "challan_number"),
    ]:
        with pytest.raises(SettlementFileError) as refused:
            settlement_upload(
                gateway_name="challan",
                day=today,
                content=content.encode(),
                filename="bank.csv",
                by=treasury,
            )
        assert (refused.value.line, refused.value.column) == (line, column)
        assert f"Line {line}, column {column}" in refused.value.message

    assert not Settlement.objects.exists()
    assert not ReconciliationItem.objects.exists()
    challan.refresh_from_db()
    assert challan.status == Payment.Status.PENDING
    # Corrected, it is taken, and the challan is paid by it.
    settlement = settlement_upload(
        gateway_name="challan",
        day=today,
        content=(header + good).encode(),
        filename="bank.csv",
        by=treasury,
    )
    assert (settlement.matched, settlement.source, settlement.imported_by) == (
        1,
        Settlement.Source.UPLOADED,
        treasury,
    )
    challan.refresh_from_db()
    assert challan.status == Payment.Status.SUCCESS


def test_an_exception_is_resolved_with_remarks_once(user):
    line = SettlementLine("SV202612080000000009", "FGT1", 500, "success", timezone.localdate())
    settlement = settlement_import(
        gateway_name="online",
        day=line.settled_on,
        lines=[line],
        source=Settlement.Source.FETCHED,
        sha256=settlement_digest([line]),
    )
    item = settlement.items.get()
    treasury = user("treasury")

    with pytest.raises(ValidationFailed) as refused:
        reconciliation_item_resolve(item=item, remarks="  ", by=treasury)
    assert "remarks" in refused.value.errors
    item.refresh_from_db()
    assert item.resolved_at is None

    reconciliation_item_resolve(
        item=item, remarks="A test payment of the gateway's; reversed by it.", by=treasury
    )
    item.refresh_from_db()
    assert item.resolved_at is not None and item.resolved_by == treasury
    assert item.remarks == "A test payment of the gateway's; reversed by it."
    with pytest.raises(ActionNotAllowed):
        reconciliation_item_resolve(item=item, remarks="Again.", by=treasury)


def test_the_daily_job_reconciles_yesterday_for_every_gateway_once(user, client, payment_gateway):
    """Yesterday's files of the gateway and the bank; an order whose callback never came is
    asked about first, so it is settled and matched, not an exception."""
    citizen = user("citizen")
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    payment, _url = payment_start(
        fee=fee_of(file_marriage(citizen)), user=citizen, return_url=RETURN, callback_url=CALLBACK
    )
    payment_gateway.behaviour(payment.order_id, callback="none")
    payment_gateway.pay(payment.order_id, "success", paid_at=timezone.now() - dt.timedelta(days=1))
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.PENDING

    assert reconcile_yesterday() == 2
    assert reconcile_yesterday() == 0  # run twice: recognised

    online = Settlement.objects.get(gateway="online", day=yesterday)
    assert (online.lines, online.matched) == (1, 1)
    assert not online.items.exists()
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCESS
    assert payment.reconciled_on == yesterday
    assert Settlement.objects.filter(gateway="challan", day=yesterday, lines=0).exists()


def test_a_gateway_that_cannot_be_reached_does_not_stop_the_others(settings, payment_gateway):
    settings.SEVA_PAYMENT_GATEWAYS = {
        **settings.SEVA_PAYMENT_GATEWAYS,
        "online": {**settings.SEVA_PAYMENT_GATEWAYS["online"], "URL": "http://127.0.0.1:9"},
    }
    assert reconcile_yesterday() == 1
    assert list(Settlement.objects.values_list("gateway", flat=True)) == ["challan"]
