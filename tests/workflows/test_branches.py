"""Synthetic applications through each branch of a workflow's conditions: values on both sides
of every number a condition tests, every choice of a text it tests, every combination of the
consultations' answers; and the states that some data leaves with no way out."""

from __future__ import annotations

import copy
import json

import pytest

from seva.definitions.lint import load_definitions
from seva.workflows.branches import explore_branches, synthetic_trials
from seva.workflows.engine import compile_workflow

from ..applications.test_new_service_from_files import root  # noqa: F401 (fixture)
from ..applications.test_routing_by_data import ROUTED_FORM

LABEL = {"en": "A label", "hi": "एक लेबल"}
FORM = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["area", "kind"],
    "properties": {
        "area": {"type": "number", "minimum": 0, "multipleOf": 0.01, "x-label": LABEL},
        "kind": {"type": "string", "enum": ["new", "renewal", "transfer"], "x-label": LABEL},
    },
    "examples": [{"area": 120.0, "kind": "new"}],
}


def _workflow(*transitions, consult=None) -> dict:
    pending = {"label": LABEL, "role": "tehsildar", "sla_days": 5}
    if consult:
        pending["consult"] = consult
    return {
        "code": "trial",
        "name": LABEL,
        "initial": "pending",
        "states": {
            "pending": pending,
            "done": {"label": LABEL, "terminal": True, "outcome": "approved"},
        },
        "transitions": [
            {"label": LABEL, "from": "pending", "to": "done", **t} for t in transitions
        ],
    }


def test_each_number_a_condition_tests_is_tried_on_both_sides_and_on_itself():
    workflow = compile_workflow(
        _workflow({"action": "big", "auto": True, "if": "data.area > 500.0"})
    )
    areas = sorted(data["area"] for _trial, data in synthetic_trials(FORM, workflow))
    assert areas == [120.0, 499.99, 500.0, 500.01]
    (branch,) = explore_branches(FORM, workflow).branches
    assert (branch.action, branch.held, branch.tried, branch.both_sides) == ("big", 1, 4, True)


def test_a_state_some_data_leaves_with_no_way_out_is_found():
    gap = _workflow(
        {"action": "big", "auto": True, "if": "data.area > 500.0"},
        {"action": "small", "auto": True, "if": "data.area < 500.0"},
    )
    report = explore_branches(FORM, compile_workflow(gap))
    assert [s.describe() for s in report.stuck] == [
        "state 'pending': on example 1 with area = 500.0, no action out of it applies"
    ]
    closed = copy.deepcopy(gap)
    closed["transitions"][1]["if"] = "data.area <= 500.0"
    assert explore_branches(FORM, compile_workflow(closed)).stuck == ()
    # An officer's action without a condition is always a way out.
    officer = copy.deepcopy(gap)
    officer["transitions"].append(
        {"action": "decide", "label": LABEL, "from": "pending", "to": "done", "roles": ["x"]}
    )
    assert explore_branches(FORM, compile_workflow(officer)).stuck == ()


def test_every_choice_of_a_text_is_tried():
    workflow = _workflow(
        {"action": "fresh", "auto": True, "if": 'data.kind == "new"'},
        {"action": "again", "auto": True, "if": 'data.kind == "renewal"'},
    )
    report = explore_branches(FORM, compile_workflow(workflow))
    assert {d["kind"] for _t, d in synthetic_trials(FORM, compile_workflow(workflow))} == {
        "new",
        "renewal",
        "transfer",
    }
    assert [s.trial.values for s in report.stuck] == [(("kind", "transfer"),)]


def test_every_combination_of_the_consultations_answers_is_tried():
    consult = [
        {"code": "fire", "label": LABEL, "role": "a", "days": 3},
        {"code": "pollution", "label": LABEL, "role": "b", "days": 5},
    ]
    only_cleared = _workflow(
        {"action": "cleared", "auto": True, "if": "consultations.objections == 0"},
        consult=consult,
    )
    report = explore_branches(FORM, compile_workflow(only_cleared))
    (branch,) = report.branches
    assert (branch.held, branch.tried) == (9, 16)  # 3 x 3 answers without an objection
    assert {dict(s.answers)["fire"] for s in report.stuck} >= {"objection"}
    both = copy.deepcopy(only_cleared)
    both["transitions"].append(
        {
            "action": "objected",
            "label": LABEL,
            "from": "pending",
            "to": "done",
            "auto": True,
            "if": "consultations.objections > 0",
        }
    )
    assert explore_branches(FORM, compile_workflow(both)).stuck == ()


def test_data_the_form_refuses_is_not_tried():
    workflow = compile_workflow(
        _workflow({"action": "tiny", "auto": True, "if": "data.area < 0.0"})
    )
    areas = {d["area"] for _t, d in synthetic_trials(FORM, workflow)}
    assert areas == {120.0, 0.0, 0.01}  # -0.01 is below the form's minimum


GAP = """
  - action: renew_small_quota
    label: {en: Renewed for a small quota, hi: कम कोटे के लिए नवीनीकृत}
    from: pending
    to: renewed
    auto: true
    if: "data.cartridges < 25"
  - action: refer_large_quota
    label: {en: Referred (large quota), hi: भेजा गया (बड़ा कोटा)}
    from: pending
    to: refused
    auto: true
    if: "data.cartridges > 25"
"""


@pytest.mark.django_db
def test_check_definitions_refuses_a_state_some_data_leaves_stuck(root):  # noqa: F811
    workflow = (root / "workflows_yaml/single_decision.yaml").read_text()
    # Only the two automatic actions leave 'pending': 25 cartridges match neither.
    head, _sep, _rest = workflow.partition("transitions:\n")
    (root / "workflows_yaml/single_decision.yaml").write_text(
        head + "transitions:\n" + GAP.lstrip("\n")
    )
    (root / "form_schemas/revenue/arms_licence_renewal.json").write_text(
        json.dumps(ROUTED_FORM, ensure_ascii=False)
    )
    problems = [
        p
        for p in load_definitions(root)[1]
        if p.pointer == "/states/pending" and "no action out of it applies" in p.message
    ]
    assert len(problems) == 1, problems
    assert problems[0].file == "workflows_yaml/single_decision.yaml"
    assert "with cartridges = 25, no action out of it applies" in problems[0].message
    assert "service_definitions/revenue/arms-licence-renewal.yaml" in problems[0].message
