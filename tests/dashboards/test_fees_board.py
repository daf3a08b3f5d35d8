"""Fees on the board and the daily snapshot of payments: a marriage registration's fee paid
through the real services (online against the fake gateway on loopback, or in cash at a
service centre) is collected in its month, by service, district and department; a refund
paid back shows as refunded; money not credited to a fee (paid twice) is listed in the
snapshot but not collected; the snapshot's CSV and XLSX have the state's columns; and each
reader sees only their scope: a collector of another district sees nothing, someone without
the board is refused."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.utils import timezone
from openpyxl import load_workbook

from seva.applications.services import application_submit
from seva.core.money import rupees
from seva.dashboards.exports import SNAPSHOT_COLUMNS
from seva.dashboards.fees import (
    FeeFilters,
    SnapshotFilters,
    fee_months_differences,
    fee_months_rebuild,
    fees_board,
    payments_snapshot,
)
from seva.dashboards.models import FeeMonth
from seva.definitions.models import Service
from seva.payments.models import Payment, Refund
from seva.payments.services import (
    payment_record_at_counter,
    payment_settle,
    payment_start,
    refund_mark_paid,
    refund_request,
)
from tests.helpers import example_with_documents, ist

pytestmark = pytest.mark.django_db

RETURN = "http://testserver/payments/return/online/"
CALLBACK = "http://testserver/payments/callback/online/"
PAID_AT = ist(2026, 10, 15, 12)
OCTOBER = dt.date(2026, 10, 1)
HISAR_COLLECTOR = "deputy_commissioner.hr-hsr"
REVENUE = "Revenue and Disaster Management"
FEES = "/admin/dashboard/rts/fees/"
SNAPSHOT = "/admin/dashboard/rts/fees/payments.{}"


def _file_marriage(user, at: dt.datetime | None = None):
    service = Service.objects.get(code="marriage-registration")
    citizen = user("citizen")
    application = application_submit(
        service=service, data=example_with_documents(service, citizen), applicant=citizen, at=at
    )
    assert application.state == "payment"
    return application


def _fee(application):
    return application.fees.get(code="registration_fee")


def _pay_online(application, user, gateway, at: dt.datetime = PAID_AT) -> Payment:
    """Paid on the gateway's page; no callback came, and the sweep's status query settles it."""
    payment, _url = payment_start(
        fee=_fee(application), user=user("citizen"), return_url=RETURN, callback_url=CALLBACK
    )
    gateway.behaviour(payment.order_id, callback="none")
    gateway.pay(payment.order_id, "success", paid_at=at)
    payment_settle(order_id=payment.order_id, source="sweep", at=at)
    payment.refresh_from_db()
    return payment


def _pay_cash(application, user, receipt: str = "C-0001") -> Payment:
    return payment_record_at_counter(
        fee=_fee(application),
        method=Payment.Method.CASH,
        receipt=receipt,
        operator=user("operator.ambala"),
        centre_code="SK-AMB-AMB",
    )


def _board(user, **filters) -> list[tuple]:
    return [
        (row.key, row.name, row.collected_paise, row.payments, row.refunded_paise, row.refunds)
        for row in fees_board(user=user, filters=FeeFilters(**filters))
    ]


def _snapshot(user, day: dt.date) -> list:
    return list(payments_snapshot(user=user, filters=SnapshotFilters(start=day, end=day)))


def _csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def _xlsx_rows(response) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return list(sheet.iter_rows(values_only=True))


# ------------------------------------------------------------------------------
# Collected, refunded, by month, service, district and department
# ------------------------------------------------------------------------------
def test_a_fee_paid_online_is_collected_in_its_month_and_listed_in_the_snapshot(
    user, payment_gateway
):
    application = _file_marriage(user, at=ist(2026, 10, 14, 10))
    payment = _pay_online(application, user, payment_gateway)
    assert payment.status == Payment.Status.SUCCESS
    fee = payment.amount_paise
    cmo = user("cmo")

    assert _board(cmo) == [(OCTOBER, "", fee, 1, 0, 0)]
    assert _board(cmo, by="district") == [(application.district_id, "Ambala", fee, 1, 0, 0)]
    assert _board(cmo, by="service") == [
        (application.service_id, "Marriage registration", fee, 1, 0, 0)
    ]
    assert [row[1] for row in _board(cmo, by="department")] == [REVENUE]
    assert _board(cmo, start=dt.date(2026, 11, 1)) == []

    [line] = _snapshot(cmo, dt.date(2026, 10, 15))
    assert (line.day, line.service, line.reference, line.paid_paise) == (
        dt.date(2026, 10, 15),
        "Marriage registration",
        application.reference,
        fee,
    )
    assert (line.district, line.department, line.fee) == (
        "Ambala",
        REVENUE,
        "Marriage registration fee",
    )
    assert (line.method, line.receipt_number, line.txn_id, line.status) == (
        "Online (payment gateway)",
        payment.receipt_number,
        payment.txn_id,
        "Paid",
    )
    assert payment.receipt_number and payment.txn_id
    assert _snapshot(cmo, dt.date(2026, 10, 14)) == []
    assert fee_months_differences() == []


def test_a_refund_paid_back_shows_as_refunded_in_its_month(
    user, payment_gateway, django_capture_on_commit_callbacks
):
    payment = _pay_online(_file_marriage(user, at=ist(2026, 10, 14, 10)), user, payment_gateway)
    with django_capture_on_commit_callbacks(execute=True):
        refund = refund_request(
            payment=payment, amount_paise=payment.amount_paise, rule="review", reason="Checked."
        )
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PROCESSED  # through the gateway, after the commit
    this_month = timezone.localdate(refund.processed_at).replace(day=1)
    fee = payment.amount_paise

    assert _board(user("cmo")) == [
        (this_month, "", 0, 0, fee, 1),
        (OCTOBER, "", fee, 1, 0, 0),
    ]
    [total] = fees_board(user=user("cmo"), filters=FeeFilters(by="district"))
    assert (total.collected_paise, total.refunded_paise, total.net_paise) == (fee, fee, 0)
    [line] = _snapshot(user("cmo"), dt.date(2026, 10, 15))
    assert line.refunded_paise == fee

    # The rollup is what a count of the ledger says; lost, it is rebuilt from the ledger.
    assert fee_months_differences() == []
    FeeMonth.objects.all().delete()
    assert len(fee_months_differences()) == 2
    assert fee_months_rebuild() == 2
    assert fee_months_differences() == []


def test_a_cash_refund_counts_once_the_office_has_paid_it_back(user):
    with time_machine.travel(ist(2026, 11, 20, 11), tick=True):
        payment = _pay_cash(_file_marriage(user), user)
        refund = refund_request(
            payment=payment, amount_paise=5000, rule="review", reason="Charged too much."
        )
        assert refund.status == Refund.Status.MANUAL
        november = dt.date(2026, 11, 1)
        assert _board(user("cmo")) == [(november, "", payment.amount_paise, 1, 0, 0)]
        refund_mark_paid(refund=refund, by=user("operator.ambala"), remarks="Cash, 20 Nov.")
        assert _board(user("cmo")) == [(november, "", payment.amount_paise, 1, 5000, 1)]
    [line] = _snapshot(user("cmo"), dt.date(2026, 11, 20))
    assert (line.method, line.receipt_number != "", line.txn_id) == (
        "Cash at the counter",
        True,
        "C-0001",
    )


def test_money_paid_twice_is_listed_but_neither_it_nor_its_refund_is_collected(
    user, payment_gateway, django_capture_on_commit_callbacks
):
    application = _file_marriage(user, at=ist(2026, 10, 14, 10))
    first, _url = payment_start(
        fee=_fee(application), user=user("citizen"), return_url=RETURN, callback_url=CALLBACK
    )
    second, _url = payment_start(
        fee=_fee(application), user=user("citizen"), return_url=RETURN, callback_url=CALLBACK
    )  # two tabs
    for payment in (first, second):
        payment_gateway.behaviour(payment.order_id, callback="none")
        payment_gateway.pay(payment.order_id, "success", paid_at=PAID_AT)
        with django_capture_on_commit_callbacks(execute=True):
            payment_settle(order_id=payment.order_id, source="sweep", at=PAID_AT)
    second.refresh_from_db()
    assert second.status == Payment.Status.DUPLICATE
    assert second.refunds.get().status == Refund.Status.PROCESSED

    assert _board(user("cmo")) == [(OCTOBER, "", first.amount_paise, 1, 0, 0)]
    lines = _snapshot(user("cmo"), dt.date(2026, 10, 15))
    assert [(line.order_id, line.status) for line in lines] == [
        (first.order_id, "Paid"),
        (second.order_id, "Paid twice: refunded"),
    ]
    assert fee_months_differences() == []


# ------------------------------------------------------------------------------
# The snapshot's files
# ------------------------------------------------------------------------------
def test_the_snapshot_as_csv_and_xlsx_has_the_state_s_columns_and_a_row_per_payment(
    user, client, payment_gateway
):
    application = _file_marriage(user, at=ist(2026, 10, 14, 10))
    payment = _pay_online(application, user, payment_gateway)
    client.force_login(user("cmo"))
    expected = [
        "2026-10-15",
        "Marriage registration",
        application.reference,
        f"{payment.amount_paise / 100:.2f}",
        "Ambala",
        REVENUE,
        "Marriage registration fee",
        payment.head,
        "Online (payment gateway)",
        payment.receipt_number,
        payment.txn_id,
        payment.order_id,
        "Paid",
        "0.00",
    ]

    # Yesterday, when no day is given.
    with time_machine.travel(ist(2026, 10, 16, 9), tick=True):
        answer = client.get(SNAPSHOT.format("csv"))
    assert answer.status_code == 200
    assert answer.streaming
    assert answer["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="fee-payments-2026-10-15.csv"' in answer["Content-Disposition"]
    assert _csv_rows(answer) == [list(SNAPSHOT_COLUMNS), expected]

    answer = client.get(SNAPSHOT.format("xlsx"), {"from": "2026-10-01", "to": "2026-10-31"})
    assert answer.status_code == 200
    assert "fee-payments-2026-10-01-to-2026-10-31.xlsx" in answer["Content-Disposition"]
    heading, row = _xlsx_rows(answer)
    assert heading == SNAPSHOT_COLUMNS
    assert row[0] == dt.datetime(2026, 10, 15)  # a date cell
    assert row[3] == payment.amount_paise / 100  # a number, to add up
    assert [str(value) for value in row[1:3] + row[4:13]] == expected[1:3] + expected[4:13]

    # Another day, another district, another service: nothing but the headings.
    for params in (
        {"day": "2026-10-14"},
        {"day": "2026-10-15", "district": "HR-HSR"},
        {"day": "2026-10-15", "service": "income-certificate"},
    ):
        assert _csv_rows(client.get(SNAPSHOT.format("csv"), params)) == [list(SNAPSHOT_COLUMNS)]


def test_a_bad_snapshot_request_answers_400_naming_the_parameter(user, client):
    client.force_login(user("cmo"))
    for params, name in (
        ({"day": "15-10-2026"}, "day"),
        ({"from": "2026-10-15", "to": "2026-10-01"}, "from"),
        ({"from": "2025-01-01", "to": "2026-10-01"}, "to"),
        ({"district": "NOWHERE"}, "district"),
    ):
        answer = client.get(SNAPSHOT.format("csv"), params)
        assert answer.status_code == 400, params
        assert answer.content.decode().startswith(f"{name}:"), answer.content
    assert client.get(SNAPSHOT.format("pdf")).status_code == 404


# ------------------------------------------------------------------------------
# The page
# ------------------------------------------------------------------------------
def test_the_fees_page_shows_the_rows_and_totals_in_rupees_with_the_snapshot_links(user, client):
    with time_machine.travel(ist(2026, 11, 20, 11), tick=True):
        first = _pay_cash(_file_marriage(user), user, receipt="C-0001")
        second = _pay_cash(_file_marriage(user), user, receipt="C-0002")
    client.force_login(user("dc.ambala"))
    page = client.get(FEES, {"by": "district"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-key="HR-AMB"' in html
    assert f"<td>{rupees(first.amount_paise + second.amount_paise)}</td>" in html
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    assert f"/admin/dashboard/rts/fees/payments.csv?day={yesterday.isoformat()}" in html
    assert f"/admin/dashboard/rts/fees/payments.xlsx?day={yesterday.isoformat()}" in html
    # The month leads to its services; a bad filter is named.
    month = client.get(FEES)
    assert 'data-key="2026-11"' in month.content.decode()
    assert "by=service" in month.content.decode()
    bad = client.get(FEES, {"from": "November"})
    assert bad.status_code == 400
    assert "Give a month as YYYY-MM." in bad.content.decode()
    # The RTS board leads to it.
    assert FEES in client.get("/admin/dashboard/rts/").content.decode()


# ------------------------------------------------------------------------------
# Who sees what
# ------------------------------------------------------------------------------
def test_each_reader_sees_the_fees_of_their_scope_only(user, client):
    with time_machine.travel(ist(2026, 11, 20, 11), tick=True):
        payment = _pay_cash(_file_marriage(user), user)
    day = dt.date(2026, 11, 20)
    seen = [(dt.date(2026, 11, 1), "", payment.amount_paise, 1, 0, 0)]
    readers = {
        "cmo": True,
        "dc.ambala": True,  # the collector of the district
        "fcr": True,  # the head of the department
        "tehsildar.ambala": True,  # the processing office's officer
        HISAR_COLLECTOR: False,
        "director.sje": False,  # the head of another department
        "tehsildar.hisar": False,
    }
    for username, sees in readers.items():
        reader = user(username)
        assert _board(reader) == (seen if sees else []), username
        assert len(_snapshot(reader, day)) == int(sees), username

    # Accounts officers: their posting's department (every one for the state's treasury
    # cell) in their posting's area.
    accounts = {
        "accounts.revenue.ambala": True,
        "treasury": True,
        "accounts.phed.ambala": False,
        "accounts.revenue.hisar": False,
    }
    for username, sees in accounts.items():
        officer = user(username)
        assert _board(officer) == (seen if sees else []), username
        assert len(_snapshot(officer, day)) == int(sees), username
        client.force_login(officer)
        rows = _csv_rows(client.get(SNAPSHOT.format("csv"), {"day": day.isoformat()}))
        assert len(rows) == 1 + int(sees), username

    # The files, like the page, hold only the reader's scope, whatever the filters ask.
    client.force_login(user(HISAR_COLLECTOR))
    for params in ({"day": day.isoformat()}, {"day": day.isoformat(), "district": "HR-AMB"}):
        assert _csv_rows(client.get(SNAPSHOT.format("csv"), params)) == [list(SNAPSHOT_COLUMNS)]
        xlsx = client.get(SNAPSHOT.format("xlsx"), params)
        assert _xlsx_rows(xlsx) == [SNAPSHOT_COLUMNS]
    page = client.get(FEES, {"district": "HR-AMB"})
    assert page.status_code == 200
    assert payment.application.reference not in page.content.decode()
    assert "No fees collected or refunded for these filters." in page.content.decode()


def test_someone_without_the_board_is_refused(user, client):
    with time_machine.travel(ist(2026, 11, 20, 11), tick=True):
        _pay_cash(_file_marriage(user), user)
    urls = [FEES, SNAPSHOT.format("csv") + "?day=2026-11-20", SNAPSHOT.format("xlsx")]
    for url in urls:  # not signed in: the staff sign-in
        answer = client.get(url)
        assert answer.status_code == 302
        assert answer["Location"].startswith("/admin/login/")
    client.force_login(user("citizen"))
    for url in urls:
        assert client.get(url).status_code == 302
    # Staff with no posting (a service centre's operator) may not read it: the staff
    # workspace sends them back to its start with the reason.
    client.force_login(user("operator.ambala"))
    for url in [*urls, f"{FEES}?from=bad"]:
        answer = client.get(url)
        assert (answer.status_code, answer["Location"]) == (302, "/admin/"), url
        assert not answer.content
