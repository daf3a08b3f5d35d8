"""Citizens: who signs in with a mobile number, what they chose for their messages, and
the one-time codes that sign them in.

The tables kept the names they had when the portal held these models (ADR 0016)."""

from django.conf import settings
from django.db import models


class CitizenProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="citizen"
    )
    mobile = models.CharField(max_length=10, unique=True)
    # The language of the site and of every SMS to this citizen, once they chose one; until
    # then each SMS is in the language the application was made in.
    language = models.CharField(max_length=8, blank=True, default="")
    # Messages that are not about the status of their own applications (a request to rate a
    # service, say). Status SMS and sign-in codes are always sent.
    other_messages = models.BooleanField(default=True)

    class Meta:
        db_table = "portal_citizenprofile"

    def __str__(self) -> str:
        return f"{self.user} ({self.mobile[:2]}XXXXXX{self.mobile[-2:]})"


class OtpChallenge(models.Model):
    """One sign-in attempt by mobile. The code itself is never stored, only its keyed hash."""

    mobile = models.CharField(max_length=10, db_index=True)
    code_hash = models.CharField(max_length=100, help_text="salt$hmac-sha256 of the code")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "portal_otpchallenge"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["mobile", "-created_at"], name="otp_mobile_recent_idx")]

    def __str__(self) -> str:
        return f"OTP for {self.mobile[:2]}XXXXXX{self.mobile[-2:]} at {self.created_at}"


class OtpLockout(models.Model):
    """A mobile number barred from signing in until `until`, after too many wrong codes."""

    mobile = models.CharField(max_length=10, unique=True)
    until = models.DateTimeField()

    class Meta:
        db_table = "portal_otplockout"

    def __str__(self) -> str:
        return f"{self.mobile[:2]}XXXXXX{self.mobile[-2:]} locked until {self.until}"
