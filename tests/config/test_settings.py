"""Production settings fail fast; CI really runs on the database it was given."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

REPO = Path(__file__).resolve().parents[2]
GOOD = {
    "SECRET_KEY": "x" * 50,
    "ALLOWED_HOSTS": "seva.example.gov.in",
    "DATABASE_URL": "postgres://seva@db.internal:5432/seva",
    "CELERY_BROKER_URL": "redis://cache.internal:6379/0",
}


def _load_prod(env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in GOOD}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        env={
            **clean,
            **env,
            "DJANGO_SETTINGS_MODULE": "seva.config.settings.prod",
            "PYTHONPATH": str(REPO / "platform"),
        },
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )


def test_production_starts_with_everything_it_needs():
    result = _load_prod(GOOD)
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


@pytest.mark.parametrize(
    "missing,named",
    [
        ("SECRET_KEY", "SECRET_KEY"),
        ("ALLOWED_HOSTS", "ALLOWED_HOSTS"),
        ("DATABASE_URL", "DATABASE_URL"),
        ("CELERY_BROKER_URL", "CELERY_BROKER_URL"),
    ],
)
def test_production_refuses_to_start_without(missing, named):
    result = _load_prod({k: v for k, v in GOOD.items() if k != missing})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and named in result.stderr


def test_production_refuses_the_embedded_sqlite():
    result = _load_prod({**GOOD, "DATABASE_URL": "sqlite:////tmp/seva.sqlite3"})
    assert result.returncode != 0 and "PostgreSQL" in result.stderr


@pytest.mark.django_db
def test_the_suite_runs_on_the_database_named_by_database_url():
    url = os.environ.get("DATABASE_URL", "")
    expected = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    assert connection.vendor == expected
