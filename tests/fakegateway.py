"""The fake payment gateway and bank (seva.demo.fakegateway) on loopback for the tests: a real
HTTP server, in a thread of the test process, on a free port.

`fake_gateway` (a session fixture) is one server for the whole run. `payment_gateway` (per
test) empties it and points SEVA_PAYMENT_GATEWAYS at it, built from the variables production
reads (`FakeGatewayServer.environ()`, which a process started by a test is given too). The
control calls (`behaviour`, `pay`, `settlement_lines`, `challan_paid`, `log`) go over HTTP,
as the demo's would. `CallbackReceiver` is a loopback server that keeps what is posted to it,
for a callback that must reach something real."""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from seva.config.settings.base import payment_gateways_from_environ
from seva.demo import fakegateway


class FakeGatewayServer:
    merchant_id = fakegateway.DEMO_MERCHANT_ID
    secret = fakegateway.DEMO_SECRET
    bank_key = fakegateway.DEMO_BANK_KEY

    def __init__(self) -> None:
        self.app = fakegateway.FakeGateway(
            fakegateway.Config(
                merchant_id=self.merchant_id, secret=self.secret, bank_key=self.bank_key
            )
        )
        self.server = fakegateway.server_for(self.app, "127.0.0.1", 0)
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="fake-gateway", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def start(self) -> FakeGatewayServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- what Seva is told ------------------------------------------------------------
    def environ(self) -> dict[str, str]:
        """The variables that point Seva at this gateway and bank (docs/payments.md)."""
        return {
            "SEVA_PAYMENTS_ENABLED": "1",
            "SEVA_PAYMENT_URL": self.url,
            "SEVA_PAYMENT_MERCHANT_ID": self.merchant_id,
            "SEVA_PAYMENT_SECRET": self.secret,
            "SEVA_PAYMENT_GATEWAY_NAME": "Demo payment gateway",
            "SEVA_PAYMENT_GATEWAY_NAME_HI": "डेमो भुगतान गेटवे",
            "SEVA_CHALLAN_BANK_URL": self.url,
            "SEVA_CHALLAN_BANK_KEY": self.bank_key,
            "SEVA_CHALLAN_BANK_NAME": "Demo Bank",
            "SEVA_CHALLAN_BANK_NAME_HI": "डेमो बैंक",
            "SEVA_PAYMENT_TIMEOUT": "5",
        }

    def gateways(self) -> dict[str, dict]:
        """SEVA_PAYMENT_GATEWAYS for this server, built as the settings build it."""
        return payment_gateways_from_environ(self.environ())

    # --- control ------------------------------------------------------------------------
    def control(self, method: str, path: str, body: dict | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.url}/_control/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as refused:
            raise AssertionError(
                f"the fake gateway refused {path}: {refused.code} {refused.read()!r}"
            ) from None

    def reset(self) -> None:
        self.control("POST", "reset", {})

    def behaviour(self, order_id: str = "*", **changes: Any) -> dict:
        """callback="none"|"twice"|"late" (delay=seconds), checksum="forged", amount_paise=N,
        status="pending"; a value of None returns that one to normal."""
        return self.control("POST", "behaviour", {"order_id": order_id, **changes})

    def pay(
        self, order_id: str, outcome: str = "success", *, paid_at: datetime | None = None
    ) -> dict:
        """Completes the order as the payment page's button would. Answers the return_url
        the browser is sent to, the signed callback_fields, and the callbacks sent."""
        body: dict[str, Any] = {"order_id": order_id, "outcome": outcome}
        if paid_at is not None:
            body["paid_at"] = paid_at.isoformat()
        return self.control("POST", "pay", body)

    def settlement_lines(self, day: date, lines: list[dict | str]) -> None:
        """Lines added to (or, same order_id, replacing; {"order_id": x, "omit": True}:
        removing) the gateway's settlement file of `day`; a string is a raw CSV line."""
        self.control("POST", "settlement", {"date": day.isoformat(), "lines": lines})

    def challan_paid(
        self, challan_number: str, amount_paise: int, paid_on: date | None = None
    ) -> dict:
        body: dict[str, Any] = {"challan_number": challan_number, "amount_paise": amount_paise}
        if paid_on is not None:
            body["paid_on"] = paid_on.isoformat()
        return self.control("POST", "challan-paid", body)

    def log(self) -> dict:
        """{callbacks, orders, refunds, challans, behaviours}."""
        return self.control("GET", "log")

    def callbacks(self) -> list[dict]:
        return self.log()["callbacks"]


@pytest.fixture(scope="session")
def fake_gateway() -> Iterator[FakeGatewayServer]:
    # A line per request is the demo's log; in a test's output it hides what failed.
    logging.getLogger(fakegateway.__name__).setLevel(logging.WARNING)
    server = FakeGatewayServer().start()
    yield server
    server.stop()


@pytest.fixture
def payment_gateway(fake_gateway: FakeGatewayServer, settings) -> Iterator[FakeGatewayServer]:
    """The fake gateway, emptied, and SEVA_PAYMENT_GATEWAYS pointing at it for this test."""
    fake_gateway.reset()
    settings.SEVA_PAYMENTS_ENABLED = True
    settings.SEVA_PAYMENT_GATEWAYS = fake_gateway.gateways()
    yield fake_gateway
    # A late callback still waiting is not sent into the next test.
    fake_gateway.reset()


class CallbackReceiver:
    """A loopback HTTP server that answers 200 to every POST and keeps its form fields:
    the merchant's end of a callback, for tests of the gateway itself."""

    def __init__(self, status: int = 200) -> None:
        received: list[dict[str, str]] = []
        self.received = received
        self.arrived = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                fields = urllib.parse.parse_qsl(self.rfile.read(length).decode(), True)
                received.append({"path": self.path, **dict(fields)})
                arrived.set()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"OK")

            def log_message(self, *args: Any) -> None:
                pass

        arrived = self.arrived
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/callback"

    def __enter__(self) -> CallbackReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
