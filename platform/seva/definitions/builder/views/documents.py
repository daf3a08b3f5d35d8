"""A draft's document as the citizen would get it, in one language, before anything is issued:
the PDF drawn by the renderer the documents app registers (definitions.previews), filled
with the form's example. A document that has problems answers a page listing them."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from seva.expressions.language import ExpressionError
from seva.workflows.engine import compile_workflow

from ...draft_checks import FORM, SERVICE, WORKFLOW, DraftProblem
from ...models import ServiceDraft
from ...previews import DOCUMENT_PREVIEW, PDF
from ...services import draft_problems
from ...spec import compile_service
from ..access import editable_draft

# The languages a document's preview is drawn in, each named in its own script.
PREVIEW_LANGUAGES = {"en": "English", "hi": "हिन्दी"}


def draft_document_pdf_view(
    request: HttpRequest, draft_id: int, code: str, language: str
) -> HttpResponse:
    draft = editable_draft(request, draft_id)
    if language not in settings.SEVA_LANGUAGES:
        raise Http404(f"Documents are not written in '{language}'.")
    index = _document_index(draft, code)
    problems = _blocking_problems(draft, index)
    if problems:
        return _refused(request, draft, code, language, problems)
    try:
        service = compile_service(draft.service_doc)
        workflow = compile_workflow(draft.workflow_doc)
        issue = service.issue(code)
        if issue is None:
            raise Http404(f"This draft issues no document '{code}'.")
        renderer = DOCUMENT_PREVIEW.get(PDF)
        pdf = renderer(
            service=service,
            issue=issue,
            form_schema=draft.form_schema,
            workflow=workflow,
            language=language,
        )
    except (KeyError, TypeError, ValueError, ExpressionError) as exc:
        # What the checks let through but the renderer cannot draw (or no renderer at all):
        # said on the page rather than as a server error.
        return _refused(
            request,
            draft,
            code,
            language,
            [DraftProblem(SERVICE, f"/issues/{index}", f"The preview cannot be drawn: {exc}")],
        )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="{draft.code}-{code}-{language}-preview.pdf"'
    )
    return response


def _document_index(draft: ServiceDraft, code: str) -> int:
    for index, issue in enumerate(draft.service_doc.get("issues") or ()):
        if isinstance(issue, dict) and issue.get("code") == code:
            return index
    raise Http404(f"This draft issues no document '{code}'.")


def _blocking_problems(draft: ServiceDraft, index: int) -> list[DraftProblem]:
    """The document's own problems, and the form's and workflow's: its placeholders are
    checked against them, so a preview of either broken would show a guess."""
    at = f"/issues/{index}"
    return [
        p
        for p in draft_problems(draft)
        if p.part in (FORM, WORKFLOW)
        or (p.part == SERVICE and (p.pointer == at or p.pointer.startswith(at + "/")))
    ]


def _refused(
    request: HttpRequest,
    draft: ServiceDraft,
    code: str,
    language: str,
    problems: list[DraftProblem],
) -> HttpResponse:
    return render(
        request,
        "definitions/draft_documents.html",
        {
            "draft": draft,
            "refused": {
                "code": code,
                "language": PREVIEW_LANGUAGES.get(language, language),
                "problems": problems,
            },
        },
        status=400,
    )
