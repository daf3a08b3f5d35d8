"""Eligibility questions ("facts") and the rules a service states over them.

The facts are data: service_definitions/_org/eligibility.yaml names each question, its
answer's type, its words in every language and, for a derived fact (age), the expression
that works it out from another (the date of birth). The portal asks them once and shows
each service whose rules all hold, with the rules as the reason; check_definitions checks
the file and every rule against it. A new fact needs no change in code.

A rule is either `{fact, condition}` (a JSON Schema on one answer) or `{if}` (an expression
over `facts.<name>`, docs/definitions/expressions.md#eligibility-rules).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from jsonschema import Draft202012Validator

from seva.expressions.language import (
    ExpressionError,
    Variables,
    compile_expression,
    result_fits,
)
from seva.formschemas.keywords import DRAFT_2020_12
from seva.formschemas.rules import typed_values
from seva.formschemas.validation import build_validator

from .spec import EligibilityRule, Texts

# Where the facts are, under the service definitions folder (settings.SEVA_SERVICE_DIR).
FACTS_FILE = "_org/eligibility.yaml"
PREFIX = "facts."

# A fact's type -> the type an expression reads its answer as.
EXPRESSION_TYPES = {
    "integer": "int",
    "number": "double",
    "boolean": "bool",
    "choice": "string",
    "date": "string",  # YYYY-MM-DD, as age() and years_between() read it
}

MET, NOT_MET, NOT_CHECKED = "met", "not_met", "not_checked"

_FACT_NAME = re.compile(r"\bfacts\.([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Choice:
    value: str
    label: Texts


@dataclass(frozen=True)
class Fact:
    name: str
    question: Texts
    type: str  # integer, number, boolean, choice or date
    hint: Texts = field(default_factory=dict)
    minimum: int | float | None = None
    maximum: int | float | None = None
    choices: tuple[Choice, ...] = ()
    derived: str | None = None  # an expression over other facts that works this one out
    prefills: str | None = None  # the form field this answer fills (documentation)

    @property
    def expression_type(self) -> str:
        return EXPRESSION_TYPES[self.type]

    @property
    def variable(self) -> str:
        return PREFIX + self.name


def facts_from_document(doc: Mapping[str, Any]) -> dict[str, Fact]:
    """name -> Fact, in the file's order, from a facts document that passed its meta-schema."""
    facts = {}
    for item in doc["facts"]:
        facts[item["name"]] = Fact(
            name=item["name"],
            question=dict(item["question"]),
            type=item["type"],
            hint=dict(item.get("hint") or {}),
            minimum=item.get("minimum"),
            maximum=item.get("maximum"),
            choices=tuple(
                Choice(value=str(choice["value"]), label=dict(choice["label"]))
                for choice in item.get("choices") or ()
            ),
            derived=item.get("derived"),
            prefills=item.get("prefills"),
        )
    return facts


def fact_variables(facts: Mapping[str, Fact]) -> Variables:
    """The names an eligibility expression may read (facts.<name>) and their types."""
    return tuple((fact.variable, fact.expression_type) for fact in facts.values())


def eligibility_facts(root: Path | str | None = None) -> dict[str, Fact]:
    """name -> Fact, in the order the finder asks, from the definitions under `root`
    (settings.SEVA_DEFINITIONS_ROOT). Read once per process and root: the file changes with a
    deploy, which restarts the processes."""
    base = settings.SEVA_DEFINITIONS_ROOT if root is None else root
    return _facts_in(str(Path(base) / settings.SEVA_SERVICE_DIR / FACTS_FILE))


@cache
def _facts_in(path: str) -> dict[str, Fact]:
    try:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        return facts_from_document(doc)
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError):
        # check_definitions reports a missing or broken file, and a deploy runs it first.
        return {}


# ------------------------------------------------------------------------------
# Checks (check_definitions reports them with the file and the place)
# ------------------------------------------------------------------------------
def _unknown_facts(source: str, facts: Mapping[str, Fact]) -> list[str]:
    return [name for name in dict.fromkeys(_FACT_NAME.findall(source)) if name not in facts]


