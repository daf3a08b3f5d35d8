"""Submissions over HTTP under the production server, against a bare endpoint in the same run.

`manage.py submission_benchmark` prepares citizens, API tokens and their uploads in the
current database, starts gunicorn (gunicorn.conf.py) with the production settings plus this
module's bare endpoint and statement counter (settings.bench), drives submissions of the
chosen services and the bare endpoint from 1, 2, 4 and 8 concurrent clients for a fixed time
each, and prints throughput, latency percentiles, SQL statements and the server's CPU per
request, and the ratios. Everything it made is deleted at the end. Never used by the
application itself.

The bare endpoint is what an API request costs with nothing of Seva's domain in it: the same
middleware, token authentication, throttles and JSON parsing as a submission, then one JSON
row inserted (into a table the benchmark creates and drops).
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from seva.api.models import ApiToken
from seva.api.tokens import api_token_issue
from seva.applications.documents import document_fields
from seva.applications.models import Application, ApplicationEvent, Document
from seva.definitions.models import Service
from seva.formschemas.paths import set_path
from seva.notifications.models import OutboxMessage

BARE_TABLE = "bench_bare_row"
USER_PREFIX = "bench-submit-"
SQL_HEADER = "X-Bench-Sql"


# ------------------------------------------------------------------------------
# The server side: the bare endpoint and the statement counter (settings.bench)
# ------------------------------------------------------------------------------
class StatementsCounted:
    """Puts the number of SQL statements a request ran (BEGIN and COMMIT included, as
    Django's own query log counts them) in the X-Bench-Sql response header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        connection.force_debug_cursor = True
        start = len(connection.queries_log)
        try:
            response = self.get_response(request)
        finally:
            count = len(connection.queries_log) - start
            connection.force_debug_cursor = False
            connection.queries_log.clear()
        response[SQL_HEADER] = str(count)
        return response


class BareInsert(APIView):
    """The floor under any submission: an API request like a submission (the same
    authentication by token, throttles, JSON parser and error handling from the API's
    settings), whose work is to insert its JSON body as one row, in a transaction."""

    def post(self, request: Request) -> Response:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {BARE_TABLE} (data, created_at) VALUES (%s, now()) RETURNING id",
                [json.dumps(request.data)],
            )
            (row_id,) = cursor.fetchone()
        return Response({"id": row_id}, status=201)


bare_insert = BareInsert.as_view()


# ------------------------------------------------------------------------------
# Preparing: citizens, tokens and their uploads
# ------------------------------------------------------------------------------
@dataclass
class Caller:
    """One client's citizen: its token and the bodies it will send, one per submission."""

    token: str
    bodies: Iterator[bytes]


def bare_table_create() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {BARE_TABLE} "
            "(id bigserial PRIMARY KEY, data jsonb NOT NULL, created_at timestamptz NOT NULL)"
        )


def callers_prepare(*, service: Service, clients: int, per_client: int) -> list[Caller]:
    """`clients` citizens, each with an API token and `per_client` copies of the form's
    example whose file fields name uploads of its own (rows made in bulk: the upload path is
    not what is measured)."""
    form = service.current_version.form_schema
    example = form["examples"][0]
    fields = list(document_fields(form, example))
    # The rows name a file that is never stored: a submission checks an upload by its row
    # (owner, type, size), and nothing here reads the file.
    stored = f"bench/{uuid.uuid4().hex}"
    User = get_user_model()
    callers = []
    now = timezone.now()
    for _ in range(clients):
        user = User.objects.create(username=f"{USER_PREFIX}{uuid.uuid4().hex[:12]}")
        token = api_token_issue(user=user, device="submission benchmark").token
        documents, bodies = [], []
        for _n in range(per_client):
            data = json.loads(json.dumps(example))
            for path, _token, field_schema in fields:
                token_value = f"doc_{secrets.token_hex(16)}"
                accept = field_schema["x-file"]["accept"]
                content_type = "application/pdf" if "application/pdf" in accept else accept[0]
                documents.append(
                    Document(
                        token=token_value,
                        owner=user,
                        field=path,
                        original_name="scan",
                        content_type=content_type,
                        size=1000,
                        sha256="0" * 64,
                        file=stored,
                        uploaded_at=now,
                    )
                )
                set_path(data, path, token_value)
            bodies.append(json.dumps({"service": service.code, "data": data}).encode())
        Document.objects.bulk_create(documents, batch_size=2000)
        callers.append(Caller(token=token, bodies=iter(bodies)))
    return callers


def bench_rows_delete() -> dict[str, int]:
    """Everything the benchmark made: its citizens' applications (with their history, SMS
    and uploads), tokens and users, and the bare rows. The rollups are rebuilt by the caller."""
    User = get_user_model()
    users = User.objects.filter(username__startswith=USER_PREFIX)
    applications = Application.objects.filter(applicant__in=users)
    counts = {}
    with transaction.atomic():
        counts["outbox"] = OutboxMessage.objects.filter(application__in=applications).delete()[0]
        Document.objects.filter(owner__in=users).update(application=None, event=None)
        counts["documents"] = Document.objects.filter(owner__in=users).delete()[0]
        counts["history"] = ApplicationEvent.objects.filter(application__in=applications).delete()[
            0
        ]
        counts["applications"] = applications.delete()[0]
        ApiToken.objects.filter(user__in=users).delete()
        counts["users"] = users.delete()[0]
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {BARE_TABLE}")
    return counts


