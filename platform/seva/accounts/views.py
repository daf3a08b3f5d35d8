"""Signing in to the staff workspace, and an officer's devices.

Signing in is two steps for an officer who needs a second factor. The password page checks
the password with `authenticate()`; for such an officer it does not sign in, but keeps a
pending sign-in in the session (a new session key, ten minutes) and asks for the code on a
second page; only a right code calls `login()`. So no session is ever signed in on the
password alone. An officer with no device sets one up on the spot. Everyone else is signed
in by the password, as before.

The pages under /admin/second-factor/ are for signed-in officers (their own devices) and
the state admin (resetting an officer's)."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, get_user_model, login, logout
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.admin.views.account import password_reset_enabled

from seva.core.errors import ActionNotAllowed, NotFound, ValidationFailed
from seva.core.redirects import local_next

from . import selectors, services
from .forms import CodeForm, PasswordForm
from .models import SmsDevice

SESSION_PENDING = "seva_pending_sign_in"
WORKSPACE = "/admin/"
WRONG_PASSWORD = (
    "Please enter a correct username and password. Note that both fields may be case-sensitive."
)


# ------------------------------------------------------------------------------
# The pending sign-in: the password was right, the code is still to come
# ------------------------------------------------------------------------------
@dataclass
class Pending:
    user: object
    data: dict

    @property
    def device_id(self) -> str:
        return self.data.get("device", "")

    def device(self) -> Device | None:
        if not self.device_id:
            return None
        return selectors.device_of(self.user, device_id=self.device_id)


def _pending_start(request: HttpRequest, user, *, next_url: str, remember: bool) -> None:
    if request.user.is_authenticated:
        logout(request)  # someone else's session (a citizen's) ends here
    else:
        request.session.cycle_key()  # a key fixed before the password is worth nothing after
    devices = selectors.devices_of(user)
    request.session[SESSION_PENDING] = {
        "user": user.pk,
        "backend": user.backend,
        # A password changed meanwhile ends the pending sign-in, as it ends sessions.
        "hash": user.get_session_auth_hash(),
        "until": time.time() + settings.SEVA_SECOND_FACTOR_PENDING_SECONDS,
        "next": next_url,
        "remember": remember,
        "device": devices[0].persistent_id if devices else "",
    }


def _pending(request: HttpRequest) -> Pending | None:
    data = request.session.get(SESSION_PENDING)
    if not isinstance(data, dict):
        return None
    user = get_user_model().objects.filter(pk=data.get("user"), is_active=True).first()
    if (
        data.get("until", 0) < time.time()
        or user is None
        or not constant_time_compare(user.get_session_auth_hash(), data.get("hash", ""))
    ):
        request.session.pop(SESSION_PENDING, None)
        return None
    return Pending(user=user, data=data)


def _pending_device_set(request: HttpRequest, pending: Pending, device: Device) -> None:
    pending.data["device"] = device.persistent_id
    request.session[SESSION_PENDING] = pending.data


def _pending_gone(request: HttpRequest) -> HttpResponse:
    messages.error(request, "Your sign-in has expired. Enter your password again.")
    return redirect("accounts:sign-in")


def _signed_in(request: HttpRequest, user, *, backend: str, remember: bool, next_url: str):
    login(request, user, backend=backend)
    request.session.set_expiry(settings.SESSION_COOKIE_AGE if remember else 0)
    return redirect(next_url)


def _finish(request: HttpRequest, pending: Pending, device: Device) -> HttpResponse:
    request.session.pop(SESSION_PENDING, None)
    response = _signed_in(
        request,
        pending.user,
        backend=pending.data["backend"],
        remember=pending.data.get("remember", False),
        next_url=pending.data.get("next") or WORKSPACE,
    )
    otp_login(request, device)  # the session records which device vouched for it
    return response


def _code_errors(form: CodeForm, exc: Exception) -> None:
    if isinstance(exc, ValidationFailed):
        for message in exc.errors.get("code", []) or [exc.message]:
            form.add_error("code", message)
    else:
        form.add_error("code", getattr(exc, "message", str(exc)))


# ------------------------------------------------------------------------------
# Step 1: the password
# ------------------------------------------------------------------------------
@sensitive_post_parameters("password")
@never_cache
def sign_in_view(request: HttpRequest) -> HttpResponse:
    next_url = local_next(request, WORKSPACE)
    if request.user.is_authenticated and request.user.has_perm("wagtailadmin.access_admin"):
        return redirect(next_url)
    form = PasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # authenticate(), not a password check of our own: lock-outs hook in there.
        user = authenticate(
            request=request,
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
        )
        remember = form.cleaned_data["remember"]
        if user is None:
            form.add_error(None, WRONG_PASSWORD)
        elif not selectors.second_factor_required(user):
            return _signed_in(
                request, user, backend=user.backend, remember=remember, next_url=next_url
            )
        else:
            _pending_start(request, user, next_url=next_url, remember=remember)
            pending = _pending(request)
            device = pending.device()
            if device is None:
                return redirect("accounts:enrol")
            if isinstance(device, SmsDevice):
                _sms_send(request, pending.user, device, announce=False)  # the page says so
            return redirect("accounts:code")
    return render(
        request,
        "accounts/sign_in.html",
        {"form": form, "next": next_url, "show_password_reset": password_reset_enabled()},
        status=200,
    )


def _sms_send(request: HttpRequest, user, device: SmsDevice, *, announce: bool = True) -> bool:
    try:
        services.second_factor_sms_send(user=user, device_id=device.persistent_id)
    except ActionNotAllowed as exc:
        messages.error(request, exc.message)
        return False
    if announce:
        messages.success(
            request, f"A new code is on its way to your mobile {device.masked_mobile}."
        )
    return True


def django_admin_sign_in_view(request: HttpRequest) -> HttpResponse:
    """The Django admin's own sign-in would take a password alone: it sends to ours."""
    next_url = local_next(request, default=reverse("admin:index"))
    return redirect(f"{reverse('accounts:sign-in')}?next={next_url}")


