"""A fake payment gateway, and a fake bank that takes e-challans, for the demo and the tests: a
real HTTP server on loopback that behaves like the redirect-and-callback gateways Indian
governments and payment aggregators run (docs/payments.md, "The fake gateway").

- `POST /api/orders` creates an order; the citizen's browser is sent to `/pay/<order>`, the
  gateway's own page, where the demo person chooses success, failure or cancel; the gateway
  then posts a signed callback to Seva, server to server, and sends the browser back to Seva's
  return URL with a signed status.
- `GET /api/orders/<order>` answers the status query, `POST /api/refunds` refunds,
  `GET /api/settlements/<day>.csv` is the day's settlement file.
- `/bank` is a bank counter where the demo person, as the cashier, marks a challan paid;
  `GET /bank/challans/<day>.csv` is the bank's file of the challans paid that day.
- `/_control/...` makes it misbehave on purpose (a callback sent twice, late or never, a
  forged checksum, another amount, an order left pending, lines added to a settlement file),
  completes an order without a browser, and shows the callbacks sent.

Every message is signed with HMAC-SHA256 over the sorted `key=value` pairs joined by `|`
(`checksum_of`), with the merchant's secret. Standard library only, so that it runs beside
`make run` and inside the tests without Django; state is kept in memory, under one lock.

    python -m seva.demo.fakegateway --port 8765
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import hmac
import html
import io
import json
import logging
import os
import re
import secrets
import socketserver
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.util import application_uri
from zoneinfo import ZoneInfo

log = logging.getLogger(__name__)

IST = ZoneInfo("Asia/Kolkata")

# The demo's credentials: the development and test settings name the same ones
# (SEVA_PAYMENT_GATEWAYS in seva/config/settings/base.py).
DEMO_MERCHANT_ID = "SEVADEMO01"
DEMO_SECRET = "demo-gateway-secret-not-a-secret"
DEMO_BANK_KEY = "demo-bank-key-not-a-secret"
DEMO_MERCHANT_NAME = "Seva, Government of Haryana (demo)"
DEFAULT_PORT = 8765

OUTCOMES = ("success", "failure", "cancelled")
FINISHED = {
    "success": "Payment made",
    "failure": "Payment failed",
    "cancelled": "Payment cancelled",
}
ORDER_ID = re.compile(r"[A-Za-z0-9_-]{1,40}")
CHALLAN_NUMBER = re.compile(r"[A-Za-z0-9/_-]{1,40}")
PAISE = re.compile(r"[0-9]{1,15}")
CALLBACK_TIMEOUT_SECONDS = 10
MAX_BODY_BYTES = 1_000_000
SETTLEMENT_COLUMNS = ("order_id", "txn_id", "amount_paise", "status", "settled_on")
CHALLAN_COLUMNS = ("challan_number", "amount_paise", "paid_on", "bank_ref")


def checksum_of(fields: Mapping[str, object], secret: str) -> str:
    """HMAC-SHA256, hex, over `k=v` of every field but `checksum`, sorted by key, joined by
    `|`. A missing value (None) is signed as the empty string."""
    message = "|".join(
        f"{key}={'' if value is None else value}"
        for key, value in sorted(fields.items())
        if key != "checksum"
    )
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def checksum_valid(fields: Mapping[str, object], secret: str) -> bool:
    given = str(fields.get("checksum") or "")
    return hmac.compare_digest(given.encode(), checksum_of(fields, secret).encode())


def signed(fields: dict[str, Any], secret: str) -> dict[str, Any]:
    return {**fields, "checksum": checksum_of(fields, secret)}


def rupees(paise: int) -> str:
    """₹ 1,25,000.50: Indian grouping (lakhs, crores), as a citizen reads an amount."""
    whole, fraction = divmod(paise, 100)
    digits = str(whole)
    if len(digits) > 3:
        head, tail = digits[:-3], digits[-3:]
        groups: list[str] = []
        while len(head) > 2:
            groups.insert(0, head[-2:])
            head = head[:-2]
        digits = ",".join([head, *groups, tail]) if head else ",".join([*groups, tail])
    return f"₹ {digits}.{fraction:02d}"


def now() -> datetime:
    return datetime.now(IST).replace(microsecond=0)


# ------------------------------------------------------------------------------
# State
# ------------------------------------------------------------------------------
@dataclass
class Order:
    order_id: str
    amount_paise: int
    description: str
    return_url: str
    callback_url: str
    status: str = "created"  # created | success | failure | cancelled
    txn_id: str = ""
    paid_at: str = ""  # ISO 8601, Indian time; only for a success
    refunded_paise: int = 0


@dataclass(frozen=True)
class Config:
    merchant_id: str = DEMO_MERCHANT_ID
    secret: str = DEMO_SECRET
    bank_key: str = DEMO_BANK_KEY
    merchant_name: str = DEMO_MERCHANT_NAME
    # The address payment URLs are built on; empty: the one the request came to.
    public_url: str = ""


class FakeGateway:
    """The WSGI application. One instance is one gateway and one bank, with their state."""

    def __init__(self, config: Config | None = None) -> None:
        self.config = config or Config()
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.orders: dict[str, Order] = {}
            self.refunds: dict[str, dict[str, Any]] = {}
            # "*" for every order, or an order id: {callback, delay, checksum, amount_paise, status}
            self.behaviours: dict[str, dict[str, Any]] = {}
            self.settlement_lines: dict[str, list[Any]] = {}
            self.challans: dict[str, dict[str, Any]] = {}
            self.callbacks: list[dict[str, Any]] = []
            # Late callbacks scheduled before a reset are not sent after it.
            self.generation = getattr(self, "generation", 0) + 1

    # --- what the gateway reports about an order --------------------------------------
    def behaviour(self, order_id: str) -> dict[str, Any]:
        with self.lock:
            return {**self.behaviours.get("*", {}), **self.behaviours.get(order_id, {})}

    def reported_amount(self, order: Order) -> int:
        amount = self.behaviour(order.order_id).get("amount_paise")
        return order.amount_paise if amount is None else int(amount)

    def reported_status(self, order: Order) -> str:
        if self.behaviour(order.order_id).get("status") == "pending":
            return "pending"
        return order.status

    def sign_for(self, order_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Callback and return fields, signed; with a wrong checksum when told to forge it."""
        if self.behaviour(order_id).get("checksum") == "forged":
            return {**fields, "checksum": checksum_of(fields, self.config.secret + "-forged")}
        return signed(fields, self.config.secret)

    def new_txn_id(self) -> str:
        taken = {order.txn_id for order in self.orders.values()}
        while (txn_id := f"FGT{secrets.randbelow(10**12):012d}") in taken:
            pass
        return txn_id

    # --- completing an order (the payment page's buttons, or /_control/pay) ------------
    def complete(
        self, order_id: str, outcome: str, *, paid_at: datetime | None = None
    ) -> dict[str, Any]:
        """Records the result, sends the callback(s) as the behaviour says, and answers where
        the browser goes next and what was sent. An order already completed keeps its result
        and sends nothing again."""
        with self.lock:
            order = self.orders[order_id]
            completed_now = order.status == "created"
            if completed_now:
                order.status = outcome
                order.txn_id = self.new_txn_id() if outcome != "cancelled" else ""
                if outcome == "success":
                    order.paid_at = (paid_at or now()).astimezone(IST).isoformat()
            fields = self.sign_for(
                order_id,
                {
                    "merchant_id": self.config.merchant_id,
                    "order_id": order.order_id,
                    "txn_id": order.txn_id,
                    "amount_paise": self.reported_amount(order),
                    "status": order.status,
                    "paid_at": order.paid_at,
                },
            )
            behaviour = self.behaviour(order_id)
            generation = self.generation
        sent = []
        if completed_now:
            mode = behaviour.get("callback", "normal")
            if mode in ("normal", "twice"):
                sent.append(self.send_callback(order, fields))
            if mode == "twice":
                sent.append(self.send_callback(order, fields))
            if mode == "late":
                timer = threading.Timer(
                    float(behaviour.get("delay", 1.0)),
                    self.send_callback,
                    args=(order, fields),
                    kwargs={"generation": generation},
                )
                timer.daemon = True
                timer.start()
        return_fields = self.sign_for(
            order_id, {"order_id": order.order_id, "status": order.status}
        )
        return {
            "order_id": order.order_id,
            "status": order.status,
            "txn_id": order.txn_id,
            "return_url": with_query(order.return_url, return_fields),
            "callback_fields": {key: str(value) for key, value in fields.items()},
            "callbacks": sent,
        }

    def send_callback(
        self, order: Order, fields: Mapping[str, Any], *, generation: int | None = None
    ) -> dict[str, Any]:
        if generation is not None and generation != self.generation:
            return {}
        entry: dict[str, Any] = {
            "at": now().isoformat(),
            "order_id": order.order_id,
            "url": order.callback_url,
            "fields": {key: str(value) for key, value in fields.items()},
            "answer_status": None,
            "answer": "",
            "error": "",
        }
        request = urllib.request.Request(
            order.callback_url,
            data=urllib.parse.urlencode(entry["fields"]).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=CALLBACK_TIMEOUT_SECONDS) as answer:
                entry["answer_status"] = answer.status
                entry["answer"] = answer.read(2000).decode("utf-8", "replace")
        except urllib.error.HTTPError as refused:
            entry["answer_status"] = refused.code
            entry["answer"] = refused.read(2000).decode("utf-8", "replace")
        except (urllib.error.URLError, OSError, ValueError) as failed:
            entry["error"] = str(failed)
        with self.lock:
            if generation is None or generation == self.generation:
                self.callbacks.append(entry)
        return entry

    # --- WSGI --------------------------------------------------------------------
    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        try:
            answer = self.route(request)
        except BadRequest as refused:
            answer = json_answer({"error": str(refused)}, status=refused.status)
        except Exception:
            log.exception("The fake gateway failed on %s %s", request.method, request.path)
            answer = json_answer({"error": "the fake gateway failed (see its log)"}, status=500)
        start_response(answer.status_line, answer.headers)
        return [answer.body]

    def route(self, request: Request) -> Answer:
        for method, pattern, handler in self.routes():
            match = re.fullmatch(pattern, request.path)
            if match and request.method == method:
                return handler(request, *match.groups())
        if any(re.fullmatch(pattern, request.path) for _, pattern, _ in self.routes()):
            return json_answer({"error": "method not allowed"}, status=405)
        return json_answer({"error": "not found"}, status=404)

    def routes(self) -> list[tuple[str, str, Callable[..., Answer]]]:
        day = r"(\d{4}-\d{2}-\d{2})"
        return [
            ("GET", "/", self.home),
            ("POST", "/api/orders", self.order_create),
            ("GET", r"/api/orders/([^/]+)", self.order_status),
            ("POST", "/api/refunds", self.refund),
            ("GET", rf"/api/settlements/{day}\.csv", self.settlement),
            ("GET", r"/pay/([^/]+)", self.payment_page),
            ("POST", r"/pay/([^/]+)", self.payment_chosen),
            ("GET", "/bank", self.bank_page),
            ("POST", "/bank", self.bank_paid),
            ("GET", rf"/bank/challans/{day}\.csv", self.bank_file),
            ("POST", "/_control/behaviour", self.control_behaviour),
            ("POST", "/_control/pay", self.control_pay),
            ("POST", "/_control/settlement", self.control_settlement),
            ("POST", "/_control/challan-paid", self.control_challan_paid),
            ("POST", "/_control/reset", self.control_reset),
            ("GET", "/_control/log", self.control_log),
        ]

    # --- the merchant's API ------------------------------------------------------
    def merchant_checked(self, fields: Mapping[str, str]) -> None:
        if not hmac.compare_digest(
            str(fields.get("merchant_id", "")).encode(), self.config.merchant_id.encode()
        ):
            raise BadRequest("unknown merchant_id")
        if not checksum_valid(fields, self.config.secret):
            raise BadRequest("checksum does not match")

    def order_create(self, request: Request) -> Answer:
        fields = request.form()
        self.merchant_checked(fields)
        order_id = fields.get("order_id", "")
        if not ORDER_ID.fullmatch(order_id):
            raise BadRequest("order_id: 1 to 40 letters, digits, - or _")
        amount = paise_of(fields.get("amount_paise", ""), "amount_paise")
        if amount < 1:
            raise BadRequest("amount_paise must be at least 1")
        if fields.get("currency") != "INR":
            raise BadRequest("currency must be INR")
        for name in ("return_url", "callback_url"):
            if urllib.parse.urlsplit(fields.get(name, "")).scheme not in ("http", "https"):
                raise BadRequest(f"{name} must be an http(s) URL")
        with self.lock:
            order = self.orders.get(order_id)
            if order is None:
                order = self.orders[order_id] = Order(
                    order_id=order_id,
                    amount_paise=amount,
                    description=fields.get("description", "")[:200],
                    return_url=fields["return_url"],
                    callback_url=fields["callback_url"],
                )
            elif order.amount_paise != amount:
                raise BadRequest(
                    f"order {order_id} exists with amount_paise {order.amount_paise}, not {amount}"
                )
        payment_url = f"{self.base_url(request)}/pay/{urllib.parse.quote(order_id)}"
        return json_answer(
            signed(
                {"order_id": order_id, "amount_paise": amount, "payment_url": payment_url},
                self.config.secret,
            )
        )

    def order_status(self, request: Request, order_id: str) -> Answer:
        order_id = urllib.parse.unquote(order_id)
        fields = {**request.query(), "order_id": order_id}
        self.merchant_checked(fields)
        with self.lock:
            order = self.orders.get(order_id)
            if order is None:
                return json_answer({"error": f"no order {order_id}"}, status=404)
            answer = {
                "order_id": order.order_id,
                "txn_id": order.txn_id,
                "amount_paise": self.reported_amount(order),
                "status": self.reported_status(order),
                "paid_at": order.paid_at,
            }
        return json_answer(signed(answer, self.config.secret))

    def refund(self, request: Request) -> Answer:
        fields = request.form()
        self.merchant_checked(fields)
        refund_id = fields.get("refund_id", "")
        if not ORDER_ID.fullmatch(refund_id):
            raise BadRequest("refund_id: 1 to 40 letters, digits, - or _")
        amount = paise_of(fields.get("amount_paise", ""), "amount_paise")
        order_id = fields.get("order_id", "")
        with self.lock:
            earlier = self.refunds.get(refund_id)
            if earlier is not None:
                if earlier["order_id"] != order_id or earlier["amount_paise"] != amount:
                    raise BadRequest(f"refund {refund_id} was asked for another order or amount")
                return json_answer(signed(earlier, self.config.secret))
            order = self.orders.get(order_id)
            if order is None:
                reason = f"no order {order_id}"
            elif order.status != "success":
                reason = f"order {order_id} is not paid ({order.status})"
            elif amount < 1:
                reason = "amount_paise must be at least 1"
            elif amount > self.reported_amount(order) - order.refunded_paise:
                left = self.reported_amount(order) - order.refunded_paise
                reason = f"only {left} paise of order {order_id} is left to refund"
            else:
                reason = ""
                order.refunded_paise += amount
            result = {
                "refund_id": refund_id,
                "order_id": order_id,
                "amount_paise": amount,
                "status": "refused" if reason else "processed",
                "reason": reason,
            }
            self.refunds[refund_id] = result
        return json_answer(signed(result, self.config.secret))

    def settlement(self, request: Request, day: str) -> Answer:
        fields = {**request.query(), "date": day}
        self.merchant_checked(fields)
        settled_on = day_of(day)
        with self.lock:
            lines: dict[str, Any] = {
                order.order_id: {
                    "order_id": order.order_id,
                    "txn_id": order.txn_id,
                    "amount_paise": self.reported_amount(order),
                    "status": "success",
                    "settled_on": day,
                }
                for order in self.orders.values()
                if order.status == "success"
                and datetime.fromisoformat(order.paid_at).astimezone(IST).date() == settled_on
            }
            raw: list[str] = []
            for line in self.settlement_lines.get(day, []):
                if isinstance(line, str):
                    raw.append(line)
                elif line.get("omit"):
                    lines.pop(str(line.get("order_id")), None)
                else:
                    # A line for a payment already in the file changes the keys it gives.
                    order_id = str(line.get("order_id"))
                    lines[order_id] = {
                        **lines.get(order_id, {"settled_on": day, "status": "success"}),
                        **{key: line[key] for key in SETTLEMENT_COLUMNS if key in line},
                    }
        return csv_answer(SETTLEMENT_COLUMNS, lines.values(), raw)

    # --- the payment page ------------------------------------------------------------
    def payment_page(self, request: Request, order_id: str) -> Answer:
        order = self.order_for_page(urllib.parse.unquote(order_id))
        if order is None:
            return html_answer(
                "Payment not found", "<p>This payment link is not known to the gateway.</p>", 404
            )
        merchant = html.escape(self.config.merchant_name)
        amount = rupees(order.amount_paise)
        details = (
            "<dl>"
            f"<dt>Pay to</dt><dd>{merchant}</dd>"
            f"<dt>For</dt><dd>{html.escape(order.description) or '-'}</dd>"
            f"<dt>Order</dt><dd>{html.escape(order.order_id)}</dd>"
            f"<dt>Amount</dt><dd class='amount'>{amount}</dd>"
            "</dl>"
        )
        if order.status != "created":
            result = self.complete(order.order_id, order.status)
            body = (
                f"{details}<p>This payment is over: <strong>{FINISHED[order.status]}</strong>.</p>"
                f"<p><a href='{html.escape(result['return_url'])}'>Go back to {merchant}</a></p>"
            )
            return html_answer(FINISHED[order.status], body)
        body = (
            f"{details}"
            "<form method='post'>"
            "<fieldset><legend>What should happen to this payment?</legend>"
            "<p>No card or bank details are asked for: choose the result the gateway reports.</p>"
            f"<button type='submit' name='outcome' value='success'>Pay {amount} successfully"
            "</button>"
            "<button type='submit' name='outcome' value='failure'>Make the payment fail</button>"
            "<button type='submit' name='outcome' value='cancelled'>Cancel the payment</button>"
            "</fieldset></form>"
        )
        return html_answer(f"Pay {amount}", body)

    def payment_chosen(self, request: Request, order_id: str) -> Answer:
        order = self.order_for_page(urllib.parse.unquote(order_id))
        if order is None:
            return html_answer(
                "Payment not found", "<p>This payment link is not known to the gateway.</p>", 404
            )
        outcome = request.form().get("outcome", "")
        if outcome not in OUTCOMES:
            return html_answer(
                "Choose a result",
                "<p>Choose one of the three buttons on the payment page.</p>"
                f"<p><a href='/pay/{urllib.parse.quote(order.order_id)}'>Back to the payment</a>"
                "</p>",
                400,
            )
        result = self.complete(order.order_id, outcome)
        return redirect(result["return_url"])

    def order_for_page(self, order_id: str) -> Order | None:
        with self.lock:
            return self.orders.get(order_id)

    # --- the bank ----------------------------------------------------------------
    def bank_page(self, request: Request, **form: Any) -> Answer:
        paid = request.query().get("paid", "")
        with self.lock:
            challan = self.challans.get(paid)
            today = [c for c in self.challans.values() if c["paid_on"] == now().date().isoformat()]
        notice = ""
        if challan:
            notice = (
                "<p class='notice' role='status'>Challan "
                f"<strong>{html.escape(challan['challan_number'])}</strong> marked paid: "
                f"{rupees(challan['amount_paise'])}, bank reference "
                f"<strong>{challan['bank_ref']}</strong>.</p>"
            )
        return html_answer(
            "Bank counter: e-challans",
            notice + bank_form(**form) + paid_today(today),
            form.get("status", 200),
            heading="Demo bank: e-challan counter",
        )

    def bank_paid(self, request: Request) -> Answer:
        fields = request.form()
        number = fields.get("challan_number", "").strip()
        amount_text = fields.get("amount", "").strip()
        errors: dict[str, str] = {}
        if not CHALLAN_NUMBER.fullmatch(number):
            errors["challan_number"] = "Enter the challan number printed on the challan."
        amount = rupees_to_paise(amount_text)
        if amount is None:
            errors["amount"] = "Enter the amount in rupees, like 1250 or 1250.50."
        if not errors and amount is not None:
            try:
                self.challan_record(number, amount, now().date())
            except BadRequest as refused:
                errors["challan_number"] = str(refused)
        if errors:
            return self.bank_page(
                request, number=number, amount=amount_text, errors=errors, status=400
            )
        return redirect(f"/bank?paid={urllib.parse.quote(number)}")

    def challan_record(self, number: str, amount_paise: int, paid_on: date) -> dict[str, Any]:
        with self.lock:
            earlier = self.challans.get(number)
            if earlier:
                raise BadRequest(
                    f"Challan {number} was paid already on {earlier['paid_on']} "
                    f"(bank reference {earlier['bank_ref']})."
                )
            taken = {c["bank_ref"] for c in self.challans.values()}
            while (bank_ref := f"FBK{secrets.randbelow(10**10):010d}") in taken:
                pass
            challan = self.challans[number] = {
                "challan_number": number,
                "amount_paise": amount_paise,
                "paid_on": paid_on.isoformat(),
                "bank_ref": bank_ref,
            }
            return dict(challan)

    def bank_file(self, request: Request, day: str) -> Answer:
        key = request.query().get("bank_key", "")
        if not hmac.compare_digest(key.encode(), self.config.bank_key.encode()):
            return json_answer({"error": "bank_key is wrong"}, status=403)
        day_of(day)
        with self.lock:
            lines = [c for c in self.challans.values() if c["paid_on"] == day]
        return csv_answer(CHALLAN_COLUMNS, lines, [])

    # --- control (demo and tests only) ---------------------------------------------------
    def control_behaviour(self, request: Request) -> Answer:
        """Merges the given keys into the order's (or every order's, "*") behaviour; a key
        given as null returns to normal."""
        fields = request.json()
        target = str(fields.get("order_id") or "")
        if not target:
            raise BadRequest('order_id: an order id, or "*" for every order')
        allowed = {
            "callback": {"normal", "none", "twice", "late"},
            "checksum": {"normal", "forged"},
            "status": {"normal", "pending"},
        }
        with self.lock:
            behaviour = self.behaviours.setdefault(target, {})
            for key, value in fields.items():
                if key == "order_id":
                    continue
                if key not in (*allowed, "amount_paise", "delay"):
                    raise BadRequest(f"unknown behaviour {key!r}")
                if value is None:
                    behaviour.pop(key, None)
                elif key in allowed and value not in allowed[key]:
                    raise BadRequest(f"{key}: one of {sorted(allowed[key])}")
                elif key == "amount_paise" and (
                    isinstance(value, bool) or not isinstance(value, int)
                ):
                    raise BadRequest("amount_paise: a whole number of paise")
                elif key == "delay" and not isinstance(value, int | float):
                    raise BadRequest("delay: seconds")
                else:
                    behaviour[key] = value
            return json_answer({"order_id": target, "behaviour": dict(behaviour)})

    def control_pay(self, request: Request) -> Answer:
        fields = request.json()
        order_id = str(fields.get("order_id", ""))
        outcome = fields.get("outcome")
        if outcome not in OUTCOMES:
            raise BadRequest(f"outcome: one of {', '.join(OUTCOMES)}")
        paid_at = None
        if fields.get("paid_at"):
            try:
                paid_at = datetime.fromisoformat(fields["paid_at"])
            except (TypeError, ValueError):
                raise BadRequest("paid_at: an ISO 8601 date and time") from None
            if paid_at.tzinfo is None:
                paid_at = paid_at.replace(tzinfo=IST)
        with self.lock:
            order = self.orders.get(order_id)
            if order is None:
                return json_answer({"error": f"no order {order_id}"}, status=404)
            if order.status != "created":
                return json_answer(
                    {"error": f"order {order_id} is already over ({order.status})"}, status=409
                )
        return json_answer(self.complete(order_id, outcome, paid_at=paid_at))

    def control_settlement(self, request: Request) -> Answer:
        fields = request.json()
        day = str(fields.get("date", ""))
        day_of(day)
        lines = fields.get("lines")
        if not isinstance(lines, list) or not all(isinstance(x, dict | str) for x in lines):
            raise BadRequest("lines: a list of objects (or raw CSV lines as strings)")
        with self.lock:
            self.settlement_lines.setdefault(day, []).extend(lines)
        return json_answer({"date": day, "lines": len(self.settlement_lines[day])})

    def control_challan_paid(self, request: Request) -> Answer:
        fields = request.json()
        number = str(fields.get("challan_number", ""))
        if not CHALLAN_NUMBER.fullmatch(number):
            raise BadRequest("challan_number: 1 to 40 letters, digits, /, - or _")
        amount = fields.get("amount_paise")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
            raise BadRequest("amount_paise: a whole number of paise, at least 1")
        paid_on = day_of(str(fields.get("paid_on") or now().date().isoformat()))
        return json_answer(self.challan_record(number, amount, paid_on))

    def control_reset(self, request: Request) -> Answer:
        self.reset()
        return json_answer({"reset": True})

    def control_log(self, request: Request) -> Answer:
        with self.lock:
            return json_answer(
                {
                    "callbacks": list(self.callbacks),
                    "orders": [asdict(order) for order in self.orders.values()],
                    "refunds": list(self.refunds.values()),
                    "challans": list(self.challans.values()),
                    "behaviours": dict(self.behaviours),
                }
            )

    # --- pages -------------------------------------------------------------------
    def home(self, request: Request) -> Answer:
        return html_answer(
            "Demo payment gateway",
            f"<p>Takes payments for {html.escape(self.config.merchant_name)} in Seva's demo. "
            "Seva sends citizens to a payment page here; no money moves.</p>"
            "<p><a href='/bank'>The demo bank's e-challan counter</a></p>",
        )

    def base_url(self, request: Request) -> str:
        return (self.config.public_url or application_uri(request.environ)).rstrip("/")


