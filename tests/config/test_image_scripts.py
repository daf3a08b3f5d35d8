"""The container image's scripts (bin/), run here exactly as the image runs them, under the
production settings against real PostgreSQL, Redis and an S3-protocol server: the wait
succeeds when everything answers and gives up in seconds naming what does not; migrate builds
an empty database and changes nothing the second time; collectstatic writes the hashed files
to STATIC_ROOT; the web script starts gunicorn, which answers /healthz and /readyz and serves
the collected files; the worker and beat start; and the image installs exactly the lock's
production pins. Only the Dockerfile and compose.yaml around them are not run (no Docker
engine here; docs/operations.md says so).

Needs PostgreSQL (a database of its own is made and dropped) and Redis (SEVA_TEST_REDIS_URL,
whose database is flushed before and after): skipped without either, failed when
SEVA_TEST_REDIS_URL is set and Redis does not answer."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from django.conf import settings
from packaging.requirements import Requirement

from tests.objectstore import ObjectStore, free_port

REPO = Path(__file__).resolve().parents[2]
BIN = REPO / "bin"
VENV_BIN = Path(sys.executable).parent
REDIS_URL = os.environ.get("SEVA_TEST_REDIS_URL", "")
DATABASE = settings.DATABASES["default"]


def _server_url(name: str) -> str:
    host = DATABASE["HOST"] or "127.0.0.1"
    return f"postgres://{DATABASE['USER']}@{host}:{DATABASE['PORT'] or 5432}/{name}"


def _admin(sql: str) -> None:
    with psycopg.connect(_server_url("postgres"), autocommit=True) as connection:
        connection.execute(sql)


def _run(script: str, env: dict, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / script), *args],
        env=env,
        cwd="/",  # the scripts find the repository themselves
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _get(url: str, *, behind_https: bool = False) -> tuple[int, dict[str, str], bytes]:
    """GET, as the load balancer asks: health over plain HTTP, pages for an HTTPS client."""
    headers = {"X-Forwarded-Proto": "https"} if behind_https else {}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, dict(refused.headers), refused.read()


class Process:
    """A long-running script, its output in a file, stopped at the end."""

    def __init__(self, script: str, env: dict, log: Path) -> None:
        self.log = log
        with log.open("wb") as out:
            self.popen = subprocess.Popen(
                [str(BIN / script)], env=env, cwd="/", stdout=out, stderr=subprocess.STDOUT
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, pattern: str, *, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while not re.search(pattern, self.output()):
            if self.popen.poll() is not None:
                pytest.fail(f"exited {self.popen.returncode}:\n{self.output()[-4000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"no {pattern!r} after {seconds} s:\n{self.output()[-4000:]}")
            time.sleep(0.3)

    def answer(self, url: str, *, seconds: float = 60) -> tuple[int, dict[str, str], bytes]:
        """The first answer to a GET of `url` once the process listens."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                return _get(url)
            except OSError as exc:
                if self.popen.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"{url} did not answer ({exc}):\n{self.output()[-4000:]}")
                time.sleep(0.3)

    def stop(self) -> int:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
        return self.popen.returncode


@pytest.fixture(scope="module")
def redis_db() -> Iterator[str]:
    if not REDIS_URL:
        pytest.skip("needs Redis: set SEVA_TEST_REDIS_URL")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"SEVA_TEST_REDIS_URL={REDIS_URL} is set but Redis does not answer: {exc}")
    client.flushdb()  # only the database named in SEVA_TEST_REDIS_URL
    yield REDIS_URL
    client.flushdb()


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Iterator[ObjectStore]:
    store = ObjectStore(tmp_path_factory.mktemp("image-store") / "moto.log").start()
    yield store
    store.stop()


