"""Services in the staff workspace: a department's services, each with its versions; a
version's three definition files as a download; two versions compared file by file; and
the editors of a draft (details, form, workflow, SMS), its preview and dry run, review and
publishing. Who sees which services: `selectors.services_managed_by`; who changes and
publishes them: the services, which refuse anybody else."""

from __future__ import annotations

import zipfile

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.forms.utils import ErrorDict
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation

from seva.core.errors import ActionNotAllowed, ValidationFailed
from seva.formschemas import wizard
from seva.formschemas.builder import example_for
from seva.formschemas.conditions import prune_hidden
from seva.formschemas.lint import LANGUAGE_NAMES
from seva.formschemas.parsing import parse_submission
from seva.formschemas.steps import form_declaration, form_steps
from seva.formschemas.validation import UnsupportedSchema, build_validator, validate_form_data
from seva.org.selectors import state_calendar
from seva.workflows.diagram import workflow_findings, workflow_svg
from seva.workflows.dryrun import dry_run
from seva.workflows.engine import compile_workflow

from . import forms as editor
from .draft_checks import FORM, SERVICE, WORKFLOW, DraftProblem, bundle_problems
from .files import version_zip, versions_compare
from .models import Service, ServiceDraft, ServiceVersion
from .selectors import (
    can_edit_services,
    can_publish_services,
    departments_editable_by,
    drafts_visible_to,
    services_managed_by,
)
from .services import (
    DraftEditRefused,
    DraftNotReady,
    draft_discard,
    draft_import,
    draft_problems,
    draft_publish,
    draft_send_back,
    draft_start_from_service,
    draft_start_new,
    draft_submit,
    draft_update,
    version_republish,
)
from .sms import SMS_VARIABLES


def _services(request: HttpRequest):
    try:
        return services_managed_by(request.user)
    except ActionNotAllowed as exc:
        raise PermissionDenied(exc.message) from exc


def _service(request: HttpRequest, code: str) -> Service:
    try:
        return _services(request).get(code=code)
    except Service.DoesNotExist:
        raise Http404("No such service among yours.") from None


def _version(service: Service, number: str) -> ServiceVersion:
    try:
        return service.versions.get(number=int(number))
    except (ValueError, ServiceVersion.DoesNotExist):
        raise Http404(f"{service.code} has no version {number}.") from None


def service_list_view(request: HttpRequest) -> HttpResponse:
    services = list(_services(request))
    return render(
        request,
        "definitions/service_list.html",
        {
            "services": services,
            "drafts": list(drafts_visible_to(request.user)),
            "can_build": departments_editable_by(request.user).exists(),
        },
    )


def service_detail_view(request: HttpRequest, code: str) -> HttpResponse:
    service = _service(request, code)
    versions = list(service.versions.order_by("-number"))
    if not versions:
        raise Http404(f"{service.code} has no version yet.")
    shown = service.current_version or versions[0]
    return render(
        request,
        "definitions/service_detail.html",
        {
            "service": service,
            "versions": versions,
            "doc": shown.service_doc,
            "draft": drafts_visible_to(request.user).filter(code=service.code).first(),
            "publications": service.publications.select_related("version", "published_by")[:20],
            "can_edit": can_edit_services(request.user, service.department),
            "can_publish": can_publish_services(request.user, service.department),
        },
    )


