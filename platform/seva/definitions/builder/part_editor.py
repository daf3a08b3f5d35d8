"""The editor of one part of a draft (its details, form, workflow, SMS templates or the
documents it issues), the same for each: the draft's document shown in tables (forms and form
sets) and, for most parts, as raw text; an edit posted from either is checked without saving
("check") or saved as a revision, refused when it adds a problem; the draft's problems shown
beside the inputs they are about, and those no input takes with the raw text. A part says only
what differs: its tables, how its document fills them and how they make it again, and where
problems go."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render

from seva.core.errors import ActionNotAllowed

from ..draft_checks import FORM, SERVICE, WORKFLOW, DraftProblem, bundle_problems
from ..models import ServiceDraft
from ..services import DraftEditRefused, draft_problems, draft_update
from .access import editable_draft, refused
from .forms.common import RawTextForm

# An editor's forms and form sets by the names its template gives them. Each part reads back
# the tables it declared, so their types are its own and not expressible here.
Tables = dict[str, Any]
Place = Callable[[list[DraftProblem]], list[DraftProblem]]

# The draft's three documents, by the name `draft_update` and `bundle_problems` give each.
DOCUMENT_PARTS = {"service_doc": SERVICE, "form_schema": FORM, "workflow_doc": WORKFLOW}


@dataclass(frozen=True)
class Table:
    """A form, or a form set (which has a `prefix`), named as the template names it."""

    name: str
    form_class: type[forms.BaseForm] | type[forms.BaseFormSet]
    prefix: str | None = None


@dataclass(frozen=True)
class RawText:
    """The whole document as text, for what the tables do not cover."""

    language: str  # "yaml" or "json"
    label: str


class PartEditor:
    """One part's editor; `view` is its page. A subclass sets the class attributes and fills
    `initial`, `build` and `place`."""

    document: ClassVar[str]  # the draft's document edited: a key of DOCUMENT_PARTS
    template: ClassVar[str]
    tables: ClassVar[tuple[Table, ...]]
    revision: ClassVar[str]  # the revision's name; an edit of the raw text adds its language
    saved: ClassVar[str]  # "The form is", followed by " saved."
    raw_text: ClassVar[RawText | None] = None
    # A posted "check" checks the edit without saving it (the SMS editor always saves).
    checks: ClassVar[bool] = True
    # The page offers "Check without saving" and says a check found nothing (200, `checked`);
    # elsewhere a check stays on the error page.
    reports_check: ClassVar[bool] = False

    def initial(self, doc: dict) -> dict[str, Any]:
        """What each table shows of the document, by the table's name."""
        raise NotImplementedError

    def build(self, tables: Tables, doc: dict) -> dict:
        """The document the valid tables describe; what they do not show is kept from `doc`."""
        raise NotImplementedError

    def place(self, tables: Tables, problems: list[DraftProblem]) -> list[DraftProblem]:
        """Put problems beside their inputs; returns those left for the raw text."""
        raise NotImplementedError

    def problems(self, draft: ServiceDraft) -> list[DraftProblem]:
        """The draft's problems this page shows."""
        part = DOCUMENT_PARTS[self.document]
        return [p for p in draft_problems(draft) if p.part == part]

    def from_raw(self, doc: dict) -> dict:
        """The document to save from the raw text's."""
        return doc

    def context(self, draft: ServiceDraft, shown: dict) -> dict[str, Any]:
        """What else the page shows, of the document as shown (saved, or as checked)."""
        return {}

    def form_options(self, draft: ServiceDraft) -> dict[str, dict[str, Any]]:
        """What a table's forms are made with besides their values, by the table's name:
        choices that come from the draft (its workflow's states, its SMS events)."""
        return {}

    def view(self, request: HttpRequest, draft_id: int) -> HttpResponse:
        draft = editable_draft(request, draft_id)
        doc: dict = getattr(draft, self.document)
        initial = self.initial(doc)
        options = self.form_options(draft)
        raw = self._raw_form(doc)
        shown, status, checked = doc, 200, None
        if request.method == "POST" and self.raw_text and "save_raw" in request.POST:
            raw = RawTextForm(
                request.POST, language=self.raw_text.language, label=self.raw_text.label
            )
            tables = self._shown(initial, options)
            if raw.is_valid():
                response, raw, _checked = self._check_or_save(
                    request,
                    draft,
                    raw,
                    _unplaced,
                    revision=f"{self.revision} ({self.raw_text.language.upper()})",
                    doc=self.from_raw(raw.cleaned_data["text"]),
                )
                if response is not None:
                    return response
            status = 400
        elif request.method == "POST":
            tables = self._bound(request.POST, initial, options)
            if all(table.is_valid() for table in tables.values()):
                shown = self.build(tables, doc)
                response, raw, checked = self._check_or_save(
                    request,
                    draft,
                    raw,
                    lambda found: self.place(tables, found),
                    revision=self.revision,
                    doc=shown,
                )
                if response is not None:
                    return response
            status = 200 if self.reports_check and checked == 0 else 400
        else:
            tables = self._shown(initial, options)
            raw = _with_problems(raw, self.place(tables, self.problems(draft)))
        context = {
            "draft": draft,
            **tables,
            "has_errors": _has_errors(*tables.values(), raw),
            **self.context(draft, shown),
        }
        if self.raw_text:
            context["raw"] = raw
        if self.reports_check:
            context["checked"] = checked
        return render(request, self.template, context, status=status)

    def _raw_form(self, doc: dict) -> RawTextForm | None:
        if self.raw_text is None:
            return None
        language, label = self.raw_text.language, self.raw_text.label
        return RawTextForm(
            initial={"text": RawTextForm.dump(doc, language)}, language=language, label=label
        )

    def _bound(
        self, data: QueryDict, initial: dict[str, Any], options: dict[str, dict[str, Any]]
    ) -> Tables:
        return {
            table.name: table.form_class(
                data,
                initial=initial[table.name],
                prefix=table.prefix,
                **_made_with(table, options),
            )
            for table in self.tables
        }

    def _shown(self, initial: dict[str, Any], options: dict[str, dict[str, Any]]) -> Tables:
        """The tables showing the document, ready for the definition checks to put their
        problems beside the inputs before anything is posted."""
        tables: Tables = {}
        for table in self.tables:
            if issubclass(table.form_class, forms.BaseFormSet):
                formset = table.form_class(
                    initial=initial[table.name],
                    prefix=table.prefix,
                    **_made_with(table, options),
                )
                formset.non_form_errors()
                for form in formset.forms:
                    _ready_for_problems(form)
                tables[table.name] = formset
            else:
                tables[table.name] = _ready_for_problems(
                    table.form_class(initial=initial[table.name], **_made_with(table, options))
                )
        return tables

    def _check_or_save(
        self,
        request: HttpRequest,
        draft: ServiceDraft,
        raw: RawTextForm | None,
        place: Place,
        *,
        revision: str,
        doc: dict,
    ) -> tuple[HttpResponse | None, RawTextForm | None, int | None]:
        """Check the edit `doc` without saving it, or save it as a revision named `revision`.
        `place` puts the problems beside their inputs and returns those it could not place,
        shown with the raw text. Returns (the redirect after a save or None, the raw text
        form, the number of problems a check found or None)."""
        if self.checks and "check" in request.POST:
            current = {
                "service_doc": draft.service_doc,
                "form_schema": draft.form_schema,
                "workflow_doc": draft.workflow_doc,
            }
            part = DOCUMENT_PARTS[self.document]
            found = [
                p
                for p in bundle_problems(**{**current, self.document: doc}, draft=draft)
                if p.part == part
            ]
            return None, _with_problems(raw, place(found)), len(found)
        try:
            problems, notes = draft_update(
                draft=draft, user=request.user, part=revision, **{self.document: doc}
            )
        except DraftEditRefused as exc:
            return None, _with_problems(raw, place(exc.problems)), None
        except ActionNotAllowed as exc:
            raise refused(exc) from exc
        _saved(request, problems, notes, self.saved)
        return redirect(request.path), raw, None


