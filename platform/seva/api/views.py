"""REST API v1. Each view validates input, calls one service or selector, shapes output."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.utils.translation import get_language
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from seva.applications.documents import (
    ATTACHMENT_FIELD,
    attachment_upload,
    attachments_by_token,
    document_upload,
)
from seva.applications.selectors import (
    application_get_for,
    applications_of_applicant,
    available_actions,
)
from seva.applications.services import application_act, application_submit
from seva.core.errors import ValidationFailed
from seva.dashboards.boards import rts_board
from seva.dashboards.filters import board_filters_from, board_row_json
from seva.definitions.selectors import service_get, service_list
from seva.formschemas.paths import schema_at
from seva.notifications.services import outbox_delivery_report
from seva.queues.selectors import QueueFilters, queue_for

from . import serializers as s


class ServiceListApi(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response({"results": [s.service_summary(svc) for svc in service_list()]})


class ServiceDetailApi(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request, code: str) -> Response:
        return Response(s.service_detail(service_get(code=code)))


class ServiceFormApi(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request, code: str) -> Response:
        service = service_get(code=code)
        version = service.current_version
        return Response(
            {"service": service.code, "version": version.number, "schema": version.form_schema}
        )


class ApplicationListApi(APIView):
    def get(self, request: Request) -> Response:
        """The caller's own applications (officers use the queue)."""
        mine = applications_of_applicant(request.user)
        return Response(
            {
                "results": [
                    {
                        "reference": app.reference,
                        "service": app.service.code,
                        "state": app.state,
                        "submitted_at": s._iso(app.submitted_at),
                        "rts_due_at": s._iso(app.rts_due_at),
                        "closed_at": s._iso(app.closed_at),
                        "outcome": app.outcome or None,
                    }
                    for app in mine
                ]
            }
        )

    def post(self, request: Request) -> Response:
        payload = s.SubmitInput(data=request.data)
        payload.is_valid(raise_exception=True)
        service = service_get(code=payload.validated_data["service"])
        application = application_submit(
            service=service,
            data=payload.validated_data["data"],
            applicant=request.user,
            language=payload.validated_data.get("language") or get_language() or "en",
        )
        return Response(
            {
                "reference": application.reference,
                "state": application.state,
                "rts_due_at": s._iso(application.rts_due_at),
                "stage_due_at": s._iso(application.stage_due_at),
            },
            status=status.HTTP_201_CREATED,
        )


class ApplicationDetailApi(APIView):
    def get(self, request: Request, reference: str) -> Response:
        application = application_get_for(request.user, reference=reference)
        return Response(s.application_detail(application))


class ApplicationActionsApi(APIView):
    def get(self, request: Request, reference: str) -> Response:
        application = application_get_for(request.user, reference=reference)
        actions = available_actions(request.user, application)
        return Response(
            {"state": application.state, "actions": [s.action_summary(a) for a in actions]}
        )

    def post(self, request: Request, reference: str) -> Response:
        application = application_get_for(request.user, reference=reference)
        payload = s.ActionInput(data=request.data)
        payload.is_valid(raise_exception=True)
        application = application_act(
            application=application,
            user=request.user,
            action=payload.validated_data["action"],
            remarks=payload.validated_data["remarks"],
            inputs=payload.validated_data["data"],
            expected_state=payload.validated_data.get("state"),
            attachments=attachments_by_token(
                owner=request.user, tokens=payload.validated_data["attachments"]
            ),
        )
        return Response(s.application_detail(application))


class DocumentUploadApi(APIView):
    """Upload a file for one file field of a service's form; the answer's token goes into
    that field of the application's data."""

    parser_classes = [MultiPartParser, FormParser]

    def post(self, request: Request) -> Response:
        if "file" in getattr(request._request, "seva_uploads_too_large", set()):
            raise ValidationFailed({"file": ["The file is larger than the largest allowed."]})
        payload = s.DocumentInput(data=request.data)
        payload.is_valid(raise_exception=True)
        field = payload.validated_data["field"]
        try:
            if field == ATTACHMENT_FIELD:  # an officer's attachment to an action
                document = attachment_upload(
                    owner=request.user, uploaded_file=payload.validated_data["file"]
                )
            else:
                service = service_get(code=payload.validated_data["service"])
                spec = (schema_at(service.current_version.form_schema, field) or {}).get("x-file")
                if not spec:
                    raise ValidationFailed(
                        {"field": [f"'{field}' is not a file field of this service's form."]}
                    )
                document = document_upload(
                    owner=request.user,
                    uploaded_file=payload.validated_data["file"],
                    field=field,
                    accept=spec["accept"],
                    max_bytes=spec["max_bytes"],
                )
        except ValidationFailed as exc:
            if "field" in exc.errors:
                raise
            raise ValidationFailed({"file": [m for ms in exc.errors.values() for m in ms]}) from exc
        return Response(
            {"token": document.token, "content_type": document.content_type, "size": document.size},
            status=status.HTTP_201_CREATED,
        )


class QueueApi(APIView):
    def get(self, request: Request) -> Response:
        """The caller's queue: open files their roles hold in their department and area,
        by stage deadline, with counts per colour. Filters as in the staff workspace."""
        params = s.QueueInput(data=request.query_params)
        params.is_valid(raise_exception=True)
        given = params.validated_data
        queue = queue_for(
            request.user,
            QueueFilters(
                service=given["service"],
                state=given["state"],
                channel=given["channel"],
                colour=given["colour"],
                min_age_days=given.get("min_age_days"),
                max_age_days=given.get("max_age_days"),
                search=given["q"],
            ),
        )
        size, page = given["page_size"], given["page"]
        count = queue.counts[given["colour"]] if given["colour"] else queue.total
        rows = queue.items[(page - 1) * size : page * size]
        return Response(
            {
                "count": count,
                "counts": queue.counts,
                "page": page,
                "page_size": size,
                "results": [s.queue_item(app) for app in rows],
            }
        )


class DeliveryReportApi(APIView):
    """The SMS gateway's delivery report for one message. The gateway authenticates with the
    shared token in `SEVA_SMS_DLR_TOKEN` (header `X-Gateway-Token`); with no token set,
    the endpoint is closed."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def post(self, request: Request) -> Response:
        expected = settings.SEVA_SMS_DLR_TOKEN
        given = request.headers.get("X-Gateway-Token", "")
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            return Response({"detail": "Unknown gateway."}, status=status.HTTP_403_FORBIDDEN)
        payload = s.DeliveryReportInput(data=request.data)
        payload.is_valid(raise_exception=True)
        message = outbox_delivery_report(
            provider_message_id=payload.validated_data["message_id"],
            status=payload.validated_data["status"],
            at=payload.validated_data.get("delivered_at"),
        )
        if message is None:
            return Response(
                {"detail": "No message sent with that id."}, status=status.HTTP_404_NOT_FOUND
            )
        return Response({"delivery_status": message.delivery_status})


class DashboardRtsApi(APIView):
    """The RTS board: `?by=district|department|service|tehsil|office&from=&to=&kind=
    &department=<code>&district=<code>`, limited to what the caller may see."""

    def get(self, request: Request) -> Response:
        filters = board_filters_from(request.query_params)
        rows = rts_board(user=request.user, filters=filters)
        return Response(
            {
                "by": filters.by,
                "from": filters.start,
                "to": filters.end,
                "kind": filters.kind or None,
                "rows": [board_row_json(row, filters) for row in rows],
            }
        )
