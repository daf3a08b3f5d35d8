"""The outbox: every message is written in the transaction of the change that causes it,
and delivered after commit. A rolled-back change leaves no message; a down broker loses none."""

from django.conf import settings
from django.db import models


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    EMAIL = "email", "E-mail"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class OutboxMessage(models.Model):
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.SMS)
    # A mobile number, or an e-mail address for the e-mail channel.
    recipient = models.CharField(max_length=254)
    # The officer an alert or digest is for (citizens' messages name their application).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    language = models.CharField(max_length=8)
    event = models.CharField(max_length=40)
    application = models.ForeignKey(
        "applications.Application",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="outbox_messages",
    )
    dlt_template_id = models.CharField(max_length=19, blank=True)
    subject = models.CharField(max_length=200, blank=True, help_text="E-mail only.")
    body = models.TextField()
    # One message per event and recipient: a retried or doubled pick-up cannot send twice.
    idempotency_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(
        max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    # A message that could not be sent waits until then (exponential backoff).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    provider_message_id = models.CharField(max_length=100, blank=True, db_index=True)
    provider_reply = models.TextField(blank=True)
    # What the operator's delivery report said, if one came.
    delivery_status = models.CharField(max_length=20, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "created_at"], name="outbox_pending_idx")]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient}: {self.event}"


class AlertKind(models.TextChoices):
    NEW = "new", "New in the queue"
    REMINDER = "reminder", "Stage deadline near"
    BREACH = "breach", "Stage deadline passed"


class StageAlert(models.Model):
    """Officers were told about this file's stage: it is new in their queue, its deadline is
    near, or it has passed. Once per stage (a new state or an escalation starts a new one),
    whichever sweep gets there first."""

    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="+"
    )
    stage_started_at = models.DateTimeField()
    kind = models.CharField(max_length=10, choices=AlertKind.choices)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["application", "stage_started_at", "kind"], name="stage_alert_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} for application {self.application_id}"
