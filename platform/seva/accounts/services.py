"""Writes: checking a code, sending one by SMS, enrolling, removing and resetting devices.

Every code checked and every SMS sent goes through the officer's `SecondFactorGuard` row,
locked for the length of the transaction: the lock-out is read, the code compared and the
count written while no other request for that officer can, so concurrent guesses are
counted one by one, in every process. Staff-facing: the messages are in English (ADR 0006).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from seva.core.errors import ActionNotAllowed, NotFound, ValidationFailed
from seva.definitions.sms import fill_template
from seva.notifications.models import Channel, OutboxMessage
from seva.notifications.services import outbox_enqueue

from .models import SecondFactorGuard, SmsDevice, code_digest
from .selectors import (
    device_of,
    devices_of,
    has_device,
    officer_language,
    officer_mobile,
    second_factor_by_role,
    second_factor_required,
)

log = logging.getLogger(__name__)

# The outbox's event for sign-in codes, the citizens' and the officers' alike: the SMS log
# shows staff the text of every "otp" message with its code masked.
SMS_EVENT = "otp"
_CODE = re.compile(r"^\d{6,8}$")  # 6 digits (SMS, most apps); 8 for apps set up that way


class SecondFactorRefused(ActionNotAllowed):
    """Locked out after wrong codes, asking for SMS too often, or a step that is not open
    to this officer now. The message says what to do."""


def _local_time(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%H:%M")


def _guard(user) -> SecondFactorGuard:
    """The officer's guard row, locked until the caller's transaction ends."""
    SecondFactorGuard.objects.get_or_create(user=user)
    return SecondFactorGuard.objects.select_for_update().get(user=user)


def _refuse_if_locked(guard: SecondFactorGuard, now: dt.datetime) -> None:
    if guard.locked_until and guard.locked_until > now:
        raise SecondFactorRefused(
            f"Too many wrong codes. You can try again after {_local_time(guard.locked_until)}."
        )


def _check_code(
    *, user, code: str, candidates: Callable[[], list[Device]], confirm: bool = False
) -> Device:
    """The first of `candidates` (loaded inside the lock) that accepts `code`, confirmed if
    `confirm`. A wrong code is counted; the last one allowed locks the officer out, right
    codes included.

    The count is committed before the refusal is raised: a caller must not run this inside
    a transaction it rolls back on that error, or the count would go with it."""
    code = re.sub(r"\s+", "", str(code or ""))
    refusal: Exception
    with transaction.atomic():
        guard = _guard(user)
        now = timezone.now()
        _refuse_if_locked(guard, now)
        matched = None
        if _CODE.match(code):
            matched = next((d for d in candidates() if d.verify_token(code)), None)
        if matched is not None:
            if confirm and not matched.confirmed:
                type(matched).objects.filter(pk=matched.pk).update(confirmed=True)
                matched.confirmed = True
            guard.wrong_codes, guard.first_wrong_at, guard.locked_until = 0, None, None
            guard.save(update_fields=["wrong_codes", "first_wrong_at", "locked_until"])
            return matched
        window = dt.timedelta(seconds=settings.SEVA_SECOND_FACTOR_LOCKOUT_SECONDS)
        if guard.first_wrong_at is None or guard.first_wrong_at + window <= now:
            guard.wrong_codes, guard.first_wrong_at = 0, now
        guard.wrong_codes += 1
        left = settings.SEVA_SECOND_FACTOR_MAX_WRONG_CODES - guard.wrong_codes
        if left <= 0:
            guard.locked_until = now + window
            guard.wrong_codes, guard.first_wrong_at = 0, None
            # Codes already sent by SMS die with the lock-out.
            SmsDevice.objects.filter(user=user).update(code_hash="", valid_until=None)
            log.warning("second factor: officer %s locked out after wrong codes", user.pk)
            refusal = SecondFactorRefused(
                f"Too many wrong codes. You can try again after {_local_time(guard.locked_until)}."
            )
        else:
            refusal = ValidationFailed(
                {"code": [f"That code is not right. You have {left} more tries."]}
            )
        guard.save()
    raise refusal


def _locked_devices(user, *, confirmed: bool | None) -> list[Device]:
    apps = TOTPDevice.objects.devices_for_user(user, confirmed=confirmed)
    sms = SmsDevice.objects.devices_for_user(user, confirmed=confirmed)
    return [
        *apps.select_for_update().order_by("id"),
        *sms.select_for_update().order_by("id"),
    ]


def second_factor_verify(*, user, code: str, device_id: str | None = None) -> Device:
    """The officer's confirmed device that accepts `code` (only `device_id` when given).

    Raises ValidationFailed({"code": [...]}) for a wrong code, which is counted;
    SecondFactorRefused while the officer is locked out (even for the right code); NotFound
    when the officer has no such device.
    """
    if device_id is not None:
        device = device_of(user, device_id=device_id)
        if device is None or not device.confirmed:
            raise NotFound("No such device.")
        model = type(device)

        def candidates() -> list[Device]:
            return list(model.objects.select_for_update().filter(pk=device.pk))

    else:
        if not has_device(user):
            raise NotFound("This officer has no device for a second factor.")

        def candidates() -> list[Device]:
            return _locked_devices(user, confirmed=True)

    return _check_code(user=user, code=code, candidates=candidates)


def device_confirm(*, user, device_id: str, code: str, first_device: bool) -> Device:
    """Confirm a device being enrolled with its first code (counted like any other).
    `first_device`: as for `totp_device_start`."""
    _refuse_second_first_device(user, first_device)
    device = device_of(user, device_id=device_id)
    if device is None or device.confirmed:
        raise NotFound("No device is being set up.")
    model = type(device)
    matched = _check_code(
        user=user,
        code=code,
        candidates=lambda: list(model.objects.select_for_update().filter(pk=device.pk)),
        confirm=True,
    )
    log.info("second factor: officer %s enrolled %s", user.pk, matched.persistent_id)
    return matched


# ------------------------------------------------------------------------------
# SMS codes
# ------------------------------------------------------------------------------
def second_factor_sms_send(*, user, device_id: str | None = None) -> OutboxMessage:
    """Send a new code by SMS, through the outbox, to the officer's SMS device (`device_id`,
    which may be one being enrolled, else their first confirmed one). The newest code sent
    replaces any earlier one. A new code waits a minute after the last while that one is
    unused; a few go out an hour."""
    with transaction.atomic():
        guard = _guard(user)
        if device_id is not None:
            device = device_of(user, device_id=device_id)
        else:
            device = SmsDevice.objects.devices_for_user(user, confirmed=True).first()
        if not isinstance(device, SmsDevice):
            raise SecondFactorRefused(
                "No mobile number is set up for your codes. Use your authenticator app, or "
                "ask the state admin to reset your second factor."
            )
        now = timezone.now()
        _refuse_if_locked(guard, now)
        wait = dt.timedelta(seconds=settings.SEVA_SECOND_FACTOR_SMS_RESEND_SECONDS)
        # The minute's wait is for a code still waiting to be used; once one was used, the
        # next sign-in gets a fresh code at once (the hourly cap still holds).
        unused = (
            bool(device.code_hash) and device.valid_until is not None and device.valid_until > now
        )
        if unused and guard.last_sms_at and guard.last_sms_at + wait > now:
            seconds = int((guard.last_sms_at + wait - now).total_seconds()) + 1
            raise SecondFactorRefused(
                f"A code was sent just now. You can ask for another in {seconds} seconds."
            )
        hour = dt.timedelta(hours=1)
        if guard.sms_window_started_at is None or guard.sms_window_started_at + hour <= now:
            guard.sms_window_started_at, guard.sms_in_window = now, 0
        if guard.sms_in_window >= settings.SEVA_SECOND_FACTOR_SMS_PER_HOUR:
            raise SecondFactorRefused(
                "You have asked for too many codes. You can ask again after "
                f"{_local_time(guard.sms_window_started_at + hour)}."
            )

        code = f"{secrets.randbelow(10**6):06d}"
        salt = secrets.token_hex(8)
        device.code_hash = f"{salt}${code_digest(code=code, salt=salt, device_id=device.pk)}"
        device.valid_until = now + dt.timedelta(
            seconds=settings.SEVA_SECOND_FACTOR_SMS_VALID_SECONDS
        )
        device.save(update_fields=["code_hash", "valid_until"])
        language = officer_language(user)
        if language not in settings.SEVA_SECOND_FACTOR_SMS:
            language = "en"
        template = settings.SEVA_SECOND_FACTOR_SMS[language]
        message = outbox_enqueue(
            channel=Channel.SMS,
            recipient=device.mobile,
            user=user,
            language=language,
            event=SMS_EVENT,
            dlt_template_id=template["dlt_template_id"],
            body=fill_template(template["text"], [code]),
            idempotency_key=f"{SMS_EVENT}:{device.pk}:{secrets.token_hex(8)}",
            at=now,
        )
        guard.last_sms_at = now
        guard.sms_in_window += 1
        guard.save(update_fields=["last_sms_at", "sms_window_started_at", "sms_in_window"])
    return message


# ------------------------------------------------------------------------------
# Outside the workspace: a password accepted by the API's token endpoint
# ------------------------------------------------------------------------------
def second_factor_for_token(*, user, code: str | None, send_sms: bool = False) -> Device | None:
    """What a token endpoint asks after `authenticate()` accepted the password: None when
    `user` needs no second factor; else the device that accepts `code`.

    Raises ValidationFailed({"code": [...]}) when the code is missing (after sending one by
    SMS first if `send_sms`) or wrong (counted); SecondFactorRefused when the officer has
    no device yet (they set one up by signing in to the workspace), is locked out, or asked
    for SMS too often.
    """
    if not second_factor_required(user):
        return None
    if not has_device(user):
        raise SecondFactorRefused(
            "Set up your second factor first: sign in to the staff workspace at /admin/login/."
        )
    code = (code or "").strip()
    if code:
        return second_factor_verify(user=user, code=code)
    hint = 'Send the 6-digit code from your authenticator app or SMS as "code".'
    if send_sms:
        message = second_factor_sms_send(user=user)
        hint = f'Send the 6-digit code sent by SMS to XXXXXX{message.recipient[-2:]} as "code".'
    raise ValidationFailed({"code": [hint]}, message="This account needs a second factor.")


# ------------------------------------------------------------------------------
# Enrolling, removing, resetting
# ------------------------------------------------------------------------------
def _refuse_second_first_device(user, first_device: bool) -> None:
    # While signing in only the password has been given: it may set up the first device,
    # never add one beside a device the officer already has.
    if first_device and has_device(user):
        raise SecondFactorRefused(
            "You already have a device for your codes. Sign in with it, then add another "
            "from your account."
        )


def totp_device_start(*, user, first_device: bool) -> TOTPDevice:
    """A new authenticator app for the officer: a fresh secret, not used for signing in
    until its first code confirms it (`device_confirm`). `first_device`: the officer is
    signing in with the password alone, so only a first device may be set up."""
    with transaction.atomic():
        _guard(user)  # one enrolment at a time per officer
        _refuse_second_first_device(user, first_device)
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def sms_device_start(*, user, first_device: bool) -> SmsDevice:
    """Codes by SMS to the mobile on the officer's contact (only that one: a password alone
    must not be able to send the codes elsewhere). The first code goes out at once; it
    confirms the device (`device_confirm`)."""
    mobile = officer_mobile(user)
    if not mobile:
        raise ValidationFailed(
            {
                "mobile": [
                    "There is no mobile number on your officer contact. Use an authenticator "
                    "app, or ask the state admin to add your mobile."
                ]
            }
        )
    with transaction.atomic():
        _guard(user)
        _refuse_second_first_device(user, first_device)
        if SmsDevice.objects.filter(user=user, mobile=mobile, confirmed=True).exists():
            raise SecondFactorRefused("Your codes already come by SMS to this mobile.")
        SmsDevice.objects.filter(user=user, confirmed=False).delete()
        device = SmsDevice.objects.create(
            user=user, name=f"SMS to XXXXXX{mobile[-2:]}", mobile=mobile, confirmed=False
        )
        second_factor_sms_send(user=user, device_id=device.persistent_id)
    return device


def device_remove(*, user, device_id: str) -> None:
    """The officer removes one of their devices; not the last while their role asks for a
    second factor (the state admin resets a lost one)."""
    device = device_of(user, device_id=device_id)
    if device is None:
        raise NotFound("No such device.")
    others = [d for d in devices_of(user) if d.persistent_id != device.persistent_id]
    if device.confirmed and not others and second_factor_by_role(user):
        raise SecondFactorRefused(
            "You must give a code when you sign in: add another device before you remove this one."
        )
    device.delete()
    log.info("second factor: officer %s removed %s", user.pk, device_id)


def devices_reset(*, officer, by) -> int:
    """The state admin clears an officer's devices (a lost or changed phone) and any
    lock-out; the officer sets up a device again at their next sign-in. The number removed."""
    if not getattr(by, "is_superuser", False):
        raise ActionNotAllowed("Only the state admin resets an officer's second factor.")
    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=officer).delete()[0]
        removed += SmsDevice.objects.filter(user=officer).delete()[0]
        SecondFactorGuard.objects.filter(user=officer).delete()
    log.warning("second factor: officer %s reset by %s (%s devices)", officer.pk, by.pk, removed)
    return removed
