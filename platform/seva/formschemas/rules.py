"""A form's rules as expressions (seva.expressions, CEL): computed answers (`x-compute` on a
field) and cross-field rules (`x-rules` on the form).

Every field of the form is a name an expression may read, `data.<path>` (`data.applicant.dob`,
`data.income_rows`), typed from the schema: an integer field is an `int`, a number a `double`,
a yes/no a `bool`, text, dates and choices `string`s, a repeatable group a list of its rows
(each a map of the row's answers), a multi-choice a list. An unanswered field has no value: a
rule that reads one is not checked (the field's own checks say it is missing), a computed
answer that needs one is left out.

Computed answers are always computed here, on the server, from the other answers; whatever a
client sent for them is dropped first."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import get_language

from seva.expressions.language import (
    Compiled,
    ExpressionError,
    NotAnswered,
    Variables,
    compile_expression,
    result_fits,
)

from .fields import field_type, inline_refs
from .paths import get_path, set_path

COMPUTE = "x-compute"
RULES = "x-rules"

_NAME = re.compile(r"data(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
_SCALARS = {"integer": "int", "number": "double", "string": "string", "boolean": "bool"}


def _items_kind(items: Any) -> str:
    if not isinstance(items, dict):
        return "list(dyn)"
    kind = field_type(items)
    if kind == "object":
        return "list(map)"
    return {"string": "list(string)", "integer": "list(int)", "number": "list(double)"}.get(
        kind or "", "list(dyn)"
    )


def _fields(schema: dict, prefix: str = "") -> Iterator[tuple[str, dict, str]]:
    """(path, schema, type name) for every field of the form, groups walked into."""
    for name, sub in (schema.get("properties") or {}).items():
        if not isinstance(sub, dict):
            continue
        path = f"{prefix}{name}"
        kind = field_type(sub)
        if kind == "object":
            yield from _fields(sub, f"{path}.")
        elif kind == "array":
            yield path, sub, _items_kind(sub.get("items"))
        else:
            yield path, sub, _SCALARS.get(kind or "", "dyn")


@dataclass(frozen=True)
class _Derived:
    variables: Variables
    computed: list[tuple[str, dict]]  # (path, schema) of the computed answers, in order
    rows: dict[str, dict[str, str]]  # a repeatable group's name -> its row fields' types


# What is derived from a form is kept by the form's identity: callers on the hot paths pass
# one object per version for the process's life (definitions.selectors.form_schema_for), so
# this holds about one entry per version in use. The schema is held in its entry, so its id
# cannot be reused meanwhile; a caller passing a fresh copy only misses, and the bound keeps
# such copies few.
_DERIVED: dict[int, tuple[dict, _Derived]] = {}
_MOST_KEPT = 256


def _derived(schema: dict) -> _Derived:
    entry = _DERIVED.get(id(schema))
    if entry is None or entry[0] is not schema:
        if len(_DERIVED) >= _MOST_KEPT:
            _DERIVED.clear()
        resolved = inline_refs(schema)
        fields = list(_fields(resolved))
        rows = {
            f"data.{path}": {
                name: _SCALARS.get(field_type(row) or "", "dyn")
                for name, row in (sub["items"].get("properties") or {}).items()
                if isinstance(row, dict)
            }
            for path, sub, kind in fields
            if kind == "list(map)"
        }
        entry = _DERIVED[id(schema)] = (
            schema,
            _Derived(
                variables=tuple(sorted((f"data.{path}", kind) for path, _sub, kind in fields)),
                computed=[(path, sub) for path, sub, _kind in fields if COMPUTE in sub],
                rows=rows,
            ),
        )
    return entry[1]


def form_variables(schema: dict) -> Variables:
    """The names a form's expressions may read, with their types."""
    return _derived(schema).variables


def _fits(value: Any, kind: str) -> bool:
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "double":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if kind.startswith("list("):
        inner = kind[5:-1]
        return isinstance(value, list) and all(
            isinstance(v, dict) if inner == "map" else _fits(v, inner) for v in value
        )
    return True


def typed_values(variables: Variables, given: Mapping[str, Any]) -> dict[str, Any]:
    """The values of `given` (name -> value) as expressions read them: a value of another
    type than its name's is left out, as if not given; a whole number read as a decimal is
    made one."""
    kinds = dict(variables)
    values = {}
    for name, value in given.items():
        kind = kinds.get(name)
        if kind is None or value is None or not _fits(value, kind):
            continue
        if kind == "double":
            value = float(value)
        elif kind == "list(double)":
            value = [float(v) for v in value]
        values[name] = value
    return values


