"""Citizens' identity: sign-in by a one-time password sent to their mobile number.

The code is 6 digits, valid for 5 minutes, and stored only as a salted, keyed hash. Five
wrong codes for one number within the lock-out window lock that number out; new codes can
be asked for only after a pause and a few times an hour. The SMS goes through the outbox
(the notifications app hears `events.code_due`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from seva.core.errors import ActionNotAllowed, NotFound, ValidationFailed
from seva.definitions.sms import fill_template
from seva.formschemas.formats import is_mobile

from .events import CodeDue, code_due
from .models import CitizenProfile, OtpChallenge, OtpLockout


class SignInRefused(ActionNotAllowed):
    """Locked out or asking too often; the message says until when."""


def _hash(code: str, salt: str, mobile: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{salt}:{mobile}:{code}".encode(), hashlib.sha256).hexdigest()


def _local_time(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%H:%M")


def _check_mobile(mobile: str) -> str:
    mobile = (mobile or "").strip()
    if not is_mobile(mobile) or not mobile:
        raise ValidationFailed(
            {"mobile": [_("Enter a 10-digit mobile number starting with 6, 7, 8 or 9.")]}
        )
    return mobile


def _lockout_until(mobile: str, now: dt.datetime) -> dt.datetime | None:
    lockout = OtpLockout.objects.filter(mobile=mobile, until__gt=now).first()
    return lockout.until if lockout else None


def _locked_out(until: dt.datetime) -> SignInRefused:
    return SignInRefused(
        _("Too many wrong codes. You can try again after %(time)s.") % {"time": _local_time(until)}
    )


def otp_request(
    *,
    mobile: str,
    language: str = "en",
    sms: dict | None = None,
    values: Sequence[str] = (),
    at: dt.datetime | None = None,
) -> OtpChallenge:
    """Send a new code to `mobile` (through the SMS outbox), with the limits per number: the
    portal's sign-in SMS, or `sms` (DLT templates per language, like SEVA_CONSENT_SMS) whose
    slots after the code take `values`."""
    now = at or timezone.now()
    mobile = _check_mobile(mobile)
    until = _lockout_until(mobile, now)
    if until:
        raise _locked_out(until)
    recent = OtpChallenge.objects.filter(mobile=mobile, created_at__gt=now - dt.timedelta(hours=1))
    last = recent.order_by("-created_at").first()
    wait = dt.timedelta(seconds=settings.SEVA_OTP_RESEND_AFTER_SECONDS)
    if last and last.created_at + wait > now:
        seconds = int((last.created_at + wait - now).total_seconds()) + 1
        raise SignInRefused(
            _("A code was sent just now. You can ask for another in %(s)s seconds.")
            % {"s": seconds}
        )
    if recent.count() >= settings.SEVA_OTP_MAX_SENDS_PER_HOUR:
        first = recent.earliest("created_at")
        raise SignInRefused(
            _("You have asked for too many codes. You can ask again after %(time)s.")
            % {"time": _local_time(first.created_at + dt.timedelta(hours=1))}
        )

    code = f"{secrets.randbelow(10**6):06d}"
    salt = secrets.token_hex(8)
    templates = sms or settings.SEVA_OTP_SMS
    language = language if language in templates else "en"
    template = templates[language]
    with transaction.atomic():
        challenge = OtpChallenge.objects.create(
            mobile=mobile,
            code_hash=f"{salt}${_hash(code, salt, mobile)}",
            created_at=now,
            expires_at=now + dt.timedelta(seconds=settings.SEVA_OTP_VALID_SECONDS),
        )
        code_due.notify(
            CodeDue(
                mobile=mobile,
                language=language,
                dlt_template_id=template["dlt_template_id"],
                body=fill_template(template["text"], [code, *values]),
                idempotency_key=f"otp:{challenge.pk}",
                at=now,
            )
        )
    return challenge


def _code_matches(challenge: OtpChallenge, code: str, mobile: str) -> bool:
    salt, expected = challenge.code_hash.split("$", 1)
    return (
        len(code) == 6
        and code.isascii()
        and code.isdigit()
        and hmac.compare_digest(_hash(code, salt, mobile), expected)
    )


def otp_verify(*, mobile: str, code: str, at: dt.datetime | None = None):
    """The citizen's user for `mobile` if `code` is right; a wrong code counts toward lock-out.

    Guesses for one number are taken one at a time: each locks the number's recent
    challenges, then counts the wrong tries already committed before it compares, so no more
    than SEVA_OTP_MAX_WRONG_TRIES codes are ever compared however many arrive at once. The
    count is committed before the refusal is raised (a caller's transaction must not undo it)."""
    now = at or timezone.now()
    mobile = _check_mobile(mobile)
    code = (code or "").strip()
    window = now - dt.timedelta(seconds=settings.SEVA_OTP_LOCKOUT_SECONDS)
    refusal: Exception | None = None
    with transaction.atomic():
        recent = list(
            OtpChallenge.objects.select_for_update()
            .filter(mobile=mobile, created_at__gt=window)
            .order_by("pk")
        )
        until = _lockout_until(mobile, now)
        wrong = sum(challenge.failed_attempts for challenge in recent)
        open_challenges = [c for c in recent if c.used_at is None and c.expires_at > now]
        challenge = max(open_challenges, key=lambda c: c.created_at, default=None)
        if until:
            refusal = _locked_out(until)
        elif challenge is None:
            refusal = ValidationFailed({"code": [_("This code has expired. Ask for a new one.")]})
        elif wrong < settings.SEVA_OTP_MAX_WRONG_TRIES and _code_matches(challenge, code, mobile):
            OtpChallenge.objects.filter(pk=challenge.pk).update(used_at=now)
        else:
            if wrong < settings.SEVA_OTP_MAX_WRONG_TRIES:
                OtpChallenge.objects.filter(pk=challenge.pk).update(
                    failed_attempts=F("failed_attempts") + 1
                )
                wrong += 1
            if wrong >= settings.SEVA_OTP_MAX_WRONG_TRIES:
                lock_until = now + dt.timedelta(seconds=settings.SEVA_OTP_LOCKOUT_SECONDS)
                OtpLockout.objects.update_or_create(mobile=mobile, defaults={"until": lock_until})
                OtpChallenge.objects.filter(mobile=mobile, used_at__isnull=True).update(used_at=now)
                refusal = _locked_out(lock_until)
            else:
                left = settings.SEVA_OTP_MAX_WRONG_TRIES - wrong
                refusal = ValidationFailed(
                    {
                        "code": [
                            _("That code is not right. You have %(n)s more tries.") % {"n": left}
                        ]
                    }
                )
    if refusal is not None:
        raise refusal
    return citizen_for_mobile(mobile=mobile)


def citizen_for_mobile(*, mobile: str):
    """The user whose profile has this mobile number; a new citizen account if there is none."""
    profile = CitizenProfile.objects.select_related("user").filter(mobile=mobile).first()
    if profile:
        return profile.user
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.create_user(username=f"mobile-{mobile}")
        user.set_unusable_password()
        user.save(update_fields=["password"])
        CitizenProfile.objects.create(user=user, mobile=mobile)
    return user


def citizen_profile_ensure(*, user, mobile: str) -> CitizenProfile:
    profile, _created = CitizenProfile.objects.get_or_create(user=user, defaults={"mobile": mobile})
    return profile


def citizen_message_choices_set(*, user, language: str, other_messages: bool) -> None:
    """What a citizen chose for their messages: the language, and whether to get those
    that are not about their applications' status."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationFailed({"language": [_("Choose English or Hindi.")]})
    updated = CitizenProfile.objects.filter(user=user).update(
        language=language, other_messages=other_messages
    )
    if not updated:
        raise NotFound(_("Only citizens who sign in with their mobile number have messages."))


def citizen_language_set(*, user, language: str) -> None:
    if language in dict(settings.LANGUAGES):
        CitizenProfile.objects.filter(user=user).update(language=language)


def citizen_language_of(user) -> str | None:
    """The language the citizen chose, if they did."""
    profile = citizen_profile_of(user)
    return profile.language if profile else None


def citizen_profile_of(user) -> CitizenProfile | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return CitizenProfile.objects.filter(user=user).first()
