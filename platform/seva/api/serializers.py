"""Input shapes and output presenters. Output is plain data built from the models; no query
is made here that the view's selector did not already plan for."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from seva.applications.documents import ATTACHMENT_FIELD, ATTACHMENTS_PER_ACTION
from seva.applications.models import Application, Channel, Consultation
from seva.applications.selectors import AvailableAction, application_clock, consultations_of
from seva.dashboards.boards import BYS, KINDS
from seva.definitions.models import Service
from seva.definitions.selectors import workflow_for
from seva.definitions.spec import DocumentNeeded, Eligibility, Texts
from seva.documents.models import DocumentStatus, IssuedDocument
from seva.documents.selectors import status_of
from seva.documents.services import verify_url
from seva.queues.selectors import Colour
from seva.workflows.engine import ANSWERS_GIVEN

from .pagination import PageInput


# ------------------------------------------------------------------------------
# Input
# ------------------------------------------------------------------------------
def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


@extend_schema_field({"type": "object", "additionalProperties": True})
class JSONObjectField(serializers.JSONField):
    """JSON answers; described as an object, which is what the services accept (they say
    which field is wrong when it is not)."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        # PostgreSQL's jsonb cannot hold the NUL character; no answer needs one.
        if _has_nul(value):
            raise serializers.ValidationError("Text may not contain the NUL character.")
        return value


def keyword_safe(fields: dict) -> dict:
    """Serializer fields with `from_` renamed `from`: a field a Python keyword names is
    declared with a trailing underscore."""
    return {("from" if name == "from_" else name): field for name, field in fields.items()}


class SubmitInput(serializers.Serializer):
    service = serializers.SlugField(max_length=60)
    data = JSONObjectField(help_text="The form's answers, as the service's form schema asks.")
    language = serializers.ChoiceField(choices=["en", "hi"], required=False, default="en")


class DocumentInput(serializers.Serializer):
    service = serializers.SlugField(
        max_length=60,
        required=False,
        help_text="The service whose form field the file answers (not for an attachment).",
    )
    field = serializers.RegexField(
        r"^[a-z_][a-z0-9_]*(\.([a-z_][a-z0-9_]*|[0-9]+))*$", max_length=200
    )
    file = serializers.FileField()

    def validate(self, attrs):
        if attrs["field"] != ATTACHMENT_FIELD and not attrs.get("service"):
            raise serializers.ValidationError({"service": ["Name the service of the form."]})
        return attrs


class DeliveryReportInput(serializers.Serializer):
    message_id = serializers.CharField(max_length=100, help_text="The gateway's message id.")
    status = serializers.CharField(max_length=60, help_text="DELIVRD, delivered, FAILED ...")
    delivered_at = serializers.DateTimeField(required=False)


class ActionInput(serializers.Serializer):
    action = serializers.SlugField(max_length=40)
    remarks = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    data = JSONObjectField(
        required=False, default=dict, help_text="As the action's `input_schema` asks."
    )
    state = serializers.SlugField(
        max_length=40,
        required=False,
        help_text="The state you saw. If the application has moved on since, the answer is 409.",
    )
    attachments = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        default=list,
        max_length=ATTACHMENTS_PER_ACTION,
        help_text="Tokens of files uploaded to /api/v1/documents/ with field 'attachments'.",
    )


# ------------------------------------------------------------------------------
# Output
# ------------------------------------------------------------------------------
def service_summary(service: Service) -> dict[str, Any]:
    spec = service.current_version.spec
    return {
        "code": service.code,
        "kind": service.kind,
        "department": {
            "code": service.department.code,
            "name": {"en": service.department.name_en, "hi": service.department.name_hi},
        },
        "name": spec.name,
        "version": service.current_version.number,
        "rts": {"days": spec.rts.days, "day_type": spec.rts.day_type},
    }


