"""Two web nodes and a worker share one state: two gunicorn processes with the production
settings on different ports, and a Celery worker, on one PostgreSQL (the test database), one
Redis (the test's own) and one object store (moto's S3 server). A citizen who signs in on one
node continues on the other; a document uploaded through one downloads through the other, and
not for someone else; a limit counts the requests both saw; each SMS either node queued is
delivered once, by the worker, to the SMS gateway (a real HTTP server on loopback).

The journey runs twice: as is, and with the whole disk read-only except one temporary folder
(a mount namespace of the processes' own): under the production settings no request or task
writes to the local disk. A companion test shows that sandbox catches a write.

The nodes read the test database, whose demo state the suite committed once (tests/conftest.py):
preparing a database of their own would cost a migration and a seeding for nothing more. What
they write there (sessions, sign-in codes, messages, uploads) is removed after each run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import connection

from seva.applications.models import Document
from seva.citizens.models import OtpChallenge, OtpLockout
from seva.notifications.models import OutboxMessage
from tests.helpers import png_bytes
from tests.notifications.gateway import FakeGateway
from tests.objectstore import ObjectStore
from tests.production import (
    REDIS_SERVER,
    REPO,
    Browser,
    Process,
    Redis,
    celery_worker,
    collect_static,
    production_env,
    read_only_except,
    sandbox_works,
    web_node,
)
from tests.threads import committed

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="production runs on PostgreSQL"),
    pytest.mark.skipif(REDIS_SERVER is None, reason="needs the redis-server program"),
]

CITIZEN_MOBILE = "9812345678"  # the demo citizen's
OTHER_MOBILE = "9876501234"  # citizen2's
OTP_PER_CONNECTION = 10  # seva.portal.views.login_start


@dataclass
class Cluster:
    a: Process
    b: Process
    worker: Process
    gateway: FakeGateway
    store: ObjectStore
    read_only: bool
    mobiles: list[str] = field(default_factory=list)
    browsers: list[Browser] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)

    def browser(self, address: str) -> Browser:
        made = Browser(address)
        self.browsers.append(made)
        return made

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{p.tail()}" for p in (self.a, self.b, self.worker))


@pytest.fixture(scope="module")
def static_dir(tmp_path_factory, object_store) -> Path:
    """The static files' manifest, collected once, as an image carries it."""
    var_dir = tmp_path_factory.mktemp("production-var")
    tmp_dir = tmp_path_factory.mktemp("collect-tmp")
    redis = Redis()  # not started: collectstatic reaches none of the services
    collect_static(
        var_dir, production_env(redis=redis, store=object_store, var_dir=var_dir, tmp_dir=tmp_dir)
    )
    return var_dir


def _sandboxed(mode: str, tmp_dir: Path) -> list[str]:
    if mode == "as-is":
        return []
    if not sandbox_works(tmp_dir):
        message = "mount namespaces (unshare --mount) are not available here"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return read_only_except(tmp_dir)


@pytest.fixture(params=["as-is", "read-only-disk"])
def cluster(request, tmp_path, static_dir, object_store, db) -> Iterator[Cluster]:
    tmp_dir = tmp_path / "tmp"
    tmp_dir.mkdir()
    prefix = _sandboxed(request.param, tmp_dir)
    redis = Redis().start()
    gateway = FakeGateway().__enter__()
    env = production_env(
        redis=redis,
        store=object_store,
        var_dir=static_dir,
        tmp_dir=tmp_dir,
        SEVA_SMS_BACKEND="seva.notifications.backends.HttpGatewayBackend",
        SEVA_SMS_GATEWAY_URL=gateway.url,
    )
    if prefix:
        # A home folder the processes cannot write either, as in the image.
        env["HOME"] = str(tmp_path)
    made = Cluster(
        a=web_node("node A", env, tmp_path / "a.log", prefix),
        b=web_node("node B", env, tmp_path / "b.log", prefix),
        worker=celery_worker(env, tmp_path / "worker.log", prefix),
        gateway=gateway,
        store=object_store,
        read_only=bool(prefix),
    )
    try:
        for process in (made.worker, made.a, made.b):
            process.start()
        made.a.wait_until_ready()
        made.b.wait_until_ready()
        yield made
    finally:
        for process in (made.a, made.b, made.worker):
            process.stop()
        gateway.__exit__(None, None, None)
        redis.stop()
        _remove_what_the_nodes_wrote(made)


def _remove_what_the_nodes_wrote(made: Cluster) -> None:
    keys = [b.cookies.get("sessionid") for b in made.browsers]

    def remove() -> None:
        Session.objects.filter(session_key__in=[k for k in keys if k]).delete()
        Document.objects.filter(token__in=made.tokens).delete()
        OtpChallenge.objects.filter(mobile__in=made.mobiles).delete()
        OtpLockout.objects.filter(mobile__in=made.mobiles).delete()
        OutboxMessage.objects.filter(recipient__in=made.mobiles).delete()
        get_user_model().objects.filter(username__in=[f"mobile-{m}" for m in made.mobiles]).delete()

    committed(remove)


