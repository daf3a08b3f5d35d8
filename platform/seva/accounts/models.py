"""Officers' second factor: an SMS device of Seva's own (authenticator apps are django-otp's
`TOTPDevice`), and the per-officer counts that limit wrong codes and SMS."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_otp.models import Device, TimestampMixin


def code_digest(*, code: str, salt: str, device_id: int) -> str:
    """A keyed hash of an SMS code: what is kept of it, so a copy of the database does not
    hold codes that still work."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{salt}:{device_id}:{code}".encode(), hashlib.sha256).hexdigest()


class SmsDevice(TimestampMixin, Device):
    """Codes sent by SMS, through the outbox, to the mobile on the officer's contact.

    Like django-otp's SideChannelDevice, but the code is kept only as a salted, keyed hash
    (SideChannelDevice keeps it as it was sent). Only the newest code sent works, once.
    """

    mobile = models.CharField(max_length=10)
    code_hash = models.CharField(
        max_length=100, blank=True, help_text="salt$digest of the code last sent; empty if none"
    )
    valid_until = models.DateTimeField(null=True, blank=True)

    class Meta(Device.Meta):
        verbose_name = "SMS device"

    @property
    def masked_mobile(self) -> str:
        return f"XXXXXX{self.mobile[-2:]}"

    def verify_token(self, token) -> bool:
        """django-otp's device contract: True (and the code is spent) if `token` is the code
        last sent and it has not expired."""
        if not self.code_hash or self.valid_until is None or timezone.now() >= self.valid_until:
            return False
        salt, expected = self.code_hash.split("$", 1)
        given = code_digest(code=str(token), salt=salt, device_id=self.pk)
        if not hmac.compare_digest(given, expected):
            return False
        self.code_hash = ""
        self.valid_until = None
        self.set_last_used_timestamp(commit=False)
        self.save(update_fields=["code_hash", "valid_until", "last_used_at"])
        return True


class SecondFactorGuard(models.Model):
    """One row per officer: wrong codes given, the lock-out they led to, and the SMS codes
    sent. Read and written under a row lock, so the limits hold across processes and
    concurrent requests, and survive restarts."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    wrong_codes = models.PositiveSmallIntegerField(default=0)
    first_wrong_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_sms_at = models.DateTimeField(null=True, blank=True)
    sms_window_started_at = models.DateTimeField(null=True, blank=True)
    sms_in_window = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"Second-factor limits of {self.user_id}"
