"""Reads: who must give a second factor, and an officer's devices.

Who must: a superuser (the state admin, unless SEVA_SECOND_FACTOR_FOR_SUPERUSERS is off);
an officer with an active posting in a role whose `second_factor` (roles.yaml, or the Role
snippet) is true, or unset for a role that decides; anyone who enrolled a device of their
own accord. A role decides when a rule in DECIDING_RULES names it in the compiled workflow
of some service's current version; today the one rule is "can approve or reject"."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django_otp import user_has_device
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from seva.core.registry import Registry
from seva.definitions.models import Service, ServiceVersion
from seva.definitions.selectors import workflow_for
from seva.org.models import OfficerProfile, Role
from seva.org.selectors import postings_active
from seva.workflows.engine import CITIZEN, Outcome, Workflow

from .models import SmsDevice

# Each rule reads one compiled workflow and names the roles in it whose holders decide.
# Later issues register theirs here (roles that issue a document, that order a payment).
DecidingRule = Callable[[Workflow], set[str]]
DECIDING_RULES: Registry[DecidingRule] = Registry("deciding rule")

DECISIONS = frozenset({Outcome.APPROVED, Outcome.REJECTED})


@DECIDING_RULES.register("approves_or_rejects")
def roles_that_approve_or_reject(workflow: Workflow) -> set[str]:
    """Roles that may take an action ending the file approved or rejected."""
    return {
        role
        for transition in workflow.transitions
        if workflow.states[transition.target].terminal
        and workflow.states[transition.target].outcome in DECISIONS
        for role in transition.roles
        if role != CITIZEN
    }


def deciding_roles() -> frozenset[str]:
    """Codes of the roles that decide in some service's current version."""
    current = ServiceVersion.objects.filter(
        pk__in=Service.objects.exclude(current_version=None).values("current_version")
    ).only("pk", "content_hash")
    roles: set[str] = set()
    for version in current:
        workflow = workflow_for(version)
        for name in DECIDING_RULES:
            roles |= DECIDING_RULES.get(name)(workflow)
    return frozenset(roles)


def roles_needing_second_factor() -> set[str]:
    """Codes of the roles whose holders give a second factor: those marked so, and those
    left unmarked that decide."""
    deciding = deciding_roles()
    return {
        code
        for code, marked in Role.objects.values_list("code", "second_factor")
        if marked or (marked is None and code in deciding)
    }


def second_factor_by_role(user) -> bool:
    """Whether `user`'s place (superuser, or the roles of their active postings) asks for a
    second factor, devices aside."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser and settings.SEVA_SECOND_FACTOR_FOR_SUPERUSERS:
        return True
    held = {posting.role.code for posting in postings_active(user)}
    return bool(held) and bool(held & roles_needing_second_factor())


def second_factor_required(user) -> bool:
    """Whether signing in as `user` (in the workspace, or for an API token) needs a code
    besides the password: their role asks for it, or they have enrolled a device."""
    return second_factor_by_role(user) or has_device(user)


def has_device(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user_has_device(user)


def devices_of(user, *, confirmed: bool | None = True) -> list[Device]:
    """The officer's devices, authenticator apps first (the default way to sign in: no SMS
    to wait for)."""
    apps = TOTPDevice.objects.devices_for_user(user, confirmed=confirmed).order_by("id")
    sms = SmsDevice.objects.devices_for_user(user, confirmed=confirmed).order_by("id")
    return [*apps, *sms]


def device_of(user, *, device_id: str) -> Device | None:
    """One of the officer's devices by its persistent id ("otp_totp.totpdevice/7"); None
    for an id that is not theirs."""
    device = Device.from_persistent_id(device_id) if isinstance(device_id, str) else None
    if device is None or device.user_id != user.pk:
        return None
    if not isinstance(device, TOTPDevice | SmsDevice):
        return None
    return device


def officer_mobile(user) -> str:
    """The mobile on the officer's contact (org.OfficerProfile), "" if none."""
    profile = OfficerProfile.objects.filter(user=user).only("mobile").first()
    return profile.mobile if profile else ""


def officer_language(user) -> str:
    profile = OfficerProfile.objects.filter(user=user).only("language").first()
    return profile.language if profile else "en"
