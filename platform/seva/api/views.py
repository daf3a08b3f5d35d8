"""REST API v1. Each view validates input, calls one service or selector, shapes output."""

from __future__ import annotations

import hmac
import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from django.views import defaults
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from seva.applications.documents import (
    ATTACHMENT_FIELD,
    attachment_upload,
    attachments_by_token,
    document_upload,
    uploads_too_large,
)
from seva.applications.models import Application
from seva.applications.selectors import (
    application_get_for,
    applications_of_applicant,
    available_actions,
    consultations_waiting_for,
)
from seva.applications.services import (
    application_act,
    application_submit,
    consultation_answer,
)
from seva.core.errors import ActionNotAllowed, NotFound, ValidationFailed
from seva.core.oddinput import OddInput
from seva.dashboards.filters import board_filters_from, board_row_json
from seva.dashboards.selectors import rts_board
from seva.definitions.selectors import service_get, service_list
from seva.documents.selectors import document_file, documents_of
from seva.documents.services import document_reissue, document_revoke
from seva.formschemas.paths import schema_at
from seva.notifications.services import outbox_delivery_report
from seva.queues.selectors import QueueFilters, queue_for

from . import schema as doc
from . import serializers as s
from .authentication import PartnerKeyAuthentication
from .errors import odd_input_body
from .idempotency import idempotent
from .models import PartnerKey
from .pagination import PageNumberPagination, QueuePagination
from .selectors import partner_service
from .throttling import PartnerKeyThrottle


def _application(request: Request, reference: str) -> Application:
    # No reference holds the NUL character, and PostgreSQL cannot even compare against one.
    if "\x00" in reference:
        raise NotFound()
    return application_get_for(request.user, reference=reference)


class ServiceListApi(APIView):
    permission_classes = [AllowAny]
    pagination_class = PageNumberPagination

    @extend_schema(
        operation_id="services_list",
        tags=["services"],
        summary="The services open for applications",
        responses={200: doc.ServiceSummary(many=True), **doc.refusals(400, 401, 429)},
    )
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        services = paginator.paginate_queryset(service_list(), request, view=self)
        return paginator.get_paginated_response([s.service_summary(svc) for svc in services])


class ServiceDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="services_retrieve",
        tags=["services"],
        summary="A service: what it needs, what it costs, how long it may take",
        parameters=[doc.SERVICE_CODE],
        responses={200: doc.ServiceDetail, **doc.refusals(401, 404, 429)},
    )
    def get(self, request: Request, code: str) -> Response:
        return Response(s.service_detail(service_get(code=code)))


class ServiceFormApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="services_form",
        tags=["services"],
        summary="A service's application form, as JSON Schema",
        parameters=[doc.SERVICE_CODE],
        responses={200: doc.ServiceForm, **doc.refusals(401, 404, 429)},
    )
    def get(self, request: Request, code: str) -> Response:
        service = service_get(code=code)
        version = service.current_version
        return Response(
            {"service": service.code, "version": version.number, "schema": version.form_schema}
        )


