"""Listeners: how a lower floor tells the floors above it that something happened, without
importing them (docs/architecture.md).

The domain declares one `Listeners` per kind of event; a read side or side effect (the
dashboards' rollups, the SMS outbox) registers a function on it when Django starts (in its
AppConfig.ready). `notify` calls each synchronously, in the order they were registered,
inside the caller's transaction: what a listener writes commits or rolls back with the
change that caused it, and a listener's error undoes the change. `notify_on_commit` waits
for the commit instead.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Generic, TypeVar

from django.db import transaction

E = TypeVar("E")


class Listeners(Generic[E]):
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._listeners: dict[str, Callable[[E], None]] = {}

    def register(self, name: str) -> Callable[[Callable[[E], None]], Callable[[E], None]]:
        def decorator(listener: Callable[[E], None]) -> Callable[[E], None]:
            if name in self._listeners and self._listeners[name] is not listener:
                raise ValueError(f"{self.kind} listener {name!r} is registered twice")
            self._listeners[name] = listener
            return listener

        return decorator

    def notify(self, event: E) -> None:
        for listener in self._listeners.values():
            listener(event)

    def notify_on_commit(self, event: E) -> None:
        """Notify once the caller's transaction commits (at once outside one): for listeners
        that read what the change wrote, or start work elsewhere, and must hear nothing of a
        change that rolls back."""
        transaction.on_commit(partial(self.notify, event))

    def names(self) -> list[str]:
        return list(self._listeners)
