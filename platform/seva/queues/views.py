"""The staff workspace, inside the Wagtail admin: the officer's queue, an application laid
out from its form, its documents, history and clock, and the workflow's actions for the
officer's role, one at a time or in bulk. Every read starts from the officer's postings
(`queue_for`, `application_get_for`); every write goes through `application_act`, which
checks role, department and area again. An office a file's workflow consults reads the file
and answers its consultation here too (`consultation_answer`), without holding the file."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from seva.applications import presenters
from seva.applications.documents import ATTACHMENT_FIELD
from seva.applications.models import Application
from seva.applications.posted import action_posted
from seva.applications.selectors import application_get_for
from seva.applications.services import (
    application_act_bulk,
    application_act_with_files,
    consultation_answer,
)
from seva.core.errors import ActionNotAllowed, Conflict, NotFound, ValidationFailed
from seva.definitions.selectors import workflow_for
from seva.documents.selectors import document_file, documents_pending_for
from seva.documents.services import document_reissue, document_revoke
from seva.formschemas.answers import answers
from seva.org.routing import FLAG_LABELS
from seva.payments.selectors import fee_rows

from .issued import DocumentChangeFailed, issued_document_of, issued_rows
from .selectors import (
    ANSWER_CHOICES,
    COLOUR_LABELS,
    Colour,
    ConsultationShown,
    QueueFilters,
    consultations_shown,
    consultations_waiting_rows,
    queue_filter_choices,
    queue_for,
)

QUEUE_PAGE_SIZE = 50
LANGUAGE = "en"  # the workspace is in English; the citizen's answers are shown as given


class QueueFilterForm(forms.Form):
    q = forms.CharField(label="Reference, mobile or name", required=False, max_length=100)
    service = forms.ChoiceField(label="Service", required=False)
    state = forms.ChoiceField(label="Stage", required=False)
    channel = forms.ChoiceField(label="Channel", required=False)
    colour = forms.ChoiceField(label="Deadline", required=False)
    min_age_days = forms.IntegerField(
        label="At least this many days old", required=False, min_value=0
    )
    max_age_days = forms.IntegerField(
        label="At most this many days old", required=False, min_value=0
    )

    def __init__(self, *args, choices: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for name, options in choices.items():
            self.fields[name].choices = [("", "Any"), *options]

    def filters(self) -> QueueFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return QueueFilters(
            service=data.get("service", ""),
            state=data.get("state", ""),
            channel=data.get("channel", ""),
            colour=data.get("colour", ""),
            min_age_days=data.get("min_age_days"),
            max_age_days=data.get("max_age_days"),
            search=data.get("q", ""),
        )


@dataclass
class BulkChoice:
    action: str
    label: str


def _bulk_actions(applications: list[Application]) -> list[BulkChoice]:
    """Actions the workflow marks `bulk` that leave some row's state and are open to the
    role holding it (every row of a queue is held by one of the officer's roles). Guards
    and the rest are checked per file when the action is taken."""
    seen: dict[str, BulkChoice] = {}
    for application in applications:
        workflow = workflow_for(application.service_version)
        for transition in workflow.transitions:
            if (
                transition.bulk
                and application.state in transition.sources
                and application.holder_role.code in transition.roles
                and transition.action not in seen
            ):
                seen[transition.action] = BulkChoice(
                    transition.action, transition.label.get("en", transition.action)
                )
    return list(seen.values())


def queue_view(request: HttpRequest) -> HttpResponse:
    choices = queue_filter_choices(request.user)
    form = QueueFilterForm(request.GET or None, choices=choices)
    queue = queue_for(request.user, form.filters())
    page = Paginator(queue.items, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    service_names = dict(choices["service"])
    for app in rows:
        app.colour_label = COLOUR_LABELS[Colour(app.colour)]
        app.flag_label = FLAG_LABELS.get(app.holder_flag, "")
        app.service_label = service_names.get(app.service.code, app.service.code)
        state = workflow_for(app.service_version).state(app.state)
        app.state_label = state.label.get(LANGUAGE, app.state)
    filters = request.GET.copy()
    filters.pop("page", None)
    return render(
        request,
        "queues/queue.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "counts": [
                {"colour": c.value, "label": COLOUR_LABELS[c], "count": queue.counts[c.value]}
                for c in Colour
            ],
            "total": queue.total,
            "bulk_actions": _bulk_actions(rows),
            # An office consulted on other departments' files: often its only work here.
            "consultations": consultations_waiting_rows(request.user, language=get_language()),
            # The filters, kept on the links to other pages.
            "filter_query": filters.urlencode(),
            # A bulk approval's certificates are signed by workers, one by one, after it.
            "documents_pending": documents_pending_for(request.user),
        },
    )


def _visible(request: HttpRequest, reference: str) -> Application:
    try:
        return application_get_for(request.user, reference=reference)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@dataclass(frozen=True)
class ConsultationAnswerPosted:
    """An answer to a consultation that the service refused, shown again beside its form."""

    code: str
    answer: str
    remarks: str
    errors: dict


def _answer_form(consultation: ConsultationShown, failed: ConsultationAnswerPosted | None) -> dict:
    """The answer form of an open consultation the reader may answer: empty, or as posted
    with the service's errors beside its fields."""
    form = {"code": consultation.code, "asked": consultation.asked}
    if failed is None or failed.code != consultation.code:
        return {**form, "answer": "", "remarks": "", "errors": {}}
    return {**form, "answer": failed.answer, "remarks": failed.remarks, "errors": failed.errors}


def application_view(
    request: HttpRequest,
    reference: str,
    *,
    errors=None,
    failed_action="",
    failed_answer: ConsultationAnswerPosted | None = None,
    failed_document: DocumentChangeFailed | None = None,
    status=200,
):
    application = _visible(request, reference)
    view = presenters.application_view(
        application=application,
        user=request.user,
        language=LANGUAGE,
        errors=errors,
        failed_action=failed_action,
        post=request.POST if failed_action else None,
    )
    schema = application.service_version.form_schema
    documents = {
        d.token: {"name": d.original_name, "size": d.size} for d in application.documents.all()
    }
    state = workflow_for(application.service_version).state(application.state)
    consultations = consultations_shown(application, request.user, language=get_language())
    return render(
        request,
        "queues/application.html",
        {
            "application": application,
            "view": view,
            "state": state,
            "answers": answers(schema, application.data, language=LANGUAGE, documents=documents),
            "flag_label": FLAG_LABELS.get(application.holder_flag, ""),
            "consultations": consultations,
            "answer_forms": [_answer_form(c, failed_answer) for c in consultations if c.answerable],
            "answer_choices": ANSWER_CHOICES,
            "issued": issued_rows(
                application,
                request.user,
                language=get_language() or LANGUAGE,
                failed=failed_document,
            ),
            "fees": fee_rows(application, get_language() or LANGUAGE),
        },
        status=status,
    )


@require_POST
def act_view(request: HttpRequest, reference: str) -> HttpResponse:
    application = _visible(request, reference)
    action = request.POST.get("action", "")
    try:
        posted = action_posted(application, action, request.POST)
        application_act_with_files(
            application=application,
            user=request.user,
            action=action,
            remarks=posted.remarks,
            inputs=posted.inputs,
            expected_state=posted.expected_state,
            files=request.FILES.getlist(ATTACHMENT_FIELD),
        )
    except ValidationFailed as exc:
        messages.error(request, "The action was not taken: correct the fields marked below.")
        return application_view(
            request, reference, errors=exc.errors, failed_action=action, status=400
        )
    except (ActionNotAllowed, Conflict) as exc:
        messages.error(request, exc.message)
        return redirect("queues:application", reference=reference)
    messages.success(request, f"{reference}: done.")
    return redirect("queues:queue")


def _asked(label: dict, code: str) -> str:
    return label.get(get_language() or "en") or label.get("en") or code


@require_POST
def consultation_answer_view(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    """A consulted officer's answer: no objection, no objection on conditions, or an
    objection. The file moves on by itself once its workflow says so."""
    application = _visible(request, reference)
    answer = request.POST.get("answer", "")
    remarks = request.POST.get("remarks", "")
    try:
        consultation = consultation_answer(
            application=application, user=request.user, code=code, answer=answer, remarks=remarks
        )
    except ValidationFailed as exc:
        messages.error(request, _("Your answer was not recorded: correct the fields marked below."))
        posted = ConsultationAnswerPosted(
            code=code, answer=answer, remarks=remarks, errors=exc.errors
        )
        return application_view(request, reference, failed_answer=posted, status=400)
    except (ActionNotAllowed, Conflict) as exc:
        messages.error(request, exc.message)
        return redirect("queues:application", reference=reference)
    messages.success(
        request,
        _("%(reference)s: your answer on “%(asked)s” is recorded.")
        % {"reference": reference, "asked": _asked(consultation.label, code)},
    )
    return redirect("queues:application", reference=reference)


@require_POST
def bulk_view(request: HttpRequest) -> HttpResponse:
    """One action over the selected files: each is checked and done on its own, and the
    result of each is shown."""
    references = request.POST.getlist("reference")
    results = application_act_bulk(
        user=request.user,
        action=request.POST.get("action", ""),
        references=references,
        remarks=request.POST.get("remarks", ""),
        states={r: request.POST.get(f"state-{r}", "") for r in references},
    )
    action = request.POST.get("action", "")
    if not results:
        messages.error(request, "Select at least one application.")
        return redirect("queues:queue")
    return render(
        request,
        "queues/bulk_result.html",
        {
            "results": results,
            "action": action,
            "documents_pending": documents_pending_for(request.user),
        },
    )


# ------------------------------------------------------------------------------
# Documents issued on the file: the signed PDFs, revocation and correction
# ------------------------------------------------------------------------------
def issued_file_view(
    request: HttpRequest, reference: str, public_id: str, language: str
) -> FileResponse:
    """One signed PDF of a document issued on a file the officer may read."""
    application = _visible(request, reference)
    try:
        found = document_file(application, public_id=public_id, language=language)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    response = FileResponse(
        found.file.open("rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=f"{found.document.number.replace('/', '-')}-{found.language}.pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _document_change(request: HttpRequest, reference: str, public_id: str, change: str):
    """Revoke (`change="revoke"`) or correct (`"reissue"`) one of the file's documents,
    with the reason typed: the service decides who may, and its refusal is shown."""
    application = _visible(request, reference)
    document = issued_document_of(application, public_id)
    if document is None or not document.number:
        raise Http404(_("No such document on this application."))
    reason = request.POST.get("reason", "")
    act = document_revoke if change == "revoke" else document_reissue
    try:
        act(user=request.user, number=document.number, reason=reason)
    except ValidationFailed as exc:
        messages.error(request, _("The document was not changed: correct the field marked below."))
        failed = DocumentChangeFailed(
            public_id=public_id, change=change, reason=reason, errors=exc.errors
        )
        return application_view(request, reference, failed_document=failed, status=400)
    except (ActionNotAllowed, NotFound, Conflict) as exc:
        messages.error(request, exc.message)
        return redirect("queues:application", reference=reference)
    if change == "revoke":
        done = _("Document %(number)s is revoked.")
    else:
        done = _("A corrected document is being signed; once it is, it replaces %(number)s.")
    messages.success(request, done % {"number": document.number})
    return redirect("queues:application", reference=reference)


@require_POST
def document_revoke_view(request: HttpRequest, reference: str, public_id: str) -> HttpResponse:
    return _document_change(request, reference, public_id, "revoke")


@require_POST
def document_reissue_view(request: HttpRequest, reference: str, public_id: str) -> HttpResponse:
    return _document_change(request, reference, public_id, "reissue")
