"""What happens to an application, told to the floors above through listeners
(`seva.core.listeners`): the dashboards keep their rollups from these, the notifications
their SMS outbox. Each is notified inside the transaction that made the change.

Order within one change, as the rollups need it (the day's flows, then the open files):
`acted`, then `rated` (a rating given with the citizen's consent), then `moved`; the SMS of
the new state after the change is recorded (`sms_due`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils import timezone

from seva.core.listeners import Listeners

if TYPE_CHECKING:
    from .models import Application, ApplicationEvent, Feedback


@dataclass(frozen=True)
class OpenPosition:
    """Where an open application stands on the RTS clock: the day it is due, and whether the
    clock is stopped (the file is with the citizen)."""

    rts_due_on: dt.date
    paused: bool


def open_position(application: Application) -> OpenPosition | None:
    """None once the application is closed: it no longer counts as underway."""
    if application.closed_at is not None:
        return None
    return OpenPosition(
        rts_due_on=timezone.localdate(application.rts_due_at),
        paused=application.clock_paused_at is not None,
    )


@dataclass(frozen=True)
class Submitted:
    application: Application


@dataclass(frozen=True)
class Acted:
    """An action the workflow marks with `counts_as` (approve, reject, atr, consent, ...)."""

    application: Application
    counts_as: str
    within: bool | None  # taken within the stage's deadline; None when the stage has none
    at: dt.datetime


@dataclass(frozen=True)
class Rated:
    feedback: Feedback


@dataclass(frozen=True)
class Moved:
    """After a transition or a recomputed deadline: where the file stood before."""

    application: Application
    before: OpenPosition | None


@dataclass(frozen=True)
class SmsDue:
    """The workflow says the applicant gets the SMS of `event` (a state's `sms_on_enter`)."""

    application: Application
    event: str
    cause: ApplicationEvent | None


@dataclass(frozen=True)
class Entered:
    """The file entered a state (`cause.to_state`) by `cause`: a submission, an officer's or
    the citizen's action, or the platform's. After the change and its SMS are recorded."""

    application: Application
    cause: ApplicationEvent


submitted: Listeners[Submitted] = Listeners("application submitted")
acted: Listeners[Acted] = Listeners("application acted on")
rated: Listeners[Rated] = Listeners("application rated")
moved: Listeners[Moved] = Listeners("application moved")
sms_due: Listeners[SmsDue] = Listeners("application SMS due")
entered: Listeners[Entered] = Listeners("application entered a state")
