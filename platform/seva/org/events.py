"""What the organisation tells the floors above (`seva.core.listeners`), once the change has
committed: applications recompute the deadlines of open files when the holidays change."""

from __future__ import annotations

from dataclasses import dataclass

from seva.core.listeners import Listeners


@dataclass(frozen=True)
class HolidaysChanged:
    """A holiday was declared, moved or cancelled in a district (every district when None)."""

    district_id: int | None


holidays_changed: Listeners[HolidaysChanged] = Listeners("holidays changed")
