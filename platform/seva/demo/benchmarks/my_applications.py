"""Measuring "My applications" for a citizen with thousands of applications, as a web node
serves it: a citizen is given synthetic applications (one INSERT ... SELECT, committed, so
that another process sees them), the production application server is started with one
worker of one thread, and the page is asked for over HTTP while the worker's resident
memory is read from /proc. Used by the `my_applications_benchmark` command; never by the
application itself."""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client

from seva.applications.models import Application
from seva.definitions.models import Service
from seva.definitions.selectors import workflow_for

SYNTHETIC_PREFIX = "BENCH-MY-"
USERNAME_PREFIX = "bench.my."


# ------------------------------------------------------------------------------
# The citizen and their applications
# ------------------------------------------------------------------------------
def _kinds() -> list[tuple[int, int, int, str, str, dict]]:
    """(service, version, department, state, outcome, answers) for every state of every
    service's current version, the answers being the form's own example: what a real
    citizen's rows hold."""
    kinds = []
    for service in Service.objects.filter(current_version__isnull=False).select_related(
        "current_version"
    ):
        version = service.current_version
        example = (version.form_schema.get("examples") or [{}])[0]
        for state in workflow_for(version).states.values():
            outcome = state.outcome.value if state.outcome else ""
            kinds.append(
                (service.id, version.id, service.department_id, state.code, outcome, example)
            )
    return kinds


def citizen_with_applications(*, count: int):
    """A new citizen with `count` applications over every state of every service, submitted
    an hour apart, newest now; closed in the terminal states. Committed, and the table
    vacuumed as autovacuum would have it in service (its visibility map lets a count read
    the index alone); remove with `citizen_remove`."""
    citizen = _citizen_insert(count=count)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE applications_application")
    return citizen


@transaction.atomic
def _citizen_insert(*, count: int):
    marker = uuid.uuid4().hex[:8]
    citizen = get_user_model().objects.create_user(username=f"{USERNAME_PREFIX}{marker}")
    kinds = _kinds()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH offices AS (
                SELECT array_agg(id ORDER BY path) AS ids, array_agg(path ORDER BY path) AS paths
                FROM org_jurisdiction WHERE level = 'tehsil'
            ),
            kinds AS (
                SELECT k, answers::jsonb AS answers
                FROM unnest(%(answers)s::text[]) WITH ORDINALITY AS a(answers, k)
            ),
            base AS (
                SELECT g, 1 + (g * 7919) %% array_length(offices.ids, 1) AS o,
                       1 + (g * 31) %% %(kinds)s AS k,
                       now() - interval '1 hour' * g AS sub
                FROM generate_series(0::bigint, %(count)s::bigint - 1) AS g, offices
            )
            INSERT INTO applications_application (
                reference, service_id, service_version_id, department_id, office_id, place_id,
                place_path, held_at_path, applicant_id, applicant_name, applicant_mobile,
                language, channel, data, state, escalation_level, holder_flag, submitted_at,
                stage_started_at, rts_due_at, clock_pauses, closed_at, outcome,
                closed_within_rts, updated_at)
            SELECT %(prefix)s || %(marker)s || '-' || g,
                   (%(service)s::bigint[])[base.k], (%(version)s::bigint[])[base.k],
                   (%(department)s::bigint[])[base.k], offices.ids[o], offices.ids[o],
                   offices.paths[o], offices.paths[o], %(citizen)s, 'Synthetic citizen',
                   '9000000000', 'en', 'online', kinds.answers, (%(state)s::text[])[base.k],
                   0, '', sub, sub, sub + interval '21 days', '[]'::jsonb,
                   CASE WHEN (%(outcome)s::text[])[base.k] <> '' THEN sub + interval '9 days'
                   END,
                   (%(outcome)s::text[])[base.k],
                   CASE WHEN (%(outcome)s::text[])[base.k] <> '' THEN true END,
                   now()
            FROM base JOIN kinds ON kinds.k = base.k, offices
            """,
            {
                "count": count,
                "kinds": len(kinds),
                "prefix": SYNTHETIC_PREFIX,
                "marker": marker,
                "citizen": citizen.pk,
                "service": [k[0] for k in kinds],
                "version": [k[1] for k in kinds],
                "department": [k[2] for k in kinds],
                "state": [k[3] for k in kinds],
                "outcome": [k[4] for k in kinds],
                "answers": [json.dumps(k[5]) for k in kinds],
            },
        )
    return citizen


def citizen_remove(citizen) -> None:
    """The citizen, their applications and their sessions, gone."""
    with transaction.atomic():
        Application.objects.filter(applicant=citizen).delete()
        citizen.delete()


def session_cookie(citizen) -> str:
    """A session for `citizen` in the shared session store: the server, given the same
    SECRET_KEY, takes it as the citizen signed in."""
    client = Client()
    client.force_login(citizen)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


# ------------------------------------------------------------------------------
# The server
# ------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


@dataclass
class Server:
    port: int
    master: subprocess.Popen
    log: Path

    def worker_pid(self) -> int:
        children = Path(f"/proc/{self.master.pid}/task/{self.master.pid}/children")
        pids = children.read_text().split()
        if len(pids) != 1:
            raise RuntimeError(f"expected one gunicorn worker, found {pids}")
        return int(pids[0])

    def _memory_mb(self, field: str) -> float:
        for line in Path(f"/proc/{self.worker_pid()}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError(f"no {field} in /proc")

    def worker_rss_mb(self) -> float:
        """The worker's resident memory now."""
        return self._memory_mb("VmRSS")

    def worker_peak_mb(self) -> float:
        """The most the worker has been resident at any time (its high-water mark)."""
        return self._memory_mb("VmHWM")


