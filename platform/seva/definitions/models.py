"""Definitions as versioned data. A `Service` is the identity; each change to any of its three
files makes a new immutable `ServiceVersion`. Applications pin the version they were filed on."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from seva.org.models import Department, Role

from .spec import ServiceSpec, Texts, compile_service, spec_of


class ServiceKind(models.TextChoices):
    SERVICE = "service", "Service"
    SCHEME = "scheme", "Scheme"
    GRIEVANCE = "grievance", "Grievance"


class Service(models.Model):
    code = models.SlugField(max_length=60, unique=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="services")
    kind = models.CharField(max_length=12, choices=ServiceKind.choices)
    reference_code = models.CharField(max_length=5)
    # The version new applications are filed on.
    current_version = models.ForeignKey(
        "ServiceVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # True when the current version was chosen in the admin (published or published again)
    # rather than loaded from the files: sync_definitions then leaves it alone.
    current_set_in_admin = models.BooleanField(default=False)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "reference_code"], name="definitions_unique_reference_code"
            )
        ]

    def __str__(self) -> str:
        return self.code


class VersionSource(models.TextChoices):
    FILES = "files", "Definition files"
    ADMIN = "admin", "Admin"


class ImmutableVersionError(Exception):
    pass


class ServiceVersion(models.Model):
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=64)
    service_doc = models.JSONField()
    form_schema = models.JSONField()
    workflow_doc = models.JSONField()
    source = models.CharField(max_length=10, choices=VersionSource.choices)
    created_at = models.DateTimeField()
    # The roles its workflow names (a state's holder, a rung of an escalation ladder, an
    # action's roles): those who can hold or act on its files, and so may read them
    # (applications.selectors.applications_visible_to). Recorded when the version is made.
    roles = models.ManyToManyField(Role, related_name="+", blank=True)

    class Meta:
        ordering = ["service", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "number"], name="definitions_unique_version"
            ),
            models.UniqueConstraint(
                fields=["service", "content_hash"], name="definitions_unique_content"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service.code} v{self.number}"

    def save(self, *args, **kwargs) -> None:
        # A version is what running applications were judged by; it must never change.
        if self.pk is not None and not self._state.adding:
            raise ImmutableVersionError(f"{self} is published and cannot be changed")
        super().save(*args, **kwargs)

    @property
    def spec(self) -> ServiceSpec:
        """The service document, compiled (kept once per version and process)."""
        if self.pk is None:
            return compile_service(self.service_doc)
        return spec_of(self.pk, self.content_hash, self.service_doc)

    @property
    def name(self) -> Texts:
        return self.spec.name


# ------------------------------------------------------------------------------
# Changing a service in the admin: a draft, its revisions, and who published what
# ------------------------------------------------------------------------------
class DraftStatus(models.TextChoices):
    EDITING = "editing", "Being edited"
    IN_REVIEW = "in_review", "Waiting for the approver"
    PUBLISHED = "published", "Published"
    DISCARDED = "discarded", "Discarded"


OPEN_DRAFT_STATUSES = (DraftStatus.EDITING, DraftStatus.IN_REVIEW)


class ServiceDraft(models.Model):
    """The working copy of a service's three documents while a department admin changes it
    (or builds a new service). Publishing it makes a new immutable ServiceVersion; until then
    nothing a citizen or officer sees changes."""

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    code = models.SlugField(max_length=60)
    # None for a service that is not published yet.
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.PROTECT, related_name="drafts"
    )
    based_on = models.ForeignKey(
        ServiceVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    service_doc = models.JSONField()
    form_schema = models.JSONField()
    workflow_doc = models.JSONField()
    status = models.CharField(
        max_length=12, choices=DraftStatus.choices, default=DraftStatus.EDITING
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    # What the approver said when sending the draft back.
    review_note = models.TextField(blank=True)
    published_version = models.ForeignKey(
        ServiceVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            # One open draft per service, so that two admins never publish over each other.
            models.UniqueConstraint(
                fields=["code"],
                condition=models.Q(status__in=["editing", "in_review"]),
                name="definitions_one_open_draft",
            )
        ]

    def __str__(self) -> str:
        return f"draft of {self.code}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_DRAFT_STATUSES

    @property
    def name(self) -> dict[str, str]:
        return self.service_doc.get("name") or {}


class DraftRevision(models.Model):
    """Each saved change to a draft, whole, with its author: the draft's history."""

    draft = models.ForeignKey(ServiceDraft, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    part = models.CharField(max_length=20)  # what was edited: details, form, workflow, ...
    service_doc = models.JSONField()
    form_schema = models.JSONField()
    workflow_doc = models.JSONField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["draft", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["draft", "number"], name="definitions_unique_revision")
        ]

    def __str__(self) -> str:
        return f"{self.draft} revision {self.number}"


class PublicationKind(models.TextChoices):
    PUBLISHED = "published", "Published a draft"
    REPUBLISHED = "republished", "Published an earlier version again"


class Publication(models.Model):
    """Who made which version the one new applications are filed on, and when (append-only)."""

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="publications")
    version = models.ForeignKey(ServiceVersion, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=PublicationKind.choices)
    draft = models.ForeignKey(
        ServiceDraft, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["service", "-published_at"]

    def __str__(self) -> str:
        return f"{self.version} {self.kind}"
