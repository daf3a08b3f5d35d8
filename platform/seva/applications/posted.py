"""What a server-rendered page posted, read into the plain values the services take.

The services take dicts, strings and files, never a request or a QueryDict: the portal's and
the staff workspace's views read what their pages posted through here, and the API hands the
services the same values from JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from seva.definitions.selectors import workflow_for
from seva.formschemas.keywords import DRAFT_2020_12
from seva.formschemas.parsing import parse_submission

from .models import Application


@dataclass(frozen=True)
class PostedAction:
    """An action's page as posted: its remarks, its inputs parsed by the action's input
    schema, and the state the page was drawn in (a stale page then answers Conflict)."""

    remarks: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    expected_state: str | None = None


def action_posted(application: Application, action: str, post: Mapping[str, Any]) -> PostedAction:
    transition = workflow_for(application.service_version).transition(application.state, action)
    inputs = {}
    if transition is not None and transition.input_schema:
        schema = {"$schema": DRAFT_2020_12, **transition.input_schema}
        inputs = parse_submission(schema, post, fields=list(schema["properties"]))
    return PostedAction(
        remarks=post.get("remarks", ""),
        inputs=inputs,
        expected_state=post.get("state") or None,
    )