class ApplicationListApi(APIView):
    pagination_class = PageNumberPagination

    @extend_schema(
        operation_id="applications_list",
        tags=["applications"],
        summary="The caller's own applications, newest first",
        description="Officers find the files they hold in the queue.",
        responses={200: doc.ApplicationSummary(many=True), **doc.refusals(400, *doc.SIGNED_IN)},
    )
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        mine = paginator.paginate_queryset(
            applications_of_applicant(request.user), request, view=self
        )
        return paginator.get_paginated_response(
            [
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
        )

    @extend_schema(
        operation_id="applications_create",
        tags=["applications"],
        summary="Apply for a service",
        description=(
            "Files uploaded first to `/api/v1/documents/` go into the form's file fields by "
            "their tokens. Invalid answers are refused with every field named, by its path "
            "under `data`."
        ),
        parameters=[doc.IDEMPOTENCY_KEY],
        request={"application/json": s.SubmitInput},
        responses={
            201: doc.ApplicationCreated,
            **doc.refusals(*doc.BODY, 404, 409, *doc.SIGNED_IN),
        },
    )
    def post(self, request: Request) -> Response:
        return idempotent(request, lambda: self._submit(request))

    def _submit(self, request: Request) -> Response:
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
    @extend_schema(
        operation_id="applications_retrieve",
        tags=["applications"],
        summary="An application: where it is, who holds it, its clock and its history",
        parameters=[doc.REFERENCE],
        responses={200: doc.ApplicationDetail, **doc.refusals(404, *doc.SIGNED_IN)},
    )
    def get(self, request: Request, reference: str) -> Response:
        application = _application(request, reference)
        return Response(s.application_detail(application))


class ApplicationDocumentsApi(APIView):
    @extend_schema(
        operation_id="applications_documents_list",
        tags=["applications"],
        summary="The documents issued on the application: certificates, orders, their PDFs",
        description=(
            "Each document the service issued on the file's decisions, with its number, "
            "status (pending while it is being signed, then valid, expired, revoked or "
            "superseded), its verification address and its signed PDF in each language."
        ),
        parameters=[doc.REFERENCE],
        responses={200: doc.IssuedDocumentList, **doc.refusals(404, *doc.SIGNED_IN)},
    )
    def get(self, request: Request, reference: str) -> Response:
        application = _application(request, reference)
        return Response(
            {
                "reference": application.reference,
                "documents": [
                    s.issued_document(d, application.reference) for d in documents_of(application)
                ],
            }
        )


class ApplicationDocumentFileApi(APIView):
    @extend_schema(
        operation_id="applications_documents_file",
        tags=["applications"],
        summary="One issued document's signed PDF in one language",
        parameters=[doc.REFERENCE, doc.DOCUMENT_ID, doc.LANGUAGE],
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            **doc.refusals(404, *doc.SIGNED_IN),
        },
    )
    def get(self, request: Request, reference: str, public_id: str, language: str):
        application = _application(request, reference)
        found = document_file(application, public_id=public_id, language=language)
        response = FileResponse(
            found.file.open("rb"),
            content_type="application/pdf",
            as_attachment=True,
            filename=f"{found.document.number.replace('/', '-')}-{language}.pdf",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


class ApplicationActionsApi(APIView):
    @extend_schema(
        operation_id="applications_actions_list",
        tags=["applications"],
        summary="What the caller may do with the application now",
        parameters=[doc.REFERENCE],
        responses={200: doc.ActionsAvailable, **doc.refusals(404, *doc.SIGNED_IN)},
    )
    def get(self, request: Request, reference: str) -> Response:
        application = _application(request, reference)
        actions = available_actions(request.user, application)
        return Response(
            {"state": application.state, "actions": [s.action_summary(a) for a in actions]}
        )

    @extend_schema(
        operation_id="applications_act",
        tags=["applications"],
        summary="Take one of the available actions",
        description=(
            "Send `state` (the state you saw) to be told, with 409, when someone acted first."
        ),
        parameters=[doc.REFERENCE],
        request={"application/json": s.ActionInput},
        responses={
            200: doc.ApplicationDetail,
            **doc.refusals(*doc.BODY, 404, 409, *doc.SIGNED_IN),
        },
    )
    def post(self, request: Request, reference: str) -> Response:
        application = _application(request, reference)
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


class ConsultationAnswerApi(APIView):
    @extend_schema(
        operation_id="applications_consultation_answer",
        tags=["applications"],
        summary="Answer a consultation on the application",
        description=(
            "For an officer of the consulted role and department over the applicant's place: "
            "no_objection, conditions (state them in `remarks`) or objection (its reasons in "
            "`remarks`). The file moves on by itself once its workflow says so."
        ),
        parameters=[doc.REFERENCE, doc.CONSULTATION_CODE],
        request={"application/json": s.ConsultationAnswerInput},
        responses={
            200: doc.ApplicationDetail,
            **doc.refusals(*doc.BODY, 404, 409, *doc.SIGNED_IN),
        },
    )
    def post(self, request: Request, reference: str, code: str) -> Response:
        application = _application(request, reference)
        if not re.fullmatch(r"[a-z][a-z0-9_]{1,39}", code):  # no consultation is named so
            raise NotFound(f"No consultation '{code[:40]}' on {application.reference}.")
        payload = s.ConsultationAnswerInput(data=request.data)
        payload.is_valid(raise_exception=True)
        consultation_answer(
            application=application,
            user=request.user,
            code=code,
            answer=payload.validated_data["answer"],
            remarks=payload.validated_data["remarks"],
        )
        return Response(s.application_detail(_application(request, reference)))


class ConsultationListApi(APIView):
    pagination_class = PageNumberPagination

    @extend_schema(
        operation_id="consultations_list",
        tags=["queue"],
        summary="Consultations waiting for the caller's answer",
        description=(
            "Open consultations in the caller's postings' roles, departments and areas, "
            "soonest due first."
        ),
        responses={200: doc.ConsultationWaiting(many=True), **doc.refusals(400, *doc.SIGNED_IN)},
    )
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        rows = paginator.paginate_queryset(
            consultations_waiting_for(request.user), request, view=self
        )
        return paginator.get_paginated_response([s.consultation_waiting(c) for c in rows])


class DocumentUploadApi(APIView):
    """Upload a file for one file field of a service's form; the answer's token goes into
    that field of the application's data. Partner systems upload with their key, for the
    services their key may file; officers also upload the attachments of their actions."""

    parser_classes = [MultiPartParser, FormParser]
    authentication_classes = [
        *api_settings.DEFAULT_AUTHENTICATION_CLASSES,
        PartnerKeyAuthentication,
    ]
    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, PartnerKeyThrottle]

    @extend_schema(
        operation_id="documents_upload",
        tags=["documents"],
        summary="Upload a file for a form's file field, or an officer's attachment",
        description=(
            "A partner key uploads only for the services it may file (403 otherwise), and "
            "never attachments; `field=attachments` is for officers only (403). Each caller "
            "holds a limited number of uploads no application has claimed yet (400 beyond "
            "it); those never used are deleted after a day."
        ),
        parameters=[doc.IDEMPOTENCY_KEY],
        request={"multipart/form-data": s.DocumentInput},
        responses={
            201: doc.DocumentUploaded,
            **doc.refusals(*doc.BODY, 404, 409, *doc.SIGNED_IN),
        },
    )
    def post(self, request: Request) -> Response:
        return idempotent(request, lambda: self._upload(request))

    def _upload(self, request: Request) -> Response:
        if "file" in uploads_too_large(request._request):
            raise ValidationFailed({"file": ["The file is larger than the largest allowed."]})
        payload = s.DocumentInput(data=request.data)
        payload.is_valid(raise_exception=True)
        field = payload.validated_data["field"]
        partner = request.auth.partner if isinstance(request.auth, PartnerKey) else None
        try:
            if field == ATTACHMENT_FIELD:  # an officer's attachment to an action
                if partner is not None:
                    raise ActionNotAllowed("A partner key may not upload officers' attachments.")
                document = attachment_upload(
                    owner=request.user, uploaded_file=payload.validated_data["file"]
                )
            else:
                code = payload.validated_data["service"]
                if partner is None:
                    service = service_get(code=code)
                else:
                    service = partner_service(partner=partner, code=code)
                    if service is None:
                        raise ActionNotAllowed(f"This key may not upload documents for '{code}'.")
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


