"""Payment gateways: how Seva talks to the state's online gateway and to the bank that takes
its e-challans (docs/payments.md, "Gateways: how a state configures them").

`SEVA_PAYMENT_GATEWAYS` (settings) names each gateway a state has, by the key Seva's payments
record ("online", "challan"), with the adapter that speaks its protocol and the credentials
the environment gives. `gateway("online")` answers that adapter, ready to call. An adapter is
a class registered here under the name the settings use; a system check refuses any other
name (seva.payments.checks).

- `redirect_checksum`: the redirect-and-callback model of Indian government gateways and
  payment aggregators. Seva creates an order for the amount it computed, sends the citizen's
  browser to the gateway's page, and hears the result from a signed callback, the signed
  browser return, and a signed server-to-server status query; refunds; a daily settlement
  file. Card and bank details never reach Seva.
- `bank_challan`: an e-challan the citizen pays at a bank's counter; the bank's daily file of
  challans paid, fetched from the bank or uploaded by an accounts officer.

Every message is signed with HMAC-SHA256 (hex) over `k=v` of every field but `checksum`,
sorted by key and joined by `|`, with the merchant's secret; checksums are compared in
constant time. Every HTTP call has a timeout. Nothing here logs a secret, a checksum or a URL
with its query (the bank's key travels in it).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from seva.core.errors import SevaError
from seva.core.registry import Registry

log = logging.getLogger(__name__)

ORDER_STATUSES = ("created", "pending", "success", "failure", "cancelled")
REFUND_STATUSES = ("processed", "refused")
# The most Seva reads of an answer: a JSON answer is small; a settlement file is a day's lines.
MAX_JSON_BYTES = 100_000
MAX_FILE_BYTES = 20_000_000
DEFAULT_TIMEOUT_SECONDS = 10.0


# ------------------------------------------------------------------------------
# Errors
# ------------------------------------------------------------------------------
class GatewayError(SevaError):
    """The gateway could not be reached, refused the call, or answered something Seva cannot
    trust (garbage, unsigned, forged, about another order). `reason` says which, for the log
    and the payment's record (never a secret); `message` is what a person is told."""

    default_message = gettext_lazy(
        "The payment service is not answering as it should. Please try again in a few minutes."
    )

    def __init__(self, reason: str, message: str | None = None) -> None:
        self.reason = reason
        super().__init__(message)

    def __str__(self) -> str:
        return self.reason


class GatewayNotConfigured(GatewayError):
    """No gateway of that name in SEVA_PAYMENT_GATEWAYS, or it cannot do what was asked
    (a bank's challan takes no online order)."""


class OrderUnknown(GatewayError):
    """The gateway's status query does not know the order: Seva's call to create it never
    arrived, so nobody can have paid it."""


class SettlementFileError(GatewayError):
    """A settlement file (the gateway's, the bank's, or one an accounts officer uploaded) is
    not as agreed. `line` (1 is the header) and `column` say where; `message` says what, in
    words the accounts officer can act on."""

    def __init__(self, *, line: int, column: str, problem: str) -> None:
        self.line = line
        self.column = column
        self.problem = problem
        where = (
            _("Line %(line)s, column %(column)s") % {"line": line, "column": column}
            if column
            else _("Line %(line)s") % {"line": line}
        )
        super().__init__(
            reason=f"settlement file, line {line} {column}: {problem}",
            message=f"{where}: {problem}",
        )


# ------------------------------------------------------------------------------
# What the adapters answer
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class GatewayStatus:
    """The gateway's own word on an order, from its signed status query."""

    order_id: str
    txn_id: str
    amount_paise: int
    status: str  # one of ORDER_STATUSES
    paid_at: datetime | None  # aware; only when paid


@dataclass(frozen=True)
class GatewayRefund:
    refund_id: str
    status: str  # one of REFUND_STATUSES
    reason: str  # why it was refused; empty when processed


@dataclass(frozen=True)
class SettlementLine:
    """One payment in a gateway's or a bank's settlement file. `reference` is Seva's order id
    (online) or the challan number (e-challan); `txn_id` the gateway's transaction id or the
    bank's reference."""

    reference: str
    txn_id: str
    amount_paise: int
    status: str
    settled_on: date