def service_detail(service: Service) -> dict[str, Any]:
    spec = service.current_version.spec
    return {
        **service_summary(service),
        "description": spec.description,
        "eligibility": _eligibility(spec.eligibility),
        "documents": [_document(document) for document in spec.documents],
        "fee": (
            {
                "amount": None if spec.fee.depends_on_answers else spec.fee.amount,
                "depends_on_answers": spec.fee.depends_on_answers,
                **_note(spec.fee.note),
            }
            if spec.fee
            else {"amount": 0, "depends_on_answers": False}
        ),
        # Fees paid through Seva: each due in a workflow state, in paise (docs/payments.md).
        "fees": [
            {
                "code": fee.code,
                "name": fee.name,
                "amount_paise": fee.amount_paise,
                "depends_on_answers": fee.amount_paise is None,
                "due_in_state": fee.due,
                "head": fee.head,
                **_note(fee.note),
            }
            for fee in spec.fees
        ],
        "rts": {
            "days": spec.rts.days,
            "day_type": spec.rts.day_type,
            "act": spec.rts.act,
            "designated_officer": spec.rts.designated_officer,
            "first_appellate_authority": spec.rts.first_appellate_authority,
            "second_appellate_authority": spec.rts.second_appellate_authority,
        },
        "processing_level": spec.processing_level,
    }


def _eligibility(eligibility: Eligibility | None) -> dict[str, Any] | None:
    if eligibility is None:
        return None
    rules = [
        {"id": rule.id}
        | (
            {"if": rule.expression}
            if rule.expression is not None
            else {"fact": rule.fact, "condition": rule.condition}
        )
        | {"text": rule.text}
        for rule in eligibility.rules
    ]
    return {"summary": eligibility.summary} | ({"rules": rules} if rules else {})


def _document(document: DocumentNeeded) -> dict[str, Any]:
    shown = {"code": document.code, "name": document.name, "required": document.required}
    return shown | ({"field": document.field} if document.field else {})


def _note(note: Texts) -> dict[str, Any]:
    return {"note": note} if note else {}


def _iso(value) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def application_detail(application: Application) -> dict[str, Any]:
    workflow = workflow_for(application.service_version)
    state = workflow.state(application.state)
    holder = application.holder_role
    clock = application_clock(application)
    return {
        "reference": application.reference,
        "service": {
            "code": application.service.code,
            "name": application.service_version.spec.name,
            "version": application.service_version.number,
        },
        "state": {"code": application.state, "label": state.label, "terminal": state.terminal},
        "with_citizen": state.with_citizen,
        "holder": (
            {
                "role": {"code": holder.code, "name": {"en": holder.name_en, "hi": holder.name_hi}},
                "office": {
                    "code": application.office.code,
                    "name": {
                        "en": application.office.name_en,
                        "hi": application.office.name_hi,
                    },
                    "level": application.office.level,
                },
                "escalation_level": application.escalation_level,
            }
            if holder
            else None
        ),
        "channel": application.channel,
        "applicant": {"name": application.applicant_name, "mobile": application.applicant_mobile},
        "submitted_at": _iso(application.submitted_at),
        "stage_due_at": _iso(application.stage_due_at),
        "rts_due_at": _iso(application.rts_due_at),
        "clock": {
            "days_allowed": clock.days_allowed,
            "day_type": clock.day_type,
            "days_used": clock.days_used,
            "days_left": clock.days_left,
            "paused": clock.paused,
            "pauses": application.clock_pauses,
        },
        "closed_at": _iso(application.closed_at),
        "outcome": application.outcome or None,
        "closed_within_rts": application.closed_within_rts,
        "data": application.data,
        "consultations": [consultation_item(c) for c in consultations_of(application)],
        "history": [
            {
                "sequence": event.sequence,
                "at": _iso(event.at),
                "kind": event.kind,
                "actor": event.actor.get_username() if event.actor_id else None,
                "role": event.actor_role,
                "action": event.action,
                "from": event.from_state,
                "to": event.to_state,
                "remarks": event.remarks,
                "data": event.data,
            }
            for event in application.events.select_related("actor").order_by("sequence")
        ],
    }


def consultation_item(consultation: Consultation) -> dict[str, Any]:
    return {
        "code": consultation.code,
        "label": consultation.label,
        "state": consultation.state,
        "role": consultation.role.code,
        "department": consultation.department.code,
        "opened_at": _iso(consultation.opened_at),
        "due_at": _iso(consultation.due_at),
        "answer": consultation.answer or None,
        "answered_at": _iso(consultation.answered_at),
        "answered_by": consultation.answered_by.get_username()
        if consultation.answered_by_id
        else None,
        "remarks": consultation.remarks,
    }


def consultation_waiting(consultation: Consultation) -> dict[str, Any]:
    application = consultation.application
    return {
        "reference": application.reference,
        "service": application.service.code,
        **consultation_item(consultation),
    }


