"""The outbox: every message is written in the transaction of the change that causes it,
and delivered after commit. A rolled-back change leaves no message; a down broker loses none."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting


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


# ------------------------------------------------------------------------------
# The state's SMS settings, editable by the state admin (Settings > SMS settings). A blank
# field means "use the server's environment setting"; seva.notifications.selectors.sms_settings
# gives the values in force.
# ------------------------------------------------------------------------------
validate_sender_header = RegexValidator(
    r"^[A-Z]{6}\Z",
    "The sender header is exactly 6 capital letters (A to Z), as registered on DLT, "
    "for example HRSEVA.",
    code="sender_header",
)
validate_dlt_entity_id = RegexValidator(
    r"^[0-9]{19}\Z",
    "The DLT entity id is exactly 19 digits, as shown on the DLT portal.",
    code="dlt_entity_id",
)
# https://, then the site's name, then at least the "/" that ends it: without that slash,
# "https://seva.haryana.gov.in" would also let through https://seva.haryana.gov.in.example.com.
_LINK_PREFIX_RE = re.compile(r"https://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]+)?/\S*")


def link_prefixes_from_text(text: str) -> tuple[str, ...]:
    """The link prefixes written one to a line, blank lines and surrounding spaces left out."""
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def validate_link_prefixes(text: str) -> None:
    wrong = [
        prefix for prefix in link_prefixes_from_text(text) if not _LINK_PREFIX_RE.fullmatch(prefix)
    ]
    if wrong:
        raise ValidationError(
            "Write one web address a line, each starting with https:// and with a / after "
            "the site's name, for example https://seva.haryana.gov.in/. Not valid: %(wrong)s",
            params={"wrong": ", ".join(wrong)},
            code="link_prefixes",
        )


@register_setting(icon="mail")
class SmsSettings(BaseGenericSetting):
    sender_header = models.CharField(
        max_length=6,
        blank=True,
        validators=[validate_sender_header],
        help_text=(
            "The 6-letter name citizens see as the sender of every SMS (for example HRSEVA). "
            "It must be the header registered for the state on DLT, TRAI's Distributed Ledger "
            "Technology platform, or operators drop the messages. Leave blank to use the "
            "server's setting (SEVA_SMS_SENDER_HEADER)."
        ),
    )
    dlt_entity_id = models.CharField(
        "DLT entity id",
        max_length=19,
        blank=True,
        validators=[validate_dlt_entity_id],
        help_text=(
            "The 19-digit id the state was given when it registered as a sender on DLT, "
            "TRAI's Distributed Ledger Technology platform; it goes with every SMS. Leave "
            "blank to use the server's setting (SEVA_SMS_DLT_ENTITY_ID)."
        ),
    )
    max_variables = models.PositiveSmallIntegerField(
        "most variables in a template",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text=(
            "How many blanks ({#var#}), from 1 to 10, one SMS template may have: the limit "
            "the operators apply to templates registered on DLT. Service files with more are "
            "refused when they are next checked. Leave blank to use the server's setting "
            "(SEVA_SMS_MAX_VARIABLES)."
        ),
    )
    link_prefixes = models.TextField(
        "allowed links",
        blank=True,
        validators=[validate_link_prefixes],
        help_text=(
            "The only web addresses an SMS may link to, one to a line, each starting with "
            "https:// (for example https://seva.haryana.gov.in/). Every address must also be "
            "whitelisted on DLT; a template with any other link, or a link shortener, is "
            "refused when it is next checked. Leave blank to use the server's setting "
            "(SEVA_SMS_LINK_PREFIXES)."
        ),
    )

    panels = [
        MultiFieldPanel(
            [FieldPanel("sender_header"), FieldPanel("dlt_entity_id")],
            heading="Sender, as registered on DLT",
        ),
        MultiFieldPanel(
            [FieldPanel("max_variables"), FieldPanel("link_prefixes")],
            heading="Rules every SMS template must follow",
        ),
    ]

    class Meta:
        verbose_name = "SMS settings"
        verbose_name_plural = "SMS settings"

    def clean(self) -> None:
        """Refuse rules the platform's own SMS (kept in settings, not editable here) would
        break: the system checks would then fail, and with them every deployment."""
        # Imported here: dlt reads this model (through the selectors).
        from .dlt import URL_RE, link_allowed, settings_templates  # noqa: PLC0415
        from .selectors import sms_settings_from  # noqa: PLC0415

        rules = sms_settings_from(self)
        templates = list(settings_templates())
        errors = {}
        most = max(len(template["variables"]) for template in templates)
        if self.max_variables and self.max_variables < most:
            errors["max_variables"] = (
                f"The platform's own messages (officers' alerts, the daily report, the request "
                f"to rate a service) have up to {most} variables, so the limit cannot be lower "
                "until the technical team changes them."
            )
        links = sorted(
            {
                url
                for template in templates
                for url in URL_RE.findall(template["text"])
                if not link_allowed(url, rules.link_prefixes)
            }
        )
        if self.link_prefixes and links:
            errors["link_prefixes"] = (
                "The platform's own messages link to " + ", ".join(links) + "; keep an "
                "allowed link that covers each of them."
            )
        if errors:
            raise ValidationError(errors)
