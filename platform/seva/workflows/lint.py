"""Checks a workflow must pass before any service may use it: every state reachable, every
open state with a way out, every role known, every guard registered."""

from __future__ import annotations

import re
from collections import deque
from typing import Any

from seva.formschemas.keywords import DRAFT_2020_12
from seva.formschemas.lint import lint_form_schema
from seva.formschemas.validation import UnsupportedSchema, build_validator

from .engine import CITIZEN, CONSULTATION_COUNTS, compile_workflow
from .guards import GUARDS

Problem = tuple[str, str]


def _p(*parts: Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _reachable(start: str, edges: dict[str, set[str]]) -> set[str]:
    seen = {start}
    queue = deque([start])
    while queue:
        for nxt in edges.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def _names_only_known_states(doc: dict[str, Any]) -> bool:
    states = set(doc["states"])
    for spec in doc["transitions"]:
        sources = spec["from"] if isinstance(spec["from"], list) else [spec["from"]]
        if not set(sources) <= states or spec["to"] not in states:
            return False
    return doc["initial"] in states


# What only a person can do: an automatic action takes none of it.
_PERSONS_ONLY = ("roles", "input_schema", "guards", "corrects_form", "back_to_sender", "bulk")


def _automatic_problems(index: int, spec: dict[str, Any]) -> list[Problem]:
    action = spec["action"]
    if "after_days" in spec:
        return _timer_problems(index, spec)
    if not spec.get("auto"):
        if not spec.get("roles"):
            return [
                (
                    _p("transitions", index),
                    f"action '{action}' needs roles (who may take it), or auto: true with an if",
                )
            ]
        return []
    problems = [
        (
            _p("transitions", index, key),
            f"action '{action}' is automatic (auto): the platform takes it, so it has no {key}",
        )
        for key in _PERSONS_ONLY
        if spec.get(key)
    ]
    if spec.get("remarks") == "required":
        problems.append(
            (
                _p("transitions", index, "remarks"),
                f"action '{action}' is automatic (auto): nobody writes remarks for it",
            )
        )
    if not spec.get("if"):
        problems.append(
            (
                _p("transitions", index),
                f"action '{action}' is automatic (auto), so it needs an if: the condition on "
                "which the platform takes it",
            )
        )
    return problems


def _timer_problems(index: int, spec: dict[str, Any]) -> list[Problem]:
    action = spec["action"]
    problems = [
        (
            _p("transitions", index, key),
            f"action '{action}' is a timer (after_days): the platform takes it, so it has no {key}",
        )
        for key in (*_PERSONS_ONLY, "auto", "if", "when")
        if spec.get(key)
    ]
    if spec.get("remarks") == "required":
        problems.append(
            (
                _p("transitions", index, "remarks"),
                f"action '{action}' is a timer (after_days): nobody writes remarks for it",
            )
        )
    return problems


def _timers_per_state(doc: dict[str, Any]) -> list[Problem]:
    seen: dict[str, int] = {}
    problems: list[Problem] = []
    for index, spec in enumerate(doc["transitions"]):
        if "after_days" not in spec:
            continue
        sources = [spec["from"]] if isinstance(spec["from"], str) else spec["from"]
        for source in sources:
            if source in seen:
                problems.append(
                    (
                        _p("transitions", index, "after_days"),
                        f"state '{source}' already has a timer (transition {seen[source] + 1}); "
                        "a state has at most one",
                    )
                )
            seen.setdefault(source, index)
    return problems


def _automatic_loops(doc: dict[str, Any]) -> list[Problem]:
    """Automatic actions that could lead round to where they started: the platform would move
    the file for ever (the conditions may all hold at once)."""
    automatic: dict[str, list[tuple[int, str]]] = {}
    for index, spec in enumerate(doc["transitions"]):
        if spec.get("auto"):
            sources = [spec["from"]] if isinstance(spec["from"], str) else spec["from"]
            for source in sources:
                automatic.setdefault(source, []).append((index, spec["to"]))

    def walk(state: str, path: list[tuple[str, int]]) -> list[tuple[str, int]] | None:
        """A loop of automatic actions reached from `state` (path: (state, action index)
        taken so far), or None."""
        for index, target in automatic.get(state, []):
            step = [*path, (state, index)]
            on_path = [n for n, (seen, _i) in enumerate(step) if seen == target]
            if on_path:
                return step[on_path[0] :]
            found = walk(target, step)
            if found:
                return found
        return None

    problems: list[Problem] = []
    reported: set[frozenset[int]] = set()
    for start in automatic:
        loop = walk(start, [])
        if loop and frozenset(i for _s, i in loop) not in reported:
            reported.add(frozenset(i for _s, i in loop))
            states = " -> ".join([*(s for s, _i in loop), loop[0][0]])
            problems.append(
                (
                    _p("transitions", loop[0][1]),
                    f"automatic actions would loop ({states}): the platform would move the "
                    "file round for ever; make one of them an officer's action",
                )
            )
    return problems


_CONSULTATIONS = re.compile(r"\bconsultations\.([A-Za-z_][A-Za-z0-9_]*)")


def _consultation_problems(
    code: str, spec: dict[str, Any], roles: set[str] | None, departments: set[str] | None
) -> list[Problem]:
    """A state's consultations: each with a deadline, a known role and department, a code of
    its own."""
    problems: list[Problem] = []
    if not spec.get("consult"):
        return problems
    if spec.get("with_citizen"):
        problems.append(
            (
                _p("states", code, "consult"),
                f"state '{code}' waits for the citizen; consult from a state an officer holds",
            )
        )
    seen: set[str] = set()
    for index, item in enumerate(spec["consult"]):
        at = _p("states", code, "consult", index)
        name = item["code"]
        if name in seen:
            problems.append(
                (
                    _p("states", code, "consult", index, "code"),
                    f"consultation '{name}' is given twice in state '{code}'",
                )
            )
        seen.add(name)
        if name in CONSULTATION_COUNTS:
            problems.append(
                (
                    _p("states", code, "consult", index, "code"),
                    f"'{name}' is the name of a count (consultations.{name}); choose another code",
                )
            )
        if not item.get("days"):
            problems.append(
                (
                    at,
                    f"consultation '{name}' has no deadline: give days, after which an "
                    "unanswered consultation is deemed no objection",
                )
            )
        if roles is not None and item["role"] not in roles:
            problems.append(
                (
                    _p("states", code, "consult", index, "role"),
                    f"role '{item['role']}' is not defined in service_definitions/_org/roles.yaml",
                )
            )
        department = item.get("department")
        if department and departments is not None and department not in departments:
            problems.append(
                (
                    _p("states", code, "consult", index, "department"),
                    f"department '{department}' is not defined in "
                    "service_definitions/_org/departments.yaml",
                )
            )
    return problems


def _consultation_reads(doc: dict[str, Any]) -> list[Problem]:
    """A condition reading `consultations.<code>` from a state that does not consult `<code>`
    (or reading consultations from a state that opens none)."""
    problems: list[Problem] = []
    for index, spec in enumerate(doc["transitions"]):
        condition = spec.get("if")
        if not isinstance(condition, str):
            continue
        names = set(_CONSULTATIONS.findall(condition))
        if not names:
            continue
        sources = [spec["from"]] if isinstance(spec["from"], str) else spec["from"]
        for source in sources:
            consulted = {c["code"] for c in doc["states"].get(source, {}).get("consult") or []}
            if not consulted:
                problems.append(
                    (
                        _p("transitions", index, "if"),
                        f"action '{spec['action']}' reads consultations, but state "
                        f"'{source}' opens none",
                    )
                )
                continue
            for name in sorted(names - consulted - set(CONSULTATION_COUNTS)):
                problems.append(
                    (
                        _p("transitions", index, "if"),
                        f"action '{spec['action']}' reads consultations.{name}, but state "
                        f"'{source}' consults only {', '.join(sorted(consulted))}",
                    )
                )
    return problems


def lint_workflow(
    doc: dict[str, Any],
    *,
    roles: set[str] | None,
    languages: list[str],
    departments: set[str] | None = None,
) -> list[Problem]:
    """Problems with a workflow document that already passed its meta-schema.

    `roles` and `departments` are the defined codes; None skips that check (the file is
    broken and has been reported already).
    """
    problems: list[Problem] = []
    states: dict[str, dict] = doc["states"]
    if doc["initial"] not in states:
        problems.append(("/initial", f"initial state '{doc['initial']}' is not one of the states"))

    for code, spec in states.items():
        at = _p("states", code)
        if spec.get("terminal"):
            if not spec.get("outcome"):
                problems.append(
                    (
                        at,
                        f"terminal state '{code}' has no outcome; add outcome: approved, rejected, closed or withdrawn",
                    )
                )
            for key in (
                "role",
                "with_citizen",
                "sla_days",
                "sla_variants",
                "escalate_to",
                "consult",
            ):
                if key in spec:
                    problems.append(
                        (
                            _p("states", code, key),
                            f"terminal state '{code}' is closed and cannot have {key}",
                        )
                    )
            continue
        problems += _consultation_problems(code, spec, roles, departments)
        if spec.get("outcome"):
            problems.append(
                (
                    _p("states", code, "outcome"),
                    f"state '{code}' has an outcome but is not terminal; add terminal: true or remove the outcome",
                )
            )
        if spec.get("with_citizen") and spec.get("role"):
            problems.append(
                (
                    at,
                    f"state '{code}' cannot be both with the citizen and with role '{spec['role']}'",
                )
            )
        if not spec.get("with_citizen") and not spec.get("role"):
            problems.append(
                (
                    at,
                    f"state '{code}' says nobody holds the file; give it a role, or with_citizen: true",
                )
            )
        if spec.get("role") and not spec.get("sla_days"):
            problems.append(
                (at, f"state '{code}' is with an officer and needs sla_days (the stage deadline)")
            )
        if spec.get("sla_variants") and not spec.get("sla_days"):
            problems.append(
                (
                    _p("states", code, "sla_variants"),
                    f"state '{code}' has sla_variants but no sla_days: give the stage deadline "
                    "for the files no variant holds on",
                )
            )
        for key in ("held_at", "place_from"):
            if spec.get(key) and not spec.get("role"):
                problems.append(
                    (
                        _p("states", code, key),
                        f"state '{code}' says where an officer holds it ({key}), but no role "
                        "holds it",
                    )
                )
        if spec.get("escalate_to") and not spec.get("role"):
            problems.append(
                (
                    _p("states", code, "escalate_to"),
                    f"state '{code}' escalates, but only a state with an officer role can",
                )
            )
        for index, role in enumerate([spec.get("role"), *spec.get("escalate_to", [])]):
            if role and roles is not None and role not in roles:
                pointer = (
                    _p("states", code, "role")
                    if index == 0
                    else _p("states", code, "escalate_to", index - 1)
                )
                problems.append(
                    (
                        pointer,
                        f"role '{role}' is not defined in service_definitions/_org/roles.yaml",
                    )
                )

    seen_actions: dict[tuple[str, str], int] = {}
    edges: dict[str, set[str]] = {code: set() for code in states}
    for index, spec in enumerate(doc["transitions"]):
        action = spec["action"]
        sources = [spec["from"]] if isinstance(spec["from"], str) else spec["from"]
        for source in sources:
            if source not in states:
                problems.append(
                    (
                        _p("transitions", index, "from"),
                        f"action '{action}' starts from '{source}', which is not a state",
                    )
                )
                continue
            if states[source].get("terminal"):
                problems.append(
                    (
                        _p("transitions", index, "from"),
                        f"action '{action}' leaves terminal state '{source}'; a closed file cannot move",
                    )
                )
            if (source, action) in seen_actions:
                problems.append(
                    (
                        _p("transitions", index, "action"),
                        f"action '{action}' from '{source}' is already defined at transition {seen_actions[(source, action)] + 1}",
                    )
                )
            seen_actions[(source, action)] = index
            edges[source].add(spec["to"])
        if spec["to"] not in states:
            problems.append(
                (
                    _p("transitions", index, "to"),
                    f"action '{action}' leads to '{spec['to']}', which is not a state",
                )
            )
        problems += _automatic_problems(index, spec)
        for role_index, role in enumerate(spec.get("roles") or []):
            if role != CITIZEN and roles is not None and role not in roles:
                problems.append(
                    (
                        _p("transitions", index, "roles", role_index),
                        f"role '{role}' is not defined in service_definitions/_org/roles.yaml (or write 'citizen')",
                    )
                )
        for guard_index, guard in enumerate(spec.get("guards", [])):
            if guard not in GUARDS:
                problems.append(
                    (
                        _p("transitions", index, "guards", guard_index),
                        f"guard '{guard}' is not registered; the guards are {', '.join(GUARDS.names()) or 'none'}",
                    )
                )
        if "input_schema" in spec:
            schema = {"$schema": DRAFT_2020_12, **spec["input_schema"]}
            for pointer, message in lint_form_schema(schema, languages=languages, what="input"):
                if pointer != "/$schema":
                    problems.append(
                        (
                            _p("transitions", index, "input_schema") + pointer,
                            f"officer input: {message}",
                        )
                    )
        if spec.get("corrects_form") and spec.get("roles") != [CITIZEN]:
            problems.append(
                (
                    _p("transitions", index, "corrects_form"),
                    f"action '{action}' corrects the form, which only the citizen does; its roles must be [citizen]",
                )
            )
        if spec.get("corrects_form") and "input_schema" in spec:
            problems.append(
                (
                    _p("transitions", index, "input_schema"),
                    f"action '{action}' corrects the form, so its input is the form itself; remove input_schema",
                )
            )
        if spec.get("back_to_sender") and states.get(spec["to"], {}).get("role") is None:
            problems.append(
                (
                    _p("transitions", index, "back_to_sender"),
                    f"action '{action}' sends the file back to an officer, so '{spec['to']}' must be a state with a role",
                )
            )
        if "when" in spec:
            try:
                build_validator({"$schema": DRAFT_2020_12, **spec["when"]})
            except UnsupportedSchema as exc:
                for pointer, message in exc.problems:
                    problems.append(
                        (_p("transitions", index, "when") + pointer, f"condition: {message}")
                    )

    # The graph checks below need every state a transition names to exist; other problems
    # (an unknown role, a bad input schema) do not stop them.
    if not _names_only_known_states(doc):
        return problems
    problems += _automatic_loops(doc)
    problems += _timers_per_state(doc)
    problems += _consultation_reads(doc)

    initial = doc["initial"]
    reachable = _reachable(initial, edges)
    for code in states:
        if code not in reachable:
            problems.append(
                (
                    _p("states", code),
                    f"state '{code}' cannot be reached from the initial state '{initial}'",
                )
            )

    workflow = compile_workflow(doc)
    reverse: dict[str, set[str]] = {code: set() for code in states}
    for source, targets in edges.items():
        for target in targets:
            reverse[target].add(source)
    terminals = [code for code, spec in states.items() if spec.get("terminal")]
    if not terminals:
        problems.append(("/states", "no state is terminal, so no application could ever be closed"))
    can_finish: set[str] = set()
    for terminal in terminals:
        can_finish |= _reachable(terminal, reverse)

    for code, state in workflow.states.items():
        if state.terminal:
            continue
        at = _p("states", code)
        out = workflow.transitions_from(code)
        if not out:
            problems.append(
                (
                    at,
                    f"state '{code}' is a dead end: no action leads out of it, and it is not terminal",
                )
            )
            continue
        if code in reachable and code not in can_finish:
            problems.append(
                (
                    at,
                    f"from state '{code}' no path leads to a terminal state; the file would never close",
                )
            )
        if state.with_citizen and not any(t.for_citizen for t in out):
            problems.append(
                (
                    at,
                    f"state '{code}' waits for the citizen, but no action out of it is for 'citizen'",
                )
            )
        for holder in (state.role, *state.escalate_to):
            # An undefined role is reported once, above; not again as having no action.
            known = roles is None or holder in roles
            if holder and known and not any(holder in t.roles for t in out):
                problems.append(
                    (at, f"role '{holder}' can hold state '{code}' but has no action out of it")
                )
    return problems