def checksum_of(fields: Mapping[str, object], secret: str) -> str:
    message = "|".join(
        f"{key}={'' if value is None else value}"
        for key, value in sorted(fields.items())
        if key != "checksum"
    )
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def checksum_matches(fields: Mapping[str, object], secret: str) -> bool:
    given = fields.get("checksum")
    if not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(given.encode(), checksum_of(fields, secret).encode())


# ------------------------------------------------------------------------------
# Adapters
# ------------------------------------------------------------------------------
adapters: Registry[type[GatewayAdapter]] = Registry("payment gateway adapter")


class GatewayAdapter:
    """What every adapter offers. An adapter that cannot do something (a bank's challan takes
    no online order) raises GatewayNotConfigured, naming the gateway."""

    # The settings keys this adapter needs, besides ADAPTER (checked at start-up).
    required_settings: ClassVar[tuple[str, ...]] = ()
    # Whether citizens are sent to it to pay online (create_order, verify, query, refund).
    takes_online_payments: ClassVar[bool] = False
    # The columns of its settlement file, in order, and how a row becomes a SettlementLine.
    settlement_columns: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *, name: str, config: Mapping[str, Any]) -> None:
        self.name = name
        self.config = config
        self.base_url = str(config.get("URL", "")).rstrip("/")
        self.timeout = float(config.get("TIMEOUT") or DEFAULT_TIMEOUT_SECONDS)

    def display_name(self, language: str = "en") -> str:
        names = self.config.get("NAME") or {}
        if isinstance(names, str):
            return names
        return names.get(language) or names.get("en") or self.name

    # --- online payment ---------------------------------------------------------
    def create_order(
        self,
        *,
        order_id: str,
        amount_paise: int,
        description: str,
        return_url: str,
        callback_url: str,
    ) -> str:
        raise self._cannot("take online payments")

    def verify(self, params: Mapping[str, str]) -> bool:
        raise self._cannot("take online payments")

    def query(self, order_id: str) -> GatewayStatus:
        raise self._cannot("take online payments")

    def refund(self, *, order_id: str, refund_id: str, amount_paise: int) -> GatewayRefund:
        raise self._cannot("refund")

    # --- settlement -------------------------------------------------------------
    def settlement(self, day: date) -> list[SettlementLine]:
        raise NotImplementedError

    def parse_settlement(self, content: bytes) -> list[SettlementLine]:
        """The lines of a settlement file, refusing a bad one with the line and column named."""
        return [self.settlement_line(row, line) for line, row in read_csv(content, self)]

    def settlement_line(self, row: dict[str, str], line: int) -> SettlementLine:
        raise NotImplementedError

    # --- HTTP -------------------------------------------------------------------
    def http(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        form: Mapping[str, Any] | None = None,
        limit: int = MAX_JSON_BYTES,
    ) -> tuple[int, bytes]:
        """The status and body of the answer (a 4xx or 5xx too); GatewayError when nothing
        usable came back in time."""
        url = f"{self.base_url}{path}"
        if query:
            url = f"{url}?{urllib.parse.urlencode(query)}"
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/x-www-form-urlencoded")
        request.add_header("Accept", "application/json, text/csv")
        where = f"{method} {self.base_url}{path}"
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return answer.status, read_at_most(answer, limit, where)
        except urllib.error.HTTPError as refused:
            with refused:
                return refused.code, read_at_most(refused, MAX_JSON_BYTES, where)
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as failed:
            reason = getattr(failed, "reason", failed)
            log.warning("Payment gateway %s not reached: %s: %s", self.name, where, reason)
            raise GatewayError(
                f"{self.name}: {where} got no answer: {reason} (timeout {self.timeout:g} s)"
            ) from None

    def _cannot(self, what: str) -> GatewayNotConfigured:
        return GatewayNotConfigured(
            f"the gateway {self.name!r} ({type(self).__name__}) cannot {what}"
        )


def read_at_most(answer, limit: int, where: str) -> bytes:
    body = answer.read(limit + 1)
    if len(body) > limit:
        raise GatewayError(f"{where} answered more than {limit} bytes")
    return body


