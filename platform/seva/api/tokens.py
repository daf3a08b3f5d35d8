"""API tokens: issued for a username and password, one per device; checked on every request;
listed and revoked by their owner; ended by signing out; revoked by the state admin.

A token is `<prefix>.<secret>`, shown once. The row keeps the prefix (to find it) and the
SHA-256 digest of the whole token (to prove it): a copy of the database signs nobody in. It
is refused once it expires (SEVA_API_TOKEN_DAYS after it was issued) and once its owner's
password changes (`password_fingerprint`, a keyed hash of the password hash it was issued
under, as Django's sessions do). Revoking a token deletes it."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from rest_framework import exceptions, status

from seva.accounts.services import second_factor_for_token
from seva.accounts.signin_limits import lockout_ends, lockout_message
from seva.core.errors import NotFound, ValidationFailed

from .models import ApiToken

PREFIX_BYTES = 6  # 12 hex characters: enough to find a token, useless to guess it
HEX = "0123456789abcdef"
# A person signs in from a few devices; a script that signs in on every run without signing
# out would otherwise pile up live tokens. Past this many, the oldest goes.
MAX_LIVE_TOKENS = 20
# last_used_at is written at most this often for a token, not on every request.
LAST_USED_EVERY = dt.timedelta(minutes=1)
_FINGERPRINT_SALT = "seva.api.ApiToken.password_fingerprint"


@dataclass(frozen=True)
class IssuedToken:
    record: ApiToken
    token: str  # the whole token: shown to its owner once, never stored


class TokenRefused(Exception):
    """The token sent is not (or no longer) good; the message says why."""


class SignInLocked(exceptions.APIException):
    """Too many failed sign-ins for the account or from the address (seva.accounts.signin_limits):
    429 with Retry-After, in the API's error body."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS

    def __init__(self, *, message: str, wait_seconds: int) -> None:
        super().__init__(detail=message)
        self.wait = wait_seconds


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def password_fingerprint(user: AbstractBaseUser, *, secret: str | None = None) -> str:
    return salted_hmac(
        _FINGERPRINT_SALT, user.password, secret=secret, algorithm="sha256"
    ).hexdigest()


def _fingerprints(user: AbstractBaseUser) -> list[str]:
    """Under the current secret key and under each fallback, so that rotating SECRET_KEY the
    documented way does not end every token at once."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [password_fingerprint(user, secret=key) for key in keys]


def _live(tokens: QuerySet[ApiToken], user: AbstractBaseUser, now: dt.datetime) -> QuerySet:
    return tokens.filter(
        user=user, expires_at__gt=now, password_fingerprint__in=_fingerprints(user)
    )


# ------------------------------------------------------------------------------
# Signing in for a token
# ------------------------------------------------------------------------------
def api_token_sign_in(
    *,
    request: HttpRequest,
    username: str,
    password: str,
    device: str = "",
    code: str = "",
    send_code: bool = False,
) -> IssuedToken:
    """POST /api/v1/auth/token/: the password checked through authenticate(), where the
    sign-in lock-outs hold (and this try is counted); then, for an officer who needs one,
    the second factor (`code`, from an authenticator app or an SMS sent when `send_code`;
    seva.accounts counts wrong codes and locks out); then a new token for the device.
    Not in a transaction: a wrong code's count must stay although this raises."""
    user = authenticate(request=request, username=username, password=password)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            wait = (lockout_ends(request) - timezone.now()).total_seconds()
            raise SignInLocked(message=lockout_message(request), wait_seconds=max(1, int(wait)))
        raise ValidationFailed(
            {"non_field_errors": ["Unable to sign in with the username and password given."]}
        )
    second_factor_for_token(user=user, code=code, send_sms=send_code)
    return api_token_issue(user=user, device=device)


@transaction.atomic
def api_token_issue(*, user: AbstractBaseUser, device: str = "") -> IssuedToken:
    """A new token for `user`. A token already issued for the same named device is replaced;
    tokens that no longer work are cleared away."""
    now = timezone.now()
    device = device.strip()
    mine = ApiToken.objects.filter(user=user)
    mine.filter(Q(expires_at__lte=now) | ~Q(password_fingerprint__in=_fingerprints(user))).delete()
    if device:
        mine.filter(device=device).delete()
    prefix = secrets.token_hex(PREFIX_BYTES)
    token = f"{prefix}.{secrets.token_urlsafe(32)}"
    record = ApiToken.objects.create(
        user=user,
        prefix=prefix,
        digest=token_digest(token),
        device=device,
        password_fingerprint=password_fingerprint(user),
        created_at=now,
        expires_at=now + dt.timedelta(days=settings.SEVA_API_TOKEN_DAYS),
    )
    oldest = mine.order_by("-created_at", "-pk").values_list("pk", flat=True)[MAX_LIVE_TOKENS:]
    ApiToken.objects.filter(pk__in=list(oldest)).delete()
    return IssuedToken(record=record, token=token)


# ------------------------------------------------------------------------------
# Using one
# ------------------------------------------------------------------------------
def api_token_check(token: str) -> ApiToken:
    """The live token `token` is, with its user; TokenRefused says why it is not. Notes the
    use, at most once a minute."""
    now = timezone.now()
    prefix, _dot, secret = token.partition(".")
    well_formed = secret and len(prefix) == 2 * PREFIX_BYTES and set(prefix) <= set(HEX)
    record = (
        ApiToken.objects.select_related("user").filter(prefix=prefix).first()
        if well_formed
        else None
    )
    if record is None or not hmac.compare_digest(record.digest, token_digest(token)):
        raise TokenRefused("This token is not valid: it was revoked, or never issued.")
    if record.expires_at <= now:
        raise TokenRefused("This token has expired: sign in again for a new one.")
    if not record.user.is_active:
        raise TokenRefused("This account is not active.")
    if not any(
        hmac.compare_digest(record.password_fingerprint, f) for f in _fingerprints(record.user)
    ):
        raise TokenRefused("The password was changed after this token was issued: sign in again.")
    if record.last_used_at is None or now - record.last_used_at >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
        record.last_used_at = now
    return record


# ------------------------------------------------------------------------------
# Listing and revoking
# ------------------------------------------------------------------------------
def api_tokens_of(*, user: AbstractBaseUser) -> QuerySet[ApiToken]:
    """The owner's tokens that still work, newest first."""
    return _live(ApiToken.objects.all(), user, timezone.now()).order_by("-created_at", "-pk")


def api_token_revoke(*, user: AbstractBaseUser, token_id: int) -> None:
    """The owner revokes one of their tokens; another person's answers as missing."""
    deleted, _by_model = ApiToken.objects.filter(user=user, pk=token_id).delete()
    if not deleted:
        raise NotFound("You have no token with this id.")


def api_token_end(*, token: ApiToken) -> None:
    """Signing out, or the state admin revoking one token."""
    ApiToken.objects.filter(pk=token.pk).delete()


def api_tokens_revoke_all(*, user: AbstractBaseUser) -> int:
    """The state admin ends every token of one person."""
    deleted, _by_model = ApiToken.objects.filter(user=user).delete()
    return deleted


def api_tokens_find(*, search: str = "") -> QuerySet[ApiToken]:
    """Tokens that have not expired, for the state admin: by username, or all."""
    tokens = ApiToken.objects.select_related("user").filter(expires_at__gt=timezone.now())
    if search:
        tokens = tokens.filter(Q(user__username__icontains=search) | Q(device__icontains=search))
    return tokens.order_by("user__username", "-created_at")
