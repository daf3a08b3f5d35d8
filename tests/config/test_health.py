"""Health for load balancers: /healthz answers while the process lives, /readyz says which of
the database, the shared cache, the file store and the migrations is not there, and names
nothing else; the WSGI and ASGI entry points refuse to start without a settings module."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage
from django.test import Client, override_settings

REPO = Path(__file__).resolve().parents[2]
CHECKS = {"database", "cache", "file_store", "migrations"}


class UnreachableStore(FileSystemStorage):
    """An object store that does not answer."""

    def exists(self, name: str) -> bool:
        raise ConnectionError("the object store does not answer")


@pytest.mark.django_db
def test_a_live_process_answers_and_is_ready_when_everything_is_there():
    client = Client()
    alive = client.get("/healthz")
    assert alive.status_code == 200 and alive.json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.content
    assert ready.json() == {"status": "ok", "checks": dict.fromkeys(CHECKS, "ok")}
    assert "no-cache" in ready["Cache-Control"]


@pytest.mark.django_db
def test_with_the_cache_down_it_is_not_ready_says_which_and_is_still_alive():
    dead = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": dead,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    client = Client()
    with override_settings(CACHES=caches):
        ready = client.get("/readyz")
        alive = client.get("/healthz")
    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable"
    assert ready.json()["checks"] == {**dict.fromkeys(CHECKS, "ok"), "cache": "unavailable"}
    assert b"127.0.0.1" not in ready.content and b"6379" not in ready.content
    assert alive.status_code == 200


@pytest.mark.django_db
def test_with_the_file_store_down_it_is_not_ready_and_says_so():
    storages = {
        "default": {"BACKEND": f"{__name__}.UnreachableStore"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        ready = Client().get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["file_store"] == "unavailable"
    assert b"does not answer" not in ready.content


@pytest.mark.parametrize("entry", ["seva.config.wsgi", "seva.config.asgi"])
def test_the_entry_points_refuse_to_start_without_a_settings_module(entry):
    clean = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    refused = subprocess.run(
        [sys.executable, "-c", f"import {entry}"],
        env={**clean, "PYTHONPATH": str(REPO / "platform")},
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert refused.returncode != 0
    assert "DJANGO_SETTINGS_MODULE is not set" in refused.stderr
    assert "seva.config.settings.prod" in refused.stderr
    started = subprocess.run(
        [sys.executable, "-c", f"import {entry}; print('started')"],
        env={
            **clean,
            "PYTHONPATH": str(REPO / "platform"),
            "DJANGO_SETTINGS_MODULE": "seva.config.settings.test",
        },
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert started.returncode == 0, started.stderr
    assert "started" in started.stdout
