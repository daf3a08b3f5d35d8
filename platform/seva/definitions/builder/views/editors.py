"""The editors of a draft's parts: its details (the service file less its SMS, documents and
fees), its form, its workflow, its SMS templates, the documents it issues and the fees paid
through Seva, each a `PartEditor` told its tables and their document."""

from __future__ import annotations

import contextlib
from typing import Any

from django.conf import settings

from seva.expressions.language import ExpressionError, Variables
from seva.formschemas.builder import example_for
from seva.formschemas.rules import form_variables
from seva.workflows.diagram import workflow_findings, workflow_svg
from seva.workflows.engine import compile_workflow
from seva.workflows.names import workflow_variables

from ...draft_checks import DraftProblem
from ...fees import amount_variables, budget_heads
from ...issued import DOCUMENT_FACTS
from ...models import ServiceDraft
from ...sms import SMS_VARIABLES
from ..forms.common import place_problems
from ..forms.documents import (
    DocumentFormSet,
    documents_from_rows,
    documents_initial,
    place_document_problems,
    roles_service_first,
    state_choices,
)
from ..forms.fees import (
    FeeFormSet,
    due_state_choices,
    fees_from_rows,
    fees_initial,
    head_choices,
    place_fee_problems,
)
from ..forms.form_schema import (
    FieldRowFormSet,
    FormTopForm,
    form_builder_initial,
    form_from_builder,
    place_form_problems,
)
from ..forms.service import DETAIL_PLACES, DetailsForm
from ..forms.sms import SmsFormSet, place_sms_problems, sms_from_rows, sms_initial
from ..forms.workflow import (
    StateFormSet,
    TransitionFormSet,
    WorkflowTopForm,
    place_workflow_problems,
    workflow_from_tables,
    workflow_initial,
)
from ..part_editor import PartEditor, RawText, Table, Tables
from .documents import PREVIEW_LANGUAGES


def _is_sms(problem: DraftProblem) -> bool:
    return problem.pointer.startswith("/sms")


def _is_document(problem: DraftProblem) -> bool:
    return problem.pointer == "/issues" or problem.pointer.startswith("/issues/")


def _is_fee(problem: DraftProblem) -> bool:
    return problem.pointer == "/fees" or problem.pointer.startswith("/fees/")


class DetailsEditor(PartEditor):
    document, template = "service_doc", "definitions/draft_details.html"
    tables = (Table("form", DetailsForm),)
    revision, saved = "details", "The details are"
    raw_text = RawText("yaml", "The service file (YAML)")

    def initial(self, doc: dict) -> dict[str, Any]:
        return {"form": DetailsForm.initial_from(doc)}

    def build(self, tables: Tables, doc: dict) -> dict:
        return tables["form"].apply_to(doc)

    def place(self, tables: Tables, problems: list[DraftProblem]) -> list[DraftProblem]:
        form = tables["form"]
        # A service with fees paid through Seva has no fee input: a problem of its `fee`
        # stands with the raw text.
        places = [(pointer, name) for pointer, name in DETAIL_PLACES if name in form.fields]
        return place_problems(form, problems, places, None)

    def problems(self, draft: ServiceDraft) -> list[DraftProblem]:
        # The SMS templates', the documents' and the fees' problems are their editors' to show.
        return [
            p for p in super().problems(draft) if not (_is_sms(p) or _is_document(p) or _is_fee(p))
        ]

    def form_options(self, draft: ServiceDraft) -> dict[str, dict[str, Any]]:
        return {"form": {"fees_through_seva": _fee_names(draft.service_doc)}}

    def context(self, draft: ServiceDraft, shown: dict) -> dict[str, Any]:
        return {"fees_through_seva": _fee_names(draft.service_doc)}


class FormEditor(PartEditor):
    document, template = "form_schema", "definitions/draft_form.html"
    tables = (Table("top", FormTopForm), Table("rows", FieldRowFormSet, "fields"))
    revision, saved = "form", "The form is"
    raw_text = RawText("json", "The form as JSON Schema")
    reports_check = True

    def initial(self, doc: dict) -> dict[str, Any]:
        top, rows, _design = form_builder_initial(doc)
        return {"top": top, "rows": rows}

    def build(self, tables: Tables, doc: dict) -> dict:
        return form_from_builder(tables["top"], tables["rows"], doc)

    def place(self, tables: Tables, problems: list[DraftProblem]) -> list[DraftProblem]:
        return place_form_problems(tables["top"], tables["rows"], problems)

    def from_raw(self, doc: dict) -> dict:
        if "examples" not in doc:
            doc["examples"] = [example_for(doc)]
        return doc