class DocumentChangeInput(serializers.Serializer):
    number = serializers.CharField(max_length=100, help_text="The document's number.")
    reason = serializers.CharField(
        max_length=2000,
        allow_blank=True,
        help_text=(
            "Why it is revoked (the public verification page shows it), or what the "
            "corrected document corrects."
        ),
    )


def _document_change(request: Request, change) -> Response:
    """Revoke or correct a document: one who may not change it, and a number that is not a
    valid document, answer alike (404), since numbers run in order and could be tried."""
    payload = DocumentChangeInput(data=request.data)
    payload.is_valid(raise_exception=True)
    number = payload.validated_data["number"]
    try:
        document = change(user=request.user, number=number, reason=payload.validated_data["reason"])
    except ActionNotAllowed:
        # The service's own words for a number that is not a valid document.
        raise NotFound(
            pgettext("issued document", "No valid document %(number)s.") % {"number": number}
        ) from None
    return Response(s.issued_document(document, document.application.reference))


class DocumentRevokeApi(APIView):
    @extend_schema(
        operation_id="documents_revoke",
        tags=["documents"],
        summary="Revoke an issued document, with the reason",
        description=(
            "For an officer holding one of the roles that may revoke the document, posted "
            "over the file's department and place. The document's verification page says "
            "it is revoked, with the reason; the file's history records who and why. A "
            "document the caller may not revoke answers as one that does not exist (404)."
        ),
        request={"application/json": DocumentChangeInput},
        responses={
            200: doc.IssuedDocumentItem,
            **doc.refusals(*doc.BODY, 404, *doc.SIGNED_IN),
        },
    )
    def post(self, request: Request) -> Response:
        return _document_change(request, document_revoke)


