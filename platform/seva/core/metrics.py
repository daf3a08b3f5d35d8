"""Prometheus figures every web process keeps: requests answered and their duration, by
method, URL pattern and status (ADR 0022, docs/operations.md "Metrics").

The labels are bounded: the pattern a request matched (`api/v1/applications/<str:reference>/`),
never the path with a reference or a token in it; `<unmatched>` for what no pattern claimed
(static files, 404s). Under gunicorn, prometheus_client's multiprocess mode adds up the
workers' figures (PROMETHEUS_MULTIPROC_DIR, set by gunicorn.conf.py before this is imported)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from prometheus_client import Counter, Histogram

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "<unmatched>"

http_requests = Counter(
    "seva_http_requests",
    "HTTP requests answered, by method, URL pattern and status.",
    ["method", "route", "status"],
)
http_request_duration = Histogram(
    "seva_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and URL pattern.",
    ["method", "route"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)


def route_of(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNMATCHED
    # The pattern as written in the URLconf (a regex for Wagtail's pages); the view's
    # dotted name if the URLconf gave none.
    return match.route or match.view_name or UNMATCHED


class RequestMetricsMiddleware:
    """Near the outside, so that the time includes the other middleware's."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        method = request.method if request.method in _METHODS else "other"
        route = route_of(request)
        http_requests.labels(method, route, str(response.status_code)).inc()
        http_request_duration.labels(method, route).observe(elapsed)
        return response