class WorkflowEditor(PartEditor):
    document, template = "workflow_doc", "definitions/draft_workflow.html"
    tables = (
        Table("top", WorkflowTopForm),
        Table("states", StateFormSet, "states"),
        Table("transitions", TransitionFormSet, "transitions"),
    )
    revision, saved = "workflow", "The workflow is"
    raw_text = RawText("yaml", "The workflow (YAML)")
    reports_check = True

    def initial(self, doc: dict) -> dict[str, Any]:
        top, states, transitions = workflow_initial(doc)
        return {"top": top, "states": states, "transitions": transitions}

    def build(self, tables: Tables, doc: dict) -> dict:
        return workflow_from_tables(tables["top"], tables["states"], tables["transitions"], doc)

    def place(self, tables: Tables, problems: list[DraftProblem]) -> list[DraftProblem]:
        return place_workflow_problems(
            tables["top"], tables["states"], tables["transitions"], problems
        )

    def context(self, draft: ServiceDraft, shown: dict) -> dict[str, Any]:
        return {
            "diagram": workflow_svg(shown, id_prefix="wf"),
            "findings": workflow_findings(shown),
        }


class SmsEditor(PartEditor):
    """No raw text and no "check": an edit is saved, or refused with its problems."""

    document, template = "service_doc", "definitions/draft_sms.html"
    tables = (Table("rows", SmsFormSet, "sms"),)
    revision, saved = "sms", "The SMS templates are"
    checks = False

    def initial(self, doc: dict) -> dict[str, Any]:
        return {"rows": sms_initial(doc)}

    def build(self, tables: Tables, doc: dict) -> dict:
        return sms_from_rows(tables["rows"], doc)

    def place(self, tables: Tables, problems: list[DraftProblem]) -> list[DraftProblem]:
        """Every SMS problem is shown on the page: one no row takes heads the table. The
        service file's other problems are the details editor's."""
        rows = tables["rows"]
        for problem in place_sms_problems(rows, [p for p in problems if _is_sms(p)]):
            rows.non_form_errors().append(problem.message)
        return []

    def context(self, draft: ServiceDraft, shown: dict) -> dict[str, Any]:
        try:
            events = sorted(compile_workflow(draft.workflow_doc).sms_events())
        except (KeyError, TypeError, ValueError):
            events = []
        return {"events": events, "variables": SMS_VARIABLES.names()}


class DocumentsEditor(PartEditor):
    """The documents the service issues (`issues`): no raw text and no "check", like the SMS
    editor; the details editor's raw text covers what the rows do not."""

    document, template = "service_doc", "definitions/draft_documents.html"
    tables = (Table("rows", DocumentFormSet, "issues"),)
    revision, saved = "documents", "The documents are"
    checks = False

    def initial(self, doc: dict) -> dict[str, Any]:
        return {"rows": documents_initial(doc)}

    def build(self, tables: Tables, doc: dict) -> dict:
        return documents_from_rows(tables["rows"], doc)

    def place(self, tables: Tables, problems: list[DraftProblem]) -> list[DraftProblem]:
        """Every document's problem is shown on the page: one no row takes heads the table.
        The service file's other problems are the details and SMS editors'."""
        rows = tables["rows"]
        for problem in place_document_problems(rows, [p for p in problems if _is_document(p)]):
            rows.non_form_errors().append(f"{problem.pointer}: {problem.message}")
        return []

    def form_options(self, draft: ServiceDraft) -> dict[str, dict[str, Any]]:
        sms = draft.service_doc.get("sms")
        return {
            "rows": {
                "states": state_choices(draft.workflow_doc),
                "sms_events": sorted(sms) if isinstance(sms, dict) else [],
                "roles": roles_service_first(draft.service_doc, draft.workflow_doc),
            }
        }

    def context(self, draft: ServiceDraft, shown: dict) -> dict[str, Any]:
        saved = [
            issue["code"]
            for issue in draft.service_doc.get("issues") or ()
            if isinstance(issue, dict) and isinstance(issue.get("code"), str)
        ]
        return {
            "previews": [
                (
                    code,
                    [
                        (language, PREVIEW_LANGUAGES.get(language, language))
                        for language in settings.SEVA_LANGUAGES
                    ],
                )
                for code in saved
            ],
            "names": _placeholder_names(draft),
        }