def _code_sent_to(gateway: FakeGateway, mobile: str, nth: int = 1, timeout: float = 60) -> str:
    """The sign-in code in the `nth` SMS the gateway received for `mobile`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        texts = [m["text"] for m in gateway.received if m.get("to") == mobile]
        if len(texts) >= nth:
            return re.search(r"\b([0-9]{6})\b", texts[nth - 1]).group(1)
        time.sleep(0.2)
    raise AssertionError(f"no SMS reached the gateway for {mobile}: {gateway.received}")


def _sign_in(cluster: Cluster, person: Browser, mobile: str, *, ask: Process, answer: Process):
    cluster.mobiles.append(mobile)
    asked = person.post_form(ask, "/login/", {"mobile": mobile, "next": "/my/"})
    assert asked.status == 302, asked.text[:2000]
    code = _code_sent_to(cluster.gateway, mobile)
    signed = person.post_form(answer, "/login/code/", {"code": code, "next": "/my/"})
    assert signed.status == 302 and signed.headers["Location"] == "/my/", signed.text[:2000]


@pytest.mark.django_db
def test_two_nodes_and_a_worker_share_one_state(cluster):
    a, b = cluster.a, cluster.b
    try:
        # Signed in on A (the code asked for on A, given on B): the citizen carries on on B.
        citizen = cluster.browser("127.0.0.21")
        _sign_in(cluster, citizen, CITIZEN_MOBILE, ask=a, answer=b)
        for node in (b, a):
            mine = citizen.get(node, "/my/")
            assert mine.status == 200 and "Sign out" in mine.text, mine.text[:2000]

        # A document uploaded through A downloads through B, and from no one else.
        photo = png_bytes(16, 16)
        uploaded = citizen.post_file(
            a,
            "/api/v1/documents/",
            {"service": "income-certificate", "field": "documents.photo"},
            ("photo.png", photo, "image/png"),
        )
        assert uploaded.status == 201, uploaded.text
        token = uploaded.json()["token"]
        cluster.tokens.append(token)
        downloaded = citizen.get(b, f"/documents/{token}/")
        assert downloaded.status == 200 and downloaded.body == photo
        assert downloaded.headers["Cache-Control"] == "private, no-store"
        name = committed(lambda: Document.objects.get(token=token).file.name)
        assert cluster.store.read(name) == photo
        assert cluster.store.anonymous_get(name) == 403
        other = cluster.browser("127.0.0.22")
        _sign_in(cluster, other, OTHER_MOBILE, ask=b, answer=a)
        for node in (a, b):
            assert other.get(node, f"/documents/{token}/").status == 404
        assert cluster.browser("127.0.0.23").get(a, f"/documents/{token}/").status == 302

        # Sign-in codes: ten a connection an hour, counted across both nodes.
        caller = cluster.browser("127.0.0.24")
        many = [f"97{os.getpid() % 1000:03d}{n:05d}" for n in range(OTP_PER_CONNECTION + 1)]
        cluster.mobiles.extend(many)
        for n, mobile in enumerate(many[:-1]):
            sent = caller.post_form((a, b)[n % 2], "/login/", {"mobile": mobile})
            assert sent.status == 302, (n, sent.status, sent.text[:1000])
        refused = caller.post_form(b, "/login/", {"mobile": many[-1]})
        assert refused.status == 400 and "Too many requests from this connection" in refused.text

        # Every SMS either node queued reached the gateway once, through the worker.
        expected = {CITIZEN_MOBILE: 1, OTHER_MOBILE: 1, **dict.fromkeys(many[:-1], 1)}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(cluster.gateway.received) < len(expected):
            time.sleep(0.2)
        time.sleep(3)  # a second delivery would come now
        delivered = Counter(m["to"] for m in cluster.gateway.received)
        assert delivered == expected
        references = [m["reference"] for m in cluster.gateway.received]
        assert len(set(references)) == len(references)

        # On the read-only disk, no process tried a write and carried on without it.
        if cluster.read_only:
            for process in (a, b, cluster.worker):
                assert "Read-only file system" not in process.log.read_text(), process.name
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{cluster.logs()}") from exc


def test_the_read_only_disk_catches_a_write(tmp_path, object_store):
    """The sandbox above is no formality: a production process in it that writes to the disk
    (here through Django's local file storage, as an upload would without the bucket) fails
    with "Read-only file system"; the same process reaches the bucket and its temp folder."""
    tmp_dir = tmp_path / "tmp"
    tmp_dir.mkdir()
    prefix = _sandboxed("read-only-disk", tmp_dir)
    env = production_env(
        redis=Redis(), store=object_store, var_dir=tmp_path / "var", tmp_dir=tmp_dir
    )
    script = (
        "import sys, tempfile, django; django.setup()\n"
        "from django.core.files.base import ContentFile\n"
        "from django.core.files.storage import FileSystemStorage, default_storage\n"
        "name = default_storage.save('sandbox-probe.txt', ContentFile(b'bucket'))\n"
        "default_storage.delete(name)\n"
        "tempfile.NamedTemporaryFile().write(b'temp')\n"
        "FileSystemStorage(location=sys.argv[1]).save('probe.txt', ContentFile(b'disk'))\n"
    )
    target = REPO / "var" / "sandbox-probe"
    result = subprocess.run(
        [*prefix, sys.executable, "-c", script, str(target)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "Read-only file system" in result.stderr, result.stderr[-3000:]
    assert not target.exists()
    # Outside the sandbox the same write succeeds: it was the sandbox that refused it.
    allowed = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "disk")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert allowed.returncode == 0, allowed.stderr[-3000:]
    assert (tmp_path / "disk" / "probe.txt").read_bytes() == b"disk"
