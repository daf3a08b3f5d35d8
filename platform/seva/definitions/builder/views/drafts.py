"""A draft in the admin: its overview, its files as a download, the citizen's form as the
portal draws it (preview), its workflow walked through (dry run), and what moves it on:
review, sending back, publishing, discarding."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation

from seva.core.errors import ActionNotAllowed, ValidationFailed
from seva.expressions.language import ExpressionError
from seva.formschemas import wizard
from seva.formschemas.builder import example_for
from seva.formschemas.conditions import prune_hidden
from seva.formschemas.lint import LANGUAGE_NAMES
from seva.formschemas.parsing import parse_submission
from seva.formschemas.steps import form_declaration, form_steps
from seva.formschemas.validation import UnsupportedSchema, build_validator, validate_form_data
from seva.org.selectors import state_calendar
from seva.workflows.branches import explore_branches
from seva.workflows.diagram import workflow_findings, workflow_svg
from seva.workflows.dryrun import dry_run
from seva.workflows.engine import compile_workflow

from ...draft_checks import FORM, SERVICE, WORKFLOW, DraftProblem
from ...files import version_zip, versions_compare
from ...models import ServiceDraft
from ...selectors import can_edit_services, can_publish_services
from ...services import (
    DraftNotReady,
    draft_discard,
    draft_problems,
    draft_publish,
    draft_send_back,
    draft_submit,
)
from ..access import refused, visible_draft


def draft_view(request: HttpRequest, draft_id: int) -> HttpResponse:
    draft = visible_draft(request, draft_id)
    problems = draft_problems(draft)
    return render(
        request,
        "definitions/draft.html",
        {
            "draft": draft,
            "problems": problems,
            "parts": {
                part: [(p, *_editor_of(draft, p)) for p in problems if p.part == part]
                for part in (SERVICE, FORM, WORKFLOW)
            },
            "diagram": workflow_svg(draft.workflow_doc, id_prefix="wf"),
            "findings": workflow_findings(draft.workflow_doc),
            "revisions": draft.revisions.select_related("author")[:20],
            "can_edit": can_edit_services(request.user, draft.department),
            "can_publish": can_publish_services(request.user, draft.department),
            "changes": versions_compare(draft.based_on, draft) if draft.based_on else None,
        },
    )


# The service file's keys that have an editor of their own; the rest are the details'.
_SERVICE_KEY_EDITORS = {
    "sms": ("definitions:draft-sms", "SMS templates"),
    "issues": ("definitions:draft-documents", "Documents"),
    "fees": ("definitions:draft-fees", "Fees"),
}
_PART_EDITORS = {
    SERVICE: ("definitions:draft-details", "Details"),
    FORM: ("definitions:draft-form", "Form"),
    WORKFLOW: ("definitions:draft-workflow", "Workflow"),
}


def _editor_of(draft: ServiceDraft, problem: DraftProblem) -> tuple[str, str]:
    """(address, name) of the editor that shows `problem` beside its input."""
    name, label = _PART_EDITORS[problem.part]
    if problem.part == SERVICE:
        key = problem.pointer.split("/")[1] if problem.pointer.startswith("/") else ""
        name, label = _SERVICE_KEY_EDITORS.get(key, (name, label))
    return reverse(name, args=[draft.pk]), label


def draft_action_view(request: HttpRequest, draft_id: int, action: str) -> HttpResponse:
    if request.method != "POST":
        return redirect("definitions:draft", draft_id=draft_id)
    draft = visible_draft(request, draft_id)
    try:
        if action == "submit":
            draft_submit(draft=draft, user=request.user)
            messages.success(request, "Sent to the department's approver for review.")
        elif action == "publish":
            version = draft_publish(draft=draft, user=request.user)
            messages.success(
                request,
                f"Published as v{version.number}: new applications are filed on it from now.",
            )
            return redirect("definitions:service", code=draft.code)
        elif action == "send-back":
            draft_send_back(draft=draft, user=request.user, note=request.POST.get("note", ""))
            messages.success(request, "Sent back to the service administrators with your note.")
        elif action == "discard":
            draft_discard(draft=draft, user=request.user)
            messages.success(request, "The draft is discarded; nothing was published.")
            return redirect("definitions:services")
        else:
            raise Http404("No such action")
    except ActionNotAllowed as exc:
        raise refused(exc) from exc
    except DraftNotReady as exc:
        messages.error(request, exc.message)
    except ValidationFailed as exc:
        messages.error(request, " ".join(m for ms in exc.errors.values() for m in ms))
    return redirect("definitions:draft", draft_id=draft.pk)


def draft_files_view(request: HttpRequest, draft_id: int) -> HttpResponse:
    draft = visible_draft(request, draft_id)
    response = HttpResponse(version_zip(draft), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{draft.code}-draft.zip"'
    return response


def draft_preview_view(request: HttpRequest, draft_id: int) -> HttpResponse:
    """The citizen's form, step by step, drawn by the portal's own renderer in the language
    asked for; answers are checked as the portal checks them, and never kept."""
    draft = visible_draft(request, draft_id)
    language = request.GET.get("lang", "en")
    if language not in settings.SEVA_LANGUAGES:
        language = "en"
    schema = draft.form_schema
    with translation.override(language):
        steps = form_steps(schema, language)
        step = wizard.step_named(steps, request.GET.get("step")) or steps[0]
        data: dict = {}
        errors: dict[str, list[str]] = {}
        if request.method == "POST":
            data = prune_hidden(schema, parse_submission(schema, request.POST, fields=step.fields))
            errors = wizard.step_errors(validate_form_data(build_validator(schema), data), step)
        return render(
            request,
            "definitions/draft_preview.html",
            {
                "draft": draft,
                "language": language,
                "languages": [
                    (code, LANGUAGE_NAMES.get(code, code)) for code in settings.SEVA_LANGUAGES
                ],
                **wizard.step_page(
                    schema=schema,
                    steps=steps,
                    step=step,
                    data=data,
                    errors=errors,
                    language=language,
                ),
                "previous": wizard.step_before(steps, step),
                "next": wizard.step_after(steps, step),
                "declaration": form_declaration(schema, language),
                "checked": request.method == "POST",
            },
            status=400 if errors else 200,
        )


def draft_dry_run_view(request: HttpRequest, draft_id: int) -> HttpResponse:
    """A handful of synthetic applications pushed through the workflow, one per path, with
    each stage's deadline and the RTS due date, from today; and the form's example checked."""
    draft = visible_draft(request, draft_id)
    start = timezone.localdate()
    try:
        paths = dry_run(
            draft.workflow_doc, draft.service_doc, start=start, calendar=state_calendar()
        )
    except (KeyError, TypeError, ValueError):
        paths = None
    try:
        branches = explore_branches(draft.form_schema, compile_workflow(draft.workflow_doc))
    except (KeyError, TypeError, ValueError, ExpressionError):
        branches = None
    examples = draft.form_schema.get("examples") or [example_for(draft.form_schema)]
    try:
        example_errors = validate_form_data(build_validator(draft.form_schema), examples[0])
    except UnsupportedSchema:
        example_errors = {"": ["The form cannot be checked until its own problems are fixed."]}
    return render(
        request,
        "definitions/draft_dry_run.html",
        {
            "draft": draft,
            "start": start,
            "paths": paths,
            "branches": branches,
            "example": examples[0],
            "example_errors": example_errors,
        },
    )