@pytest.fixture(scope="module")
def production(tmp_path_factory, redis_db, store) -> Iterator[dict]:
    """The environment the image gives its processes: production settings, an empty database
    of their own, Redis, the bucket, and a var folder of their own."""
    if DATABASE["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("production runs on PostgreSQL")
    name = f"seva_image_{uuid.uuid4().hex[:8]}"
    _admin(f"CREATE DATABASE {name}")
    var = tmp_path_factory.mktemp("image-var")
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PGPASSWORD")
    env = {key: os.environ[key] for key in keep if key in os.environ}
    env.update(
        {
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
            "DJANGO_SETTINGS_MODULE": "seva.config.settings.prod",
            "SECRET_KEY": "image-scripts-test-not-a-secret",
            "ALLOWED_HOSTS": "seva.example.gov.in,127.0.0.1",
            "DATABASE_URL": _server_url(name),
            "CELERY_BROKER_URL": redis_db,
            "SEVA_CACHE_URL": redis_db,
            "SEVA_VAR_DIR": str(var),
            "SEVA_WAIT_TIMEOUT": "30",
            **store.environ(),
        }
    )
    yield env
    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def migrated(production) -> dict:
    first = _run("seva-migrate", production, timeout=600)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "Applying applications.0001_initial... OK" in first.stdout
    assert re.search(r"[1-9]\d* new version\(s\)", first.stdout), first.stdout[-2000:]
    return production


@pytest.fixture(scope="module")
def collected(production) -> Path:
    result = _run("seva-collectstatic", production, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return Path(production["SEVA_VAR_DIR"]) / "static"


# ------------------------------------------------------------------------------
# Waiting for the services
# ------------------------------------------------------------------------------
def test_the_wait_succeeds_once_every_service_answers(production):
    result = _run("seva-wait-for-services", production)
    assert result.returncode == 0, result.stderr
    for service in ("DATABASE_URL", "CELERY_BROKER_URL", "SEVA_CACHE_URL", "file store"):
        assert re.search(rf"{service}.* answers", result.stdout), result.stdout
    assert "ready after" in result.stdout


NOBODY = "127.0.0.1:1"  # nothing listens on port 1


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("DATABASE_URL", f"postgres://seva:secret-pw@{NOBODY}/seva", "PostgreSQL (DATABASE_URL)"),
        ("SEVA_CACHE_URL", f"redis://{NOBODY}/0", "the shared cache (SEVA_CACHE_URL)"),
        ("CELERY_BROKER_URL", f"redis://{NOBODY}/0", "the Celery broker (CELERY_BROKER_URL)"),
        ("SEVA_S3_ENDPOINT_URL", f"http://{NOBODY}", "the file store"),
    ],
)
def test_the_wait_gives_up_in_time_naming_the_service_that_does_not_answer(
    production, variable, value, named
):
    env = {**production, variable: value, "SEVA_WAIT_TIMEOUT": "3"}
    started = time.monotonic()
    result = _run("seva-wait-for-services", env, timeout=60)
    took = time.monotonic() - started
    assert result.returncode == 1, result.stdout + result.stderr
    assert "gave up after 3 s; still not answering:" in result.stderr
    missing = [line for line in result.stderr.splitlines() if line.startswith("  - ")]
    assert len(missing) == 1 and missing[0].startswith(f"  - {named}"), result.stderr
    assert "secret-pw" not in result.stdout + result.stderr
    assert took < 30, f"the wait took {took:.0f} s to give up after 3"


def test_each_script_refuses_to_guess_the_settings(production):
    env = {k: v for k, v in production.items() if k != "DJANGO_SETTINGS_MODULE"}
    for script in ("seva-wait-for-services", "seva-migrate", "seva-web", "seva-worker"):
        result = _run(script, env, timeout=60)
        assert result.returncode != 0, script
        assert "DJANGO_SETTINGS_MODULE=seva.config.settings.prod" in result.stderr, script