def _values(derived: _Derived, data: dict) -> dict[str, Any]:
    """The answers by name, as the expressions read them. An answer of another type than
    its field's is left out, as if unanswered: its field's own check reports it, and the
    rules that read it are not checked on it."""
    values = {}
    for name, kind in derived.variables:
        value = get_path(data, name.removeprefix("data."))
        if value is None or not _fits(value, kind):
            continue
        row_kinds = derived.rows.get(name)
        if row_kinds is not None and not all(
            _fits(row[field], row_kinds[field])
            for row in value
            for field in row
            if field in row_kinds and row[field] is not None
        ):
            continue
        if kind == "double":
            value = float(value)
        elif kind == "list(double)":
            value = [float(v) for v in value]
        values[name] = value
    return values


def with_computed(schema: dict, data: dict) -> dict:
    """A copy of `data` with every computed answer computed from the others, whatever was
    sent for it dropped. One may use another: each is computed once the answers it reads
    are, whatever their order in the form (a form stored as PostgreSQL's jsonb does not keep
    the order of its keys)."""
    derived = _derived(schema)
    variables, computed = derived.variables, derived.computed
    if not computed or not isinstance(data, dict):
        return data
    result = _without(data, [path for path, _sub in computed])
    pending = list(computed)
    while pending:
        waiting = []
        for path, sub in pending:
            try:
                program = compile_expression(sub[COMPUTE], variables)
                value = program.evaluate(_values(derived, result))
            except NotAnswered:
                waiting.append((path, sub))  # perhaps on an answer computed later
                continue
            except ExpressionError:
                continue  # it cannot be computed from these answers
            if field_type(sub) == "integer" and isinstance(value, float) and value.is_integer():
                value = int(value)
            set_path(result, path, value)
        if len(waiting) == len(pending):
            break  # what is left needs an answer not given: it is left out
        pending = waiting
    return result


def _without(data: dict, paths: list[str]) -> dict:
    copy = _deep_copy(data)
    for path in paths:
        *parents, last = path.split(".")
        node: Any = copy
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(last, None)
    return copy


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value


def rule_errors(schema: dict, data: Any) -> list[tuple[str, str]]:
    """(field path, message in the active language) for each of the form's rules that does
    not hold on `data`. A rule reading an unanswered field is not checked; a rule that
    cannot be evaluated on the answers counts as not holding."""
    rules = schema.get(RULES)
    if not isinstance(rules, list) or not isinstance(data, dict):
        return []
    derived = _derived(schema)
    variables = derived.variables
    values = _values(derived, data)
    language = (get_language() or "en")[:2]
    found = []
    for rule in rules:
        try:
            holds = _program(rule, variables).evaluate(values) is True
        except NotAnswered:
            continue
        except ExpressionError:
            holds = False
        if not holds:
            message = rule.get("message") or {}
            found.append((rule["field"], message.get(language) or message.get("en") or ""))
    return found


def expression_holds(
    schema: dict,
    source: str,
    data: Any,
    *,
    extra_variables: Variables = (),
    extra_values: Mapping[str, Any] | None = None,
) -> bool:
    """Whether a condition written against the form (`data.<field>`) holds on `data`; one
    that reads an unanswered field, or cannot be evaluated, does not hold. `extra_variables`
    and `extra_values` are further names it may read, beside the form's (a workflow's
    `consultations.*`)."""
    if not isinstance(data, dict):
        return False
    try:
        value = expression_value(
            schema, source, data, extra_variables=extra_variables, extra_values=extra_values
        )
    except ExpressionError:
        return False
    return value is True


def expression_value(
    schema: dict,
    source: str,
    data: Any,
    *,
    extra_variables: Variables = (),
    extra_values: Mapping[str, Any] | None = None,
) -> Any:
    """The value of an expression written against the form (`data.<field>`, and the names
    `extra_variables` adds) on `data` and `extra_values`; raises ExpressionError
    (NotAnswered for an unanswered field it reads)."""
    derived = _derived(schema)
    program = compile_expression(source, (*derived.variables, *extra_variables))
    values = _values(derived, data if isinstance(data, dict) else {})
    if extra_values:
        values.update(extra_values)
    return program.evaluate(values)


def _program(rule: dict, variables: Variables) -> Compiled:
    return compile_expression(rule.get("expression"), variables)