# ------------------------------------------------------------------------------
# HTTP helpers
# ------------------------------------------------------------------------------
class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class Request:
    def __init__(self, environ: dict) -> None:
        self.environ = environ
        self.method = environ["REQUEST_METHOD"].upper()
        self.path = environ.get("PATH_INFO", "") or "/"
        self._body: bytes | None = None

    def body(self) -> bytes:
        if self._body is None:
            try:
                length = int(self.environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > MAX_BODY_BYTES:
                raise BadRequest("the request is too large", status=413)
            self._body = self.environ["wsgi.input"].read(length) if length else b""
        return self._body

    def query(self) -> dict[str, str]:
        pairs = urllib.parse.parse_qsl(self.environ.get("QUERY_STRING", ""), True)
        return dict(pairs)

    def form(self) -> dict[str, str]:
        try:
            text = self.body().decode()
        except UnicodeDecodeError:
            raise BadRequest("the form is not UTF-8") from None
        return dict(urllib.parse.parse_qsl(text, keep_blank_values=True))

    def json(self) -> dict[str, Any]:
        try:
            data = json.loads(self.body() or b"{}")
        except ValueError:
            raise BadRequest("the body is not JSON") from None
        if not isinstance(data, dict):
            raise BadRequest("the body must be a JSON object")
        return data


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def status_line(self) -> str:
        reasons = {
            200: "OK",
            303: "See Other",
            400: "Bad Request",
            403: "Forbidden",
            404: "Not Found",
            405: "Method Not Allowed",
            409: "Conflict",
            413: "Content Too Large",
            500: "Internal Server Error",
        }
        return f"{self.status} {reasons.get(self.status, 'Unknown')}"


def json_answer(data: Any, status: int = 200) -> Answer:
    body = json.dumps(data, ensure_ascii=False).encode()
    return Answer(status, [("Content-Type", "application/json; charset=utf-8")], body)


def csv_answer(columns: tuple[str, ...], lines: Iterable[Mapping[str, Any]], raw: list[str]):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(lines)
    out.write("".join(f"{line}\n" for line in raw))
    return Answer(200, [("Content-Type", "text/csv; charset=utf-8")], out.getvalue().encode())


def redirect(location: str) -> Answer:
    return Answer(303, [("Location", location), ("Content-Type", "text/plain")], b"")


def with_query(url: str, fields: Mapping[str, Any]) -> str:
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    query += [(key, str(value)) for key, value in fields.items()]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def paise_of(text: str, name: str) -> int:
    if not PAISE.fullmatch(text):
        raise BadRequest(f"{name} must be a whole number of paise")
    return int(text)


def rupees_to_paise(text: str) -> int | None:
    """1250, 1,250.50 or ₹ 1250.5 -> paise; None for anything else or nothing."""
    cleaned = text.replace(",", "").replace("₹", "").replace("Rs", "").strip()
    if not re.fullmatch(r"[0-9]{1,12}(\.[0-9]{1,2})?", cleaned):
        return None
    try:
        paise = int(Decimal(cleaned) * 100)
    except InvalidOperation:
        return None
    return paise if paise > 0 else None


def day_of(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{text!r} is not a date written YYYY-MM-DD") from None


STYLE = """
body { font: 1.125rem/1.5 system-ui, sans-serif; margin: 0; color: #1a1a1a; background: #fff; }
.banner { background: #fff3cd; border-bottom: 3px solid #8a6d00; margin: 0; padding: .75rem 1rem; }
main { max-width: 36rem; margin: 0 auto; padding: 1rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dt { font-weight: 600; }
dd { margin: 0; }
.amount { font-size: 1.5rem; font-weight: 700; }
fieldset { border: 1px solid #666; padding: 1rem; }
legend { font-weight: 600; }
button { display: block; width: 100%; margin: .75rem 0; padding: .75rem; font: inherit;
  border: 2px solid #1a1a1a; border-radius: 4px; background: #f2f2f2; color: #1a1a1a; cursor: pointer; }
button[value=success] { background: #0b6b2e; border-color: #0b6b2e; color: #fff; }
button:focus-visible, a:focus-visible, input:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }
label { display: block; font-weight: 600; margin-top: 1rem; }
input { font: inherit; padding: .5rem; width: 100%; box-sizing: border-box; border: 2px solid #1a1a1a; }
.error { color: #b00020; font-weight: 600; margin: .25rem 0; }
.notice { background: #e6f4ea; border-left: 5px solid #0b6b2e; padding: .75rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; border-bottom: 1px solid #999; padding: .25rem .5rem; }
a { color: #1d4ed8; }
"""


def html_answer(title: str, body: str, status: int = 200, *, heading: str = "") -> Answer:
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)} - Demo payment gateway</title><style>{STYLE}</style></head>"
        "<body><header><p class='banner'><strong>Demo payment gateway</strong>: "
        "for trying Seva only. No money moves.</p></header>"
        f"<main><h1>{html.escape(heading or title)}</h1>{body}</main></body></html>"
    )
    return Answer(status, [("Content-Type", "text/html; charset=utf-8")], page.encode())


