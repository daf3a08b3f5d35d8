"""What the citizen's pages show: plain values in the citizen's language, built from the
models and the pinned workflow, so that templates stay simple."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from seva.applications.documents import document_fields
from seva.applications.models import Application, Document
from seva.applications.presenters import in_language
from seva.applications.selectors import (
    applications_visible_to,
)
from seva.core.errors import NotFound
from seva.definitions.selectors import workflow_for
from seva.formschemas.answers import error_summary


def own_application(*, user, reference: str) -> Application:
    try:
        return Application.objects.select_related(
            "service", "service_version", "office", "holder_role"
        ).get(reference=reference, applicant=user)
    except Application.DoesNotExist:
        raise NotFound(_("No application %(ref)s of yours.") % {"ref": reference}) from None


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
                "service_name": in_language(application.service_version.spec.name, language),
                "state_label": in_language(state.label, language),
                "with_citizen": state.with_citizen,
                "closed": state.terminal,
                "outcome": application.outcome,
                "submitted_at": timezone.localtime(application.submitted_at),
                "rts_due_at": timezone.localtime(application.rts_due_at),
            }
        )
    return rows


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


def demo_sms_box_open() -> bool:
    """The demo SMS box shows sign-in codes to anyone who asks: only in a demo, with the box
    turned on, DEBUG on and the demo app installed (`make run`). Production settings refuse
    to start with it on, and do not install the demo app."""
    return bool(settings.SEVA_DEMO_SMS_BOX and settings.DEBUG and apps.is_installed("seva.demo"))


def check_page_errors(
    schema: dict, errors: dict[str, list[str]], steps, *, language: str, draft
) -> list[dict]:
    """The error summary of the check-your-answers page: each error links to its step."""
    step_of = {name: step.id for step in steps for name in step.fields}
    summary = error_summary(schema, errors, language=language)
    for item in summary:
        step_id = step_of.get(item["path"].split(".")[0], steps[0].id)
        item["href"] = reverse("portal:apply-step", args=[draft.id, step_id]) + f"#{item['anchor']}"
    return summary
