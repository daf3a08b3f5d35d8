"""Reads of the outbox for the SMS log in the admin."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from .models import OutboxMessage


@dataclass(frozen=True)
class MessageFilters:
    search: str = ""  # a reference number or a mobile number
    status: str = ""
    sent_from: dt.date | None = None
    sent_to: dt.date | None = None


def messages_find(filters: MessageFilters) -> QuerySet:
    messages = OutboxMessage.objects.select_related("application").order_by("-created_at", "-id")
    term = filters.search.strip()
    if term:
        digits = re.sub(r"\D", "", term)
        if len(digits) >= 10 and re.fullmatch(r"[\d\s+-]+", term):
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