@adapters.register("redirect_checksum")
class RedirectChecksumGateway(GatewayAdapter):
    """The redirect-and-callback gateway (docs/payments.md has the protocol)."""

    required_settings = ("URL", "MERCHANT_ID", "SECRET")
    takes_online_payments = True
    settlement_columns = ("order_id", "txn_id", "amount_paise", "status", "settled_on")

    @property
    def merchant_id(self) -> str:
        return str(self.config["MERCHANT_ID"])

    def sign(self, fields: Mapping[str, Any]) -> dict[str, str]:
        plain = {key: "" if value is None else str(value) for key, value in fields.items()}
        return {**plain, "checksum": checksum_of(plain, str(self.config["SECRET"]))}

    def verify(self, params: Mapping[str, str]) -> bool:
        """Whether a callback's or a browser return's fields carry our merchant's valid
        checksum. The caller still confirms the result by `query` before believing it."""
        fields = {key: str(value) for key, value in params.items()}
        if "merchant_id" in fields and not hmac.compare_digest(
            fields["merchant_id"].encode(), self.merchant_id.encode()
        ):
            return False
        return checksum_matches(fields, str(self.config["SECRET"]))

    def create_order(
        self,
        *,
        order_id: str,
        amount_paise: int,
        description: str,
        return_url: str,
        callback_url: str,
    ) -> str:
        """The URL of the gateway's payment page for this order. Creating the same order for
        the same amount again answers the same page; for another amount, GatewayError."""
        whole_paise(amount_paise, "amount_paise", minimum=1)
        status, body = self.http(
            "POST",
            "/api/orders",
            form=self.sign(
                {
                    "merchant_id": self.merchant_id,
                    "order_id": order_id,
                    "amount_paise": amount_paise,
                    "currency": "INR",
                    "description": description,
                    "return_url": return_url,
                    "callback_url": callback_url,
                }
            ),
        )
        answer = self.signed_answer(status, body, f"creating order {order_id}")
        if answer.get("order_id") != order_id or answer.get("amount_paise") != amount_paise:
            raise GatewayError(
                f"{self.name}: the answer to creating order {order_id} for {amount_paise} paise "
                f"is about order {answer.get('order_id')!r} for {answer.get('amount_paise')!r}"
            )
        payment_url = answer.get("payment_url")
        if not isinstance(payment_url, str) or urllib.parse.urlsplit(payment_url).scheme not in (
            "http",
            "https",
        ):
            raise GatewayError(f"{self.name}: order {order_id} came back without a payment URL")
        return payment_url

    def query(self, order_id: str) -> GatewayStatus:
        """The gateway's signed word on the order. OrderUnknown when it never received it."""
        status, body = self.http(
            "GET",
            f"/api/orders/{urllib.parse.quote(order_id, safe='')}",
            query=self.sign({"merchant_id": self.merchant_id, "order_id": order_id}),
        )
        if status == 404:
            raise OrderUnknown(f"{self.name}: the gateway does not know order {order_id}")
        answer = self.signed_answer(status, body, f"the status of order {order_id}")
        if answer.get("order_id") != order_id:
            raise GatewayError(
                f"{self.name}: asked for order {order_id}, the gateway answered about "
                f"{answer.get('order_id')!r}"
            )
        if answer.get("status") not in ORDER_STATUSES:
            raise GatewayError(
                f"{self.name}: order {order_id} has a status Seva does not know: "
                f"{answer.get('status')!r}"
            )
        amount = answer.get("amount_paise")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            raise GatewayError(f"{self.name}: order {order_id} has no amount in paise")
        return GatewayStatus(
            order_id=order_id,
            txn_id=str(answer.get("txn_id") or ""),
            amount_paise=amount,
            status=answer["status"],
            paid_at=aware_or_none(answer.get("paid_at"), f"{self.name}: order {order_id}"),
        )

    def refund(self, *, order_id: str, refund_id: str, amount_paise: int) -> GatewayRefund:
        """Asks for `amount_paise` of the order back. The same refund_id again answers the same
        result (the gateway keeps it), so a retry never refunds twice."""
        whole_paise(amount_paise, "amount_paise", minimum=1)
        status, body = self.http(
            "POST",
            "/api/refunds",
            form=self.sign(
                {
                    "merchant_id": self.merchant_id,
                    "order_id": order_id,
                    "refund_id": refund_id,
                    "amount_paise": amount_paise,
                }
            ),
        )
        answer = self.signed_answer(status, body, f"refund {refund_id}")
        if answer.get("refund_id") != refund_id or answer.get("order_id") != order_id:
            raise GatewayError(
                f"{self.name}: asked for refund {refund_id} of order {order_id}, the gateway "
                f"answered about refund {answer.get('refund_id')!r} of "
                f"{answer.get('order_id')!r}"
            )
        if answer.get("status") not in REFUND_STATUSES:
            raise GatewayError(
                f"{self.name}: refund {refund_id} has a status Seva does not know: "
                f"{answer.get('status')!r}"
            )
        return GatewayRefund(
            refund_id=refund_id, status=answer["status"], reason=str(answer.get("reason") or "")
        )

    def settlement(self, day: date) -> list[SettlementLine]:
        """The payments the gateway settled on `day` (Indian time)."""
        status, body = self.http(
            "GET",
            f"/api/settlements/{day.isoformat()}.csv",
            query=self.sign({"merchant_id": self.merchant_id, "date": day.isoformat()}),
            limit=MAX_FILE_BYTES,
        )
        if status != 200:
            raise GatewayError(
                f"{self.name}: the settlement file of {day} was refused ({status}): "
                f"{error_of(body)}"
            )
        return self.parse_settlement(body)

    def settlement_line(self, row: dict[str, str], line: int) -> SettlementLine:
        return SettlementLine(
            reference=text_field(row, "order_id", line),
            txn_id=text_field(row, "txn_id", line),
            amount_paise=paise_field(row, "amount_paise", line),
            status=text_field(row, "status", line),
            settled_on=date_field(row, "settled_on", line),
        )

    def signed_answer(self, status: int, body: bytes, what: str) -> dict[str, Any]:
        """The JSON object of a 200 answer, its checksum verified; GatewayError otherwise."""
        if status != 200:
            raise GatewayError(f"{self.name}: {what} was refused ({status}): {error_of(body)}")
        try:
            answer = json.loads(body)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise GatewayError(f"{self.name}: {what}: the answer is not a JSON object")
        if not checksum_matches(answer, str(self.config["SECRET"])):
            log.warning(
                "Payment gateway %s: %s: the answer's checksum does not match", self.name, what
            )
            raise GatewayError(f"{self.name}: {what}: the answer is not signed with our secret")
        return answer


