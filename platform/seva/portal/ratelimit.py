"""Counting requests per client in the cache (Redis in production), for rate limits."""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


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
