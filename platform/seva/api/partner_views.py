"""The partner API: a partner system, signed in with its key, files applications for citizens
(its own id keeps a retry from making a second one), reads their status, and polls what
changed. Only the services the key is scoped to; only the partner's own applications."""

from __future__ import annotations

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from seva.core.errors import NotFound, ValidationFailed

from .authentication import PartnerKeyAuthentication
from .idempotency import idempotent
from .models import PartnerApplication, PartnerKey
from .selectors import partner_changes
from .services import partner_application_file
from .throttling import PartnerKeyThrottle

MAX_CHANGES = 500


class IsPartner(BasePermission):
    message = "Sign in with your partner API key (Authorization: Api-Key <key>)."

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, PartnerKey)


class PartnerApiView(APIView):
    authentication_classes = [PartnerKeyAuthentication]
    permission_classes = [IsPartner]
    throttle_classes = [PartnerKeyThrottle]


def _application_json(link: PartnerApplication) -> dict:
    application = link.application
    return {
        "reference": application.reference,
        "partner_reference": link.partner_reference,
        "service": application.service.code,
        "state": application.state,
        "outcome": application.outcome,
        "channel": application.channel,
        "submitted_at": application.submitted_at,
        "rts_due_at": application.rts_due_at,
        "closed_at": application.closed_at,
    }


def _text(request: Request, name: str) -> str:
    value = request.data.get(name) if hasattr(request.data, "get") else None
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed({name: ["Required: a non-empty string."]})
    return value.strip()


class PartnerApplicationsApi(PartnerApiView):
    def post(self, request: Request) -> Response:
        def create() -> Response:
            data = request.data.get("data") if hasattr(request.data, "get") else None
            if not isinstance(data, dict):
                raise ValidationFailed({"data": ["Send the form's answers as an object."]})
            language = request.data.get("language", "en")
            application, created = partner_application_file(
                partner=request.auth.partner,
                service_code=_text(request, "service"),
                partner_reference=_text(request, "partner_reference"),
                data=data,
                language=language if language in ("en", "hi") else "en",
            )
            return Response(
                _application_json(application.partner_link), status=201 if created else 200
            )

        return idempotent(request, create)


class PartnerApplicationDetailApi(PartnerApiView):
    def get(self, request: Request, reference: str) -> Response:
        link = (
            PartnerApplication.objects.select_related("application", "application__service")
            .filter(partner=request.auth.partner, application__reference=reference)
            .first()
        )
        if link is None:
            raise NotFound("No application with this reference among those you filed.")
        return Response(_application_json(link))


class PartnerChangesApi(PartnerApiView):
    def get(self, request: Request) -> Response:
        try:
            after = int(request.query_params.get("after", "0"))
            limit = min(int(request.query_params.get("limit", "100")), MAX_CHANGES)
        except ValueError:
            raise ValidationFailed({"after": ["Give whole numbers for after and limit."]}) from None
        if after < 0 or limit < 1:
            raise ValidationFailed({"after": ["after must be 0 or more, limit 1 or more."]})
        changes = partner_changes(partner=request.auth.partner, after=after, limit=limit)
        return Response(
            {
                "results": [change.__dict__ for change in changes],
                "next_after": changes[-1].cursor if changes else after,
            }
        )
