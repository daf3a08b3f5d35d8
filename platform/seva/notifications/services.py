"""Writing messages to the outbox, inside the caller's transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .models import Channel, OutboxMessage
from .sms import render_sms

if TYPE_CHECKING:
    from seva.applications.models import Application, ApplicationEvent


def sms_enqueue_for_event(
    *, application: Application, event: str, cause: ApplicationEvent
) -> OutboxMessage | None:
    """Queue the service's SMS for `event` to the applicant, in their language.

    The idempotency key names the history row that caused it, so the same step can never
    queue the same message twice.
    """
    templates = application.service_version.service_doc["sms"].get(event)
    if not templates or not application.applicant_mobile:
        return None
    language = application.language if application.language in templates else "en"
    template = templates[language]
    key = f"sms:{application.reference}:{cause.sequence}:{event}:{application.applicant_mobile}"
    message, _created = OutboxMessage.objects.get_or_create(
        idempotency_key=key,
        defaults={
            "channel": Channel.SMS,
            "recipient": application.applicant_mobile,
            "language": language,
            "event": event,
            "application": application,
            "dlt_template_id": template["dlt_template_id"],
            "body": render_sms(application, template, language),
            "created_at": cause.at,
        },
    )
    return message
