"""Reads for notifications: the outbox for the message log in the admin, the counts of the
daily digest, and the SMS settings in force."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from seva.applications.models import Application

from .models import OutboxMessage, SmsSettings, link_prefixes_from_text


@dataclass(frozen=True)
class MessageFilters:
    search: str = ""  # a reference number, a mobile number or an e-mail address
    status: str = ""
    sent_from: dt.date | None = None
    sent_to: dt.date | None = None


def messages_find(filters: MessageFilters) -> QuerySet:
    messages = OutboxMessage.objects.select_related("application").order_by("-created_at", "-id")
    term = filters.search.strip()
    if term:
        digits = re.sub(r"\D", "", term)
        if "@" in term:
            messages = messages.filter(recipient__iexact=term)
        elif len(digits) >= 10 and re.fullmatch(r"[\d\s+-]+", term):
            messages = messages.filter(recipient=digits[-10:])
        else:
            messages = messages.filter(Q(application__reference__iexact=term))
    if filters.status:
        messages = messages.filter(status=filters.status)
    if filters.sent_from:
        messages = messages.filter(created_at__date__gte=filters.sent_from)
    if filters.sent_to:
        messages = messages.filter(created_at__date__lte=filters.sent_to)
    return messages


def message_body_for_staff(message: OutboxMessage) -> str:
    """The text as sent, except a sign-in code: staff never need to read one."""
    if message.event == "otp":
        return re.sub(r"\b\d{4,8}\b", "XXXXXX", message.body)
    return message.body


@dataclass(frozen=True)
class DigestCounts:
    received: int
    disposed: int
    pending: int
    beyond_rts: int


def digest_counts(
    *, place_path: str, department_id: int | None, start: dt.datetime, end: dt.datetime
) -> DigestCounts:
    """For the files from places under `place_path` (of one department, or all): received
    and disposed of in (start, end]; pending at `end`, and of those, past their RTS deadline
    with the clock running (a file with the citizen is not counted late). A withdrawn file
    is neither disposed of nor pending."""
    files = Application.objects.filter(place_path__startswith=place_path)
    if department_id is not None:
        files = files.filter(department_id=department_id)
    pending = Q(submitted_at__lte=end) & (Q(closed_at__isnull=True) | Q(closed_at__gt=end))
    counts = files.aggregate(
        received=Count("pk", filter=Q(submitted_at__gt=start, submitted_at__lte=end)),
        disposed=Count(
            "pk",
            filter=Q(closed_at__gt=start, closed_at__lte=end) & ~Q(outcome="withdrawn"),
        ),
        pending=Count("pk", filter=pending),
        beyond_rts=Count(
            "pk", filter=pending & Q(rts_due_at__lt=end, clock_paused_at__isnull=True)
        ),
    )
    return DigestCounts(**counts)


@dataclass(frozen=True)
class SmsSettingsInForce:
    sender_header: str
    dlt_entity_id: str
    max_variables: int
    link_prefixes: tuple[str, ...]


def sms_settings() -> SmsSettingsInForce:
    """Each SMS setting as the state admin saved it (Settings > SMS settings), or the
    environment setting where they left it blank. Read on every call, so a change applies to
    the next SMS sent and the next template checked, without a restart."""
    return sms_settings_from(SmsSettings.objects.first() or SmsSettings())


def sms_settings_from(saved: SmsSettings) -> SmsSettingsInForce:
    """The settings that would be in force were `saved` what the state admin saved;
    `SmsSettings()`, nothing saved, gives the environment's."""
    return SmsSettingsInForce(
        sender_header=saved.sender_header or settings.SEVA_SMS_SENDER_HEADER,
        dlt_entity_id=saved.dlt_entity_id or settings.SEVA_SMS_DLT_ENTITY_ID,
        max_variables=saved.max_variables or settings.SEVA_SMS_MAX_VARIABLES,
        link_prefixes=(
            link_prefixes_from_text(saved.link_prefixes) or tuple(settings.SEVA_SMS_LINK_PREFIXES)
        ),
    )