def bank_form(
    number: str = "", amount: str = "", errors: Mapping[str, str] | None = None, **_: Any
) -> str:
    errors = errors or {}

    def field(name: str, label: str, value: str, hint: str) -> str:
        error = errors.get(name, "")
        described = f"{name}-hint" + (f" {name}-error" if error else "")
        return (
            f"<label for='{name}'>{label}</label>"
            f"<p id='{name}-hint'>{hint}</p>"
            + (f"<p class='error' id='{name}-error'>{html.escape(error)}</p>" if error else "")
            + f"<input id='{name}' name='{name}' value='{html.escape(value)}' "
            f"aria-describedby='{described}'"
            + (" aria-invalid='true'" if error else "")
            + (" inputmode='decimal'" if name == "amount" else "")
            + " autocomplete='off'>"
        )

    return (
        "<p>As the bank's cashier: the citizen hands over the challan and the money; mark the "
        "challan paid. The bank's file of the day's challans lists it.</p>"
        "<form method='post' action='/bank' novalidate>"
        + field("challan_number", "Challan number", number, "As printed on the challan.")
        + field("amount", "Amount received, in rupees", amount, "For example 1250 or 1250.50.")
        + "<button type='submit'>Mark the challan paid</button></form>"
    )


def paid_today(challans: list[dict[str, Any]]) -> str:
    if not challans:
        return "<h2>Paid today</h2><p>No challan yet.</p>"
    rows = "".join(
        f"<tr><td>{html.escape(c['challan_number'])}</td><td>{rupees(c['amount_paise'])}</td>"
        f"<td>{c['bank_ref']}</td></tr>"
        for c in challans
    )
    return (
        "<h2>Paid today</h2><table><thead><tr><th scope='col'>Challan</th>"
        "<th scope='col'>Amount</th><th scope='col'>Bank reference</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


# ------------------------------------------------------------------------------
# The server
# ------------------------------------------------------------------------------
class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    """A request per thread: the payment page's callback to Seva may take a while, and Seva may
    ask for the order's status meanwhile."""

    daemon_threads = True
    allow_reuse_address = True


class QuietHandler(WSGIRequestHandler):
    """Logs each request without its query string: the bank's key travels in it."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = urllib.parse.urlsplit(self.path).path
        log.info("%s %s %s %s", self.address_string(), self.command, path, code)

    def log_message(self, format: str, *args: Any) -> None:
        log.warning("%s %s", self.address_string(), format % args)


def server_for(gateway: FakeGateway, host: str = "127.0.0.1", port: int = 0) -> WSGIServer:
    """A server bound to host:port (0: a free port, read back from `server.server_port`)."""
    return make_server(
        host, port, gateway, server_class=ThreadingWSGIServer, handler_class=QuietHandler
    )


def config_from(args: argparse.Namespace) -> Config:
    return Config(
        merchant_id=args.merchant_id,
        secret=args.secret,
        bank_key=args.bank_key,
        merchant_name=args.merchant_name,
        public_url=args.public_url,
    )


def add_arguments(parser: argparse.ArgumentParser, defaults: Mapping[str, Any]) -> None:
    """The flags of `python -m seva.demo.fakegateway` and `manage.py fake_gateway`."""
    parser.add_argument("--host", default=defaults.get("host", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=defaults.get("port", DEFAULT_PORT))
    parser.add_argument("--merchant-id", default=defaults.get("merchant_id", DEMO_MERCHANT_ID))
    parser.add_argument(
        "--secret",
        default=defaults.get("secret", DEMO_SECRET),
        help="The merchant's secret (default: the environment's SEVA_PAYMENT_SECRET, else the "
        "demo's). Better from the environment than on a command line others can list.",
    )
    parser.add_argument("--bank-key", default=defaults.get("bank_key", DEMO_BANK_KEY))
    parser.add_argument(
        "--merchant-name", default=defaults.get("merchant_name", DEMO_MERCHANT_NAME)
    )
    parser.add_argument(
        "--public-url",
        default=defaults.get("public_url", ""),
        help="The address browsers reach the gateway at (default: the one each request names).",
    )


def environ_defaults(environ: Mapping[str, str]) -> dict[str, Any]:
    names = {
        "merchant_id": "SEVA_PAYMENT_MERCHANT_ID",
        "secret": "SEVA_PAYMENT_SECRET",
        "bank_key": "SEVA_CHALLAN_BANK_KEY",
    }
    return {key: environ[name] for key, name in names.items() if environ.get(name)}


def serve(args: argparse.Namespace, announce: Callable[[str], None] = print) -> None:
    server = server_for(FakeGateway(config_from(args)), args.host, args.port)
    url = f"http://{args.host}:{server.server_port}"
    announce(f"Demo payment gateway on {url}/ (bank counter {url}/bank); Ctrl-C stops it.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m seva.demo.fakegateway", description=__doc__.split("\n\n")[0]
    )
    add_arguments(parser, environ_defaults(os.environ))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    serve(parser.parse_args(argv))


if __name__ == "__main__":
    main()