@contextlib.contextmanager
def server(*, settings_module: str, root: Path, env: dict[str, str]) -> Iterator[Server]:
    """gunicorn with the project's configuration file, one worker of one thread (so that one
    process serves every request and its memory is the page's), never recycled during the
    run. Under production settings its static files are collected first into a folder of
    its own, as a deployment does."""
    port = _free_port()
    workdir = Path(tempfile.mkdtemp(prefix="seva-my-bench-"))
    environment = {
        **os.environ,
        **env,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DATABASE_URL": database_url(),
        "SECRET_KEY": settings.SECRET_KEY,
        "SEVA_VAR_DIR": str(workdir),
        "SEVA_BIND": f"127.0.0.1:{port}",
        "SEVA_WEB_WORKERS": "1",
        "SEVA_WEB_THREADS": "1",
        "SEVA_WEB_MAX_REQUESTS": "0",
        "SEVA_WEB_TIMEOUT": "300",
        "LOG_LEVEL": "WARNING",
    }
    environment.setdefault("ALLOWED_HOSTS", "127.0.0.1")
    log = workdir / "gunicorn.log"
    python = Path(sys.executable)
    try:
        collected = subprocess.run(
            [str(python), "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=root,
            env=environment,
            capture_output=True,
            text=True,
        )
        if collected.returncode != 0:
            raise RuntimeError(f"collectstatic failed: {collected.stderr[-3000:]}")
        with log.open("wb") as out:
            master = subprocess.Popen(
                [str(python.parent / "gunicorn"), "-c", "gunicorn.conf.py"],
                cwd=root,
                env=environment,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        running = Server(port=port, master=master, log=log)
        try:
            _wait_until_up(running)
            yield running
        finally:
            master.terminate()
            master.wait(timeout=60)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_until_up(running: Server) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            status, _size = get(running, "/healthz")
            if status == 200:
                running.worker_pid()
                return
        except (OSError, RuntimeError):
            pass
        if running.master.poll() is not None:
            break
        time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not start: {running.log.read_text()[-3000:]}")


def get(running: Server, path: str, *, cookie: str = "") -> tuple[int, int]:
    """(status, bytes of the body) of GET `path`, as a browser behind the TLS-ending load
    balancer would ask it."""
    conn = http.client.HTTPConnection("127.0.0.1", running.port, timeout=300)
    try:
        headers = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https"}
        if cookie:
            headers["Cookie"] = f"{settings.SESSION_COOKIE_NAME}={cookie}"
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, len(response.read())
    finally:
        conn.close()


# ------------------------------------------------------------------------------
# Timing
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class PageTimings:
    path: str
    milliseconds: list[float]
    status: int
    size: int

    @property
    def median(self) -> float:
        return statistics.median(self.milliseconds)

    @property
    def p95(self) -> float:
        ordered = sorted(self.milliseconds)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def timed_gets(running: Server, path: str, *, cookie: str, runs: int) -> PageTimings:
    timings, status, size = [], 0, 0
    for _ in range(runs):
        started = time.perf_counter()
        status, size = get(running, path, cookie=cookie)
        timings.append((time.perf_counter() - started) * 1000)
    return PageTimings(path=path, milliseconds=timings, status=status, size=size)
