"""The editors of a draft's parts: its details (the service file less its SMS), its form, its
workflow and its SMS templates, each a `PartEditor` told its tables and their document."""

from __future__ import annotations

from typing import Any

from seva.formschemas.builder import example_for
from seva.workflows.diagram import workflow_findings, workflow_svg
from seva.workflows.engine import compile_workflow

from ...draft_checks import DraftProblem
from ...models import ServiceDraft
from ...sms import SMS_VARIABLES
from ..forms.common import place_problems
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


def _is_sms(problem: DraftProblem) -> bool:
    return problem.pointer.startswith("/sms")


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
        return place_problems(tables["form"], problems, DETAIL_PLACES, None)

    def problems(self, draft: ServiceDraft) -> list[DraftProblem]:
        # The SMS templates' problems are the SMS editor's to show.
        return [p for p in super().problems(draft) if not _is_sms(p)]


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


draft_details_view = DetailsEditor().view
draft_form_view = FormEditor().view
draft_workflow_view = WorkflowEditor().view
draft_sms_view = SmsEditor().view
