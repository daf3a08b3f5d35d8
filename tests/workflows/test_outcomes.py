"""A file's outcomes are named once (seva.workflows.engine.Outcome): the workflow format's
meta-schema and the service builder offer exactly these."""

import json
from pathlib import Path

import seva.definitions
from seva.definitions.builder.forms.workflow import OUTCOMES
from seva.workflows.engine import Outcome


def test_the_workflow_format_and_the_builder_offer_the_engines_outcomes():
    metaschema = Path(seva.definitions.__file__).parent / "metaschemas" / "workflow.schema.json"
    text = metaschema.read_text(encoding="utf-8")
    enums = [
        node["enum"]
        for node in _nodes(json.loads(text))
        if isinstance(node, dict) and "enum" in node and "withdrawn" in node["enum"]
    ]
    assert enums == [[outcome.value for outcome in Outcome]]
    assert [outcome.value for outcome in Outcome] == OUTCOMES


def _nodes(node):
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value)
