"""The demo's fake gateway as a citizen and a bank's cashier meet it: the payment page and its
three choices, the signed return to Seva and the signed callback (received by a loopback
server standing in for Seva), callbacks twice, late or never, and the bank's counter."""

from __future__ import annotations

import datetime as dt
import http.client
import re
import time
import urllib.parse
from zoneinfo import ZoneInfo

import pytest

from seva.demo.fakegateway import rupees
from seva.demo.management.commands.fake_gateway import settings_defaults
from seva.payments.gateways import gateway
from tests.fakegateway import CallbackReceiver

IST = ZoneInfo("Asia/Kolkata")
ORDER = "SEVA0000000000000042"
RETURN_URL = "http://seva.test/payments/online/return/?lang=hi"


def fetch(base: str, method: str, path: str, form: dict | None = None):
    """(status, headers, text) of one request, redirects not followed, as a browser sees it."""
    address = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    body = urllib.parse.urlencode(form) if form is not None else None
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if form is not None else {}
    connection.request(method, path, body=body, headers=headers)
    answer = connection.getresponse()
    result = answer.status, dict(answer.getheaders()), answer.read().decode()
    connection.close()
    return result


@pytest.fixture
def receiver():
    with CallbackReceiver() as seva:
        yield seva


@pytest.fixture
def payment_page(payment_gateway, receiver) -> str:
    """The path of the gateway's page for a fresh order of Rs 1,250.50."""
    url = gateway("online").create_order(
        order_id=ORDER,
        amount_paise=125050,
        description="Water connection: connection charges",
        return_url=RETURN_URL,
        callback_url=receiver.url,
    )
    return urllib.parse.urlsplit(url).path


def returned_fields(location: str) -> dict[str, str]:
    assert location.startswith("http://seva.test/payments/online/return/?")
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


def test_the_payment_page_shows_whom_what_for_and_how_much(payment_gateway, payment_page):
    status, headers, page = fetch(payment_gateway.url, "GET", payment_page)

    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<html lang='en'>" in page
    assert "Demo payment gateway" in page
    assert "No money moves" in page
    assert "Seva, Government of Haryana (demo)" in page
    assert ORDER in page
    assert "Water connection: connection charges" in page
    assert "₹ 1,250.50" in page
    buttons = re.findall(
        r"<button type='submit' name='outcome' value='(\w+)'>([^<]+)</button>", page
    )
    assert buttons == [
        ("success", "Pay ₹ 1,250.50 successfully"),
        ("failure", "Make the payment fail"),
        ("cancelled", "Cancel the payment"),
    ]
    assert "<legend>What should happen to this payment?</legend>" in page


def test_paying_sends_a_signed_callback_then_the_browser_back_with_a_signed_status(
    payment_gateway, payment_page, receiver
):
    online = gateway("online")

    status, headers, _ = fetch(payment_gateway.url, "POST", payment_page, {"outcome": "success"})

    assert status == 303
    returned = returned_fields(headers["Location"])
    assert returned["lang"] == "hi"  # Seva's own query string is kept
    assert returned["order_id"] == ORDER
    assert returned["status"] == "success"
    assert online.verify({k: v for k, v in returned.items() if k != "lang"})
    # The callback reached Seva's end before the browser was sent back.
    assert len(receiver.received) == 1
    callback = receiver.received[0]
    assert callback.pop("path") == "/callback"
    assert callback["merchant_id"] == payment_gateway.merchant_id
    assert (callback["order_id"], callback["amount_paise"], callback["status"]) == (
        ORDER,
        "125050",
        "success",
    )
    assert re.fullmatch(r"FGT\d{12}", callback["txn_id"])
    assert callback["paid_at"].endswith("+05:30")
    assert online.verify(callback)
    logged = payment_gateway.callbacks()
    assert [(c["answer_status"], c["answer"]) for c in logged] == [(200, "OK")]


@pytest.mark.parametrize("outcome", ["failure", "cancelled"])
def test_a_failed_or_cancelled_payment_goes_back_with_its_status(
    payment_gateway, payment_page, receiver, outcome
):
    status, headers, _ = fetch(payment_gateway.url, "POST", payment_page, {"outcome": outcome})

    assert status == 303
    assert returned_fields(headers["Location"])["status"] == outcome
    assert [c["status"] for c in receiver.received] == [outcome]
    assert receiver.received[0]["paid_at"] == ""
    assert gateway("online").query(ORDER).status == outcome


def test_a_payment_is_decided_once(payment_gateway, payment_page, receiver):
    fetch(payment_gateway.url, "POST", payment_page, {"outcome": "failure"})

    status, headers, _ = fetch(payment_gateway.url, "POST", payment_page, {"outcome": "success"})
    _, _, page = fetch(payment_gateway.url, "GET", payment_page)

    assert status == 303
    assert returned_fields(headers["Location"])["status"] == "failure"
    assert len(receiver.received) == 1
    assert "This payment is over: <strong>Payment failed</strong>" in page


def test_a_choice_that_is_not_one_of_the_buttons_changes_nothing(payment_gateway, payment_page):
    status, _, page = fetch(payment_gateway.url, "POST", payment_page, {"outcome": "refund"})

    assert status == 400
    assert "Choose one of the three buttons" in page
    assert gateway("online").query(ORDER).status == "created"