# ------------------------------------------------------------------------------
# Checks (formschemas.lint): every expression compiles against the form's fields
# ------------------------------------------------------------------------------
def expression_problems(schema: dict, languages: list[str]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    variables = form_variables(schema)
    known = {name.removeprefix("data.") for name, _kind in variables}
    resolved = inline_refs(schema)
    for path, sub, kind in _fields(resolved):
        if sub.get("x-widget") == "computed" and COMPUTE not in sub:
            pointer = "/properties/" + "/properties/".join(path.split("."))
            problems.append(
                (f"{pointer}/x-widget", "a field is shown computed by giving it x-compute")
            )
        if COMPUTE not in sub:
            continue
        pointer = "/properties/" + "/properties/".join(path.split(".")) + f"/{COMPUTE}"
        source = sub[COMPUTE]
        try:
            program = compile_expression(source, variables)
        except ExpressionError as exc:
            problems.append(
                (pointer, f"the computed answer '{source}' does not compile: {exc.message}")
            )
            continue
        if not result_fits(program.returns, kind):
            problems.append(
                (
                    pointer,
                    f"the computed answer '{source}' gives a {program.returns}, but the field holds a {kind}",
                )
            )
        if f"data.{path}" in _reads(source):
            problems.append(
                (pointer, f"the computed answer '{source}' reads the field it computes")
            )
    parent_required = _required_paths(resolved)
    for path, sub, _kind in _fields(resolved):
        if COMPUTE in sub and path in parent_required:
            pointer = "/properties/" + "/properties/".join(path.split("."))
            problems.append(
                (
                    pointer,
                    "a computed answer cannot be required: it is left out when an answer it needs is missing",
                )
            )
    problems += [
        (pointer, "x-rules belong to the whole form (its top)")
        for pointer in _nested_rules(schema, "")
    ]
    rules = schema.get(RULES)
    if rules is None:
        return problems
    if not isinstance(rules, list):
        return [*problems, (f"/{RULES}", "x-rules must be a list of rules")]
    seen: set[str] = set()
    for index, rule in enumerate(rules):
        pointer = f"/{RULES}/{index}"
        if not isinstance(rule, dict):
            problems.append((pointer, "a rule is an object with id, field, expression and message"))
            continue
        unknown = set(rule) - {"id", "field", "expression", "message"}
        if unknown:
            problems.append((pointer, f"a rule has no key {', '.join(sorted(unknown))}"))
        rule_id = rule.get("id")
        if not isinstance(rule_id, str) or not rule_id:
            problems.append((f"{pointer}/id", "a rule needs an id"))
        elif rule_id in seen:
            problems.append((f"{pointer}/id", f"two rules are called '{rule_id}'"))
        else:
            seen.add(rule_id)
        field = rule.get("field")
        if field not in known:
            problems.append(
                (f"{pointer}/field", f"the rule's field '{field}' is not a field of the form")
            )
        message = rule.get("message")
        missing = [
            lang for lang in languages if not (isinstance(message, dict) and message.get(lang))
        ]
        if missing:
            problems.append(
                (f"{pointer}/message", f"the rule's message needs a text in {', '.join(missing)}")
            )
        source = rule.get("expression")
        try:
            program = compile_expression(source, variables)
        except ExpressionError as exc:
            problems.append(
                (f"{pointer}/expression", f"the rule '{source}' does not compile: {exc.message}")
            )
            continue
        if program.returns not in ("bool", "dyn"):
            problems.append(
                (
                    f"{pointer}/expression",
                    f"the rule '{source}' gives a {program.returns}, not true or false",
                )
            )
    return problems


def _nested_rules(node: Any, pointer: str) -> Iterator[str]:
    """Where x-rules stand other than at the top of the form."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{pointer}/{key}"
            if key == RULES and pointer:
                yield here
            elif key != RULES:
                yield from _nested_rules(value, here)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _nested_rules(value, f"{pointer}/{index}")


def _reads(source: str) -> set[str]:
    return set(_NAME.findall(source))


def _required_paths(schema: dict, prefix: str = "") -> set[str]:
    found = set()
    for name in schema.get("required") or []:
        found.add(f"{prefix}{name}")
    for name, sub in (schema.get("properties") or {}).items():
        if isinstance(sub, dict) and field_type(sub) == "object":
            found |= _required_paths(sub, f"{prefix}{name}.")
    return found