# ------------------------------------------------------------------------------
# Migrate, collectstatic, the processes
# ------------------------------------------------------------------------------
def test_migrate_builds_an_empty_database_and_changes_nothing_the_second_time(migrated):
    again = _run("seva-migrate", migrated, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "No migrations to apply." in again.stdout
    assert "Applying" not in again.stdout
    assert re.search(r"\b0 new version\(s\)", again.stdout), again.stdout[-2000:]


def test_collectstatic_writes_hashed_files_to_static_root(collected):
    manifest = json.loads((collected / "staticfiles.json").read_text())["paths"]
    css = "themes/default/css/site.css"
    assert css in manifest, sorted(manifest)[:20]
    hashed = collected / manifest[css]
    assert hashed.exists() and hashed.name != "site.css"
    assert hashed.with_name(hashed.name + ".gz").exists()  # WhiteNoise serves it compressed


def test_the_web_script_starts_gunicorn_which_is_alive_ready_and_serves_static_files(
    migrated, collected, tmp_path
):
    port = free_port()
    env = {**migrated, "SEVA_BIND": f"127.0.0.1:{port}", "SEVA_WEB_WORKERS": "2"}
    web = Process("seva-web", env, tmp_path / "web.log")
    try:
        web.wait_for(r"Booting worker")
        base = f"http://127.0.0.1:{port}"
        alive = web.answer(f"{base}/healthz")
        assert alive[0] == 200 and json.loads(alive[2]) == {"status": "ok"}
        ready = _get(f"{base}/readyz")
        assert ready[0] == 200, ready[2]
        assert set(json.loads(ready[2])["checks"].values()) == {"ok"}
        # The image's health check: the host it names is one the process serves.
        check = subprocess.run(
            [str(BIN / "seva-healthcheck"), "/readyz"], env=env, capture_output=True, text=True
        )
        assert check.returncode == 0, check.stderr
        manifest = json.loads((collected / "staticfiles.json").read_text())["paths"]
        status, headers, body = _get(
            f"{base}/static/{manifest['themes/default/css/site.css']}", behind_https=True
        )
        assert status == 200 and body
        assert "max-age=315360000" in headers.get("Cache-Control", ""), headers
    finally:
        web.stop()
    # Stopped: the health check says so.
    down = subprocess.run(
        [str(BIN / "seva-healthcheck")], env=env, capture_output=True, text=True, timeout=30
    )
    assert down.returncode == 1 and "did not answer" in down.stderr


def test_the_worker_and_beat_scripts_start_and_stop(migrated, tmp_path):
    worker = Process(
        "seva-worker", {**migrated, "SEVA_WORKER_CONCURRENCY": "1"}, tmp_path / "worker.log"
    )
    schedule = tmp_path / "beat" / "beat-schedule"
    beat = Process("seva-beat", {**migrated, "SEVA_BEAT_SCHEDULE": str(schedule)}, tmp_path / "b")
    try:
        worker.wait_for(r"celery@\S+ ready\.")
        beat.wait_for(r"beat: Starting\.\.\.")
        assert "seva.notifications.tasks.deliver_pending" in worker.output()  # tasks found
    finally:
        worker.stop()
        beat.stop()
    assert list(schedule.parent.iterdir()), "beat kept no schedule"


# ------------------------------------------------------------------------------
# What the image installs
# ------------------------------------------------------------------------------
def _requirements_closure(roots: list[Requirement]) -> set[str]:
    """Every distribution the roots need, read from the installed packages' own metadata,
    with the extras asked for."""
    seen: set[str] = set()
    extras_of: dict[str, set[str]] = {}
    queue = list(roots)
    while queue:
        requirement = queue.pop()
        name = re.sub(r"[-_.]+", "-", requirement.name).lower()
        new_extras = set(requirement.extras) - extras_of.get(name, set())
        if name in seen and not new_extras:
            continue
        seen.add(name)
        extras_of.setdefault(name, set()).update(requirement.extras)
        for text in importlib.metadata.requires(name) or []:
            needed = Requirement(text)
            environments = [{"extra": extra} for extra in ("", *extras_of[name])]
            if needed.marker is None or any(needed.marker.evaluate(e) for e in environments):
                queue.append(needed)
    return seen


def test_the_image_installs_exactly_the_locks_production_pins():
    listed = subprocess.run(
        [sys.executable, str(BIN / "seva-runtime-requirements")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    pins = dict(line.split("==") for line in listed)
    lock = dict(
        line.split("==")
        for line in (REPO / "requirements.lock").read_text().splitlines()
        if "==" in line and not line.startswith((" ", "#"))
    )
    assert all(lock[name] == version for name, version in pins.items())
    roots = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    needed = _requirements_closure([Requirement(root) for root in roots])
    assert needed == set(pins), (
        f"missing: {sorted(needed - set(pins))}; not needed: {sorted(set(pins) - needed)}"
    )
    assert {"gunicorn", "psycopg-binary", "celery", "redis"} <= set(pins)
    assert not {"pytest", "playwright", "ruff", "mypy", "moto"} & set(pins)
