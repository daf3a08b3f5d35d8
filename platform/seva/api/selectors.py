"""Reads of the API's own: a partner key checked; the status changes of a partner's
applications, in order, from a cursor."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from django.utils import timezone

from seva.applications.models import ApplicationEvent
from seva.definitions.models import Service
from seva.definitions.selectors import workflow_for

from .models import Partner, PartnerKey
from .services import key_hash


def partner_key_check(key: str) -> PartnerKey | None:
    """The live key `key` is, or None (unknown, wrong, revoked, or its partner stopped)."""
    prefix, _dot, _secret = key.partition(".")
    found = (
        PartnerKey.objects.select_related("partner", "partner__user")
        .filter(prefix=prefix, revoked_at__isnull=True, partner__is_active=True)
        .first()
    )
    if found is None or not hmac.compare_digest(found.key_hash, key_hash(key)):
        return None
    PartnerKey.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
    return found


def partner_service(*, partner: Partner, code: str) -> Service | None:
    """The live service `code` if the partner's keys are scoped to it, else None (an unknown
    code too: the answer does not tell which services exist)."""
    return partner.services.filter(code=code, current_version__isnull=False).first()


@dataclass(frozen=True)
class StatusChange:
    cursor: int
    reference: str
    partner_reference: str
    at: object
    action: str
    from_state: str
    to_state: str
    outcome: str


def partner_changes(*, partner: Partner, after: int = 0, limit: int = 100) -> list[StatusChange]:
    """What happened to the partner's applications after `after` (an event cursor), oldest
    first: the polling feed."""
    events = (
        ApplicationEvent.objects.filter(application__partner_link__partner=partner, pk__gt=after)
        .select_related("application", "application__partner_link", "application__service_version")
        .order_by("pk")[:limit]
    )
    return [
        StatusChange(
            cursor=e.pk,
            reference=e.application.reference,
            partner_reference=e.application.partner_link.partner_reference,
            at=e.at,
            action=e.action,
            from_state=e.from_state,
            to_state=e.to_state,
            outcome=_outcome_of(e),
        )
        for e in events
    ]


def _outcome_of(event: ApplicationEvent) -> str:
    """The outcome of the state the event led to, if it closed the file."""
    state = workflow_for(event.application.service_version).states.get(event.to_state)
    return str(state.outcome) if state is not None and state.outcome else ""