# ------------------------------------------------------------------------------
# The server
# ------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def production_server(
    *, workers: int, threads: int, database_url: str, redis_url: str, root: Path | None = None
):
    """gunicorn with gunicorn.conf.py and the bench settings on a free port, from this
    checkout or another one at `root` (to measure an older commit); yields (port, pid)."""
    port = free_port()
    root = root or Path(settings.REPO_DIR)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "seva.config.settings.bench",
        # The tokens were issued by this process: their password fingerprints are keyed with
        # its secret key, so the server must have the same.
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": redis_url,
        "SEVA_CACHE_URL": redis_url,
        "SECURE_SSL_REDIRECT": "false",
        "SEVA_BIND": f"127.0.0.1:{port}",
        "SEVA_WEB_WORKERS": str(workers),
        "SEVA_WEB_THREADS": str(threads),
        "SEVA_WEB_MAX_REQUESTS": "0",
        "SEVA_API_USER_RATE": "1000000/minute",
        # A submission reads no file (its uploads are checked by their rows): the bucket is
        # named because production settings require one, and never reached.
        "SEVA_S3_BUCKET": "submission-benchmark",
        "SEVA_S3_REGION": "us-east-1",
        "SEVA_S3_ENDPOINT_URL": "http://127.0.0.1:9",
        "SEVA_S3_ACCESS_KEY_ID": "benchmark",
        "SEVA_S3_SECRET_ACCESS_KEY": "benchmark",
        "LOG_LEVEL": "WARNING",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "-c", "gunicorn.conf.py", "--access-logfile", "/dev/null"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    "gunicorn stopped: " + process.stderr.read().decode(errors="replace")[-3000:]
                )
            try:
                status, _body, _headers = request_once(port, "GET", "/healthz", b"", {})
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer /healthz within 60 s")
            time.sleep(0.2)
        yield port, process.pid
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def request_once(port: int, method: str, path: str, body: bytes, headers: dict):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers)
        reply = conn.getresponse()
        return reply.status, reply.read(), dict(reply.getheaders())
    finally:
        conn.close()


def server_cpu_seconds(pid: int) -> float:
    """User and system CPU of gunicorn's master and its workers, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            children = (task / "children").read_text().split()
            pids.extend(int(c) for c in children)
    except OSError:
        pass
    for each in pids:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


# ------------------------------------------------------------------------------
# Driving it
# ------------------------------------------------------------------------------
@dataclass
class Run:
    name: str
    clients: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)
    cpu_seconds: float = 0.0

    @property
    def done(self) -> int:
        return len(self.latencies_ms)

    @property
    def per_second(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    @property
    def sql(self) -> float:
        return statistics.median(self.statements) if self.statements else float("nan")

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.cpu_seconds / self.done if self.done else float("nan")


def drive(
    *,
    port: int,
    pid: int,
    name: str,
    path: str,
    callers: list[Caller],
    seconds: float,
    expect: int = 201,
) -> Run:
    """Each caller's thread sends its bodies back to back on one kept-alive connection for
    `seconds`; answers other than `expect` are counted as failures by status."""
    run = Run(name=name, clients=len(callers), seconds=seconds)
    lock = threading.Lock()
    stop = threading.Event()
    start_line = threading.Barrier(len(callers) + 1)

    def client(caller: Caller) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Content-Type": "application/json", "Authorization": f"Token {caller.token}"}
        start_line.wait()
        while not stop.is_set():
            body = next(caller.bodies, None)
            if body is None:
                with lock:
                    run.failures["ran out of prepared bodies"] = (
                        run.failures.get("ran out of prepared bodies", 0) + 1
                    )
                return
            began = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                reply = conn.getresponse()
                content = reply.read()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                with lock:
                    key = type(exc).__name__
                    run.failures[key] = run.failures.get(key, 0) + 1
                continue
            elapsed = (time.perf_counter() - began) * 1000
            with lock:
                if reply.status == expect:
                    run.latencies_ms.append(elapsed)
                    sql = reply.getheader(SQL_HEADER)
                    if sql:
                        run.statements.append(int(sql))
                else:
                    key = f"{reply.status} {content[:120]!r}"
                    run.failures[key] = run.failures.get(key, 0) + 1
        conn.close()

    threads = [threading.Thread(target=client, args=(c,), daemon=True) for c in callers]
    for thread in threads:
        thread.start()
    cpu_before = server_cpu_seconds(pid)
    start_line.wait()
    began = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    run.seconds = time.perf_counter() - began
    run.cpu_seconds = server_cpu_seconds(pid) - cpu_before
    return run


def bare_callers(callers: list[Caller], body: bytes) -> list[Caller]:
    """The same citizens (and tokens) as `callers`, each sending `body` for ever."""

    def forever() -> Iterator[bytes]:
        while True:
            yield body

    return [Caller(token=caller.token, bodies=forever()) for caller in callers]