@adapters.register("bank_challan")
class BankChallanGateway(GatewayAdapter):
    """An e-challan paid at a bank. The bank publishes a file of the challans paid each day
    (`GET {URL}/bank/challans/<YYYY-MM-DD>.csv?bank_key=...`); when a bank sends its file
    another way, an accounts officer uploads it (`parse_settlement`)."""

    required_settings = ("URL", "BANK_KEY")
    settlement_columns = ("challan_number", "amount_paise", "paid_on", "bank_ref")

    def settlement(self, day: date) -> list[SettlementLine]:
        status, body = self.http(
            "GET",
            f"/bank/challans/{day.isoformat()}.csv",
            query={"bank_key": str(self.config["BANK_KEY"])},
            limit=MAX_FILE_BYTES,
        )
        if status != 200:
            raise GatewayError(
                f"{self.name}: the bank's file of {day} was refused ({status}): {error_of(body)}"
            )
        return self.parse_settlement(body)

    def settlement_line(self, row: dict[str, str], line: int) -> SettlementLine:
        return SettlementLine(
            reference=text_field(row, "challan_number", line),
            txn_id=text_field(row, "bank_ref", line),
            amount_paise=paise_field(row, "amount_paise", line, minimum=1),
            status="success",
            settled_on=date_field(row, "paid_on", line),
        )


# ------------------------------------------------------------------------------
# The configured gateways
# ------------------------------------------------------------------------------
def gateway_names() -> list[str]:
    """The gateways this installation has (keys of SEVA_PAYMENT_GATEWAYS); none when the
    state takes fees at the counter only."""
    return list(settings.SEVA_PAYMENT_GATEWAYS)