def test_an_unknown_payment_page_is_not_found(payment_gateway):
    status, _, page = fetch(payment_gateway.url, "GET", "/pay/SEVA9999999999999999")

    assert status == 404
    assert "not known to the gateway" in page


def test_callbacks_twice_or_never(payment_gateway, receiver):
    online = gateway("online")
    for order_id in ("SEVA0000000000000001", "SEVA0000000000000002"):
        online.create_order(
            order_id=order_id,
            amount_paise=100,
            description="",
            return_url=RETURN_URL,
            callback_url=receiver.url,
        )
    payment_gateway.behaviour("SEVA0000000000000001", callback="twice")
    payment_gateway.behaviour("SEVA0000000000000002", callback="none")

    twice = payment_gateway.pay("SEVA0000000000000001")
    never = payment_gateway.pay("SEVA0000000000000002")

    assert [c["order_id"] for c in receiver.received] == ["SEVA0000000000000001"] * 2
    assert len(twice["callbacks"]) == 2
    assert never["callbacks"] == []
    # What the callback would have carried, for a test to hand to Seva itself.
    assert online.verify(never["callback_fields"])


def test_a_late_callback_comes_after_the_browser_has_gone_back(
    payment_gateway, payment_page, receiver
):
    payment_gateway.behaviour(ORDER, callback="late", delay=0.5)

    status, _, _ = fetch(payment_gateway.url, "POST", payment_page, {"outcome": "success"})

    assert status == 303
    assert receiver.received == []
    assert receiver.arrived.wait(timeout=10)
    assert receiver.received[0]["status"] == "success"


def test_a_late_callback_is_not_sent_after_a_reset(payment_gateway, payment_page, receiver):
    payment_gateway.behaviour(ORDER, callback="late", delay=0.3)
    payment_gateway.pay(ORDER)
    payment_gateway.reset()

    time.sleep(0.8)

    assert receiver.received == []
    assert payment_gateway.callbacks() == []


def test_a_callback_seva_refuses_is_logged_with_its_answer(payment_gateway):
    with CallbackReceiver(status=400) as refusing:
        gateway("online").create_order(
            order_id=ORDER,
            amount_paise=100,
            description="",
            return_url=RETURN_URL,
            callback_url=refusing.url,
        )
        payment_gateway.pay(ORDER)

    [logged] = payment_gateway.callbacks()
    assert (logged["order_id"], logged["answer_status"]) == (ORDER, 400)


# ------------------------------------------------------------------------------
# The bank's counter
# ------------------------------------------------------------------------------
def test_the_cashier_marks_a_challan_paid_and_the_banks_file_lists_it(payment_gateway):
    status, _, page = fetch(payment_gateway.url, "GET", "/bank")
    assert status == 200
    assert "<label for='challan_number'>Challan number</label>" in page
    assert "<label for='amount'>Amount received, in rupees</label>" in page

    status, headers, _ = fetch(
        payment_gateway.url, "POST", "/bank", {"challan_number": "CH-2026-7", "amount": "1,250.5"}
    )
    assert status == 303
    _, _, page = fetch(payment_gateway.url, "GET", headers["Location"])

    assert "Challan <strong>CH-2026-7</strong> marked paid: ₹ 1,250.50" in page
    [line] = gateway("challan").settlement(dt.datetime.now(IST).date())
    assert (line.reference, line.amount_paise) == ("CH-2026-7", 125050)
    assert line.txn_id in page


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"challan_number": "", "amount": "100"}, "Enter the challan number"),
        ({"challan_number": "CH1", "amount": "12.345"}, "Enter the amount in rupees"),
        ({"challan_number": "CH1", "amount": "0"}, "Enter the amount in rupees"),
        ({"challan_number": "CH1", "amount": ""}, "Enter the amount in rupees"),
    ],
)
def test_the_bank_counter_refuses_what_is_not_a_challan_and_an_amount(payment_gateway, form, error):
    status, _, page = fetch(payment_gateway.url, "POST", "/bank", form)

    assert status == 400
    assert error in page
    assert "aria-invalid='true'" in page
    assert payment_gateway.log()["challans"] == []


def test_a_challan_is_paid_once(payment_gateway):
    first = payment_gateway.challan_paid("CH1", 100)

    status, _, page = fetch(
        payment_gateway.url, "POST", "/bank", {"challan_number": "CH1", "amount": "1"}
    )

    assert status == 400
    assert f"Challan CH1 was paid already on {first['paid_on']}" in page


def test_amounts_are_written_the_indian_way():
    assert [rupees(p) for p in (5, 100, 125050, 10000000, 1234567890)] == [
        "₹ 0.05",
        "₹ 1.00",
        "₹ 1,250.50",
        "₹ 1,00,000.00",
        "₹ 1,23,45,678.90",
    ]


def test_the_command_serves_with_the_settings_credentials(settings):
    settings.SEVA_PAYMENT_GATEWAYS = {
        "online": {
            "ADAPTER": "redirect_checksum",
            "URL": "http://127.0.0.1:8799",
            "MERCHANT_ID": "M1",
            "SECRET": "s1",
        },
        "challan": {"ADAPTER": "bank_challan", "URL": "http://127.0.0.1:8799", "BANK_KEY": "b1"},
    }

    assert settings_defaults() == {
        "host": "127.0.0.1",
        "port": 8799,
        "merchant_id": "M1",
        "secret": "s1",
        "bank_key": "b1",
    }
