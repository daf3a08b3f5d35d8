"""Per-process caches of what changes rarely and is read on every request: the place tree,
the holiday calendars, the Wagtail Site and its theme.

A web node answers hundreds of requests a second from the same few hundred rows; reading
them from PostgreSQL each time cost a third of a submission's statements. Each process keeps
them in memory instead, and stays coherent with the others through one number in the shared
cache (Redis in production), the generation:

- whatever changes such a row calls `process_caches_changed()` (the owning app's signal
  receivers do, and the commands that load rows in bulk): the generation moves, and the
  calling process drops its own copies at once;
- every other process compares its generation with the shared one at most every
  SEVA_PROCESS_CACHE_CHECK_SECONDS (default 2) and drops everything it kept when it moved.

So a change is seen by every node within a couple of seconds, and the cost of coherence is
one read of the shared cache every two seconds a process, not a statement a request. The
caches hold plain values (never model instances that could be saved back) and are bounded.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "seva:process-cache-generation"
log = logging.getLogger(__name__)
V = TypeVar("V")
_MISSING = object()

_lock = threading.Lock()
_caches: list[ProcessCache] = []
_state: dict[str, Any] = {"generation": None, "checked_at": 0.0}


class ProcessCache(Generic[V]):
    """A bounded mapping kept for the life of the process (least recently used out first),
    dropped whenever the shared generation moves."""

    def __init__(self, name: str, *, maxsize: int = 4096) -> None:
        self.name = name
        self.maxsize = maxsize
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        with _lock:
            _caches.append(self)

    def get(self, key: Hashable, compute: Callable[[], V]) -> V:
        _check_generation()
        with _lock:
            value = self._values.get(key, _MISSING)
            if value is not _MISSING:
                self._values.move_to_end(key)
                return value  # type: ignore[return-value]
        value = compute()
        with _lock:
            self._values[key] = value
            while len(self._values) > self.maxsize:
                self._values.popitem(last=False)
        return value

    def clear(self) -> None:
        with _lock:
            self._values.clear()

    def __len__(self) -> int:
        return len(self._values)


def process_caches_clear() -> None:
    """Drop what this process kept (the tests do so between tests)."""
    for each in list(_caches):
        each.clear()


def process_caches_changed() -> None:
    """A row the caches hold changed: every process drops its copies (this one now). Called
    inside a transaction, the generation moves again once it commits, so that no process
    keeps what it read between the change and the commit."""
    _bump()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_bump)


def _bump() -> None:
    generation: object
    try:
        cache.add(GENERATION_KEY, 0, timeout=None)
        generation = cache.incr(GENERATION_KEY)
    except ValueError:  # evicted between add and incr
        generation = time.time_ns()
        cache.set(GENERATION_KEY, generation, timeout=None)
    except Exception:
        # The shared cache is down: the change cannot be announced, but every process
        # that cannot read the generation drops what it keeps at each check anyway.
        log.warning("The shared cache is unreachable: the process caches' generation stays.")
        generation = object()
    process_caches_clear()
    _state["generation"] = generation
    _state["checked_at"] = time.monotonic()


def _check_generation() -> None:
    now = time.monotonic()
    every = getattr(settings, "SEVA_PROCESS_CACHE_CHECK_SECONDS", 2.0)
    if now - _state["checked_at"] < every:
        return
    _state["checked_at"] = now
    try:
        generation = cache.get(GENERATION_KEY)
    except Exception:
        generation = object()
    if generation != _state["generation"]:
        process_caches_clear()
        _state["generation"] = generation
