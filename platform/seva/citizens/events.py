"""What citizens' sign-in tells the floors above (`seva.core.listeners`): a code is due by
SMS. The notifications app writes it to the outbox, in the same transaction as the
challenge, and sends it after commit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from seva.core.listeners import Listeners


@dataclass(frozen=True)
class CodeDue:
    """A one-time code to send to `mobile`: the SMS's text is filled in already."""

    mobile: str
    language: str
    dlt_template_id: str
    body: str
    idempotency_key: str
    at: dt.datetime


code_due: Listeners[CodeDue] = Listeners("sign-in code due")
