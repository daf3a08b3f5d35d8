"""Synthetic applications pushed through each branch of a workflow's conditions.

A condition (`if`) is tried on data made from the form's examples: for every number a
condition compares a field with, the values on both sides of it and the number itself; for
every text it compares a field with, that text and each other choice the field offers; for a
yes/no field, both. A state that consults offices is tried with every combination of their
answers. Only data the form itself accepts is tried: what the form refuses never reaches the
workflow.

Two findings come out: how often each condition held (a branch that no data takes, or one
that every data takes, is probably a mistake), and the states where some data leaves no way
out (every action out of the state has a condition, and none holds: the file would wait
for ever). A condition reading an officer's inputs, the application's facts or the fees
paid is not tried: it counts as a way out. Pure: documents in, findings out.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

from seva.formschemas.keywords import DRAFT_2020_12
from seva.formschemas.paths import get_path, set_path
from seva.formschemas.rules import COMPUTE, expression_holds, form_variables, with_computed
from seva.formschemas.validation import (
    UnsupportedSchema,
    build_validator,
    validate_form_data,
)

from .engine import CONSULTATION_COUNTS, Answer, Transition, Workflow
from .names import FACTS, FEES, INPUTS, workflow_variables

# Enough to cover the numbers and choices of real services, few enough for a page.
MOST_TRIALS = 400
# A state consulting more offices than this is tried on these answer patterns only: all
# alike, and each office objecting alone.
MOST_COMBINED = 4

_NUMBER = r"-?[0-9]+(?:\.[0-9]+)?"
_FIELD = r"data((?:\.[A-Za-z_][A-Za-z0-9_]*)+)"
_OPERATOR = r"(?:<=|>=|==|!=|<|>)"
_FIELD_FIRST = re.compile(rf"{_FIELD}\s*{_OPERATOR}\s*({_NUMBER})")
_NUMBER_FIRST = re.compile(rf"({_NUMBER})\s*{_OPERATOR}\s*{_FIELD}")
_TEXT = re.compile(rf"""{_FIELD}\s*(?:==|!=)\s*(?:"([^"]*)"|'([^']*)')""")
_ANY_FIELD = re.compile(_FIELD)
_ANSWERS = (Answer.NO_OBJECTION, Answer.CONDITIONS, Answer.OBJECTION, Answer.DEEMED)


@dataclass(frozen=True)
class Trial:
    """One synthetic application: what was set on the example (field -> value)."""

    example: int  # which of the form's examples it was made from (0-based)
    values: tuple[tuple[str, Any], ...]

    def describe(self) -> str:
        if not self.values:
            return f"example {self.example + 1} as it is"
        shown = ", ".join(f"{path} = {value!r}" for path, value in self.values)
        return f"example {self.example + 1} with {shown}"


@dataclass(frozen=True)
class Branch:
    """A condition on an action out of a state, and how often it held."""

    state: str
    action: str
    condition: str
    held: int
    tried: int

    @property
    def both_sides(self) -> bool:
        return 0 < self.held < self.tried


@dataclass(frozen=True)
class Stuck:
    """Data on which no action out of `state` applies."""

    state: str
    trial: Trial
    answers: tuple[tuple[str, str], ...] = ()  # the consultations' answers, if it consults

    def describe(self) -> str:
        told = self.trial.describe()
        if self.answers:
            told += " and the answers " + ", ".join(f"{c}: {a}" for c, a in self.answers)
        return f"state '{self.state}': on {told}, no action out of it applies"


@dataclass(frozen=True)
class BranchReport:
    trials: int
    branches: tuple[Branch, ...]
    stuck: tuple[Stuck, ...]


def _tested(workflow: Workflow) -> tuple[dict[str, set], set[str]]:
    """What the conditions compare fields with: field path -> literals; and every field they
    read."""
    literals: dict[str, set] = {}
    read: set[str] = set()
    for transition in workflow.transitions:
        source = transition.condition or ""
        read |= {m.lstrip(".") for m in _ANY_FIELD.findall(source)}
        for path, number in _FIELD_FIRST.findall(source):
            literals.setdefault(path.lstrip("."), set()).add(float(number))
        for number, path in _NUMBER_FIRST.findall(source):
            literals.setdefault(path.lstrip("."), set()).add(float(number))
        for path, double_quoted, single_quoted in _TEXT.findall(source):
            literals.setdefault(path.lstrip("."), set()).add(double_quoted or single_quoted)
    return literals, read


def _field_schema(form: dict, path: str) -> dict:
    node: Any = form
    for part in path.split("."):
        node = (node.get("properties") or {}).get(part) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def _values_to_try(kind: str, field: dict, literals: set) -> list[Any]:
    """The values a field is given: both sides of each number and the number; each text and
    each choice; both truth values."""
    numbers = [n for n in literals if isinstance(n, float)]
    if kind == "int":
        return sorted({int(n) + d for n in numbers for d in (-1, 0, 1)})
    if kind == "double":
        given = field.get("multipleOf")
        step = float(given) if isinstance(given, int | float) else 1.0
        return sorted({round(n + d * step, 6) for n in numbers for d in (-1, 0, 1)})
    if kind == "bool":
        return [True, False]
    if kind == "string":
        texts = {v for v in literals if isinstance(v, str)}
        choices = field.get("enum")
        offered = {c for c in choices if isinstance(c, str)} if isinstance(choices, list) else set()
        return sorted(texts | offered)
    return []