# ------------------------------------------------------------------------------
# Step 2: the code
# ------------------------------------------------------------------------------
@never_cache
def code_view(request: HttpRequest) -> HttpResponse:
    pending = _pending(request)
    if pending is None:
        return _pending_gone(request)
    if request.GET.get("use") == "app":
        app = next(
            (d for d in selectors.devices_of(pending.user) if isinstance(d, TOTPDevice)), None
        )
        if app is not None:
            _pending_device_set(request, pending, app)
    device = pending.device()
    if device is None:
        return redirect("accounts:enrol")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        try:
            if device.confirmed:
                # A code from any of the officer's devices is taken.
                matched = services.second_factor_verify(user=pending.user, code=code)
            else:
                matched = services.device_confirm(
                    user=pending.user, device_id=device.persistent_id, code=code, first_device=True
                )
        except NotFound:
            return _pending_gone(request)
        except (ActionNotAllowed, ValidationFailed) as exc:
            _code_errors(form, exc)
        else:
            return _finish(request, pending, matched)
    devices = selectors.devices_of(pending.user)
    return render(
        request,
        "accounts/code.html",
        {
            "form": form,
            "device": device,
            "by_sms": isinstance(device, SmsDevice),
            "sms_device": next((d for d in devices if isinstance(d, SmsDevice)), None),
            "has_app": any(isinstance(d, TOTPDevice) for d in devices),
        },
        status=400 if form.errors else 200,
    )


