"""Production settings pass Django's deployment checks, and refuse the demo SMS box
(issue 16, finding 12).

Each test starts a fresh interpreter on `seva.config.settings.prod` with the environment
production needs, as an operator's process would: the settings module is read once per
process, so it cannot be tried inside the test run's own.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def production_environment(**changes: str) -> dict[str, str]:
    """What production is given: a long random key made for this run, one host, PostgreSQL,
    and Redis for the broker and the shared cache."""
    database = os.environ.get("DATABASE_URL", "")
    if not database.startswith(("postgres://", "postgresql://")):
        database = "postgres://seva@db.internal:5432/seva"
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SEVA_", "SECURE_", "DJANGO_")) and k not in {"SECRET_KEY", "DEBUG"}
    }
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "seva.config.settings.prod",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "seva.example.gov.in",
        "DATABASE_URL": database,
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "SEVA_CACHE_URL": "redis://127.0.0.1:6379/1",
        **changes,
    }


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_deployment_checks_find_nothing_under_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_environment())
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output


def test_production_refuses_to_start_with_the_demo_sms_box_on():
    result = manage("check", env=production_environment(SEVA_DEMO_SMS_BOX="1"))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SEVA_DEMO_SMS_BOX" in result.stderr
