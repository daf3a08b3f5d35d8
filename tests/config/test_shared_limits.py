"""Every limit holds across processes: two web servers on one Redis (SEVA_CACHE_URL) and one
database take turns answering one client, and each limit counts the requests both saw:
public tracking's wrong mobiles per reference and searches per connection, OTP sends per
connection, the API's anonymous and per-user throttles, a partner key's rate, and the
sign-in lock-outs per account and per address. A server restarted forgets nothing.

Needs PostgreSQL (the servers read the demo data the suite committed) and Redis
(SEVA_TEST_REDIS_URL, whose database is flushed before and after): skipped without either,
failed when SEVA_TEST_REDIS_URL is set and Redis does not answer. Each request leaves from an
address of its own on the loopback network (127.0.0.x), so each limit counts only its own."""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import connection

from seva.api.models import ApiToken, Partner
from seva.api.services import partner_create, partner_key_issue
from seva.api.tokens import api_token_issue
from seva.applications.services import application_submit
from seva.citizens.models import OtpChallenge
from seva.definitions.models import Service
from seva.notifications.models import OutboxMessage
from tests.helpers import example_with_documents
from tests.threads import cleanup, committed, needs_postgres

REPO = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("SEVA_TEST_REDIS_URL", "")
PASSWORD = "seva-demo"
CODE = "income-certificate"
OTP_MOBILES = [f"98765{i:05d}" for i in range(11)]
# What the servers are told, beyond the test settings: low limits, so that a few requests
# reach them.
LIMITS = {
    # DRF's per-user throttle also counts anonymous callers, per address: the anonymous
    # rate is the lower, as in production.
    "SEVA_API_ANON_RATE": "4/hour",
    "SEVA_API_USER_RATE": "6/hour",
    "SEVA_LOGIN_FAILURES_PER_ACCOUNT": "3",
    "SEVA_LOGIN_FAILURES_PER_ADDRESS": "6",
    "SEVA_LOGIN_LOCKOUT_MINUTES": "15",
}
PARTNER_RATE = 3
RUNSERVER = [sys.executable, "manage.py", "runserver", "--noreload", "--skip-checks"]

pytestmark = [
    needs_postgres,
    pytest.mark.skipif(not REDIS_URL, reason="needs Redis: set SEVA_TEST_REDIS_URL"),
]


# ------------------------------------------------------------------------------
# Two servers and a client
# ------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    """The test database (test_<name>), which holds the demo data the suite committed."""
    db = connection.settings_dict
    user = urllib.parse.quote(db["USER"] or "")
    password = f":{urllib.parse.quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return (
        f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


@dataclass
class Server:
    name: str
    log: Path
    port: int = 0
    process: subprocess.Popen | None = None

    def start(self) -> None:
        self.port = _free_port()
        env = {
            **os.environ,
            **LIMITS,
            "DJANGO_SETTINGS_MODULE": "seva.config.settings.test",
            "DATABASE_URL": _database_url(),
            "SEVA_CACHE_URL": REDIS_URL,
        }
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [*RUNSERVER, f"127.0.0.1:{self.port}"],
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"{self.name} stopped:\n{self.tail()}"
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.3)
        raise AssertionError(f"{self.name} did not start:\n{self.tail()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str


@dataclass
class Browser:
    """One person's client: its own address and cookies, whichever server it reaches."""

    address: str
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        server: Server,
        method: str,
        path: str,
        form: dict | None = None,
        headers: dict | None = None,
    ) -> Answer:
        sent = dict(headers or {})
        body = None
        if form is not None:
            if "csrftoken" in self.cookies:
                form = {**form, "csrfmiddlewaretoken": self.cookies["csrftoken"]}
            body = urllib.parse.urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = http.client.HTTPConnection(
            "127.0.0.1", server.port, timeout=30, source_address=(self.address, 0)
        )
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            text = response.read().decode(errors="replace")
            for value in response.headers.get_all("Set-Cookie") or []:
                name, _eq, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            return Answer(response.status, dict(response.headers), text)
        finally:
            conn.close()

    def get(self, server: Server, path: str, **headers) -> Answer:
        return self.request(server, "GET", path, headers=headers)

    def post_form(self, server: Server, path: str, form: dict) -> Answer:
        if "csrftoken" not in self.cookies:
            self.get(server, path)
        return self.request(server, "POST", path, form=form)

    def post_json(self, server: Server, path: str, payload: dict) -> Answer:
        sent = {"Content-Type": "application/json"}
        conn = http.client.HTTPConnection(
            "127.0.0.1", server.port, timeout=30, source_address=(self.address, 0)
        )
        try:
            conn.request("POST", path, body=json.dumps(payload), headers=sent)
            response = conn.getresponse()
            return Answer(
                response.status, dict(response.headers), response.read().decode(errors="replace")
            )
        finally:
            conn.close()


