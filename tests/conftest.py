"""Shared fixtures. The demo state (definitions, jurisdictions, holidays, people) is loaded
once per test database; each test runs in a transaction that is rolled back."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

# Servers on loopback for the tests: the S3-protocol store (moto: `object_store`, `s3_storage`)
# and the fake payment gateway and bank (`fake_gateway`, `payment_gateway`).
pytest_plugins = ["tests.objectstore", "tests.fakegateway"]


def load_demo_state() -> None:
    call_command("sync_definitions", verbosity=0)
    call_command("seed_demo", "--quiet")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_demo_state()


@pytest.fixture
def user(db) -> Callable[[str], object]:
    """Look up a demo user by username: user("tehsildar.ambala")."""
    User = get_user_model()
    return lambda username: User.objects.get(username=username)


@pytest.fixture
def api(db):
    """An API client signed in as a demo user: api("citizen").get(...); api(None) is anonymous."""

    def make(username: str | None) -> APIClient:
        client = APIClient()
        if username:
            client.force_authenticate(get_user_model().objects.get(username=username))
        return client

    return make


@pytest.fixture
def local_date():
    return lambda value: timezone.localtime(value).date()


@pytest.fixture(autouse=True)
def celery_may_wait_for_results():
    """Celery marks "inside a task" in a process-wide flag while it runs a task eagerly; eager
    tasks in several threads at once (the concurrency tests) can leave it set, and then any
    later `.get()` refuses. Each test starts with it clear."""
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)
    yield


@pytest.fixture(autouse=True)
def empty_cache():
    """Rate-limit counters live in the cache; each test starts with none. The per-process
    caches of places, holidays and sites too: a test's rows are rolled back after it."""
    from django.core.cache import cache

    from seva.core.process_cache import process_caches_clear

    cache.clear()
    process_caches_clear()
    yield
    cache.clear()
    process_caches_clear()


@pytest.fixture(autouse=True)
def english_unless_asked():
    """A request in Hindi leaves Hindi active in the thread; each test starts in English."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")
