"""Counting requests per client in the cache, for rate limits. The cache is Redis in
production (SEVA_CACHE_URL), shared by every process, so a limit holds however many
processes answer and across restarts."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The client's address: the connection's, or, behind SEVA_TRUSTED_PROXY_COUNT reverse
    proxies, the one the outermost of them wrote into X-Forwarded-For. Entries further left
    were written by the client and are never believed. The sign-in lock-outs and DRF's
    throttles (NUM_PROXIES) find the address the same way."""
    remote = request.META.get("REMOTE_ADDR") or "unknown"
    proxies = settings.SEVA_TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not proxies or not forwarded:
        return remote
    addresses = [part.strip() for part in forwarded.split(",")]
    return addresses[-min(proxies, len(addresses))] or remote


def hit(key: str, *, limit: int, per_seconds: int) -> bool:
    """Count one more under `key`; True when the count is now over `limit`."""
    cache.add(key, 0, timeout=per_seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=per_seconds)
        count = 1
    return count > limit


def too_many(request: HttpRequest, scope: str, *, limit: int, per_seconds: int) -> bool:
    return hit(f"rl:{scope}:{client_address(request)}", limit=limit, per_seconds=per_seconds)


def over(key: str, *, limit: int) -> bool:
    """Whether `key` has already been counted `limit` times (without counting this one)."""
    return (cache.get(key) or 0) >= limit
