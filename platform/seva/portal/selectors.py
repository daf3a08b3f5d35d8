"""What the citizen's pages show: plain values in the citizen's language, built from the
models and the pinned workflow, so that templates stay simple."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.core.paginator import InvalidPage, Page, Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from seva.applications.documents import document_fields
from seva.applications.models import Application, ApplicationDraft, Document
from seva.applications.presenters import in_language
from seva.applications.selectors import (
    applications_visible_to,
)
from seva.core.errors import NotFound
from seva.definitions.models import ServiceVersion
from seva.definitions.selectors import workflow_for
from seva.formschemas.answers import error_summary


def own_application(*, user, reference: str) -> Application:
    try:
        return Application.objects.select_related(
            "service", "service_version", "office", "holder_role"
        ).get(reference=reference, applicant=user)
    except Application.DoesNotExist:
        raise NotFound(_("No application %(ref)s of yours.") % {"ref": reference}) from None


# The citizen's lists are paged: a citizen (or an agent filing for many) may have thousands
# of applications, and a page that loads them all grows the web process by gigabytes.
APPLICATIONS_PAGE_SIZE = 20
DRAFTS_PAGE_SIZE = 10
# What a row of "My applications" shows needs only the version's service document (its
# name; the workflow is compiled once per version and process), never its form or the
# answers: a page reads a few kilobytes, however large the forms.
_VERSION_FIELDS = ("id", "content_hash", "service_doc")


def _lean_versions() -> QuerySet[ServiceVersion]:
    return ServiceVersion.objects.only(*_VERSION_FIELDS)


def _page(items: QuerySet, *, number: int, size: int) -> Page:
    """Page `number` of `items` (counted by the database). Past the last page, NotFound:
    the first page of an empty list is an empty page."""
    try:
        return Paginator(items, size).page(number)
    except InvalidPage:
        raise NotFound(_("There is no page %(number)s.") % {"number": number}) from None


def applications_page(*, user, language: str, number: int = 1) -> tuple[Page, list[dict]]:
    """Page `number` of the citizen's applications, newest first, and its rows as the list
    shows them. Three queries whatever the number of applications: the count, the page, and
    the distinct service versions on it."""
    applications = (
        Application.objects.filter(applicant=user)
        .only(
            "reference",
            "service_version_id",
            "state",
            "outcome",
            "submitted_at",
            "rts_due_at",
        )
        .prefetch_related(Prefetch("service_version", queryset=_lean_versions()))
        .order_by("-submitted_at", "-pk")
    )
    page = _page(applications, number=number, size=APPLICATIONS_PAGE_SIZE)
    rows = []
    for application in page.object_list:
        version = application.service_version
        state = workflow_for(version).state(application.state)
        rows.append(
            {
                "reference": application.reference,
                "service_name": in_language(version.spec.name, language),
                "state_label": in_language(state.label, language),
                "with_citizen": state.with_citizen,
                "closed": state.terminal,
                "outcome": application.outcome,
                "submitted_at": timezone.localtime(application.submitted_at),
                "rts_due_at": timezone.localtime(application.rts_due_at),
            }
        )
    return page, rows


def drafts_page(*, user, language: str, number: int = 1) -> tuple[Page, list[dict]]:
    """Page `number` of the citizen's drafts not sent yet (corrections are reached from
    their application), the most recently saved first."""
    drafts = (
        ApplicationDraft.objects.filter(user=user, correcting__isnull=True)
        .only("id", "updated_at", "service__code", "service_version_id")
        .select_related("service")
        .prefetch_related(Prefetch("service_version", queryset=_lean_versions()))
        .order_by("-updated_at", "-pk")
    )
    page = _page(drafts, number=number, size=DRAFTS_PAGE_SIZE)
    rows = [
        {
            "service_code": draft.service.code,
            "service_name": in_language(draft.service_version.spec.name, language),
            "updated_at": timezone.localtime(draft.updated_at),
        }
        for draft in page.object_list
    ]
    return page, rows


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