def synthetic_trials(form: dict, workflow: Workflow) -> list[tuple[Trial, dict]]:
    """(trial, data) for each synthetic application the form accepts: each example as it is,
    then with one field the conditions read changed at a time."""
    try:
        validator = build_validator({"$schema": DRAFT_2020_12, **form})
    except UnsupportedSchema:
        return []
    kinds = {name.removeprefix("data."): kind for name, kind in form_variables(form)}
    literals, read = _tested(workflow)
    examples = [e for e in form.get("examples") or [] if isinstance(e, dict)]
    found: list[tuple[Trial, dict]] = []
    seen: set[str] = set()
    for index, example in enumerate(examples):
        candidates: list[tuple[tuple[tuple[str, Any], ...], dict]] = [((), example)]
        for path in sorted(read):
            field = _field_schema(form, path)
            if path not in kinds or COMPUTE in field:
                continue  # a computed answer follows the others: it is not set
            for value in _values_to_try(kinds[path], field, literals.get(path, set())):
                if get_path(example, path) == value:
                    continue
                data = _copy(example)
                set_path(data, path, value)
                candidates.append((((path, value),), data))
        for values, data in candidates:
            computed = with_computed(form, data)
            key = repr(sorted(_flat(computed)))
            if key in seen or validate_form_data(validator, computed):
                continue
            seen.add(key)
            found.append((Trial(index, values), computed))
            if len(found) >= MOST_TRIALS:
                return found
    return found


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _flat(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [i for k, v in value.items() for i in _flat(v, f"{prefix}.{k}")]
    return [(prefix, repr(value))]


def _answer_patterns(codes: list[str]) -> list[tuple[tuple[str, str], ...]]:
    """The consultations' answers tried: every combination, or for many offices the answers
    all alike and each office objecting alone."""
    if not codes:
        return [()]
    if len(codes) <= MOST_COMBINED:
        return [
            tuple(zip(codes, (a.value for a in combination), strict=True))
            for combination in itertools.product(_ANSWERS, repeat=len(codes))
        ]
    alike = [tuple((c, a.value) for c in codes) for a in _ANSWERS]
    alone = [
        tuple((c, Answer.OBJECTION.value if c == odd else Answer.NO_OBJECTION.value) for c in codes)
        for odd in codes
    ]
    return alike + alone


def _consultation_values(
    workflow: Workflow, answers: tuple[tuple[str, str], ...]
) -> dict[str, object]:
    values: dict[str, object] = {
        name: "" for name, kind in workflow.consultation_variables() if kind == "string"
    }
    given = [a for _c, a in answers]
    values.update({f"consultations.{code}": answer for code, answer in answers})
    counts = {
        "open": 0,
        "objections": given.count(Answer.OBJECTION.value),
        "conditions": given.count(Answer.CONDITIONS.value),
    }
    values.update({f"consultations.{name}": counts[name] for name in CONSULTATION_COUNTS})
    return values


def _undetermined(transition: Transition) -> bool:
    """A condition reading what no synthetic application has (an officer's inputs, the
    application's facts, the fees paid): it may hold or not, so it is not tried, and counts
    as a way out."""
    source = transition.condition or ""
    return INPUTS in source or FACTS in source or FEES in source


def _holds(
    transition: Transition, form: dict, data: dict, workflow: Workflow, answers: dict
) -> bool:
    if transition.condition and not expression_holds(
        form,
        transition.condition,
        data,
        extra_variables=workflow_variables(workflow),
        extra_values=answers,
    ):
        return False
    if transition.when:
        try:
            return build_validator({"$schema": DRAFT_2020_12, **transition.when}).is_valid(data)
        except UnsupportedSchema:
            return False
    return True


def explore_branches(form: dict, workflow: Workflow) -> BranchReport:
    """Each condition of `workflow` tried on synthetic applications made from `form`."""
    trials = synthetic_trials(form, workflow)
    held: dict[tuple[str, str], list[int]] = {}
    stuck: list[Stuck] = []
    for code, state in workflow.states.items():
        if state.terminal:
            continue
        exits = workflow.transitions_from(code)
        conditional = [t for t in exits if (t.condition or t.when) and not _undetermined(t)]
        unconditional = [t for t in exits if t not in conditional]
        reads_answers = any("consultations." in (t.condition or "") for t in conditional)
        patterns = _answer_patterns([c.code for c in state.consult]) if reads_answers else [()]
        for trial, data in trials:
            for answers in patterns:
                values = _consultation_values(workflow, answers) if answers else {}
                holding = {t.action for t in conditional if _holds(t, form, data, workflow, values)}
                for t in conditional:
                    count = held.setdefault((code, t.action), [0, 0])
                    count[0] += t.action in holding
                    count[1] += 1
                way_out = holding or unconditional
                if exits and not way_out:
                    stuck.append(Stuck(code, trial, answers))
    branches = tuple(
        Branch(state, t.action, t.condition or "(when)", *held[(state, t.action)])
        for state in workflow.states
        for t in workflow.transitions_from(state)
        if (state, t.action) in held
    )
    return BranchReport(trials=len(trials), branches=branches, stuck=tuple(stuck))