class DocumentReissueApi(APIView):
    @extend_schema(
        operation_id="documents_reissue",
        tags=["documents"],
        summary="Issue a corrected document in place of one, saying what was corrected",
        description=(
            "The corrected document is made from the file as it stands, with a new number; "
            "the answer is that new document, pending until it is signed. Once it is, the "
            "old one is superseded and its verification page points to the new one. Who may: "
            "as for revoking; otherwise 404."
        ),
        request={"application/json": DocumentChangeInput},
        responses={
            200: doc.IssuedDocumentItem,
            **doc.refusals(*doc.BODY, 404, *doc.SIGNED_IN),
        },
    )
    def post(self, request: Request) -> Response:
        return _document_change(request, document_reissue)


class QueueApi(APIView):
    pagination_class = QueuePagination

    @extend_schema(
        operation_id="queue_list",
        tags=["queue"],
        summary="The caller's queue",
        description=(
            "Open files the caller's roles hold in their department and area, by stage "
            "deadline, with the count of each colour. Filters as in the staff workspace."
        ),
        parameters=[s.QueueInput],
        responses={200: doc.QueueItem(many=True), **doc.refusals(400, *doc.SIGNED_IN)},
    )
    def get(self, request: Request) -> Response:
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
        paginator = self.pagination_class()
        rows = paginator.paginate(
            queue.items,
            request,
            page=page,
            page_size=size,
            count=queue.counts[given["colour"]] if given["colour"] else queue.total,
        )
        return paginator.get_paginated_response(
            [s.queue_item(app) for app in rows], counts=queue.counts, page=page, page_size=size
        )


class DeliveryReportApi(APIView):
    """The SMS gateway's delivery report for one message. The gateway authenticates with the
    shared token in `SEVA_SMS_DLR_TOKEN` (header `X-Gateway-Token`); with no token set,
    the endpoint is closed."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    # A busy gateway reports thousands of messages a minute from one address; it is let in
    # by its token, not slowed down.
    throttle_classes: list = []

    @extend_schema(
        operation_id="sms_delivery_report",
        tags=["sms-gateway"],
        summary="The SMS gateway reports the delivery of one message",
        parameters=[doc.GATEWAY_TOKEN],
        request=s.DeliveryReportInput,
        responses={200: doc.DeliveryRecorded, **doc.refusals(*doc.BODY, 403, 404)},
    )
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

    @extend_schema(
        operation_id="dashboard_rts",
        tags=["dashboard"],
        summary="The RTS board: files received, completed and overdue, ranked",
        parameters=[s.DashboardInput],
        responses={200: doc.RtsBoard, **doc.refusals(400, *doc.SIGNED_IN)},
    )
    def get(self, request: Request) -> Response:
        s.DashboardInput(data=request.query_params).is_valid(raise_exception=True)
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


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The project's handler400: input no view can use (seva.core.oddinput), a body over
    DATA_UPLOAD_MAX_MEMORY_SIZE (413), or another request Django refuses. Under /api/ the
    API's error body, elsewhere the portal's page; the message is ours, never the exception's
    own text, which may name settings."""
    if isinstance(exception, RequestDataTooBig):
        code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        heading = _("Too much sent at once")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024) or 1
        message = _(
            "The request is larger than %(limit)s MB. Send less at once, or upload large "
            "files one by one."
        ) % {"limit": limit}
    else:
        code = status.HTTP_400_BAD_REQUEST
        heading = _("This request cannot be used")
        message = (
            str(exception)
            if isinstance(exception, OddInput)
            else _("The request could not be understood. Go back and try again.")
        )
    if request.path.startswith("/api/"):
        body = odd_input_body(exception) if isinstance(exception, OddInput) else {"detail": message}
        return JsonResponse(body, status=code)
    return render(
        request, "portal/bad_request.html", {"heading": heading, "message": message}, status=code
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The project's handler404: under /api/ the API's error body, elsewhere Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)
