"""Runtime records: an application moving through its pinned workflow, and its history.

The definition side (what may happen) is `definitions.ServiceVersion`; this is what did.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import (
    GET_STATE,
    ConcurrentTransitionMixin,
    FSMField,
    TransitionNotAllowed,
    transition,
)

from seva.definitions.models import Service, ServiceVersion
from seva.org.models import Department, Jurisdiction, Role

NEW = "new"  # before submission: the only state the FSM field starts in


class Channel(models.TextChoices):
    ONLINE = "online", "Online (citizen)"
    SERVICE_CENTRE = "service_centre", "Service centre"
    HELPLINE = "helpline", "Helpline"
    PARTNER = "partner", "Partner portal (API)"


class ApplicationQuerySet(models.QuerySet):
    def open(self) -> ApplicationQuerySet:
        return self.filter(closed_at__isnull=True)


class Application(ConcurrentTransitionMixin, models.Model):
    reference = models.CharField(max_length=40, unique=True)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="applications")
    service_version = models.ForeignKey(
        ServiceVersion, on_delete=models.PROTECT, related_name="applications"
    )
    # Denormalised from the service, so that every scoped query ("my department, in my
    # area") is answered from this table's indexes.
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    # The office that processes it: the node at the service's processing level (a tehsil,
    # say) above the applicant's place.
    office = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="applications")
    # Where the applicant lives, as given on the form (a tehsil or a village). An officer's
    # posting covers an application when this place lies inside the posting's area: a
    # district officer sees the whole district, a tehsil inspector only their tehsil.
    place = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    # db_index on PostgreSQL also builds the varchar_pattern_ops index that `LIKE 'path%'`
    # (startswith) needs.
    place_path = models.CharField(max_length=400, db_index=True)
    # The district and tehsil of the applicant's place (the tehsil is empty for a place above
    # one), denormalised from the path so that dashboards and their rollups group by them.
    # Where the file is held now: the path by which its holder was found and by which it
    # sits in a queue. The applicant's place, unless the state routes it by another place
    # (place_from: the institute's tehsil) or at another level (held_at: the state
    # headquarters); see workflows.engine.State.
    held_at_path = models.CharField(max_length=400, default="")
    district = models.ForeignKey(
        Jurisdiction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    tehsil = models.ForeignKey(
        Jurisdiction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    applicant_name = models.CharField(max_length=200)
    applicant_mobile = models.CharField(max_length=10)
    language = models.CharField(max_length=8, default="en")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who submitted it: the citizen, or the operator or agent on their behalf.",
    )
    data = models.JSONField()
    # The draft it was sent from (a citizen's, or a service centre's): a draft makes at most one
    # application, however many times "Send" is pressed at once.
    draft_id = models.UUIDField(null=True, blank=True, editable=False)

    # Transitions come from the pinned workflow; see `apply_step`. Never assigned directly.
    state = FSMField(default=NEW, protected=True, max_length=40)
    holder_role = models.ForeignKey(
        Role, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    escalation_level = models.PositiveSmallIntegerField(default=0)
    # Why the holder is who it is when not the usual: see seva.org.routing.HolderFlag.
    holder_flag = models.CharField(max_length=20, blank=True)

    submitted_at = models.DateTimeField()
    stage_started_at = models.DateTimeField()
    stage_due_at = models.DateTimeField(null=True, blank=True)
    # When the state's timer (a transition with after_days) fires, if it has one.
    timer_due_at = models.DateTimeField(null=True, blank=True)
    rts_due_at = models.DateTimeField()
    # The RTS clock: stopped while the file is with the citizen. Each pause is
    # [start date, end date or null], in local dates; see workflows/clock.py.
    clock_paused_at = models.DateTimeField(null=True, blank=True)
    clock_pauses = models.JSONField(default=list, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=12, blank=True)
    closed_within_rts = models.BooleanField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [
            # The officer's queue: open files held by a role in a department, inside the
            # posting's area (a prefix of held_at_path, hence the pattern operator class),
            # with the deadline carried along so that the colour counts read the index
            # alone. The plan, at two million files: docs/queue-query-plan.md.
            models.Index(
                fields=["department", "holder_role", "held_at_path"],
                opclasses=["int8_ops", "int8_ops", "varchar_pattern_ops"],
                include=["stage_due_at"],
                condition=Q(closed_at__isnull=True),
                name="app_open_queue_idx",
            ),
            models.Index(fields=["applicant", "-submitted_at"], name="app_applicant_idx"),
            models.Index(fields=["applicant_mobile"], name="app_mobile_idx"),
            # The timers' sweep: open files whose timer is due.
            models.Index(
                fields=["timer_due_at"],
                condition=Q(timer_due_at__isnull=False, closed_at__isnull=True),
                name="app_timer_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["draft_id"],
                condition=Q(draft_id__isnull=False),
                name="applications_one_per_draft",
            )
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @transition(field=state, source="*", target=GET_STATE(lambda app, step: step.target))
    def apply_step(self, step) -> None:
        """Move to `step.target`. The caller has checked that `step` leaves the current state;
        django-fsm sets the field, and ConcurrentTransitionMixin refuses the save if another
        transaction moved the application first."""
        if self.state not in step.sources:
            raise TransitionNotAllowed(f"'{step.action}' does not leave state '{self.state}'")


class ApplicationEvent(models.Model):
    """One row per thing that happened to an application. Rows are only ever added."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        ACTION = "action", "Action"
        ESCALATED = "escalated", "Escalated"
        DEADLINES_RECOMPUTED = "deadlines", "Deadlines recomputed"
        CONSULTATION = "consultation", "Consultation"
        DOCUMENT = "document", "Document revoked or corrected"
        FEE = "fee", "Fee due, paid, lapsed or cancelled"

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="events")
    sequence = models.PositiveIntegerField()
    kind = models.CharField(max_length=12, choices=Kind.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_role = models.CharField(max_length=40, help_text="Role code, 'citizen' or 'system'.")
    action = models.CharField(max_length=40)
    from_state = models.CharField(max_length=40)
    to_state = models.CharField(max_length=40)
    remarks = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    # For the dashboards: what the action counts as (Transition.counts_as), and whether it
    # came on or before the deadline of the stage it left (None: the stage had none).
    counts_as = models.CharField(max_length=24, blank=True)
    within_stage_deadline = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["application", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "sequence"], name="applications_event_sequence"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id}#{self.sequence} {self.action}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError("history rows are append-only")
        super().save(*args, **kwargs)


