"""What the definitions tell the floors above (`seva.core.listeners`), after the change has
committed: the portal keeps its pages of the services offered from these."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from django.db import transaction

from seva.core.listeners import Listeners


@dataclass(frozen=True)
class ServicesChanged:
    """The definitions were loaded (`sync_definitions`, changed or not) or a version was
    published: what is offered may have changed."""

    why: str  # "sync" or "publish"


services_changed: Listeners[ServicesChanged] = Listeners("services changed")


def services_changed_on_commit(why: str) -> None:
    """Tell the listeners once the caller's transaction commits (at once outside one): a
    listener reads the new versions, which a rolled-back change never made."""
    transaction.on_commit(partial(services_changed.notify, ServicesChanged(why)))
