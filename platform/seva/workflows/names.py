"""The names a workflow's expressions read besides the form's answers (`data.<field>`).

- `application.<fact>`: facts of the application itself (its service, channel, date of
  submission, place and district), the same for every workflow;
- `inputs.<action>.<field>`: what an officer entered with an action (its `input_schema`), as
  last taken: a verified income, a certificate number;
- `consultations.*`: the answers of the offices a state consults (engine.Workflow);
- `fees.unpaid`: how many fees due in the file's current state are not paid yet (0 when
  none fell due there), so that an automatic action can leave a state once its fees are
  paid (`if: "fees.unpaid == 0"`; docs/definitions/workflow.md#fees).

Each with its type, so that the CEL checker can refuse a wrong one at check time.
"""

from __future__ import annotations

from typing import Any

from seva.expressions.language import Variables
from seva.formschemas.keywords import DRAFT_2020_12
from seva.formschemas.paths import schema_at
from seva.formschemas.rules import form_variables

from .engine import Workflow

APPLICATION_FACTS: Variables = (
    ("application.channel", "string"),  # online, service_centre, helpline, partner
    ("application.district", "string"),  # the code of the applicant's district
    ("application.place", "string"),  # the code of the place the applicant chose
    ("application.service", "string"),  # the service's code
    ("application.submitted_on", "string"),  # YYYY-MM-DD, in India
)
INPUTS = "inputs."
FACTS = "application."
FEES = "fees."
FEE_COUNTS: Variables = (("fees.unpaid", "int"),)

_KEPT: dict[int, tuple[Workflow, Variables]] = {}
_MOST_KEPT = 256


def _input_schema(schema: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": DRAFT_2020_12, **schema}


def input_variables(workflow: Workflow) -> Variables:
    """`inputs.<action>.<field>` for every field of every action's input_schema."""
    found: dict[str, str] = {}
    for transition in workflow.transitions:
        if not isinstance(transition.input_schema, dict):
            continue
        for name, kind in form_variables(_input_schema(transition.input_schema)):
            found[f"{INPUTS}{transition.action}.{name.removeprefix('data.')}"] = kind
    return tuple(sorted(found.items()))


def input_field(workflow: Workflow, name: str) -> dict[str, Any] | None:
    """The schema of the officer input `inputs.<action>.<field>`, if there is one."""
    action, _dot, path = name.removeprefix(INPUTS).partition(".")
    for transition in workflow.transitions:
        if transition.action == action and isinstance(transition.input_schema, dict):
            found = schema_at(transition.input_schema, path)
            if isinstance(found, dict):
                return found
    return None


def workflow_variables(workflow: Workflow) -> Variables:
    """Every name a condition of `workflow` may read besides the form's: the application's
    facts, the officers' inputs, the consultations' answers and the fees unpaid. Kept per
    workflow object
    (one per published version), so never derived per request."""
    entry = _KEPT.get(id(workflow))
    if entry is None or entry[0] is not workflow:
        if len(_KEPT) >= _MOST_KEPT:
            _KEPT.clear()
        names = (
            *APPLICATION_FACTS,
            *input_variables(workflow),
            *workflow.consultation_variables(),
            *FEE_COUNTS,
        )
        entry = _KEPT[id(workflow)] = (workflow, tuple(sorted(names)))
    return entry[1]