def gateway(name: str) -> GatewayAdapter:
    """The adapter of the gateway the settings name `name`, with its credentials."""
    config = settings.SEVA_PAYMENT_GATEWAYS.get(name)
    if config is None:
        raise GatewayNotConfigured(f"no payment gateway {name!r} in SEVA_PAYMENT_GATEWAYS")
    try:
        adapter = adapters.get(config.get("ADAPTER", ""))
    except KeyError as unknown:
        raise GatewayNotConfigured(f"SEVA_PAYMENT_GATEWAYS[{name!r}]: {unknown}") from None
    return adapter(name=name, config=config)


# ------------------------------------------------------------------------------
# Reading answers and files
# ------------------------------------------------------------------------------
def whole_paise(value: object, name: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be a whole number of paise of at least {minimum}")
    return value


def error_of(body: bytes) -> str:
    """The gateway's own words for a refusal, short, for the log."""
    try:
        answer = json.loads(body)
        if isinstance(answer, dict) and answer.get("error"):
            return str(answer["error"])[:200]
    except ValueError:
        pass
    return body[:200].decode("utf-8", "replace")


def aware_or_none(value: object, where: str) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise GatewayError(f"{where}: paid_at {value!r} is not a date and time") from None
    if moment.tzinfo is None:
        raise GatewayError(f"{where}: paid_at {value!r} has no time zone")
    return moment


def read_csv(content: bytes, adapter: GatewayAdapter) -> list[tuple[int, dict[str, str]]]:
    """(line number, row by column) for every row of a CSV settlement file, after checking
    that it is UTF-8 text whose first line names the adapter's columns (in any order; other
    columns are ignored). Blank lines are skipped."""
    columns = adapter.settlement_columns
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as bad:
        line = content[: bad.start].count(b"\n") + 1
        raise SettlementFileError(
            line=line,
            column="",
            problem=_(
                "this is not a text file in UTF-8: save the file as CSV (UTF-8) and upload it again."
            ),
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        header = []
    except csv.Error as bad:
        raise SettlementFileError(line=1, column="", problem=str(bad)) from None
    if not any(header):
        raise SettlementFileError(
            line=1,
            column="",
            problem=_("the file is empty: its first line must name the columns %(columns)s.")
            % {"columns": ", ".join(columns)},
        )
    for column in columns:
        if column not in header:
            raise SettlementFileError(
                line=1,
                column=column,
                problem=_("the first line does not name this column (it names: %(found)s).")
                % {"found": ", ".join(name for name in header if name) or "-"},
            )
    rows = []
    try:
        for values in reader:
            line = reader.line_num
            if not any(value.strip() for value in values):
                continue
            if len(values) != len(header):
                missing = header[len(values)] if len(values) < len(header) else ""
                raise SettlementFileError(
                    line=line,
                    column=missing,
                    problem=_(
                        "this line has %(found)s values; the first line names %(named)s columns."
                    )
                    % {"found": len(values), "named": len(header)},
                )
            rows.append(
                (line, {name: value.strip() for name, value in zip(header, values, strict=True)})
            )
    except csv.Error as bad:
        raise SettlementFileError(line=reader.line_num, column="", problem=str(bad)) from None
    return rows


def text_field(row: dict[str, str], column: str, line: int) -> str:
    value = row[column]
    if not value:
        raise SettlementFileError(line=line, column=column, problem=_("this is empty."))
    if len(value) > 60:
        raise SettlementFileError(
            line=line, column=column, problem=_("this is longer than 60 characters.")
        )
    return value


def paise_field(row: dict[str, str], column: str, line: int, *, minimum: int = 0) -> int:
    value = row[column]
    if not value.isascii() or not value.isdigit() or len(value) > 15 or int(value) < minimum:
        raise SettlementFileError(
            line=line,
            column=column,
            problem=_(
                "%(value)s is not an amount in whole paise (digits only, like 125050 for Rs 1,250.50)."
            )
            % {"value": repr(value)},
        )
    return int(value)


def date_field(row: dict[str, str], column: str, line: int) -> date:
    value = row[column]
    try:
        # fromisoformat also takes 20260415 and week dates; the file's dates are YYYY-MM-DD.
        if len(value) == 10 and value[4] == value[7] == "-":
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise SettlementFileError(
        line=line,
        column=column,
        problem=_("%(value)s is not a date written YYYY-MM-DD.") % {"value": repr(value)},
    )
