"""Where to go after a form: the `next` a page passed along, if it is a path on this site."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def local_next(request: HttpRequest, default: str) -> str:
    """The `next` of the form or the query when it is a path on this site, else `default`.
    Only a path: `redirect()` would take anything else for the name of a URL pattern and
    fail; and no other host, so a link cannot send a person elsewhere after signing in."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