def _made_with(table: Table, options: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The keyword arguments that give a table's forms their `options`: a form set passes
    them to each of its forms."""
    given = options.get(table.name) or {}
    if not given:
        return {}
    if issubclass(table.form_class, forms.BaseFormSet):
        return {"form_kwargs": given}
    return given


def _ready_for_problems(form: forms.BaseForm) -> forms.BaseForm:
    """An unbound form made ready to carry the definition checks' problems beside its
    inputs (`add_error` needs `cleaned_data`), showing the document's values."""
    form.full_clean()  # unbound: an empty list of errors, and nothing cleaned
    form.cleaned_data = dict(form.initial)
    return form


def _unplaced(problems: list[DraftProblem]) -> list[DraftProblem]:
    """For an edit of the raw text: every problem is shown with the text."""
    return problems


def _with_problems(raw: RawTextForm | None, problems: list[DraftProblem]) -> RawTextForm | None:
    """The raw text form, unbound, showing the problems no other input took (an editor
    without raw text places every problem itself)."""
    if raw is not None and problems:
        raw.full_clean()  # the errors afresh: a posted text reaching here was valid
        raw.cleaned_data = {}
        for problem in problems:
            raw.add_error("text", str(problem))
    return raw


def _has_errors(*parts: forms.BaseForm | forms.BaseFormSet | None) -> bool:
    for part in parts:
        if isinstance(part, forms.BaseFormSet):
            if part.non_form_errors() or any(f.errors for f in part.forms):
                return True
        elif part is not None and part.errors:
            return True
    return False


def _saved(request: HttpRequest, problems: list[DraftProblem], notes: list[str], what: str) -> None:
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
