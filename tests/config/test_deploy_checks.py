"""Production settings pass Django's deployment checks, send the strict Content-Security-
Policy on every page, and refuse the demo SMS box (issue 16, finding 12).

Each test starts a fresh interpreter on `seva.config.settings.prod` with the environment
production needs, as an operator's process would: the settings module is read once per
process, so it cannot be tried inside the test run's own.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.config.test_csp import HEADER, policy_problems

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
        # Files in a private bucket (tests/config/test_object_store.py); nothing reaches it here.
        "SEVA_S3_BUCKET": "seva-files",
        "SEVA_S3_REGION": "ap-south-1",
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


# Run inside a production process: each page's status and policy, as JSON. The manifest
# storage is swapped for the plain one only because this test runs no collectstatic.
FETCH_PAGES = """
import json, sys
import django
django.setup()
from django.test import Client, override_settings
plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
with override_settings(STORAGES={"default": plain, "staticfiles": plain}):
    client = Client(raise_request_exception=False)
    found = {}
    for url in json.loads(sys.argv[1]):
        response = client.get(url, secure=True)
        found[url] = [response.status_code, response.get("Content-Security-Policy")]
print(json.dumps(found))
"""
PAGES = [
    "/",
    "/services/",
    "/revenue/",
    "/login/",
    "/track/",
    "/eligibility/",
    "/my/",
    "/admin/login/",
    "/admin/",
    "/django-admin/login/",
    "/api/docs/",
    "/api/v1/services/",
    "/api/v1/applications/",
    "/no-such-page/",
    "/api/v1/no-such-endpoint/",
    "/demo/sms/",
]


@pytest.mark.postgres
@pytest.mark.django_db
def test_production_sends_the_strict_policy_on_every_page():
    """A production process answers from the test database (the demo state is committed):
    every page, redirect and error carries the policy tests/config/test_csp.py checks."""
    if connection.vendor != "postgresql":
        pytest.skip("production settings run only on PostgreSQL")
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    )
    result = subprocess.run(
        [sys.executable, "-c", FETCH_PAGES, json.dumps(PAGES)],
        cwd=REPO,
        env={
            **production_environment(ALLOWED_HOSTS="testserver", DATABASE_URL=database_url),
            "PYTHONPATH": str(REPO / "platform"),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["/"][0] == 200 and found["/no-such-page/"][0] == 404
    assert found["/demo/sms/"][0] == 404
    problems = {
        url: policy_problems({HEADER: policy} if policy else {}, url)
        for url, (_status, policy) in found.items()
    }
    assert not any(problems.values()), problems


def test_production_installs_no_demo_data_roster_or_benchmarks():
    """seed_demo, the data generator and the benchmarks live in `seva.demo`, which the
    production settings leave out: an operator cannot load the demo roster (and its published
    password) into a state's database by mistake."""
    answer = manage("help", env=production_environment())
    assert answer.returncode == 0, answer.stderr
    for command in (
        "seed_demo",
        "generate_applications",
        "queue_benchmark",
        "dashboard_benchmark",
        "documents_benchmark",
    ):
        assert command not in answer.stdout
    assert "sync_definitions" in answer.stdout  # the product's own commands are there

    refused = manage("seed_demo", "--quiet", env=production_environment())
    assert refused.returncode != 0
    assert "Unknown command: 'seed_demo'" in refused.stderr
