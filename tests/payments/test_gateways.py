"""The gateway adapters against the fake gateway and bank on loopback (tests/fakegateway.py):
orders, checksums, status queries, refunds, settlement files, the bank's challans, an
uploaded file refused with its line and column, and a gateway that is down, slow, or answers
something Seva cannot trust. Also the settings: the system check, and production's."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.checks import run_checks

from seva.payments.gateways import (
    GatewayError,
    GatewayNotConfigured,
    GatewayRefund,
    OrderUnknown,
    SettlementFileError,
    SettlementLine,
    checksum_of,
    gateway,
    gateway_names,
)
from tests.objectstore import free_port

REPO = Path(__file__).resolve().parents[2]
IST = dt.timezone(dt.timedelta(hours=5, minutes=30))


def today() -> dt.date:
    return dt.datetime.now(IST).date()


def order(online, order_id: str = "SEVA0000000000000001", amount_paise: int = 125050) -> str:
    return online.create_order(
        order_id=order_id,
        amount_paise=amount_paise,
        description="Water connection: connection charges",
        return_url="http://seva.test/payments/online/return/",
        callback_url="http://127.0.0.1:9/payments/online/callback/",
    )


@pytest.fixture
def online(payment_gateway):
    return gateway("online")


@pytest.fixture
def bank(payment_gateway):
    return gateway("challan")


# ------------------------------------------------------------------------------
# Orders and checksums
# ------------------------------------------------------------------------------
def test_an_order_answers_the_gateways_payment_page(online, payment_gateway):
    url = order(online)

    assert url == f"{payment_gateway.url}/pay/SEVA0000000000000001"
    created = payment_gateway.log()["orders"][0]
    assert created["amount_paise"] == 125050
    assert created["callback_url"] == "http://127.0.0.1:9/payments/online/callback/"


def test_creating_the_same_order_again_is_harmless_but_not_for_another_amount(online):
    first = order(online)

    assert order(online) == first
    with pytest.raises(GatewayError, match="exists with amount_paise 125050, not 125000"):
        order(online, amount_paise=125000)


def test_an_order_with_the_wrong_secret_is_refused(payment_gateway, settings):
    settings.SEVA_PAYMENT_GATEWAYS["online"]["SECRET"] = "not-the-merchants-secret"

    with pytest.raises(GatewayError, match="checksum does not match"):
        order(gateway("online"))
    assert payment_gateway.log()["orders"] == []


def test_a_callback_and_a_browser_return_verify_only_as_the_gateway_signed_them(
    online, payment_gateway
):
    order(online)
    paid = payment_gateway.pay("SEVA0000000000000001")
    callback = paid["callback_fields"]
    returned = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(paid["return_url"]).query))

    assert online.verify(callback)
    assert online.verify(returned)
    assert returned.keys() == {"order_id", "status", "checksum"}
    # Anything changed, added or left out breaks the checksum.
    assert not online.verify({**callback, "amount_paise": "1"})
    assert not online.verify({**callback, "status": "failure"})
    assert not online.verify({**returned, "extra": "x"})
    assert not online.verify({k: v for k, v in callback.items() if k != "checksum"})
    assert not online.verify({**callback, "checksum": ""})
    assert not online.verify({**callback, "checksum": "é" * 64})
    # Signed right, but for another merchant.
    other = {**callback, "merchant_id": "SOMEONEELSE"}
    other["checksum"] = checksum_of(other, payment_gateway.secret)
    assert not online.verify(other)


def test_a_forged_checksum_does_not_verify(online, payment_gateway):
    order(online)
    payment_gateway.behaviour("SEVA0000000000000001", checksum="forged")
    paid = payment_gateway.pay("SEVA0000000000000001")
    returned = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(paid["return_url"]).query))

    assert not online.verify(paid["callback_fields"])
    assert not online.verify(returned)
    # The status query stays the gateway's own, signed word.
    assert online.query("SEVA0000000000000001").status == "success"


# ------------------------------------------------------------------------------
# The status query
# ------------------------------------------------------------------------------
def test_a_new_order_is_created_and_unpaid(online):
    order(online)

    status = online.query("SEVA0000000000000001")

    assert (status.status, status.amount_paise, status.txn_id, status.paid_at) == (
        "created",
        125050,
        "",
        None,
    )


def test_a_paid_order_has_its_transaction_and_time(online, payment_gateway):
    order(online)
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    payment_gateway.pay("SEVA0000000000000001", "success")

    status = online.query("SEVA0000000000000001")

    assert status.status == "success"
    assert status.amount_paise == 125050
    assert status.txn_id.startswith("FGT") and len(status.txn_id) == 15
    assert status.txn_id[3:].isdigit()
    assert status.paid_at is not None and status.paid_at >= before
    assert status.paid_at.utcoffset() == dt.timedelta(hours=5, minutes=30)


@pytest.mark.parametrize("outcome", ["failure", "cancelled"])
def test_a_failed_or_cancelled_order_is_not_paid(online, payment_gateway, outcome):
    order(online)
    payment_gateway.pay("SEVA0000000000000001", outcome)

    status = online.query("SEVA0000000000000001")

    assert status.status == outcome
    assert status.paid_at is None


def test_an_order_left_pending_answers_pending_until_the_gateway_decides(online, payment_gateway):
    order(online)
    payment_gateway.behaviour("SEVA0000000000000001", status="pending", callback="none")
    payment_gateway.pay("SEVA0000000000000001", "success")

    assert online.query("SEVA0000000000000001").status == "pending"
    assert payment_gateway.callbacks() == []

    payment_gateway.behaviour("SEVA0000000000000001", status=None)
    assert online.query("SEVA0000000000000001").status == "success"


def test_the_gateway_may_report_another_amount(online, payment_gateway):
    order(online)
    payment_gateway.behaviour("*", amount_paise=100)
    paid = payment_gateway.pay("SEVA0000000000000001", "success")

    assert online.query("SEVA0000000000000001").amount_paise == 100
    assert paid["callback_fields"]["amount_paise"] == "100"
    assert online.verify(paid["callback_fields"])


def test_an_order_the_gateway_never_received_is_unknown(online):
    with pytest.raises(OrderUnknown, match="does not know order SEVA0000000000000404"):
        online.query("SEVA0000000000000404")


# ------------------------------------------------------------------------------
# Refunds
# ------------------------------------------------------------------------------
def test_refunds_up_to_what_was_paid(online, payment_gateway):
    order(online)
    payment_gateway.pay("SEVA0000000000000001", "success")

    first = online.refund(order_id="SEVA0000000000000001", refund_id="RF1", amount_paise=50_000)
    too_much = online.refund(order_id="SEVA0000000000000001", refund_id="RF2", amount_paise=75_051)
    rest = online.refund(order_id="SEVA0000000000000001", refund_id="RF3", amount_paise=75_050)
    nothing_left = online.refund(order_id="SEVA0000000000000001", refund_id="RF4", amount_paise=1)

    assert first == GatewayRefund(refund_id="RF1", status="processed", reason="")
    assert too_much.status == "refused"
    assert "only 75050 paise" in too_much.reason
    assert rest.status == "processed"
    assert nothing_left.status == "refused"


def test_the_same_refund_asked_again_answers_the_same_and_refunds_once(online, payment_gateway):
    order(online)
    payment_gateway.pay("SEVA0000000000000001", "success")

    first = online.refund(order_id="SEVA0000000000000001", refund_id="RF1", amount_paise=125_050)
    again = online.refund(order_id="SEVA0000000000000001", refund_id="RF1", amount_paise=125_050)

    assert first == again == GatewayRefund(refund_id="RF1", status="processed", reason="")
    assert len(payment_gateway.log()["refunds"]) == 1
    with pytest.raises(GatewayError, match="another order or amount"):
        online.refund(order_id="SEVA0000000000000001", refund_id="RF1", amount_paise=5)


@pytest.mark.parametrize("outcome", [None, "failure", "cancelled"])
def test_an_unpaid_order_is_not_refunded(online, payment_gateway, outcome):
    order(online)
    if outcome:
        payment_gateway.pay("SEVA0000000000000001", outcome)

    refund = online.refund(order_id="SEVA0000000000000001", refund_id="RF1", amount_paise=100)

    assert refund.status == "refused"
    assert "not paid" in refund.reason


# ------------------------------------------------------------------------------
# Settlement files
# ------------------------------------------------------------------------------
def test_the_settlement_file_lists_the_days_successful_payments(online, payment_gateway):
    yesterday = dt.datetime.now(IST) - dt.timedelta(days=1)
    for number, outcome, paid_at in [
        (1, "success", None),
        (2, "failure", None),
        (3, "success", yesterday),
        (4, "cancelled", None),
    ]:
        order_id = f"SEVA{number:016d}"
        order(online, order_id, amount_paise=1000 * number)
        payment_gateway.pay(order_id, outcome, paid_at=paid_at)
    txn = {o["order_id"]: o["txn_id"] for o in payment_gateway.log()["orders"]}

    assert online.settlement(today()) == [
        SettlementLine(
            "SEVA0000000000000001", txn["SEVA0000000000000001"], 1000, "success", today()
        )
    ]
    assert online.settlement(yesterday.date()) == [
        SettlementLine(
            "SEVA0000000000000003", txn["SEVA0000000000000003"], 3000, "success", yesterday.date()
        )
    ]


def test_the_settlement_file_carries_the_lines_the_gateway_adds_changes_and_leaves_out(
    online, payment_gateway
):
    for number in (1, 2, 3):
        order(online, f"SEVA{number:016d}", amount_paise=1000)
        payment_gateway.pay(f"SEVA{number:016d}", "success")
    payment_gateway.settlement_lines(
        today(),
        [
            # Not a payment Seva knows of; a changed amount; one left out.
            {"order_id": "SEVA0000000000000099", "txn_id": "FGT000000000099", "amount_paise": 500},
            {"order_id": "SEVA0000000000000002", "amount_paise": 999},
            {"order_id": "SEVA0000000000000003", "omit": True},
        ],
    )

    lines = {line.reference: line for line in online.settlement(today())}

    assert set(lines) == {"SEVA0000000000000001", "SEVA0000000000000002", "SEVA0000000000000099"}
    assert lines["SEVA0000000000000002"].amount_paise == 999
    assert lines["SEVA0000000000000099"] == SettlementLine(
        "SEVA0000000000000099", "FGT000000000099", 500, "success", today()
    )


def test_a_garbled_settlement_file_from_the_gateway_is_refused_naming_the_line(
    online, payment_gateway
):
    order(online)
    payment_gateway.pay("SEVA0000000000000001", "success")
    payment_gateway.settlement_lines(today(), ["SEVA0000000000000100,FGT1,12.50,success,x"])

    with pytest.raises(SettlementFileError) as refused:
        online.settlement(today())

    assert (refused.value.line, refused.value.column) == (3, "amount_paise")
    assert isinstance(refused.value, GatewayError)


def test_the_banks_file_lists_the_challans_paid_that_day(bank, payment_gateway):
    yesterday = today() - dt.timedelta(days=1)
    paid = payment_gateway.challan_paid("CH-2026-000123", 52_500)
    payment_gateway.challan_paid("CH-2026-000124", 10_000, paid_on=yesterday)

    assert bank.settlement(today()) == [
        SettlementLine("CH-2026-000123", paid["bank_ref"], 52_500, "success", today())
    ]
    assert [line.reference for line in bank.settlement(yesterday)] == ["CH-2026-000124"]


def test_the_banks_file_is_refused_with_the_wrong_key(payment_gateway, settings, caplog):
    settings.SEVA_PAYMENT_GATEWAYS["challan"]["BANK_KEY"] = "guessed-key-9f8e"

    with caplog.at_level(logging.DEBUG), pytest.raises(GatewayError) as refused:
        gateway("challan").settlement(today())

    assert "(403)" in str(refused.value)
    assert "guessed-key-9f8e" not in str(refused.value) + caplog.text


# ------------------------------------------------------------------------------
# A file an accounts officer uploads
# ------------------------------------------------------------------------------
GOOD_FILE = (
    "\ufeffchallan_number,amount_paise,paid_on,bank_ref\r\n"
    "CH-2026-000123,52500,2026-04-15,SBI0001\r\n"
    "\r\n"
    '"CH-2026-000124",100,2026-04-15,"SBI,0002"\r\n'
).encode()


def test_an_uploaded_bank_file_is_read(bank):
    assert bank.parse_settlement(GOOD_FILE) == [
        SettlementLine("CH-2026-000123", "SBI0001", 52500, "success", dt.date(2026, 4, 15)),
        SettlementLine("CH-2026-000124", "SBI,0002", 100, "success", dt.date(2026, 4, 15)),
    ]


def test_the_columns_may_come_in_any_order_and_others_are_ignored(bank):
    content = (
        b"Bank_Ref,Paid_On,Branch,Amount_Paise,Challan_Number\nSBI1,2026-04-15,Ambala,700,CH1\n"
    )

    assert bank.parse_settlement(content) == [
        SettlementLine("CH1", "SBI1", 700, "success", dt.date(2026, 4, 15))
    ]


HEADER = "challan_number,amount_paise,paid_on,bank_ref\n"


@pytest.mark.parametrize(
    ("content", "line", "column", "words"),
    [
        (
            HEADER + "CH1,100,2026-04-15,SBI1\nCH2,12.50,2026-04-15,SBI2\n",
            3,
            "amount_paise",
            "whole paise",
        ),
        (HEADER + "CH1,-100,2026-04-15,SBI1\n", 2, "amount_paise", "whole paise"),
        (HEADER + "CH1,0,2026-04-15,SBI1\n", 2, "amount_paise", "whole paise"),
        (HEADER + "CH1,100,15/04/2026,SBI1\n", 2, "paid_on", "YYYY-MM-DD"),
        (HEADER + "CH1,100,20260415,SBI1\n", 2, "paid_on", "YYYY-MM-DD"),
        (HEADER + "CH1,100,2026-02-30,SBI1\n", 2, "paid_on", "YYYY-MM-DD"),
        (HEADER + ",100,2026-04-15,SBI1\n", 2, "challan_number", "empty"),
        (HEADER + "CH1,100,2026-04-15,\n", 2, "bank_ref", "empty"),
        (HEADER + "CH1,100,2026-04-15\n", 2, "bank_ref", "3 values"),
        (HEADER + "CH1,100,2026-04-15,SBI1,extra\n", 2, "", "5 values"),
        (
            "challan_number,amount,paid_on,bank_ref\nCH1,100,2026-04-15,SBI1\n",
            1,
            "amount_paise",
            "does not name",
        ),
        ("", 1, "", "empty"),
    ],
)
def test_a_bad_uploaded_file_is_refused_naming_the_line_and_column(
    bank, content, line, column, words
):
    with pytest.raises(SettlementFileError) as refused:
        bank.parse_settlement(content.encode())

    assert (refused.value.line, refused.value.column) == (line, column)
    assert words in refused.value.message
    where = f"Line {line}, column {column}:" if column else f"Line {line}:"
    assert refused.value.message.startswith(where)


def test_a_file_that_is_not_utf8_text_is_refused_naming_the_line(bank):
    content = (HEADER + "CH1,100,2026-04-15,SBI1\n").encode() + "CH2,1,2026-04-15,Bñ\n".encode(
        "latin-1"
    )

    with pytest.raises(SettlementFileError) as refused:
        bank.parse_settlement(content)

    assert refused.value.line == 3
    assert "UTF-8" in refused.value.message


# ------------------------------------------------------------------------------
# A gateway that is down, slow, or not to be trusted
# ------------------------------------------------------------------------------
def test_a_gateway_that_is_down_is_a_gateway_error(payment_gateway, settings, caplog):
    down = f"http://127.0.0.1:{free_port()}"
    settings.SEVA_PAYMENT_GATEWAYS["online"]["URL"] = down
    settings.SEVA_PAYMENT_GATEWAYS["challan"]["URL"] = down
    online, bank = gateway("online"), gateway("challan")

    for call in (
        lambda: order(online),
        lambda: online.query("SEVA0000000000000001"),
        lambda: online.refund(order_id="SEVA0000000000000001", refund_id="R1", amount_paise=1),
        lambda: online.settlement(today()),
        lambda: bank.settlement(today()),
    ):
        with caplog.at_level(logging.DEBUG), pytest.raises(GatewayError) as failed:
            call()
        assert down in str(failed.value)
        assert "try again" in failed.value.message
    # Neither the secret nor the bank's key is in a message or the log.
    said = caplog.text + str(failed.value)
    assert payment_gateway.secret not in said
    assert payment_gateway.bank_key not in said


class CannedGateway:
    """Answers every request with the same status and body, after `delay` seconds."""

    def __init__(self, status: int, body: bytes, delay: float = 0) -> None:
        class Handler(BaseHTTPRequestHandler):
            def answer(self) -> None:
                time.sleep(delay)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = answer

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def canned(payment_gateway, settings):
    servers = []

    def make(status: int, answer, delay: float = 0):
        body = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        server = CannedGateway(status, body, delay)
        servers.append(server)
        settings.SEVA_PAYMENT_GATEWAYS["online"]["URL"] = server.url
        return gateway("online")

    yield make
    for server in servers:
        server.close()


def status_answer(secret: str, **changes) -> dict:
    answer = {
        "order_id": "SEVA0000000000000001",
        "txn_id": "FGT000000000001",
        "amount_paise": 125050,
        "status": "success",
        "paid_at": "2026-04-15T10:00:00+05:30",
        **changes,
    }
    return {**answer, "checksum": checksum_of(answer, secret)}


def test_a_status_answer_signed_with_our_secret_is_believed(canned, payment_gateway):
    online = canned(200, status_answer(payment_gateway.secret))

    assert online.query("SEVA0000000000000001").status == "success"


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (b"<html>Service Unavailable</html>", "not a JSON object"),
        (b"[1, 2]", "not a JSON object"),
        ("unsigned", "not signed with our secret"),
        ("forged", "not signed with our secret"),
        ("another order", "answered about"),
        ("odd status", "does not know"),
        ("amount in rupees", "no amount in paise"),
        ("naive time", "no time zone"),
    ],
)
def test_a_status_answer_seva_cannot_trust_is_a_gateway_error(
    canned, payment_gateway, answer, words
):
    secret = payment_gateway.secret
    answers = {
        "unsigned": {k: v for k, v in status_answer(secret).items() if k != "checksum"},
        "forged": status_answer("someone-elses-secret"),
        "another order": status_answer(secret, order_id="SEVA0000000000000002"),
        "odd status": status_answer(secret, status="paid"),
        "amount in rupees": status_answer(secret, amount_paise="1250.50"),
        "naive time": status_answer(secret, paid_at="2026-04-15T10:00:00"),
    }
    online = canned(200, answers.get(answer, answer))

    with pytest.raises(GatewayError, match=words):
        online.query("SEVA0000000000000001")


def test_a_gateway_failing_with_500_is_a_gateway_error(canned):
    online = canned(500, {"error": "database unavailable"})

    with pytest.raises(GatewayError, match=r"refused \(500\): database unavailable"):
        online.query("SEVA0000000000000001")


def test_a_slow_gateway_is_given_up_on_after_the_timeout(canned, settings):
    settings.SEVA_PAYMENT_GATEWAYS["online"]["TIMEOUT"] = 1
    online = canned(200, b"{}", delay=5)
    started = time.monotonic()

    with pytest.raises(GatewayError, match=r"got no answer: .*timed out \(timeout 1 s\)"):
        online.query("SEVA0000000000000001")
    assert time.monotonic() - started < 4


def test_an_order_answer_for_another_amount_is_a_gateway_error(canned, payment_gateway):
    answer = {"order_id": "SEVA0000000000000001", "amount_paise": 1, "payment_url": "http://x/"}
    online = canned(200, {**answer, "checksum": checksum_of(answer, payment_gateway.secret)})

    with pytest.raises(GatewayError, match="is about order"):
        order(online)


# ------------------------------------------------------------------------------
# The configured gateways and the settings
# ------------------------------------------------------------------------------
def test_the_gateways_are_those_the_settings_name(payment_gateway, settings):
    assert gateway_names() == ["online", "challan"]
    assert gateway("online").display_name("hi") == "डेमो भुगतान गेटवे"
    assert gateway("challan").display_name("en") == "Demo Bank"
    with pytest.raises(GatewayNotConfigured, match="no payment gateway 'upi'"):
        gateway("upi")
    with pytest.raises(GatewayNotConfigured, match="cannot take online payments"):
        gateway("challan").query("CH1")

    settings.SEVA_PAYMENT_GATEWAYS = {}
    assert gateway_names() == []


def test_the_system_check_refuses_an_unknown_adapter_or_missing_credentials(settings):
    assert [e for e in run_checks() if e.id.startswith("seva.E20")] == []

    settings.SEVA_PAYMENT_GATEWAYS = {
        "online": {"ADAPTER": "redirect_checksum_v2", "URL": "https://pay.example"},
        "challan": {"ADAPTER": "bank_challan", "URL": "https://bank.example", "BANK_KEY": ""},
        "counter": {"ADAPTER": "bank_challan", "URL": "https://bank.example", "BANK_KEY": "k"},
    }
    errors = {(e.id, e.msg) for e in run_checks() if e.id.startswith("seva.E20")}

    assert errors == {
        ("seva.E201", "SEVA_PAYMENT_GATEWAYS['online']: unknown adapter 'redirect_checksum_v2'."),
        ("seva.E202", "SEVA_PAYMENT_GATEWAYS['challan']: the bank_challan adapter needs BANK_KEY."),
        (
            "seva.E201",
            "SEVA_PAYMENT_GATEWAYS['counter']: a gateway's key is 1 to 20 characters and not "
            "counter (the counter's).",
        ),
    }


PRODUCTION = {
    "SECRET_KEY": "x" * 50,
    "ALLOWED_HOSTS": "seva.example.gov.in",
    "DATABASE_URL": "postgres://seva@db.internal:5432/seva",
    "CELERY_BROKER_URL": "redis://cache.internal:6379/0",
    "SEVA_CACHE_URL": "redis://cache.internal:6379/1",
    "SEVA_S3_BUCKET": "seva-files",
    "SEVA_S3_REGION": "ap-south-1",
}
ONLINE = {
    "SEVA_PAYMENTS_ENABLED": "1",
    "SEVA_PAYMENT_URL": "https://pay.example.gov.in",
    "SEVA_PAYMENT_MERCHANT_ID": "HRSEVA01",
    "SEVA_PAYMENT_SECRET": "s3cr3t-from-the-gateway",
}


def production_gateways(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Starts Django on the production settings with `env` and prints the gateways."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SEVA_", "DJANGO_")) and k not in PRODUCTION
    }
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.SEVA_PAYMENT_GATEWAYS))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env={
            **clean,
            **PRODUCTION,
            **env,
            "DJANGO_SETTINGS_MODULE": "seva.config.settings.prod",
            "PYTHONPATH": str(REPO / "platform"),
        },
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )


def test_production_takes_no_gateway_unless_payments_are_enabled():
    started = production_gateways({})

    assert started.returncode == 0, started.stderr
    assert json.loads(started.stdout.splitlines()[-1]) == {}


def test_production_takes_the_gateway_from_the_environment():
    started = production_gateways(
        {**ONLINE, "SEVA_CHALLAN_BANK_URL": "https://bank.example", "SEVA_CHALLAN_BANK_KEY": "k"}
    )

    assert started.returncode == 0, started.stderr
    gateways = json.loads(started.stdout.splitlines()[-1])
    assert gateways["online"]["SECRET"] == "s3cr3t-from-the-gateway"
    assert gateways["online"]["MERCHANT_ID"] == "HRSEVA01"
    assert gateways["challan"]["BANK_KEY"] == "k"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({**ONLINE, "SEVA_PAYMENT_SECRET": ""}, "SEVA_PAYMENT_SECRET"),
        ({**ONLINE, "SEVA_PAYMENT_MERCHANT_ID": ""}, "SEVA_PAYMENT_MERCHANT_ID"),
        ({**ONLINE, "SEVA_PAYMENT_URL": "http://pay.example.gov.in"}, "https://"),
        ({"SEVA_PAYMENTS_ENABLED": "1"}, "no gateway is named"),
        ({**ONLINE, "SEVA_PAYMENTS_ENABLED": "0"}, "SEVA_PAYMENTS_ENABLED is off"),
        ({**ONLINE, "SEVA_CHALLAN_BANK_KEY": "k"}, "SEVA_CHALLAN_BANK_KEY given without"),
        ({**ONLINE, "SEVA_CHALLAN_BANK_URL": "https://bank.example"}, "SEVA_CHALLAN_BANK_KEY"),
    ],
)
def test_production_refuses_to_start_with_a_gateway_half_configured(env, named):
    started = production_gateways(env)

    assert started.returncode != 0
    assert "ImproperlyConfigured" in started.stderr
    assert named in started.stderr
    assert "s3cr3t-from-the-gateway" not in started.stderr