class ConsultationAnswerInput(serializers.Serializer):
    answer = serializers.ChoiceField(choices=[a.value for a in ANSWERS_GIVEN])
    remarks = serializers.CharField(
        max_length=4000,
        required=False,
        allow_blank=True,
        default="",
        help_text="The reasons for an objection, or the conditions; required for those.",
    )


def action_summary(available: AvailableAction) -> dict[str, Any]:
    transition = available.transition
    return {
        "action": transition.action,
        "label": transition.label,
        "to": transition.target,
        "as_role": available.role,
        "remarks": "required" if transition.remarks_required else "optional",
        "input_schema": transition.input_schema,
        "bulk": transition.bulk,
    }


class QueueInput(PageInput):
    """The queue's filters and page, as query parameters."""

    service = serializers.SlugField(required=False, allow_blank=True, default="")
    state = serializers.SlugField(required=False, allow_blank=True, default="")
    channel = serializers.ChoiceField(
        choices=[c.value for c in Channel], required=False, allow_blank=True, default=""
    )
    colour = serializers.ChoiceField(
        choices=[c.value for c in Colour], required=False, allow_blank=True, default=""
    )
    min_age_days = serializers.IntegerField(required=False, min_value=0, max_value=36500)
    max_age_days = serializers.IntegerField(required=False, min_value=0, max_value=36500)
    q = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)


def _choose(values) -> dict[str, str]:
    return {"invalid_choice": f"Choose one of: {', '.join(values)}."}


class DashboardInput(serializers.Serializer):
    """The RTS board's query parameters, checked for shape (in the words of
    seva.dashboards.filters, which then checks what they mean: codes that exist, a range that
    runs forwards)."""

    by = serializers.ChoiceField(
        choices=BYS, required=False, allow_blank=True, error_messages=_choose(BYS)
    )
    from_ = serializers.DateField(
        required=False,
        error_messages={"invalid": "Give a date as YYYY-MM-DD."},
        help_text="First day counted (YYYY-MM-DD).",
    )
    to = serializers.DateField(
        required=False,
        error_messages={"invalid": "Give a date as YYYY-MM-DD."},
        help_text="Last day counted (YYYY-MM-DD).",
    )
    kind = serializers.ChoiceField(
        choices=KINDS, required=False, allow_blank=True, error_messages=_choose(KINDS)
    )
    department = serializers.CharField(required=False, allow_blank=True, max_length=40)
    district = serializers.CharField(required=False, allow_blank=True, max_length=40)
    tehsil = serializers.CharField(required=False, allow_blank=True, max_length=40)
    office = serializers.CharField(
        required=False, allow_blank=True, max_length=40, help_text="Needed with by=officer."
    )

    def get_fields(self):
        return keyword_safe(super().get_fields())


def queue_item(application: Application) -> dict[str, Any]:
    return {
        "reference": application.reference,
        "service": application.service.code,
        "state": application.state,
        "holder_role": application.holder_role.code if application.holder_role_id else None,
        "holder_flag": application.holder_flag or None,
        "office": application.office.code,
        "applicant_name": application.applicant_name,
        "channel": application.channel,
        "submitted_at": _iso(application.submitted_at),
        "stage_due_at": _iso(application.stage_due_at),
        "rts_due_at": _iso(application.rts_due_at),
        "colour": application.colour,
    }


def issued_document(document: IssuedDocument, reference: str) -> dict[str, Any]:
    issue = document.application.service_version.spec.issue(document.code)
    status = status_of(document)
    issued = document.status != DocumentStatus.PENDING
    return {
        "code": document.code,
        "kind": document.kind,
        "name": dict(issue.name) if issue else {"en": document.kind},
        "number": document.number if issued else None,
        "status": status,
        "issued_on": document.issued_on if issued else None,
        "valid_until": document.valid_until if issued else None,
        "verify_url": verify_url(document) if issued else None,
        "supersedes": document.supersedes.number if document.supersedes_id else None,
        "files": [
            {
                "language": f.language,
                "url": reverse(
                    "api:application-document-file",
                    args=[reference, document.public_id, f.language],
                ),
                "sha256": f.sha256,
                "size": f.size,
            }
            for f in document.files.all()
        ]
        if issued
        else [],
    }