class Consultation(models.Model):
    """An office asked for its opinion on a file (a no-objection certificate) while the file
    stays in a state that consults (workflows.engine.Consultation): who answers, by when,
    and what they answered. Opened on entering the state; closed when answered, when deemed
    at its deadline, or withdrawn when the file leaves the state first."""

    class Answer(models.TextChoices):
        NO_OBJECTION = "no_objection", "No objection"
        CONDITIONS = "conditions", "No objection, on conditions"
        OBJECTION = "objection", "Objection"
        DEEMED = "deemed", "Deemed no objection (not answered in time)"
        WITHDRAWN = "withdrawn", "Withdrawn (the file moved on before an answer)"

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="consultations"
    )
    state = models.CharField(max_length=40, help_text="The state that opened it.")
    code = models.CharField(max_length=40)
    label = models.JSONField(default=dict)
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="+")
    # The department whose officer answers: another department's, often (the fire service).
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    # The applicant's place, as on the application: a posting covers the consultation when
    # this lies inside its area.
    place_path = models.CharField(max_length=400)
    opened_at = models.DateTimeField()
    due_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    answer = models.CharField(max_length=16, choices=Answer.choices, blank=True)
    remarks = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["opened_at", "pk"]
        indexes = [
            # A consulted officer's queue: open consultations for a role in a department,
            # inside the posting's area.
            models.Index(
                fields=["department", "role", "place_path"],
                opclasses=["int8_ops", "int8_ops", "varchar_pattern_ops"],
                condition=Q(answered_at__isnull=True),
                name="consult_open_idx",
            ),
            # The deadlines' sweep.
            models.Index(
                fields=["due_at"], condition=Q(answered_at__isnull=True), name="consult_due_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "code"],
                condition=Q(answered_at__isnull=True),
                name="applications_one_open_consultation_per_code",
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id} {self.code}: {self.answer or 'open'}"

    @property
    def is_open(self) -> bool:
        return self.answered_at is None


class FeeDue(models.Model):
    """A fee of the service (spec.FeeSpec) that fell due on a file: opened when the file
    entered the fee's state, with the amount worked out then and fixed; paid once (the
    payments app records how), or closed unpaid when the file left the state (lapsed by a
    timer, or cancelled). One row per fee code and file: falling due again after a lapse or
    a cancellation reopens the same row, with the amount worked out again."""

    class Status(models.TextChoices):
        DUE = "due", "Due"
        PAID = "paid", "Paid"
        LAPSED = "lapsed", "Lapsed (not paid in time)"
        CANCELLED = "cancelled", "Cancelled (the file moved on unpaid)"

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="fees")
    code = models.CharField(max_length=40)
    name = models.JSONField(default=dict, help_text="The fee's name in each language, as declared.")
    state = models.CharField(max_length=40, help_text="The state in which it fell due.")
    head = models.CharField(
        max_length=40, help_text="The treasury head of account it is credited to."
    )
    amount_paise = models.BigIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DUE)
    due_since = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    receipt = models.CharField(
        max_length=40, blank=True, help_text="The receipt number of the payment that paid it."
    )

    class Meta:
        ordering = ["application", "due_since", "pk"]
        indexes = [models.Index(fields=["status", "state"], name="fee_status_state_idx")]
        constraints = [
            models.UniqueConstraint(fields=["application", "code"], name="applications_fee_once"),
            models.CheckConstraint(
                condition=Q(amount_paise__gte=0), name="applications_fee_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} {self.code}: {self.amount_paise} paise, {self.status}"

    @property
    def is_due(self) -> bool:
        return self.status == self.Status.DUE

    @property
    def is_paid(self) -> bool:
        return self.status == self.Status.PAID


class ReferenceCounter(models.Model):
    """The last sequence number used for one prefix and year, e.g. HR-REV-INC 2026."""

    prefix = models.CharField(max_length=30)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="applications_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last_number}"


def _document_path(document: Document, filename: str) -> str:
    # Random and unguessable: documents are served only through a view that checks access.
    return f"documents/{document.uploaded_at:%Y/%m}/{document.token}"


class Document(models.Model):
    """An uploaded file: checked by content on upload, claimed by one application on submit."""

    token = models.CharField(max_length=40, unique=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="documents"
    )
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    field = models.CharField(max_length=200, help_text="The form field it was uploaded for.")
    # An officer's attachment to one step (a field report, a signed order): the step it
    # came with. Empty for the citizen's own documents.
    event = models.ForeignKey(
        "ApplicationEvent",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attachments",
    )
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50, help_text="As detected from the content.")
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    file = models.FileField(upload_to=_document_path, max_length=200)
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.token} ({self.original_name})"


class ApplicationDraft(models.Model):
    """An application being filled in, step by step; resumable until it is submitted.

    A draft with `correcting` set is a returned application being corrected by its applicant.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drafts"
    )
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    service_version = models.ForeignKey(ServiceVersion, on_delete=models.PROTECT, related_name="+")
    correcting = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=8, default="en")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return f"draft {self.id} of {self.service_id} by {self.user_id}"


class Feedback(models.Model):
    """The applicant's rating of how their application was handled, after it closed."""

    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="feedback"
    )
    rating = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5),
                name="applications_feedback_rating_1_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.rating}/5"
