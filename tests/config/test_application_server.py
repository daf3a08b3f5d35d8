"""The production application server: gunicorn started with the project's configuration file
serves Seva (a readiness check answered), and writes its access log as JSON lines."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

REPO = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the server reads the test database over a connection of its own")
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=False)
def test_gunicorn_serves_seva_with_its_configuration_and_logs_json(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "seva.config.settings.test",
        "DATABASE_URL": _database_url(),
        "SEVA_BIND": f"127.0.0.1:{port}",
        "SEVA_WEB_WORKERS": "2",
        "SEVA_WEB_THREADS": "2",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(GUNICORN), "-c", "gunicorn.conf.py"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        answer = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and answer is None:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/healthz", headers={"X-Request-Id": "req-42"}
                )
                with urllib.request.urlopen(request, timeout=5) as response:
                    answer = (response.status, json.loads(response.read()))
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"gunicorn exited: {log.read_text()[-3000:]}")
                time.sleep(0.5)
        assert answer == (200, {"status": "ok"}), log.read_text()[-3000:]
        time.sleep(0.5)  # the access log line is written after the answer
    finally:
        server.terminate()
        server.wait(timeout=30)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    served = [line for line in lines if line["path"] == "/healthz"]
    assert served, log.read_text()[-3000:]
    assert served[0]["status"] == "200" and served[0]["method"] == "GET"
    assert served[0]["request_id"] == "req-42"
    assert "Booting worker" in log.read_text()
    assert log.read_text().count("Booting worker") == 2  # SEVA_WEB_WORKERS
