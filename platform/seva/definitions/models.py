"""Definitions as versioned data. A `Service` is the identity; each change to any of its three
files makes a new immutable `ServiceVersion`. Applications pin the version they were filed on."""

from __future__ import annotations

from django.db import models

from seva.org.models import Department


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
    def name(self) -> dict[str, str]:
        return self.service_doc["name"]
