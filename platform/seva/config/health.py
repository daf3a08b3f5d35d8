"""Health for load balancers and orchestrators: `/healthz` says the process answers (nothing
else is touched, so a slow database never takes a live process out of rotation), `/readyz`
says it can serve: the database answers, the shared cache (Redis in production) answers, the
file store answers, and every migration is applied. Each check answers "ok" or "unavailable"
and nothing more: no host, version, error or timing is shown to whoever asks."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.cache import cache
from django.core.files.storage import storages
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .storage import PrivateS3Storage

logger = logging.getLogger(__name__)

_PROBE_KEY = "seva:readyz"


def _database() -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache() -> None:
    cache.set(_PROBE_KEY, "1", timeout=10)
    if cache.get(_PROBE_KEY) != "1":
        raise RuntimeError("the cache did not keep a value")


def _file_store() -> None:
    store = storages["default"]
    if isinstance(store, PrivateS3Storage):
        store.check()  # the bucket answers these credentials (a missing key would not tell)
    else:
        store.exists("readyz-probe")  # the local disk: a read, nothing is written


_migrated = False


def _migrations() -> None:
    """Every migration on disk is applied (remembered once true: migrations do not un-apply
    under a running process)."""
    global _migrated
    if _migrated:
        return
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise RuntimeError("migrations are not applied")
    _migrated = True


CHECKS: dict[str, Callable[[], None]] = {
    "database": _database,
    "cache": _cache,
    "file_store": _file_store,
    "migrations": _migrations,
}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:  # any failure means "not ready"; the reason goes to the log only
            logger.warning("readiness check %s failed", name, exc_info=True)
            results[name] = "unavailable"
        else:
            results[name] = "ok"
    ready = all(value == "ok" for value in results.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": results},
        status=200 if ready else 503,
    )
