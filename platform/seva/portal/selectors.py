"""What the citizen's pages show: plain values in the citizen's language, built from the
models and the pinned workflow, so that templates stay simple."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from seva.applications.documents import document_fields
from seva.applications.drafts import correcting_action
from seva.applications.models import Application, Document
from seva.applications.selectors import (
    application_clock,
    applications_visible_to,
    available_actions,
)
from seva.core.errors import NotFound
from seva.definitions.selectors import workflow_for
from seva.formschemas import rendering
from seva.formschemas.keywords import DRAFT_2020_12
from seva.notifications.models import Channel, OutboxMessage
from seva.org.models import Role
from seva.workflows.engine import CITIZEN, SYSTEM

from .models import CitizenProfile


def _text(texts: dict | None, language: str) -> str:
    if not isinstance(texts, dict):
        return ""
    return texts.get(language) or texts.get("en") or ""


def _role_names(language: str) -> dict[str, str]:
    return {
        code: (hi if language == "hi" else en)
        for code, en, hi in Role.objects.values_list("code", "name_en", "name_hi")
    }


def _office_name(application: Application, language: str) -> str:
    office = application.office
    return office.name_hi if language == "hi" else office.name_en


def own_application(*, user, reference: str) -> Application:
    try:
        return Application.objects.select_related(
            "service", "service_version", "office", "holder_role"
        ).get(reference=reference, applicant=user)
    except Application.DoesNotExist:
        raise NotFound(_("No application %(ref)s of yours.") % {"ref": reference}) from None


def language_of(user) -> str | None:
    profile = CitizenProfile.objects.filter(user=user).first()
    return profile.language if profile else None


@dataclass
class ApplicationView:
    reference: str
    service_name: str
    service_code: str
    state_label: str
    closed: bool
    outcome: str
    holder: str
    submitted_at: Any
    rts_due_at: Any
    closed_at: Any
    closed_within_rts: bool | None
    clock: Any
    with_citizen: bool
    timeline: list[dict] = field(default_factory=list)
    actions: list[dict] = field(default_factory=list)
    correcting_action: str | None = None
    documents: list[dict] = field(default_factory=list)
    feedback: Any = None
    next_steps: str = ""


def _timeline(
    application: Application, language: str, *, for_public: bool, for_applicant: bool = False
) -> list[dict]:
    workflow = workflow_for(application.service_version)
    roles = _role_names(language)
    labels = {t.action: _text(t.label, language) for t in workflow.transitions}
    input_schemas = {t.action: t.input_schema for t in workflow.transitions if t.input_schema}
    rows = []
    for event in application.events.order_by("sequence"):
        if event.kind == "submitted":
            what = _("Application submitted")
        elif event.kind == "escalated":
            what = _("Deadline passed: moved up to %(role)s") % {
                "role": roles.get(event.data.get("to_role"), "")
            }
        elif event.kind == "deadlines":
            what = _("Deadlines updated after a holiday was declared")
        else:
            what = labels.get(event.action, event.action)
        if event.actor_role == CITIZEN:
            by = _("You") if for_applicant else _("Applicant")
        elif event.actor_role == SYSTEM:
            by = _("Seva")
        else:
            by = roles.get(event.actor_role, event.actor_role)
        state = workflow.states.get(event.to_state)
        rows.append(
            {
                "at": timezone.localtime(event.at),
                "what": what,
                "by": by,
                "state": _text(state.label, language) if state else "",
                # Officers' remarks tell the citizen why (a return, a rejection); the public
                # page shows only what happened and when. Seva's own events are explained by
                # `what`, in the citizen's language; their stored remarks are for the staff.
                "remarks": "" if for_public or event.actor_role == SYSTEM else event.remarks,
                # What was entered with the action (what to correct, the reason for a
                # rejection, the verification found), laid out by its input schema.
                "details": []
                if for_public or event.kind != "action"
                else _action_details(input_schemas.get(event.action), event.data, language),
            }
        )
    return rows


def _action_details(schema: dict | None, data: Any, language: str) -> list[dict]:
    if not schema or not isinstance(data, dict) or not data:
        return []
    pages = rendering.answers({"$schema": DRAFT_2020_12, **schema}, data, language=language)
    return [
        {"label": row["label"], "value": row["value"]} for page in pages for row in page["rows"]
    ]


def _holder_text(application: Application, language: str, *, for_public: bool = False) -> str:
    workflow = workflow_for(application.service_version)
    state = workflow.state(application.state)
    if state.terminal:
        return ""
    if state.with_citizen:
        if for_public:
            return _("With the applicant: the office is waiting for them.")
        return _("With you: the office is waiting for you.")
    role = application.holder_role
    name = (role.name_hi if language == "hi" else role.name_en) if role else ""
    return _("With the %(role)s, %(office)s") % {
        "role": name,
        "office": _office_name(application, language),
    }


def application_view(
    *,
    application: Application,
    user,
    language: str,
    errors: dict | None = None,
    failed_action: str = "",
    post=None,
) -> ApplicationView:
    workflow = workflow_for(application.service_version)
    state = workflow.state(application.state)
    doc = application.service_version.service_doc
    actions = []
    for available in available_actions(user, application):
        transition = available.transition
        if transition.corrects_form:
            continue
        schema = (
            {"$schema": DRAFT_2020_12, **transition.input_schema}
            if transition.input_schema
            else None
        )
        own_errors = (
            {k.removeprefix("data."): v for k, v in (errors or {}).items()}
            if failed_action == transition.action
            else {}
        )
        data = (
            rendering.parse_submission(schema, post, fields=list(schema["properties"]))
            if (schema and post and failed_action == transition.action)
            else {}
        )
        actions.append(
            {
                "action": transition.action,
                "label": _text(transition.label, language),
                "remarks_required": transition.remarks_required,
                "remarks_error": own_errors.get("remarks"),
                "attachments_error": own_errors.get("attachments"),
                "inputs_html": rendering.render_fields(
                    schema, data, own_errors, fields=list(schema["properties"]), language=language
                )
                if schema
                else "",
                "terminal": workflow.state(transition.target).terminal,
            }
        )
    next_steps = ""
    if not state.terminal:
        next_steps = _text(state.label, language)
    return ApplicationView(
        reference=application.reference,
        service_name=_text(doc["name"], language),
        service_code=application.service.code,
        state_label=_text(state.label, language),
        closed=state.terminal,
        outcome=application.outcome,
        holder=_holder_text(application, language),
        submitted_at=timezone.localtime(application.submitted_at),
        rts_due_at=timezone.localtime(application.rts_due_at),
        closed_at=timezone.localtime(application.closed_at) if application.closed_at else None,
        closed_within_rts=application.closed_within_rts,
        clock=application_clock(application),
        with_citizen=state.with_citizen,
        timeline=_timeline(
            application,
            language,
            for_public=False,
            for_applicant=application.applicant_id == user.pk,
        ),
        actions=actions,
        correcting_action=correcting_action(application)
        if application.applicant_id == user.pk
        else None,
        documents=[
            {
                "name": d.original_name,
                "url": reverse("portal:document", args=[d.token]),
                "size": d.size,
                # An officer's attachment names the step it came with.
                "step": _step_label(workflow, d.event.action, language) if d.event_id else "",
            }
            for d in application.documents.select_related("event").order_by("uploaded_at")
        ],
        feedback=getattr(application, "feedback", None),
        next_steps=next_steps,
    )


def _step_label(workflow, action: str, language: str) -> str:
    transition = next((t for t in workflow.transitions if t.action == action), None)
    return _text(transition.label, language) if transition else action


def applications_summary(*, user, language: str) -> list[dict]:
    rows = []
    for application in (
        Application.objects.filter(applicant=user)
        .select_related("service_version", "office")
        .order_by("-submitted_at")
    ):
        workflow = workflow_for(application.service_version)
        state = workflow.state(application.state)
        rows.append(
            {
                "reference": application.reference,
                "service_name": _text(application.service_version.service_doc["name"], language),
                "state_label": _text(state.label, language),
                "with_citizen": state.with_citizen,
                "closed": state.terminal,
                "outcome": application.outcome,
                "submitted_at": timezone.localtime(application.submitted_at),
                "rts_due_at": timezone.localtime(application.rts_due_at),
            }
        )
    return rows


def public_status(*, reference: str, mobile: str, language: str) -> dict | None:
    """What anyone holding both the reference and the registered mobile number may see."""
    application = (
        Application.objects.select_related("service_version", "office", "holder_role")
        .filter(reference=reference, applicant_mobile=mobile)
        .first()
    )
    if application is None:
        return None
    workflow = workflow_for(application.service_version)
    state = workflow.state(application.state)
    return {
        "reference": application.reference,
        "service_name": _text(application.service_version.service_doc["name"], language),
        "state_label": _text(state.label, language),
        "closed": state.terminal,
        "holder": _holder_text(application, language, for_public=True),
        "submitted_at": timezone.localtime(application.submitted_at),
        "rts_due_at": timezone.localtime(application.rts_due_at),
        "closed_at": timezone.localtime(application.closed_at) if application.closed_at else None,
        "timeline": _timeline(application, language, for_public=True),
    }


def feedback_open(application: Application) -> bool:
    return application.is_closed and not hasattr(application, "feedback")


def document_for(*, user, token: str) -> Document:
    """A document its uploader may fetch, or anyone who may see its application."""
    visible = applications_visible_to(user).values("pk")
    document = Document.objects.filter(
        Q(owner=user) | Q(application__in=visible), token=token
    ).first()
    if document is None:
        raise NotFound(_("No such document."))
    return document


def document_names(*, user, data: dict, schema: dict) -> dict[str, dict]:
    tokens = [token for _path, token, _schema in document_fields(schema, data)]
    documents = Document.objects.filter(token__in=tokens, owner=user)
    return {d.token: {"name": d.original_name, "size": d.size} for d in documents}


def citizen_profile_of(user) -> CitizenProfile | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return CitizenProfile.objects.filter(user=user).first()


def demo_sms_box_open() -> bool:
    """The demo SMS box shows sign-in codes to anyone who asks: only in a demo, with the box
    turned on and DEBUG on (`make run`). Production settings refuse to start with it on."""
    return bool(settings.SEVA_DEMO_SMS_BOX and settings.DEBUG)


def demo_sms(*, mobile: str = "") -> list[OutboxMessage]:
    messages = OutboxMessage.objects.filter(channel=Channel.SMS).order_by("-created_at", "-id")
    if mobile:
        messages = messages.filter(recipient=mobile)
    return list(messages[:50])


def check_page_errors(
    schema: dict, errors: dict[str, list[str]], steps, *, language: str, draft
) -> list[dict]:
    """The error summary of the check-your-answers page: each error links to its step."""
    step_of = {name: step.id for step in steps for name in step.fields}
    summary = rendering.error_summary(schema, errors, language=language)
    for item in summary:
        step_id = step_of.get(item["path"].split(".")[0], steps[0].id)
        item["href"] = reverse("portal:apply-step", args=[draft.id, step_id]) + f"#{item['anchor']}"
    return summary