def version_files_view(request: HttpRequest, code: str, number: str) -> HttpResponse:
    service = _service(request, code)
    version = _version(service, number)
    response = HttpResponse(version_zip(version), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{service.code}-v{version.number}.zip"'
    return response


def versions_compare_view(request: HttpRequest, code: str) -> HttpResponse:
    service = _service(request, code)
    old = _version(service, request.GET.get("from", ""))
    new = _version(service, request.GET.get("to", ""))
    return render(
        request,
        "definitions/versions_compare.html",
        {"service": service, "old": old, "new": new, "changes": versions_compare(old, new)},
    )


# ------------------------------------------------------------------------------
# Building and changing services: drafts and their editors
# ------------------------------------------------------------------------------
def _refused(exc: ActionNotAllowed) -> PermissionDenied:
    return PermissionDenied(exc.message)


def _draft(request: HttpRequest, draft_id: int) -> ServiceDraft:
    try:
        return drafts_visible_to(request.user).get(pk=draft_id)
    except ActionNotAllowed as exc:
        raise _refused(exc) from exc
    except ServiceDraft.DoesNotExist:
        raise Http404("No such open draft among yours.") from None


def _editable_draft(request: HttpRequest, draft_id: int) -> ServiceDraft:
    draft = _draft(request, draft_id)
    if not can_edit_services(request.user, draft.department):
        raise PermissionDenied("Only the department's service administrators change its services.")
    return draft


def _shown(form):
    """An unbound form made ready to carry the definition checks' problems beside its
    inputs (`add_error` needs `cleaned_data`), showing the document's values."""
    form.cleaned_data = dict(form.initial)
    form._errors = ErrorDict()
    return form


def _bound_formset(formset_class, rows: list[dict], prefix: str):
    """A form set showing the rows of a document (and empty rows to add to), ready for the
    definition checks to put their problems beside its inputs before anything is posted."""
    formset = formset_class(initial=rows, prefix=prefix)
    formset.non_form_errors()
    for form in formset.forms:
        _shown(form)
    return formset


def _bound_form(form_class, values: dict, **kwargs):
    return _shown(form_class(initial=values, **kwargs))


def _has_errors(*parts) -> bool:
    for part in parts:
        if isinstance(part, forms.BaseFormSet):
            if part.non_form_errors() or any(f._errors for f in part.forms):
                return True
        elif part._errors:
            return True
    return False


def _part_problems(draft: ServiceDraft, *parts: str) -> list[DraftProblem]:
    return [p for p in draft_problems(draft) if p.part in parts]


def _saved(request: HttpRequest, draft: ServiceDraft, problems, notes, what: str):
    for note in notes:
        messages.info(request, note)
    left = len(problems)
    messages.success(
        request,
        f"{what} saved."
        + (
            f" The draft still has {left} problem(s) to fix before review."
            if left
            else " No problems found."
        ),
    )


def service_new_view(request: HttpRequest) -> HttpResponse:
    departments = departments_editable_by(request.user)
    if not departments.exists():
        raise PermissionDenied("Only a department's service administrator builds its services.")
    form = editor.NewServiceForm(request.POST or None, departments=departments)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                draft = draft_start_new(
                    user=request.user, department=form.cleaned_data["department"], **form.details()
                )
            except ActionNotAllowed as exc:
                raise _refused(exc) from exc
            except DraftEditRefused as exc:
                editor.place_problems(form, exc.problems, editor.NEW_SERVICE_PLACES, "name_en")
            else:
                messages.success(
                    request,
                    "The draft is made. Shape its form, workflow and SMS, then send it for review.",
                )
                return redirect("definitions:draft", draft_id=draft.pk)
        status = 400
    return render(request, "definitions/service_new.html", {"form": form}, status=status)


def service_edit_view(request: HttpRequest, code: str) -> HttpResponse:
    if request.method != "POST":
        return redirect("definitions:service", code=code)
    service = _service(request, code)
    try:
        draft = draft_start_from_service(user=request.user, service=service)
    except ActionNotAllowed as exc:
        raise _refused(exc) from exc
    return redirect("definitions:draft", draft_id=draft.pk)


MAX_IMPORT_BYTES = 1024 * 1024


def service_import_view(request: HttpRequest) -> HttpResponse:
    if not departments_editable_by(request.user).exists():
        raise PermissionDenied("Only a department's service administrator imports services.")
    errors: list[str] = []
    if request.method == "POST":
        upload = request.FILES.get("archive")
        try:
            files = _zip_files(upload)
            draft = draft_import(user=request.user, files=files)
        except ValueError as exc:
            errors = [str(exc)]
        except DraftEditRefused as exc:
            errors = [p.message if ":" in p.message else str(p) for p in exc.problems]
        except ActionNotAllowed as exc:
            errors = [exc.message]
        else:
            messages.success(request, f"Imported as a draft of {draft.code}.")
            return redirect("definitions:draft", draft_id=draft.pk)
    return render(
        request,
        "definitions/service_import.html",
        {"errors": errors},
        status=400 if errors else 200,
    )


def _zip_files(upload) -> dict[str, str]:
    """{name: text} of a downloaded service archive, refusing anything else."""
    if upload is None:
        raise ValueError("Choose the .zip file downloaded from a service (three definition files).")
    if upload.size > MAX_IMPORT_BYTES:
        raise ValueError("The file is larger than 1 MB; a service's files are far smaller.")
    try:
        archive = zipfile.ZipFile(upload)
        entries = [i for i in archive.infolist() if not i.is_dir()]
        if len(entries) > 10 or sum(i.file_size for i in entries) > 4 * MAX_IMPORT_BYTES:
            raise ValueError("The archive holds more than a service's three files.")
        return {i.filename: archive.read(i).decode("utf-8") for i in entries}
    except zipfile.BadZipFile as exc:
        raise ValueError(
            "This is not a .zip file; choose the file a service's Download gave you."
        ) from exc
    except UnicodeDecodeError as exc:
        raise ValueError("A file in the archive is not UTF-8 text.") from exc


def draft_view(request: HttpRequest, draft_id: int) -> HttpResponse:
    draft = _draft(request, draft_id)
    problems = draft_problems(draft)
    return render(
        request,
        "definitions/draft.html",
        {
            "draft": draft,
            "problems": problems,
            "parts": {
                part: [p for p in problems if p.part == part] for part in (SERVICE, FORM, WORKFLOW)
            },
            "diagram": workflow_svg(draft.workflow_doc, id_prefix="wf"),
            "findings": workflow_findings(draft.workflow_doc),
            "revisions": draft.revisions.select_related("author")[:20],
            "can_edit": can_edit_services(request.user, draft.department),
            "can_publish": can_publish_services(request.user, draft.department),
            "changes": versions_compare(draft.based_on, draft) if draft.based_on else None,
        },
    )


def draft_details_view(request: HttpRequest, draft_id: int) -> HttpResponse:
    draft = _editable_draft(request, draft_id)
    raw = editor.RawTextForm(
        initial={"text": editor.RawTextForm.dump(draft.service_doc, "yaml")},
        language="yaml",
        label="The service file (YAML)",
    )
    status = 200
    if request.method == "POST" and "save_raw" in request.POST:
        raw = editor.RawTextForm(request.POST, language="yaml", label="The service file (YAML)")
        form = _bound_form(editor.DetailsForm, editor.DetailsForm.initial_from(draft.service_doc))
        if raw.is_valid():
            response, raw, _checked = _check_or_save(
                request,
                draft,
                raw,
                _unplaced,
                what="The details are",
                revision="details (YAML)",
                service_doc=raw.cleaned_data["text"],
            )
            if response is not None:
                return response
        status = 400
    elif request.method == "POST":
        form = editor.DetailsForm(request.POST)
        if form.is_valid():
            response, raw, _checked = _check_or_save(
                request,
                draft,
                raw,
                lambda found: editor.place_problems(form, found, editor.DETAIL_PLACES, None),
                what="The details are",
                revision="details",
                service_doc=form.apply_to(draft.service_doc),
            )
            if response is not None:
                return response
        status = 400
    else:
        form = _bound_form(editor.DetailsForm, editor.DetailsForm.initial_from(draft.service_doc))
        raw_left = editor.place_problems(
            form,
            [p for p in _part_problems(draft, SERVICE) if not p.pointer.startswith("/sms")],
            editor.DETAIL_PLACES,
            None,
        )
        raw = _with_problems(raw, raw_left)
    return render(
        request,
        "definitions/draft_details.html",
        {"draft": draft, "form": form, "raw": raw, "has_errors": _has_errors(form, raw)},
        status=status,
    )


def _with_problems(raw, problems):
    """The raw text form, unbound, showing the problems no other input took."""
    if problems:
        raw.cleaned_data = {}
        raw._errors = ErrorDict()
        for problem in problems:
            raw.add_error("text", str(problem))
    return raw


def _unplaced(problems: list[DraftProblem]) -> list[DraftProblem]:
    """For an edit of the raw text: every problem is shown with the text."""
    return problems


def _check_or_save(request, draft, raw, place, *, what: str, revision: str, **docs):
    """ "Check without saving" or save an edit of one part (`docs`: service_doc=,
    form_schema= or workflow_doc=), kept as a revision named `revision`. `place` puts the
    problems beside their inputs and returns those it could not place, shown with the raw
    text. Returns (the redirect after a save or None, the raw text form, the number of
    problems a check found or None)."""
    (key,) = docs
    part = {"service_doc": SERVICE, "form_schema": FORM, "workflow_doc": WORKFLOW}[key]
    if "check" in request.POST:
        current = {
            "service_doc": draft.service_doc,
            "form_schema": draft.form_schema,
            "workflow_doc": draft.workflow_doc,
        }
        found = [p for p in bundle_problems(**{**current, **docs}, draft=draft) if p.part == part]
        return None, _with_problems(raw, place(found)), len(found)
    try:
        problems, notes = draft_update(draft=draft, user=request.user, part=revision, **docs)
    except DraftEditRefused as exc:
        return None, _with_problems(raw, place(exc.problems)), None
    except ActionNotAllowed as exc:
        raise _refused(exc) from exc
    _saved(request, draft, problems, notes, what)
    return redirect(request.path), raw, None


def draft_form_view(request: HttpRequest, draft_id: int) -> HttpResponse:
    draft = _editable_draft(request, draft_id)
    top_initial, rows_initial, _design = editor.form_builder_initial(draft.form_schema)
    raw = editor.RawTextForm(
        initial={"text": editor.RawTextForm.dump(draft.form_schema, "json")},
        language="json",
        label="The form as JSON Schema",
    )
    status, checked = 200, None
    if request.method == "POST" and "save_raw" in request.POST:
        raw = editor.RawTextForm(request.POST, language="json", label="The form as JSON Schema")
        top = _bound_form(editor.FormTopForm, top_initial)
        rows = _bound_formset(editor.FieldRowFormSet, rows_initial, "fields")
        if raw.is_valid():
            schema = raw.cleaned_data["text"]
            if "examples" not in schema:
                schema["examples"] = [example_for(schema)]
            response, raw, _checked = _check_or_save(
                request,
                draft,
                raw,
                _unplaced,
                what="The form is",
                revision="form (JSON)",
                form_schema=schema,
            )
            if response is not None:
                return response
        status = 400
    elif request.method == "POST":
        top = editor.FormTopForm(request.POST, initial=top_initial)
        rows = editor.FieldRowFormSet(request.POST, initial=rows_initial, prefix="fields")
        if top.is_valid() and rows.is_valid():
            schema = editor.form_from_builder(top, rows, draft.form_schema)
            response, raw, checked = _check_or_save(
                request,
                draft,
                raw,
                lambda found: editor.place_form_problems(top, rows, found),
                what="The form is",
                revision="form",
                form_schema=schema,
            )
            if response is not None:
                return response
        status = 400 if checked is None or checked else 200
    else:
        top = _bound_form(editor.FormTopForm, top_initial)
        rows = _bound_formset(editor.FieldRowFormSet, rows_initial, "fields")
        raw = _with_problems(
            raw, editor.place_form_problems(top, rows, _part_problems(draft, FORM))
        )
    return render(
        request,
        "definitions/draft_form.html",
        {
            "draft": draft,
            "top": top,
            "rows": rows,
            "raw": raw,
            "checked": checked,
            "has_errors": _has_errors(top, rows, raw),
        },
        status=status,
    )


def draft_workflow_view(request: HttpRequest, draft_id: int) -> HttpResponse:
    draft = _editable_draft(request, draft_id)
    top_initial, states_initial, transitions_initial = editor.workflow_initial(draft.workflow_doc)
    raw = editor.RawTextForm(
        initial={"text": editor.RawTextForm.dump(draft.workflow_doc, "yaml")},
        language="yaml",
        label="The workflow (YAML)",
    )
    shown_doc, status, checked = draft.workflow_doc, 200, None
    if request.method == "POST" and "save_raw" in request.POST:
        raw = editor.RawTextForm(request.POST, language="yaml", label="The workflow (YAML)")
        top = _bound_form(editor.WorkflowTopForm, top_initial)
        states = _bound_formset(editor.StateFormSet, states_initial, "states")
        transitions = _bound_formset(editor.TransitionFormSet, transitions_initial, "transitions")
        if raw.is_valid():
            response, raw, _checked = _check_or_save(
                request,
                draft,
                raw,
                _unplaced,
                what="The workflow is",
                revision="workflow (YAML)",
                workflow_doc=raw.cleaned_data["text"],
            )
            if response is not None:
                return response
        status = 400
    elif request.method == "POST":
        top = editor.WorkflowTopForm(request.POST, initial=top_initial)
        states = editor.StateFormSet(request.POST, initial=states_initial, prefix="states")
        transitions = editor.TransitionFormSet(
            request.POST, initial=transitions_initial, prefix="transitions"
        )
        if top.is_valid() and states.is_valid() and transitions.is_valid():
            doc = editor.workflow_from_tables(top, states, transitions, draft.workflow_doc)
            shown_doc = doc
            response, raw, checked = _check_or_save(
                request,
                draft,
                raw,
                lambda found: editor.place_workflow_problems(top, states, transitions, found),
                what="The workflow is",
                revision="workflow",
                workflow_doc=doc,
            )
            if response is not None:
                return response
        status = 400 if checked is None or checked else 200
    else:
        top = _bound_form(editor.WorkflowTopForm, top_initial)
        states = _bound_formset(editor.StateFormSet, states_initial, "states")
        transitions = _bound_formset(editor.TransitionFormSet, transitions_initial, "transitions")
        raw = _with_problems(
            raw,
            editor.place_workflow_problems(
                top, states, transitions, _part_problems(draft, WORKFLOW)
            ),
        )
    return render(
        request,
        "definitions/draft_workflow.html",
        {
            "draft": draft,
            "top": top,
            "states": states,
            "transitions": transitions,
            "raw": raw,
            "checked": checked,
            "has_errors": _has_errors(top, states, transitions, raw),
            "diagram": workflow_svg(shown_doc, id_prefix="wf"),
            "findings": workflow_findings(shown_doc),
        },
        status=status,
    )


def draft_sms_view(request: HttpRequest, draft_id: int) -> HttpResponse:
    draft = _editable_draft(request, draft_id)
    initial = editor.sms_initial(draft.service_doc)
    status = 200
    if request.method == "POST":
        rows = editor.SmsFormSet(request.POST, initial=initial, prefix="sms")
        if rows.is_valid():
            doc = editor.sms_from_rows(rows, draft.service_doc)
            try:
                problems, notes = draft_update(
                    draft=draft, user=request.user, part="sms", service_doc=doc
                )
            except DraftEditRefused as exc:
                for problem in editor.place_sms_problems(
                    rows, [p for p in exc.problems if p.pointer.startswith("/sms")]
                ):
                    rows._non_form_errors.append(problem.message)
            except ActionNotAllowed as exc:
                raise _refused(exc) from exc
            else:
                _saved(request, draft, problems, notes, "The SMS templates are")
                return redirect(request.path)
        status = 400
    else:
        rows = _bound_formset(editor.SmsFormSet, initial, "sms")
        for problem in editor.place_sms_problems(
            rows, [p for p in _part_problems(draft, SERVICE) if p.pointer.startswith("/sms")]
        ):
            rows._non_form_errors.append(problem.message)
    try:
        events = sorted(compile_workflow(draft.workflow_doc).sms_events())
    except (KeyError, TypeError, ValueError):
        events = []
    return render(
        request,
        "definitions/draft_sms.html",
        {
            "draft": draft,
            "rows": rows,
            "events": events,
            "variables": SMS_VARIABLES.names(),
            "has_errors": _has_errors(rows),
        },
        status=status,
    )


def draft_action_view(request: HttpRequest, draft_id: int, action: str) -> HttpResponse:
    if request.method != "POST":
        return redirect("definitions:draft", draft_id=draft_id)
    draft = _draft(request, draft_id)
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
        raise _refused(exc) from exc
    except DraftNotReady as exc:
        messages.error(request, exc.message)
    except ValidationFailed as exc:
        messages.error(request, " ".join(m for ms in exc.errors.values() for m in ms))
    return redirect("definitions:draft", draft_id=draft.pk)


def draft_files_view(request: HttpRequest, draft_id: int) -> HttpResponse:
    draft = _draft(request, draft_id)
    response = HttpResponse(version_zip(draft), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{draft.code}-draft.zip"'
    return response


def version_publish_view(request: HttpRequest, code: str, number: str) -> HttpResponse:
    if request.method != "POST":
        return redirect("definitions:service", code=code)
    service = _service(request, code)
    version = _version(service, number)
    try:
        version_republish(service=service, version=version, user=request.user)
    except ActionNotAllowed as exc:
        raise _refused(exc) from exc
    messages.success(
        request, f"v{version.number} is published again: new applications are filed on it."
    )
    return redirect("definitions:service", code=code)


def draft_preview_view(request: HttpRequest, draft_id: int) -> HttpResponse:
    """The citizen's form, step by step, drawn by the portal's own renderer in the language
    asked for; answers are checked as the portal checks them, and never kept."""
    draft = _draft(request, draft_id)
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
    draft = _draft(request, draft_id)
    start = timezone.localdate()
    try:
        paths = dry_run(
            draft.workflow_doc, draft.service_doc, start=start, calendar=state_calendar()
        )
    except (KeyError, TypeError, ValueError):
        paths = None
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
            "example": examples[0],
            "example_errors": example_errors,
        },
    )
