"""Each partner key has its own rate (the partner's `rate_per_minute`)."""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle

from .models import PartnerKey


class PartnerKeyThrottle(SimpleRateThrottle):
    scope = "partner_key"

    def allow_request(self, request, view) -> bool:
        key = request.auth
        if not isinstance(key, PartnerKey):
            return True  # people are throttled per user by the default throttles
        self.rate = f"{key.partner.rate_per_minute}/min"
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_rate(self) -> str | None:
        return None  # set per key in allow_request

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": request.auth.prefix}