def turns(servers: list[Server]) -> Iterator[Server]:
    """The servers in turn, forever: A, B, A, B, ..."""
    while True:
        yield from servers


# ------------------------------------------------------------------------------
# What the servers need, committed, and removed after
# ------------------------------------------------------------------------------
@dataclass
class Committed:
    reference: str
    mobile: str
    partner_key: str
    user_token: str


@pytest.fixture
def shared_redis() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"SEVA_TEST_REDIS_URL={REDIS_URL} is set but Redis does not answer: {exc}")
    client.flushdb()  # only the database named in SEVA_TEST_REDIS_URL
    yield client
    client.flushdb()


@pytest.fixture
def data(db) -> Iterator[Committed]:
    User = get_user_model()

    def make() -> Committed:
        service = Service.objects.select_related("current_version").get(code=CODE)
        citizen = User.objects.get(username="citizen")
        application = application_submit(
            service=service, data=example_with_documents(service, citizen), applicant=citizen
        )
        partner = partner_create(code="two-servers", name="Two servers", service_codes=[CODE])
        Partner.objects.filter(pk=partner.pk).update(rate_per_minute=PARTNER_RATE)
        return Committed(
            reference=application.reference,
            mobile=application.applicant_mobile,
            partner_key=partner_key_issue(partner=partner),
            user_token=api_token_issue(user=User.objects.get(username="clerk.ambala")).token,
        )

    made = committed(make)
    yield made

    def remove() -> None:
        cleanup([made.reference])
        partner = Partner.objects.get(code="two-servers")
        partner_user = partner.user
        partner.delete()
        partner_user.delete()
        ApiToken.objects.filter(user__username="clerk.ambala").delete()
        OtpChallenge.objects.filter(mobile__in=OTP_MOBILES).delete()
        OutboxMessage.objects.filter(recipient__in=OTP_MOBILES).delete()

    committed(remove)


@pytest.fixture
def servers(tmp_path, shared_redis, data) -> Iterator[list[Server]]:
    started = [Server("server A", tmp_path / "a.log"), Server("server B", tmp_path / "b.log")]
    try:
        for server in started:
            server.start()
        yield started
    finally:
        for server in started:
            server.stop()


# ------------------------------------------------------------------------------
# The test
# ------------------------------------------------------------------------------
def _wrong_mobile(mobile: str, n: int) -> str:
    return f"9{(int(mobile[1:]) + n + 1) % 10**9:09d}"


@pytest.mark.django_db
def test_every_limit_holds_across_two_servers_and_a_restart(servers, data, shared_redis):
    a, b = servers
    browsers: list[Browser] = []

    def browser(last_octet: int) -> Browser:
        made = Browser(f"127.0.0.{last_octet}")
        browsers.append(made)
        return made

    try:
        _public_tracking(servers, browser(2), data)
        _otp_sends(servers, browser(3))
        _api_anonymous(servers, browser(4))
        _api_per_user(servers, browser(5), data)
        _partner_key(servers, browser(6), data)
        _sign_in_lock_outs(servers, browser)

        # A server restarted forgets nothing: the counts are in Redis.
        a.stop()
        a.start()
        assert shared_redis.dbsize() > 0
        track = browser(40).post_form(
            a, "/track/", {"reference": data.reference, "mobile": data.mobile}
        )
        assert track.status == 404, "the reference's wrong-mobile cap was forgotten"
        searches = browser(2).post_form(a, "/track/", {"reference": "X", "mobile": "9000000000"})
        assert searches.status == 429, "the connection's search cap was forgotten"
        locked = browser(41).post_json(
            a, "/api/v1/auth/token/", {"username": "sdm.ambala", "password": PASSWORD}
        )
        assert locked.status == 429, locked.body
        assert browser(4).get(a, "/api/v1/services/").status == 429
    except AssertionError as exc:
        keys = sorted(k.decode() for k in shared_redis.scan_iter())
        raise AssertionError(
            f"{exc}\nkeys: {keys}\n--- A ---\n{a.tail()}\n--- B ---\n{b.tail()}"
        ) from exc
    finally:
        keys = [b.cookies.get("sessionid") for b in browsers]
        committed(lambda: Session.objects.filter(session_key__in=[k for k in keys if k]).delete())


