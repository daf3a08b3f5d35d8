"""Production settings fail fast; CI really runs on the database it was given; the cache,
the sign-in limits and the API tokens' lifetime come from the environment."""

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
    "SEVA_CACHE_URL": "redis://cache.internal:6379/1",
    # Files in a private bucket (tests/config/test_object_store.py); nothing reaches it here.
    "SEVA_S3_BUCKET": "seva-files",
    "SEVA_S3_REGION": "ap-south-1",
}
# What the settings read from the environment, cleared for each load so that the machine's
# own variables do not leak in.
READ = [
    *GOOD,
    "SEVA_LOGIN_FAILURES_PER_ACCOUNT",
    "SEVA_LOGIN_FAILURES_PER_ADDRESS",
    "SEVA_LOGIN_LOCKOUT_MINUTES",
    "SEVA_API_TOKEN_DAYS",
    "SEVA_TRUSTED_PROXY_COUNT",
]


def _load_prod(env: dict[str, str]) -> subprocess.CompletedProcess:
    return _load("seva.config.settings.prod", env, "print('started')")


def _load(module: str, env: dict[str, str], code: str) -> subprocess.CompletedProcess:
    """Start Django with the settings `module` and `env`, and run `code`."""
    clean = {k: v for k, v in os.environ.items() if k not in READ}
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env={
            **clean,
            **env,
            "DJANGO_SETTINGS_MODULE": module,
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
        ("SEVA_CACHE_URL", "SEVA_CACHE_URL"),
    ],
)
def test_production_refuses_to_start_without(missing, named):
    result = _load_prod({k: v for k, v in GOOD.items() if k != missing})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and named in result.stderr


def test_production_refuses_the_embedded_sqlite():
    result = _load_prod({**GOOD, "DATABASE_URL": "sqlite:////tmp/seva.sqlite3"})
    assert result.returncode != 0 and "PostgreSQL" in result.stderr


@pytest.mark.parametrize("url", ["memcached://cache.internal:11211", "cache.internal:6379"])
def test_production_refuses_a_cache_that_is_not_redis(url):
    result = _load_prod({**GOOD, "SEVA_CACHE_URL": url})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "SEVA_CACHE_URL" in result.stderr
    assert url not in result.stderr  # a URL may carry a password: never echoed


SHOW_CACHE = "from django.conf import settings as s; c = s.CACHES['default']; print(c['BACKEND'], c.get('LOCATION'))"


@pytest.mark.parametrize("module", ["seva.config.settings.prod", "seva.config.settings.test"])
def test_the_cache_is_the_redis_seva_cache_url_names(module):
    for url in ("redis://cache.internal:6379/1", "rediss://:secret@cache.internal:6380/2"):
        result = _load(module, {**GOOD, "SEVA_CACHE_URL": url}, SHOW_CACHE)
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == ["django.core.cache.backends.redis.RedisCache", url]


@pytest.mark.parametrize("module", ["seva.config.settings.dev", "seva.config.settings.test"])
def test_without_seva_cache_url_the_demo_keeps_its_limits_in_memory(module):
    result = _load(module, {}, SHOW_CACHE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "django.core.cache.backends.locmem.LocMemCache"


def test_sign_in_limits_token_lifetime_and_proxies_come_from_the_environment():
    env = {
        "SEVA_LOGIN_FAILURES_PER_ACCOUNT": "4",
        "SEVA_LOGIN_FAILURES_PER_ADDRESS": "40",
        "SEVA_LOGIN_LOCKOUT_MINUTES": "20",
        "SEVA_API_TOKEN_DAYS": "7",
        "SEVA_TRUSTED_PROXY_COUNT": "1",
    }
    code = (
        "from django.conf import settings as s; print(s.SEVA_LOGIN_FAILURES_PER_ACCOUNT, "
        "s.SEVA_LOGIN_FAILURES_PER_ADDRESS, int(s.AXES_COOLOFF_TIME.total_seconds()), "
        "s.SEVA_API_TOKEN_DAYS, s.SEVA_TRUSTED_PROXY_COUNT, s.REST_FRAMEWORK['NUM_PROXIES'])"
    )
    result = _load("seva.config.settings.test", env, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["4", "40", "1200", "7", "1", "1"]

    defaults = _load("seva.config.settings.test", {}, code)
    assert defaults.stdout.split() == ["5", "30", "900", "30", "0", "0"]


@pytest.mark.parametrize(
    "name,value",
    [
        ("SEVA_LOGIN_FAILURES_PER_ACCOUNT", "0"),
        ("SEVA_LOGIN_LOCKOUT_MINUTES", "five"),
        ("SEVA_API_TOKEN_DAYS", "-3"),
    ],
)
def test_a_limit_that_is_not_a_positive_number_is_refused_by_name(name, value):
    result = _load("seva.config.settings.test", {name: value}, "print('started')")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and name in result.stderr


@pytest.mark.django_db
def test_the_suite_runs_on_the_database_named_by_database_url():
    url = os.environ.get("DATABASE_URL", "")
    expected = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    assert connection.vendor == expected