class FeesEditor(PartEditor):
    """The fees paid through Seva (`fees`): no raw text and no "check", like the documents
    editor; the details editor's raw text covers what the rows do not."""

    document, template = "service_doc", "definitions/draft_fees.html"
    tables = (Table("rows", FeeFormSet, "fees"),)
    revision, saved = "fees", "The fees are"
    checks = False

    def initial(self, doc: dict) -> dict[str, Any]:
        return {"rows": fees_initial(doc)}

    def build(self, tables: Tables, doc: dict) -> dict:
        return fees_from_rows(tables["rows"], doc)

    def problems(self, draft: ServiceDraft) -> list[DraftProblem]:
        return [p for p in super().problems(draft) if _is_fee(p)]

    def place(self, tables: Tables, problems: list[DraftProblem]) -> list[DraftProblem]:
        """Every fee's problem is shown on the page: one no row takes heads the table. So
        does, when a save is refused, every other problem of the service file, for an edit
        here may cause one elsewhere (a document printing a fee taken out)."""
        rows = tables["rows"]
        for problem in place_fee_problems(rows, [p for p in problems if _is_fee(p)]):
            rows.non_form_errors().append(f"{problem.pointer}: {problem.message}")
        for problem in problems:
            if not _is_fee(problem):
                rows.non_form_errors().append(
                    f"Elsewhere in the service file, {problem.pointer or '(whole file)'}: "
                    f"{problem.message}"
                )
        return []

    def form_options(self, draft: ServiceDraft) -> dict[str, dict[str, Any]]:
        return {
            "rows": {
                "states": due_state_choices(draft.workflow_doc),
                "heads": head_choices(budget_heads().values(), draft.department.code),
            }
        }

    def context(self, draft: ServiceDraft, shown: dict) -> dict[str, Any]:
        fee = draft.service_doc.get("fee")
        return {
            "outside_fee": fee
            if isinstance(fee, dict) and not draft.service_doc.get("fees")
            else None,
            "names": _amount_names(draft),
        }


def _fee_names(service_doc: dict) -> list[str]:
    """The English names of the service's fees paid through Seva (their codes where a name
    is missing)."""
    names = []
    for fee in service_doc.get("fees") or ():
        if isinstance(fee, dict):
            name = fee.get("name")
            english = name.get("en") if isinstance(name, dict) else None
            names.append(str(english or fee.get("code") or "?"))
    return names


def _amount_names(draft: ServiceDraft) -> Variables:
    """The names a fee's amount may read in this draft; none while the form or the workflow
    does not compile (their editors show why)."""
    with contextlib.suppress(KeyError, TypeError, ValueError, AttributeError, ExpressionError):
        return amount_variables(draft.form_schema, compile_workflow(draft.workflow_doc))
    return ()


def _placeholder_names(draft: ServiceDraft) -> Variables:
    """The names a placeholder may read in this draft: the form's, the workflow's and the
    document's; those of a form or workflow that does not compile are left out."""
    names: list[tuple[str, str]] = []
    with contextlib.suppress(KeyError, TypeError, ValueError, ExpressionError):
        names += form_variables(draft.form_schema)
    with contextlib.suppress(KeyError, TypeError, ValueError, AttributeError, ExpressionError):
        names += workflow_variables(compile_workflow(draft.workflow_doc))
    return (*names, *DOCUMENT_FACTS)


draft_details_view = DetailsEditor().view
draft_form_view = FormEditor().view
draft_workflow_view = WorkflowEditor().view
draft_sms_view = SmsEditor().view
draft_documents_view = DocumentsEditor().view
draft_fees_view = FeesEditor().view