def _public_tracking(servers: list[Server], person: Browser, data: Committed) -> None:
    """Five wrong mobiles for one reference, then even the right one is not answered; and
    twenty searches a connection an hour."""
    server = turns(servers)
    for n in range(5):
        wrong = person.post_form(
            next(server),
            "/track/",
            {"reference": data.reference, "mobile": _wrong_mobile(data.mobile, n)},
        )
        assert wrong.status == 404, wrong.status
    right = person.post_form(
        next(server), "/track/", {"reference": data.reference, "mobile": data.mobile}
    )
    assert right.status == 404, "a sixth guess was answered: the cap of 5 did not hold"
    for n in range(14):  # twenty searches in all from this connection
        other = person.post_form(
            next(server),
            "/track/",
            {"reference": f"HR-REV-INC-2026-9{n:05d}", "mobile": data.mobile},
        )
        assert other.status == 404, (n, other.status)
    over = person.post_form(
        next(server), "/track/", {"reference": data.reference, "mobile": data.mobile}
    )
    assert over.status == 429, over.status


def _otp_sends(servers: list[Server], person: Browser) -> None:
    """Ten sign-in codes a connection an hour, to any numbers."""
    server = turns(servers)
    for mobile in OTP_MOBILES[:10]:
        sent = person.post_form(next(server), "/login/", {"mobile": mobile})
        assert sent.status == 302, (mobile, sent.status, sent.body[:500])
    refused = person.post_form(next(server), "/login/", {"mobile": OTP_MOBILES[10]})
    assert refused.status == 400, refused.status
    assert "Too many requests from this connection" in refused.body


def _api_anonymous(servers: list[Server], person: Browser) -> None:
    server = turns(servers)
    for n in range(4):
        answer = person.get(next(server), "/api/v1/services/")
        assert answer.status == 200, (n, answer.body)
    throttled = person.get(next(server), "/api/v1/services/")
    assert throttled.status == 429 and "Retry-After" in throttled.headers


def _api_per_user(servers: list[Server], person: Browser, data: Committed) -> None:
    server = turns(servers)
    signed = {"Authorization": f"Token {data.user_token}"}
    for _n in range(6):
        answer = person.get(next(server), "/api/v1/applications/", **signed)
        assert answer.status == 200, answer.body
    assert person.get(next(server), "/api/v1/applications/", **signed).status == 429


def _partner_key(servers: list[Server], person: Browser, data: Committed) -> None:
    server = turns(servers)
    keyed = {"Authorization": f"Api-Key {data.partner_key}"}
    for _n in range(PARTNER_RATE):
        answer = person.get(next(server), "/api/v1/partner/changes/", **keyed)
        assert answer.status == 200, answer.body
    assert person.get(next(server), "/api/v1/partner/changes/", **keyed).status == 429


def _sign_in_lock_outs(servers: list[Server], browser) -> None:
    a, b = servers
    locked_out = re.compile(r"Too many failed sign-ins")

    # Per account: three wrong passwords from three addresses, on both servers and both
    # ways in; then the right one is refused on either.
    api_wrong = browser(10).post_json(
        a, "/api/v1/auth/token/", {"username": "sdm.ambala", "password": "guess-1"}
    )
    assert api_wrong.status == 400, api_wrong.body
    page_wrong = browser(11).post_form(
        b, "/admin/login/", {"username": "sdm.ambala", "password": "guess-2"}
    )
    assert page_wrong.status == 200, page_wrong.status
    # The third reaches the limit: it is told so.
    api_wrong = browser(12).post_json(
        a, "/api/v1/auth/token/", {"username": "sdm.ambala", "password": "guess-3"}
    )
    assert api_wrong.status == 429 and locked_out.search(api_wrong.body), api_wrong.body
    right = browser(13).post_json(
        b, "/api/v1/auth/token/", {"username": "sdm.ambala", "password": PASSWORD}
    )
    assert right.status == 429 and locked_out.search(right.body), right.body
    page = browser(14).post_form(
        a, "/admin/login/", {"username": "sdm.ambala", "password": PASSWORD}
    )
    assert page.status == 429 and locked_out.search(page.body), page.status

    # Per address: six accounts tried once each from one address, on both servers.
    person = browser(20)
    server = turns(servers)
    for name in ["clerk.ambala", "patwari.ambala", "tehsildar.ambala", "dc.ambala", "je.ambala"]:
        wrong = person.post_form(next(server), "/admin/login/", {"username": name, "password": "x"})
        assert wrong.status == 200, (name, wrong.status)
    last = person.post_form(
        next(server), "/admin/login/", {"username": "xen.ambala", "password": "x"}
    )
    assert last.status == 429, last.status
    right = person.post_json(
        next(server), "/api/v1/auth/token/", {"username": "citizen", "password": PASSWORD}
    )
    assert right.status == 429 and locked_out.search(right.body), right.body
    # From another address the same account signs in.
    other = browser(21).post_json(
        next(server), "/api/v1/auth/token/", {"username": "citizen", "password": PASSWORD}
    )
    assert other.status == 200, other.body
    committed(lambda: ApiToken.objects.filter(user__username="citizen").delete())
