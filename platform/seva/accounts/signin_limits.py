"""Failed sign-ins, counted per account and per address in the shared cache, and the answer a
locked-out person gets. django-axes does the wiring: its backend, first in
AUTHENTICATION_BACKENDS, refuses a locked-out account or address inside authenticate(), before
any password is checked, so every sign-in page and the API's token endpoint are held alike;
its middleware swaps a refused page for `lockout_response`. This module is the handler that
counts, configured as AXES_HANDLER.

Two counts, each with its own limit, because the two attacks differ: many passwords tried on
one account from many addresses (SEVA_LOGIN_FAILURES_PER_ACCOUNT), and many accounts tried
from one address (SEVA_LOGIN_FAILURES_PER_ADDRESS, higher: a district office signs in from
behind one address). Reaching either locks for AXES_COOLOFF_TIME; each refused try starts the
cool-off again, so that the time the answer gives is the time it ends. The state admin lifts
one early with `manage.py axes_reset_username <username>` or `axes_reset_ip <address>`."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import Any

from axes.handlers.cache import AxesCacheHandler
from axes.helpers import get_cache_timeout, get_client_str, get_client_username, get_cool_off
from axes.signals import user_locked_out
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from .ratelimit import client_address

log = logging.getLogger(__name__)


def _counter_key(kind: str, value: str) -> str:
    # Hashed: usernames and addresses are not written into the cache as they are.
    return f"signin-failures:{kind}:{hashlib.sha256(value.encode()).hexdigest()}"


class AccountAndAddressHandler(AxesCacheHandler):
    """django-axes' cache handler, with each failure counted under the account and under the
    address, each against its own limit."""

    def _counters(self, request: Any, credentials: dict | None) -> list[tuple[str, int]]:
        counters = []
        username = get_client_username(request, credentials)
        if username:
            counters.append(
                (_counter_key("account", str(username)), settings.SEVA_LOGIN_FAILURES_PER_ACCOUNT)
            )
        address = getattr(request, "axes_ip_address", None) or client_address(request)
        if address:
            counters.append(
                (_counter_key("address", address), settings.SEVA_LOGIN_FAILURES_PER_ADDRESS)
            )
        return counters

    def _counts(self, request: Any, credentials: dict | None) -> list[tuple[str, int, int]]:
        counters = self._counters(request, credentials)
        found = self.cache.get_many([key for key, _limit in counters])
        return [(key, found.get(key, 0), limit) for key, limit in counters]

    def get_failures(self, request: Any, credentials: dict | None = None) -> int:
        return max((count for _key, count, _limit in self._counts(request, credentials)), default=0)

    def is_locked(self, request: Any, credentials: dict | None = None) -> bool:
        return any(count >= limit for _key, count, limit in self._counts(request, credentials))

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs) -> None:
        if request is None:
            log.error("A failed sign-in without its request cannot be counted.")
            return
        timeout = get_cache_timeout(request)
        counts = self._counts(request, credentials)
        if any(count >= limit for _key, count, limit in counts):
            # Refused by the lock-out, before any password was checked: not a guess, so
            # nothing more is counted; the cool-off starts again.
            for key, count, limit in counts:
                if count >= limit:
                    self.cache.touch(key, timeout)
            locked = True
        else:
            locked = False
            for key, _count, limit in counts:
                locked = self._count_one_more(key, timeout) >= limit or locked
        username = get_client_username(request, credentials)
        # Who, as axes writes it: the username and address masked (AXES_SENSITIVE_PARAMETERS).
        who = get_client_str(
            username,
            request.axes_ip_address,
            request.axes_user_agent,
            request.axes_path_info,
            request,
        )
        log.warning(
            "Failed sign-in %s; counts %s",
            who,
            ", ".join(
                f"{count}/{limit}" for _key, count, limit in self._counts(request, credentials)
            ),
        )
        if locked:
            log.warning("Sign-in locked out: %s", who)
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes", request=request, username=username, ip_address=request.axes_ip_address
            )

    def _count_one_more(self, key: str, timeout: int | None) -> int:
        if self.cache.add(key, 1, timeout=timeout):
            return 1
        try:
            count = self.cache.incr(key)
        except ValueError:  # expired between add and incr
            self.cache.set(key, 1, timeout=timeout)
            return 1
        self.cache.touch(key, timeout)
        return count

    def user_logged_in(self, sender, request, user, **kwargs) -> None:
        """Signing in proves the password: the account's count starts again. The address's
        does not, or an attacker would clear it by signing in to an account of their own."""
        if settings.AXES_RESET_ON_SUCCESS:
            self.cache.delete(_counter_key("account", user.get_username()))

    def reset_attempts(
        self,
        *,
        ip_address: str | None = None,
        username: str | None = None,
        ip_or_username: bool = False,
    ) -> int:
        keys = []
        if username:
            keys.append(_counter_key("account", username))
        if ip_address:
            keys.append(_counter_key("address", ip_address))
        return sum(1 for key in keys if self.cache.delete(key))


# ------------------------------------------------------------------------------
# What a locked-out person is told
# ------------------------------------------------------------------------------
def lockout_ends(request: HttpRequest) -> dt.datetime:
    """When the lock-out ends: a cool-off after this refused try (which started it again)."""
    started = getattr(request, "axes_attempt_time", None) or timezone.now()
    return started + (get_cool_off(request) or dt.timedelta(0))


def lockout_message(request: HttpRequest) -> str:
    ends = timezone.localtime(lockout_ends(request))
    when = f"{ends:%H:%M}"
    if ends.date() != timezone.localdate():
        when += f" on {ends:%d-%m-%Y}"
    minutes = round((get_cool_off(request) or dt.timedelta(0)).total_seconds() / 60)
    return (
        "Too many failed sign-ins for this account or from this address. "
        f"Try again after {when} (India time), in {minutes} minutes. "
        "If you have forgotten your password, ask the state administrator to reset it."
    )


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: 429 with the time to try again, as the API's JSON error body
    under /api/ and as a page everywhere else."""
    message = lockout_message(request)
    wait = max(1, int((lockout_ends(request) - timezone.now()).total_seconds()))
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message}, status=429)
    else:
        response = render(
            request,
            "accounts/signin_locked.html",
            {"message": message, "sign_in_url": request.path},
            status=429,
        )
    response["Retry-After"] = str(wait)
    return response
