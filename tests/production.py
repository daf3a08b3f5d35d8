"""Seva's production processes started by a test, as an operator starts them: gunicorn with
gunicorn.conf.py and a Celery worker, both on `seva.config.settings.prod`, sharing the test
database (the demo state the suite committed), a Redis of the test's own and the object store
(tests/objectstore.py). Also a client that keeps one person's cookies across nodes, and a
sandbox in which the whole disk is read-only except one temporary folder."""

from __future__ import annotations

import http.client
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection

from tests.objectstore import ObjectStore, free_port

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
REDIS_SERVER = shutil.which("redis-server")
UNSHARE = shutil.which("unshare")


def database_url() -> str:
    """The test database (test_<name>), which holds the demo data the suite committed."""
    db = connection.settings_dict
    user = urllib.parse.quote(db["USER"] or "postgres")
    password = f":{urllib.parse.quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return (
        f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


class Redis:
    """A redis-server of the test's own on a free port, so that stopping it disturbs nothing
    else and nothing is left behind."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> Redis:
        assert REDIS_SERVER, "needs the redis-server program"
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""],
            stdout=subprocess.DEVNULL,
        )
        wait_for_port(self.port, self.process, "redis-server")
        return self

    def stop(self) -> None:
        stop(self.process)


def wait_for_port(port: int, process: subprocess.Popen, name: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} stopped")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{name} did not start")


def stop(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def collect_static(var_dir: Path, env: dict[str, str]) -> None:
    """What the image does once at build time: the manifest the production settings'
    static files storage needs, under `var_dir`/static."""
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=REPO,
        env={**env, "SEVA_VAR_DIR": str(var_dir)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def production_env(
    *, redis: Redis, store: ObjectStore, var_dir: Path, tmp_dir: Path, **more: str
) -> dict[str, str]:
    """The environment of a production process: the machine's own variables less Seva's and
    Django's, then what production needs. Files may be written to `tmp_dir` (TMPDIR) only."""
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SEVA_", "SECURE_", "DJANGO_", "AWS_", "CELERY_"))
        and k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "ALLOWED_HOSTS"}
    }
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "seva.config.settings.prod",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": redis.url(0),
        "SEVA_CACHE_URL": redis.url(1),
        # The nodes are reached over plain HTTP on loopback, not through a TLS proxy.
        "SECURE_SSL_REDIRECT": "false",
        "SEVA_VAR_DIR": str(var_dir),
        "TMPDIR": str(tmp_dir),
        "HOME": str(tmp_dir),
        "PYTHONPATH": str(REPO / "platform"),
        **store.environ(),
        **more,
    }


def read_only_except(writable: Path) -> list[str]:
    """A command prefix: the command runs in a mount namespace of its own in which the whole
    disk is read-only (root cannot write either) except `writable`. The machine's own mounts
    are untouched; loopback, /proc and /dev stay as they are."""
    return [
        str(UNSHARE),
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        'mount --bind "$0" "$0" && mount -o remount,bind,ro / && exec "$@"',
        str(writable),
    ]


def sandbox_works(writable: Path) -> bool:
    if not UNSHARE:
        return False
    probe = subprocess.run(
        [*read_only_except(writable), "true"], capture_output=True, timeout=30, check=False
    )
    return probe.returncode == 0


@dataclass
class Process:
    """gunicorn or a Celery worker, with its output in a log file."""

    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    port: int = 0
    process: subprocess.Popen | None = None

    def start(self) -> Process:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command, cwd=REPO, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        return self

    def stop(self) -> None:
        stop(self.process)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""

    def wait_until_ready(self, timeout: float = 120) -> None:
        """Until /readyz answers 200: the node reaches the database, Redis and the bucket."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"{self.name} stopped:\n{self.tail()}"
            try:
                last = Browser("127.0.0.1").get(self, "/readyz")
                if last.status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"{self.name} is not ready ({last}):\n{self.tail()}")


def web_node(name: str, env: dict[str, str], log: Path, prefix: list[str] = ()) -> Process:
    port = free_port()
    node_env = {
        **env,
        "SEVA_BIND": f"127.0.0.1:{port}",
        "SEVA_WEB_WORKERS": "2",
        "SEVA_WEB_THREADS": "2",
    }
    command = [*prefix, str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"]
    return Process(name, command, node_env, log, port=port)


def celery_worker(env: dict[str, str], log: Path, prefix: list[str] = ()) -> Process:
    command = [
        *prefix,
        sys.executable,
        "-m",
        "celery",
        "-A",
        "seva.config",
        "worker",
        "--pool",
        "threads",
        "--concurrency",
        "2",
        "--loglevel",
        "INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    return Process("celery worker", command, env, log)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")

    def json(self):
        return json.loads(self.body)


@dataclass
class Browser:
    """One person's client: an address of its own on loopback (127.0.0.x, so that each
    per-address limit counts only its own) and its cookies, whichever node it reaches."""

    address: str
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self, node: Process, method: str, path: str, body: bytes | None = None, **headers: str
    ) -> Answer:
        sent = {k.replace("_", "-"): v for k, v in headers.items()}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = http.client.HTTPConnection(
            "127.0.0.1", node.port, timeout=30, source_address=(self.address, 0)
        )
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            data = response.read()
            for value in response.headers.get_all("Set-Cookie") or []:
                name, _eq, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            return Answer(response.status, dict(response.headers), data)
        finally:
            conn.close()

    def get(self, node: Process, path: str, **headers: str) -> Answer:
        return self.request(node, "GET", path, **headers)

    def post_form(self, node: Process, path: str, form: dict[str, str]) -> Answer:
        if "csrftoken" not in self.cookies:
            self.get(node, path)
        form = {**form, "csrfmiddlewaretoken": self.cookies["csrftoken"]}
        return self.request(
            node,
            "POST",
            path,
            urllib.parse.urlencode(form).encode(),
            Content_Type="application/x-www-form-urlencoded",
        )

    def post_file(
        self, node: Process, path: str, fields: dict[str, str], file: tuple[str, bytes, str]
    ) -> Answer:
        """A multipart POST with the session's CSRF token in its header, as the API wants."""
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items()
        ]
        name, content, content_type = file
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request(
            node,
            "POST",
            path,
            b"".join(parts),
            Content_Type=f"multipart/form-data; boundary={boundary}",
            X_CSRFToken=self.cookies.get("csrftoken", ""),
        )