def facts_file_problems(doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(pointer, message) for what the meta-schema cannot see in a facts document: a choice
    without choices, a bound on a fact that is not a number, a name given twice, a derived
    expression that reads an unknown fact or gives the wrong type."""
    problems: list[tuple[str, str]] = []
    facts = facts_from_document(doc)
    seen: set[str] = set()
    for index, item in enumerate(doc["facts"]):
        at = f"/facts/{index}"
        name, kind = item["name"], item["type"]
        if name in seen:
            problems.append((at + "/name", f"'{name}' is defined twice"))
        seen.add(name)
        if kind == "choice" and not item.get("choices"):
            problems.append((at, f"fact '{name}' is a choice but has no choices; list them"))
        if kind != "choice" and "choices" in item:
            problems.append(
                (at + "/choices", f"only a choice fact has choices ('{name}' is {kind})")
            )
        for bound in ("minimum", "maximum"):
            if bound in item and kind not in ("integer", "number"):
                problems.append(
                    (f"{at}/{bound}", f"only a number has a {bound} ('{name}' is {kind})")
                )
        values = [choice["value"] for choice in item.get("choices") or ()]
        for twice in sorted({v for v in values if values.count(v) > 1}):
            problems.append((at + "/choices", f"choice '{twice}' is listed twice"))
        if item.get("derived"):
            problems += [(at + "/derived", m) for m in _derived_problems(facts[name], facts)]
    return problems


def _derived_problems(fact: Fact, facts: Mapping[str, Fact]) -> list[str]:
    source = fact.derived or ""
    unknown = _unknown_facts(source, facts)
    if unknown:
        return [
            f"'{source}' reads fact '{name}', which is not defined here; the facts are {', '.join(facts)}"
            for name in unknown
        ]
    read = _FACT_NAME.findall(source)
    if fact.name in read:
        return [f"'{source}' reads '{fact.name}' itself"]
    if any(facts[name].derived for name in read):
        return [f"'{source}' reads a derived fact; derive from facts that are answered"]
    try:
        program = compile_expression(source, fact_variables(facts))
    except ExpressionError as exc:
        return [f"'{source}' does not compile: {exc.message}"]
    if not result_fits(program.returns, fact.expression_type):
        return [f"'{source}' gives a {program.returns}, but '{fact.name}' is {fact.type}"]
    return []


def rule_problems(rule: Mapping[str, Any], facts: Mapping[str, Fact]) -> list[tuple[str, str]]:
    """(pointer under the rule, message) for one rule of a service's eligibility."""
    known = ", ".join(facts)
    where = f"service_definitions/{FACTS_FILE}"
    if "if" in rule:
        if "fact" in rule or "condition" in rule:
            return [("", "a rule has either 'if' or 'fact' and 'condition', not both")]
        source = rule["if"]
        unknown = _unknown_facts(source if isinstance(source, str) else "", facts)
        if unknown:
            return [
                (
                    "/if",
                    f"'{source}' reads fact '{name}', which is not in {where}; the facts are {known}",
                )
                for name in unknown
            ]
        try:
            program = compile_expression(source, fact_variables(facts))
        except ExpressionError as exc:
            return [("/if", f"condition '{source}' does not compile: {exc.message}")]
        if program.returns not in ("bool", "dyn"):
            return [("/if", f"condition '{source}' gives a {program.returns}, not true or false")]
        return []
    if "fact" not in rule or "condition" not in rule:
        return [("", "a rule needs 'if' (an expression over facts) or 'fact' and 'condition'")]
    if rule["fact"] not in facts:
        return [
            (
                "/fact",
                f"eligibility question '{rule['fact']}' is not known; the questions are {known}",
            )
        ]
    return []


# ------------------------------------------------------------------------------
# Judging answers
# ------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def with_derived(facts: Mapping[str, Fact], answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers (fact name -> value; None or "" is not answered) with each derived fact
    worked out from the facts it reads, when those are answered (then it replaces the fact's
    own answer: the date of birth says more than the age typed beside it)."""
    given = {k: _plain(v) for k, v in answers.items() if v is not None and v != ""}
    variables = fact_variables(facts)
    for fact in facts.values():
        if not fact.derived:
            continue
        try:
            value = compile_expression(fact.derived, variables).evaluate(
                typed_values(variables, {PREFIX + k: v for k, v in given.items()})
            )
        except ExpressionError:
            continue  # not answered, or a date that is not one: the fact's own answer stands
        given[fact.name] = value
    return given


@lru_cache(maxsize=1024)
def _condition_validator(condition_json: str) -> Draft202012Validator:
    return build_validator({"$schema": DRAFT_2020_12, **json.loads(condition_json)})


def rule_outcome(
    rule: EligibilityRule, answers: Mapping[str, Any], facts: Mapping[str, Fact]
) -> str:
    """MET, NOT_MET or NOT_CHECKED (a fact it reads is not answered) on `answers`, which
    already hold the derived facts (with_derived)."""
    if rule.expression is not None:
        variables = fact_variables(facts)
        values = typed_values(variables, {PREFIX + k: v for k, v in answers.items()})
        try:
            holds = compile_expression(rule.expression, variables).evaluate(values)
        except ExpressionError:
            # NotAnswered (a fact it reads was not given), or an answer it cannot read.
            return NOT_CHECKED
        return MET if holds is True else NOT_MET
    if rule.fact is None or rule.fact not in answers:
        return NOT_CHECKED
    validator = _condition_validator(json.dumps(dict(rule.condition or {}), sort_keys=True))
    return MET if validator.is_valid(answers[rule.fact]) else NOT_MET
