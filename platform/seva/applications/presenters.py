"""How an application reads to a person: the view of one file (its state, who holds it, its
history, the actions the reader may take) for the citizen's portal, the officer's workspace
and the service centre, and what public tracking shows. Read-only; the interfaces draw it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from seva.core.money import rupees
from seva.definitions.selectors import workflow_for
from seva.formschemas.answers import answers
from seva.formschemas.drawing import render_fields
from seva.formschemas.keywords import DRAFT_2020_12
from seva.formschemas.parsing import parse_submission
from seva.org.models import Role
from seva.workflows.engine import CITIZEN, SYSTEM

from .drafts import correcting_action
from .models import Application
from .selectors import application_clock, available_actions


def in_language(texts: Mapping[str, str] | None, language: str) -> str:
    if not isinstance(texts, Mapping):
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
    labels = {t.action: in_language(t.label, language) for t in workflow.transitions}
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
        elif event.kind == "consultation":
            what = _consultation_text(workflow, event, language)
        elif event.kind == "fee":
            what = _fee_text(application, event, language)
        elif event.kind == "document":
            number = event.data.get("document", "")
            if event.action == "revoke_document":
                what = _("Document %(number)s revoked") % {"number": number}
            else:
                what = _("A corrected document is issued in place of %(number)s") % {
                    "number": number
                }
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
                "state": in_language(state.label, language) if state else "",
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


FEE_TEXTS = {
    "fee_due": gettext_lazy("%(fee)s due: Rs %(amount)s"),
    "fee_paid": gettext_lazy("%(fee)s paid: Rs %(amount)s, receipt %(receipt)s"),
    "fee_lapsed": gettext_lazy("%(fee)s not paid in time: the demand lapsed"),
    "fee_cancelled": gettext_lazy("%(fee)s no longer due"),
}


def _fee_text(application: Application, event, language: str) -> str:
    """A fee's row of the timeline: which fees fell due, were paid, lapsed or were cancelled,
    named in the reader's language, with the amount and the receipt."""
    spec = application.service_version.spec
    text = FEE_TEXTS.get(event.action)
    if text is None:
        return event.action
    rows = next((rows for rows in event.data.values() if isinstance(rows, list)), [])
    parts = []
    for row in rows:
        declared = spec.fee_spec(row.get("fee", ""))
        parts.append(
            str(text)
            % {
                "fee": in_language(declared.name, language) if declared else row.get("fee", ""),
                "amount": rupees(int(row.get("amount_paise") or 0)),
                "receipt": row.get("receipt", ""),
            }
        )
    return "; ".join(parts)


ANSWER_TEXTS = {
    "no_objection": gettext_lazy("no objection"),
    "conditions": gettext_lazy("no objection, on conditions"),
    "objection": gettext_lazy("objection"),
    "deemed": gettext_lazy("no answer in time: deemed no objection"),
}


def _consultation_text(workflow, event, language: str) -> str:
    """A consultation's row of the timeline: whom the file was sent to, or what one answered."""
    labels = {
        c.code: in_language(c.label, language)
        for state in workflow.states.values()
        for c in state.consult
    }
    if event.action == "consult":
        asked = [labels.get(o.get("consultation"), "") for o in event.data.get("opened", [])]
        return _("Opinions asked for: %(asked)s") % {"asked": ", ".join(a for a in asked if a)}
    code, answer = event.data.get("consultation"), event.data.get("answer", "")
    return _("%(asked)s: %(answer)s") % {
        "asked": labels.get(code, code or ""),
        "answer": ANSWER_TEXTS.get(answer, answer),
    }


def _action_details(schema: dict | None, data: Any, language: str) -> list[dict]:
    if not schema or not isinstance(data, dict) or not data:
        return []
    pages = answers({"$schema": DRAFT_2020_12, **schema}, data, language=language)
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
            parse_submission(schema, post, fields=list(schema["properties"]))
            if (schema and post and failed_action == transition.action)
            else {}
        )
        actions.append(
            {
                "action": transition.action,
                "label": in_language(transition.label, language),
                "remarks_required": transition.remarks_required,
                "remarks_error": own_errors.get("remarks"),
                "attachments_error": own_errors.get("attachments"),
                "inputs_html": render_fields(
                    schema, data, own_errors, fields=list(schema["properties"]), language=language
                )
                if schema
                else "",
                "terminal": workflow.state(transition.target).terminal,
            }
        )
    next_steps = ""
    if not state.terminal:
        next_steps = in_language(state.label, language)
    return ApplicationView(
        reference=application.reference,
        service_name=in_language(application.service_version.spec.name, language),
        service_code=application.service.code,
        state_label=in_language(state.label, language),
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
                "step": _step_label(workflow, d.event.action, language)
                if d.event is not None
                else "",
            }
            for d in application.documents.select_related("event").order_by("uploaded_at")
        ],
        feedback=getattr(application, "feedback", None),
        next_steps=next_steps,
    )


def _step_label(workflow, action: str, language: str) -> str:
    transition = next((t for t in workflow.transitions if t.action == action), None)
    return in_language(transition.label, language) if transition else action


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
        "service_name": in_language(application.service_version.spec.name, language),
        "state_label": in_language(state.label, language),
        "closed": state.terminal,
        "holder": _holder_text(application, language, for_public=True),
        "submitted_at": timezone.localtime(application.submitted_at),
        "rts_due_at": timezone.localtime(application.rts_due_at),
        "closed_at": timezone.localtime(application.closed_at) if application.closed_at else None,
        "timeline": _timeline(application, language, for_public=True),
    }
