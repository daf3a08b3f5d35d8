"""Who may call the API besides people: partner systems with keys, scoped to the services they
may file, revocable, each key's requests rate-limited; and the idempotency keys that make a
retried POST return the first answer instead of doing the work twice."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from seva.applications.models import Application
from seva.definitions.models import Service


class Partner(models.Model):
    """A partner portal (CPGRAMS, a bank, a department's own system) that files applications
    or grievances on citizens' behalf."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    # The account the partner acts as: it files (`filed_by`), owns its uploads, is throttled.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="partner"
    )
    services = models.ManyToManyField(Service, related_name="partners", blank=True)
    # Requests a minute for each of its keys.
    rate_per_minute = models.PositiveIntegerField(default=120)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PartnerKey(models.Model):
    """An API key: shown once when issued, kept only as a hash. `prefix` finds the row;
    the hash of the whole key proves it."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="keys")
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64)
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["partner", "-created_at"]

    def __str__(self) -> str:
        return f"{self.partner.code} {self.prefix}…"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class PartnerApplication(models.Model):
    """The partner's own id for an application it filed: the same id twice is one application."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="applications")
    partner_reference = models.CharField(max_length=100)
    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="partner_link"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "partner_reference"], name="api_unique_partner_reference"
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner.code}:{self.partner_reference}"


class IdempotencyRecord(models.Model):
    """The first answer to a POST sent with an `Idempotency-Key`, replayed to any retry of it."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    method_path = models.CharField(max_length=300)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField(encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["actor", "key"], name="api_unique_idempotency_key")
        ]

    def __str__(self) -> str:
        return f"{self.actor_id}:{self.key}"


class ApiToken(models.Model):
    """A person's API token for one device: `Authorization: Token <prefix>.<secret>`. Shown
    once when issued; only the prefix (to find the row) and the SHA-256 digest of the whole
    token (to prove it) are kept. It stops working when it expires and when the owner's
    password changes (`password_fingerprint` is a keyed hash of the password hash it was
    issued under); revoking it (its owner, signing out, the state admin) deletes the row.
    seva.api.tokens."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seva_api_tokens"
    )
    prefix = models.CharField(max_length=12, unique=True)
    digest = models.CharField(max_length=64)
    device = models.CharField(max_length=100, blank=True)
    password_fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    # Written at most once a minute (seva.api.authentication), not on every request.
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user", "-created_at"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.prefix}… {self.device}".strip()
