"""Browsers' reports of what the Content-Security-Policy blocked (`report-uri /csp-report/`).

A report means a page of ours needs something the policy forbids (a bug to fix), or that
someone tried to run script in it (an attack to look at): either way the operator should see
it, so each one is logged as a warning on the `seva.csp` logger. Anyone can post here, so a
report is small, read with a size limit, logged in a few cut-down fields, and counted per
address: past the limit, reports are dropped unlogged (the browser is told 204 all the same).
"""

from __future__ import annotations

import json
import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from seva.accounts import ratelimit

logger = logging.getLogger("seva.csp")

MAX_REPORT_BYTES = 16 * 1024
REPORTS_PER_ADDRESS = 100  # logged per address in REPORT_WINDOW_SECONDS
REPORT_WINDOW_SECONDS = 10 * 60
# The fields worth logging, as report-uri (hyphenated) and the Reporting API (camelCase) name them.
FIELDS = {
    "document-uri": "documentURL",
    "effective-directive": "effectiveDirective",
    "blocked-uri": "blockedURL",
    "source-file": "sourceFile",
    "line-number": "lineNumber",
    "script-sample": "sample",
}


def _violations(payload) -> list[dict]:
    """The violations in either format: {"csp-report": {...}} from report-uri, or the
    Reporting API's list of {"type": "csp-violation", "body": {...}}."""
    if isinstance(payload, dict) and isinstance(payload.get("csp-report"), dict):
        return [payload["csp-report"]]
    if isinstance(payload, list):
        return [
            item["body"]
            for item in payload
            if isinstance(item, dict)
            and item.get("type") == "csp-violation"
            and isinstance(item.get("body"), dict)
        ]
    return []


def _field(violation: dict, name: str) -> str:
    value = violation.get(name, violation.get(FIELDS[name], ""))
    return str(value)[:200]


@csrf_exempt
@require_POST
def csp_report(request: HttpRequest) -> HttpResponse:
    body = request.read(MAX_REPORT_BYTES + 1)
    if len(body) > MAX_REPORT_BYTES:
        return JsonResponse({"detail": "The report is too large."}, status=413)
    try:
        violations = _violations(json.loads(body))
    except (ValueError, RecursionError):
        return JsonResponse({"detail": "The report is not JSON."}, status=400)
    if not violations:
        return JsonResponse({"detail": "The body holds no CSP violation report."}, status=400)
    if ratelimit.too_many(
        request, "csp-report", limit=REPORTS_PER_ADDRESS, per_seconds=REPORT_WINDOW_SECONDS
    ):
        return HttpResponse(status=204)
    for violation in violations[:10]:
        logger.warning(
            "CSP blocked %s: %s on %s (%s line %s) %s",
            _field(violation, "effective-directive"),
            _field(violation, "blocked-uri"),
            _field(violation, "document-uri"),
            _field(violation, "source-file"),
            _field(violation, "line-number"),
            _field(violation, "script-sample"),
        )
    return HttpResponse(status=204)
