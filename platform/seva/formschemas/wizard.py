"""A form answered step by step (the portal's application, the service centre's filing, the
service builder's preview): which step, which of the form's errors are this step's, where to
go next, and what a step page shows. Plain values in and out; the views add the request."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .answers import error_summary
from .conditions import prune_hidden
from .drawing import render_fields
from .parsing import apply_row_commands, parse_submission, replace_step_answers
from .paths import set_path
from .rules import with_computed
from .steps import Step, form_title


def step_named(steps: Sequence[Step], step_id: str | None) -> Step | None:
    return next((step for step in steps if step.id == step_id), None)


def step_errors(errors: Mapping[str, list[str]], step: Step) -> dict[str, list[str]]:
    """The errors of the fields on `step` (keys are dotted paths under its fields)."""
    return {key: value for key, value in errors.items() if key.split(".")[0] in step.fields}


def step_after(steps: Sequence[Step], step: Step) -> Step | None:
    position = list(steps).index(step)
    return steps[position + 1] if position + 1 < len(steps) else None


def step_before(steps: Sequence[Step], step: Step) -> Step | None:
    position = list(steps).index(step)
    return steps[position - 1] if position else None


def step_page(
    *,
    schema: dict,
    steps: Sequence[Step],
    step: Step,
    data: Any,
    errors: Mapping[str, list[str]],
    language: str,
    documents: dict[str, dict] | None = None,
) -> dict[str, Any]:
    """What every step page shows: the form's title, the steps, this one and its number, its
    fields drawn with the answers and errors, and the summary of the errors."""
    return {
        "title": form_title(schema, language),
        "steps": steps,
        "step": step,
        "step_number": list(steps).index(step) + 1,
        "fields_html": render_fields(
            schema, data, dict(errors), fields=step.fields, language=language, documents=documents
        ),
        "error_summary": error_summary(schema, dict(errors), language=language),
    }


def step_answers(
    schema: dict,
    post: Mapping[str, Any],
    *,
    fields: list[str],
    saved: dict,
    uploaded: Mapping[str, str],
) -> tuple[dict, bool]:
    """One step as posted, merged into the `saved` answers: (the whole form's answers, and
    whether an "Add another" / "Remove" button was pressed rather than "Continue"). Files
    stored from the step (`uploaded`: their tokens by field path) take their fields' places
    before the repeatable groups' buttons are carried out; answers to fields that no longer
    apply are dropped."""
    posted = parse_submission(schema, post, fields=fields)
    for path, token in uploaded.items():
        set_path(posted, path, token)
    data = replace_step_answers(saved, posted, fields=fields)
    data, row_command = apply_row_commands(schema, data, post)
    return with_computed(schema, prune_hidden(schema, data)), row_command
