"""What the definitions tell the floors above (`seva.core.listeners`), after the change has
committed: the portal keeps its pages of the services offered from these."""

from __future__ import annotations

from dataclasses import dataclass

from seva.core.listeners import Listeners


@dataclass(frozen=True)
class ServicesChanged:
    """The definitions were loaded (`sync_definitions`, changed or not) or a version was
    published: what is offered may have changed."""

    why: str  # "sync" or "publish"


services_changed: Listeners[ServicesChanged] = Listeners("services changed")