@require_POST
def code_sms_view(request: HttpRequest) -> HttpResponse:
    """Send a (new) code by SMS: to the device being set up, else the officer's SMS device."""
    pending = _pending(request)
    if pending is None:
        return _pending_gone(request)
    device = pending.device()
    if not isinstance(device, SmsDevice):
        device = next(
            (d for d in selectors.devices_of(pending.user) if isinstance(d, SmsDevice)), None
        )
    if device is None:
        messages.error(request, "No mobile number is set up for your codes.")
        return redirect("accounts:code")
    if _sms_send(request, pending.user, device):
        _pending_device_set(request, pending, device)
    return redirect("accounts:code")


# ------------------------------------------------------------------------------
# Setting up a first device while signing in
# ------------------------------------------------------------------------------
def _enrolling(request: HttpRequest) -> Pending | HttpResponse:
    """The pending sign-in of an officer with no device yet, or where to send the caller."""
    pending = _pending(request)
    if pending is None:
        return _pending_gone(request)
    if selectors.has_device(pending.user):
        return redirect("accounts:code")
    return pending


@never_cache
def enrol_view(request: HttpRequest) -> HttpResponse:
    pending = _enrolling(request)
    if isinstance(pending, HttpResponse):
        return pending
    return _enrol_choices(request, pending.user, status=200)


def _enrol_choices(request: HttpRequest, user, *, status: int, error: str = "") -> HttpResponse:
    mobile = selectors.officer_mobile(user)
    return render(
        request,
        "accounts/enrol.html",
        {"masked_mobile": f"XXXXXX{mobile[-2:]}" if mobile else "", "error": error},
        status=status,
    )


@never_cache
def enrol_app_view(request: HttpRequest) -> HttpResponse:
    pending = _enrolling(request)
    if isinstance(pending, HttpResponse):
        return pending
    user = pending.user
    if request.method == "POST" and "code" not in request.POST:
        try:
            device = services.totp_device_start(user=user, first_device=True)
        except ActionNotAllowed as exc:
            messages.error(request, exc.message)
            return redirect("accounts:code")
        _pending_device_set(request, pending, device)
        return redirect("accounts:enrol-app")
    device = pending.device()
    if not isinstance(device, TOTPDevice) or device.confirmed:
        return redirect("accounts:enrol")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            matched = services.device_confirm(
                user=user,
                device_id=device.persistent_id,
                code=form.cleaned_data["code"],
                first_device=True,
            )
        except (ActionNotAllowed, ValidationFailed) as exc:
            _code_errors(form, exc)
        else:
            return _finish(request, pending, matched)
    return render(
        request,
        "accounts/enrol_app.html",
        {**_app_setup(device), "form": form, "action": reverse("accounts:enrol-app")},
        status=400 if form.errors else 200,
    )


@require_POST
def enrol_sms_view(request: HttpRequest) -> HttpResponse:
    pending = _enrolling(request)
    if isinstance(pending, HttpResponse):
        return pending
    try:
        device = services.sms_device_start(user=pending.user, first_device=True)
    except ValidationFailed as exc:
        return _enrol_choices(request, pending.user, status=400, error=exc.errors["mobile"][0])
    except ActionNotAllowed as exc:
        messages.error(request, exc.message)
        return redirect("accounts:enrol")
    _pending_device_set(request, pending, device)
    messages.success(request, f"A code is on its way by SMS to your mobile {device.masked_mobile}.")
    return redirect("accounts:code")


def _app_setup(device: TOTPDevice) -> dict:
    """What an officer needs to add the account to their app: the QR code (drawn here, as
    SVG markup: no image service, no script) and the secret to type in instead."""
    secret = base64.b32encode(device.bin_key).decode()
    qr = segno.make(device.config_url, error="m")
    return {
        "qr_svg": qr.svg_inline(
            scale=4, dark="#000", light="#fff", svgclass="sf-qr", title="QR code for your app"
        ),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    }


