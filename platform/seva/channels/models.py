"""The ways in other than the citizen's own phone. A service centre (a Common Service
Centre or a Saral Kendra) and the operators who work its counter are organisation data,
edited by the state admin; an assisted filing is the runtime record of one application
filed at a counter: the centre, the operator, the fee taken and the citizen's consent.

An application filed at a centre is an ordinary `applications.Application` (channel
`service_centre`, `filed_by` the operator): it reaches the same queues, deadlines and SMS.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from seva.applications.models import Application
from seva.definitions.models import Service, ServiceVersion
from seva.org.models import Jurisdiction


class CentreKind(models.TextChoices):
    CSC = "csc", "Common Service Centre (CSC)"
    SARAL_KENDRA = "saral_kendra", "Saral Kendra"


class ServiceCentre(models.Model):
    code = models.CharField(
        max_length=40, unique=True, help_text="e.g. SK-AMB-AMB; printed on acknowledgements"
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=CentreKind.choices)
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        on_delete=models.PROTECT,
        related_name="service_centres",
        help_text="The place the centre stands in. Citizens from anywhere may file there.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class CentreOperator(models.Model):
    """A user who files applications for citizens at a centre's counter. One active centre
    per operator: what they see is that centre's filings, nothing else."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="centre_operators"
    )
    centre = models.ForeignKey(ServiceCentre, on_delete=models.PROTECT, related_name="operators")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["centre", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(active=True),
                name="channels_one_active_centre_per_operator",
                violation_error_message="This user already works at another centre: "
                "make that link inactive first.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.centre.code}{'' if self.active else ' (inactive)'}"


class AssistedDraft(models.Model):
    """An application being filled in at the counter by an operator for a citizen: first the
    citizen's mobile, the service and their consent (the code they read out, sent for that
    service), then the form's answers step by step. Deleted when it is filed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    centre = models.ForeignKey(ServiceCentre, on_delete=models.CASCADE, related_name="+")
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    mobile = models.CharField(max_length=10, help_text="The citizen's, as the operator typed it.")
    # The language the citizen chose at the counter for their SMS, the consent code first.
    language = models.CharField(max_length=8, default="en")
    # Set together once the citizen's code is checked: the citizen's account (found or made
    # for the mobile) and when they consented.
    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    consent_verified_at = models.DateTimeField(null=True, blank=True)
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    service_version = models.ForeignKey(
        ServiceVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["operator", "-updated_at"], name="channels_draft_op_idx")]

    def __str__(self) -> str:
        return f"assisted draft {self.id} at {self.centre_id} by {self.operator_id}"

    @property
    def has_consent(self) -> bool:
        return self.consent_verified_at is not None and self.citizen_id is not None


class AssistedFiling(models.Model):
    """How one application came in at a centre's counter. Written in the same transaction
    as the application; never changed afterwards."""

    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="assisted_filing"
    )
    centre = models.ForeignKey(ServiceCentre, on_delete=models.PROTECT, related_name="filings")
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # What the counter took from the citizen, in whole rupees, and the receipt it gave. A
    # payment gateway is a later issue: this records cash taken against a paper receipt.
    fee_amount = models.PositiveIntegerField(help_text="Rupees collected at the counter.")
    fee_receipt_number = models.CharField(max_length=40, blank=True)
    consent_verified_at = models.DateTimeField(
        help_text="When the code sent to the citizen's mobile was checked: their consent."
    )
    filed_at = models.DateTimeField()

    class Meta:
        ordering = ["-filed_at"]
        indexes = [models.Index(fields=["centre", "-filed_at"], name="channels_filing_centre_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "fee_receipt_number"],
                condition=~Q(fee_receipt_number=""),
                name="channels_receipt_unique_per_centre",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} at {self.centre_id}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError("assisted filings are written once")
        super().save(*args, **kwargs)


# ------------------------------------------------------------------------------
# The helpline
# ------------------------------------------------------------------------------
class HelplineAgent(models.Model):
    """A user who answers the helpline: registers grievances from calls and answers status
    queries. The helpline serves the whole state; an agent holds no posting."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="helpline_agents"
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["user"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(active=True),
                name="channels_one_active_helpline_agent",
                violation_error_message="This user is already an active helpline agent.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} (helpline){'' if self.active else ' (inactive)'}"


class HelplineCallKind(models.TextChoices):
    GRIEVANCE = "grievance", "Grievance registered"
    STATUS_QUERY = "status_query", "Status query"


class HelplineCall(models.Model):
    """One thing an agent did on a call, written once: a grievance registered (with its
    application, channel `helpline`, filed by the agent) or a status query answered (what
    was asked and how many applications the answer named)."""

    kind = models.CharField(max_length=20, choices=HelplineCallKind.choices)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    caller_mobile = models.CharField(max_length=10)
    application = models.OneToOneField(
        Application,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="helpline_call",
    )
    reference_asked = models.CharField(max_length=40, blank=True)
    applications_named = models.PositiveSmallIntegerField(default=0)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["agent", "-at"], name="channels_call_agent_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="grievance", application__isnull=False)
                | Q(kind="status_query", application__isnull=True),
                name="channels_call_grievance_has_application",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.agent_id} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError("helpline calls are written once")
        super().save(*args, **kwargs)