# ------------------------------------------------------------------------------
# An officer's own devices, in the workspace
# ------------------------------------------------------------------------------
def devices_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    mobile = selectors.officer_mobile(user)
    devices = selectors.devices_of(user)
    return render(
        request,
        "accounts/devices.html",
        {
            "devices": devices,
            "required": selectors.second_factor_by_role(user),
            "masked_mobile": f"XXXXXX{mobile[-2:]}" if mobile else "",
            "sms_on_mobile": any(isinstance(d, SmsDevice) and d.mobile == mobile for d in devices),
        },
    )


def _device_confirmed(request: HttpRequest, form: CodeForm, device, *, done: str) -> bool:
    """Check the first code of a device the signed-in officer is adding: True once it is
    confirmed (and said so), else the form carries the refusal."""
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        services.device_confirm(
            user=request.user,
            device_id=device.persistent_id,
            code=form.cleaned_data["code"],
            first_device=False,
        )
    except (ActionNotAllowed, ValidationFailed) as exc:
        _code_errors(form, exc)
        return False
    messages.success(request, done)
    return True


def device_add_app_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST" and "code" not in request.POST:
        services.totp_device_start(user=user, first_device=False)
        return redirect("second_factor:add-app")
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("-id").first()
    if device is None:
        return redirect("second_factor:devices")
    form = CodeForm(request.POST or None)
    if _device_confirmed(request, form, device, done="Your authenticator app is set up."):
        return redirect("second_factor:devices")
    return render(
        request,
        "accounts/device_add_app.html",
        {**_app_setup(device), "form": form, "action": reverse("second_factor:add-app")},
        status=400 if form.errors else 200,
    )


def device_add_sms_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    device = SmsDevice.objects.devices_for_user(user, confirmed=False).order_by("-id").first()
    if request.method == "POST" and "code" not in request.POST:
        try:
            if device is not None and "resend" in request.POST:
                services.second_factor_sms_send(user=user, device_id=device.persistent_id)
            else:
                services.sms_device_start(user=user, first_device=False)
        except ValidationFailed as exc:
            messages.error(request, exc.errors["mobile"][0])
            return redirect("second_factor:devices")
        except ActionNotAllowed as exc:
            messages.error(request, exc.message)
        return redirect("second_factor:add-sms")
    if device is None:
        return redirect("second_factor:devices")
    form = CodeForm(request.POST or None)
    if _device_confirmed(request, form, device, done="Your codes can now come by SMS."):
        return redirect("second_factor:devices")
    return render(
        request,
        "accounts/device_add_sms.html",
        {"form": form, "device": device},
        status=400 if form.errors else 200,
    )


@require_POST
def device_remove_view(request: HttpRequest) -> HttpResponse:
    try:
        services.device_remove(user=request.user, device_id=request.POST.get("device", ""))
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ActionNotAllowed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The device was removed.")
    return redirect("second_factor:devices")


# ------------------------------------------------------------------------------
# The state admin: an officer's devices, and resetting them
# ------------------------------------------------------------------------------
def _officer_for_state_admin(request: HttpRequest, user_id: int):
    if not request.user.is_superuser:
        raise PermissionDenied("Only the state admin resets an officer's second factor.")
    return get_object_or_404(get_user_model(), pk=user_id)


def officer_devices_view(request: HttpRequest, user_id: int) -> HttpResponse:
    officer = _officer_for_state_admin(request, user_id)
    return render(
        request,
        "accounts/officer_devices.html",
        {
            "officer": officer,
            "devices": selectors.devices_of(officer, confirmed=None),
            "required": selectors.second_factor_by_role(officer),
        },
    )


@require_POST
def officer_reset_view(request: HttpRequest, user_id: int) -> HttpResponse:
    officer = _officer_for_state_admin(request, user_id)
    removed = services.devices_reset(officer=officer, by=request.user)
    messages.success(
        request,
        f"{removed} device(s) of {officer.get_username()} removed. They set up a new one "
        "at their next sign-in.",
    )
    return redirect("second_factor:officer", user_id=officer.pk)
