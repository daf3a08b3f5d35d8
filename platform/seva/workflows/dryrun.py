"""A dry run: synthetic applications pushed through a workflow, on paper.

Before a service goes live its admin wants to see every way a file can go, what each step
asks of whom, which SMS the citizen gets, and whether the slowest lawful run still closes
within the RTS period. Each path assumes every stage takes its full SLA: an officer acts on
the day the stage falls due, a citizen answers on the last day allowed (the clock stops
meanwhile). Pure: documents and a calendar in, paths out; nothing is saved or sent.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from dataclasses import dataclass
from typing import Any

from .clock import DayType, Pause, WorkingCalendar, due_date

# Simple paths grow fast in a dense graph; past this many partial paths the shortest ones
# found so far are returned, rather than tying up the request.
_MAX_EXPLORED = 20_000


@dataclass(frozen=True)
class DryRunStep:
    """One action: the file sat in `from_state` from `entered_on` and left on
    `acted_on` (its stage due date, or the day it came in when the stage has no SLA)."""

    action: str
    label: dict[str, str]
    from_state: str
    to_state: str
    roles: tuple[str, ...]
    remarks_required: bool
    holder: str | None  # the officer role holding `from_state`; None with the citizen
    with_citizen: bool  # the RTS clock stood still during this stage
    sla_days: int
    entered_on: dt.date
    stage_due: dt.date | None
    acted_on: dt.date
    sms: tuple[str, ...]  # sent by the action, then on entering `to_state`


@dataclass(frozen=True)
class DryRunPath:
    states: tuple[str, ...]
    steps: tuple[DryRunStep, ...]
    outcome: str | None
    sms_on_submit: tuple[str, ...]  # on entering the initial state
    submitted_on: dt.date
    finished_on: dt.date
    pauses: tuple[Pause, ...]
    rts_due: dt.date
    within_rts: bool

    @property
    def sms_events(self) -> tuple[tuple[dt.date, str], ...]:
        """Every SMS the citizen would get, with its day, in order."""
        return (
            *((self.submitted_on, event) for event in self.sms_on_submit),
            *((step.acted_on, event) for step in self.steps for event in step.sms),
        )


def _strings(value: Any) -> tuple[str, ...]:
    """A list of codes, which YAML may also give as one code."""
    if isinstance(value, str):
        return (value,)
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _platform(spec: dict[str, Any]) -> tuple[str, ...]:
    """Who takes an action no person takes: the platform, by its condition or its timer."""
    if spec.get("auto") is True:
        return (f"system (when {spec.get('if', '')})",)
    if spec.get("after_days"):
        return (f"system (after {spec['after_days']} days)",)
    return ()


def _consultations_wait(spec: dict[str, Any], state: dict[str, Any]) -> list[int]:
    """The deadlines (days) of the consultations an automatic action out of `state` waits
    for: those of the state, when its condition reads consultations."""
    condition = spec.get("if")
    if not isinstance(condition, str) or "consultations." not in condition:
        return []
    consult = state.get("consult")
    items = consult if isinstance(consult, list) else []
    return [c["days"] for c in items if isinstance(c, dict) and isinstance(c.get("days"), int)]


def _simple_paths(
    states: dict[str, dict[str, Any]],
    transitions: list[dict[str, Any]],
    initial: str,
    limit: int,
) -> list[tuple[dict[str, Any], ...]]:
    """Transition sequences from `initial` to a terminal state, no state twice, shortest
    first, ties in document order."""
    leaving: dict[str, list[dict[str, Any]]] = {}
    for spec in transitions:
        if isinstance(spec.get("to"), str) and spec["to"] in states:
            for source in _strings(spec.get("from")):
                leaving.setdefault(source, []).append(spec)
    found: list[tuple[dict[str, Any], ...]] = []
    # Breadth-first over partial paths: every path of n steps is taken before any of n + 1.
    queue: deque[tuple[tuple[str, ...], tuple[dict[str, Any], ...]]] = deque([((initial,), ())])
    explored = 0
    while queue and len(found) < limit and explored < _MAX_EXPLORED:
        visited, taken = queue.popleft()
        explored += 1
        here = visited[-1]
        if states[here].get("terminal"):
            found.append(taken)
            continue
        for spec in leaving.get(here, ()):
            if spec["to"] not in visited:
                queue.append(((*visited, spec["to"]), (*taken, spec)))
    return found


def _walk(
    path: tuple[dict[str, Any], ...],
    *,
    states: dict[str, dict[str, Any]],
    initial: str,
    start: dt.date,
    days: int,
    day_type: DayType,
    calendar: WorkingCalendar,
) -> DryRunPath:
    steps: list[DryRunStep] = []
    pauses: list[Pause] = []
    here, entered_on = initial, start
    for spec in path:
        state = states[here]
        sla_days = int(state.get("sla_days") or 0)
        # Stage deadlines are counted like the service's RTS days, as the live engine does.
        stage_due = (
            due_date(start=entered_on, days=sla_days, day_type=day_type, calendar=calendar)
            if sla_days
            else None
        )
        acted_on = stage_due or entered_on
        after_days = spec.get("after_days")
        waits = _consultations_wait(spec, state)
        if spec.get("auto") is True and waits:
            # It waits for the consultations' answers: at the slowest, each office is deemed
            # to have no objection the day after its deadline.
            acted_on = max(
                due_date(start=entered_on, days=days, day_type=day_type, calendar=calendar)
                for days in waits
            ) + dt.timedelta(days=1)
        elif spec.get("auto") is True:
            acted_on = entered_on  # the platform routes the file the day it comes in
        elif isinstance(after_days, int) and after_days > 0:
            # A timer fires the day after its last day (deemed approval, lapse).
            acted_on = due_date(
                start=entered_on, days=after_days, day_type=day_type, calendar=calendar
            ) + dt.timedelta(days=1)
        with_citizen = bool(state.get("with_citizen"))
        if with_citizen:
            pauses.append(Pause(started_on=entered_on, ended_on=acted_on))
        target = spec["to"]
        steps.append(
            DryRunStep(
                action=str(spec.get("action", "")),
                label=dict(spec.get("label") or {}),
                from_state=here,
                to_state=target,
                roles=_strings(spec.get("roles")) or _platform(spec),
                remarks_required=spec.get("remarks") == "required",
                holder=None if with_citizen else state.get("role"),
                with_citizen=with_citizen,
                sla_days=sla_days,
                entered_on=entered_on,
                stage_due=stage_due,
                acted_on=acted_on,
                sms=_strings(spec.get("sms")) + _strings(states[target].get("sms_on_enter")),
            )
        )
        here, entered_on = target, acted_on
    rts_due = due_date(start=start, days=days, day_type=day_type, calendar=calendar, pauses=pauses)
    return DryRunPath(
        states=(initial, *(step.to_state for step in steps)),
        steps=tuple(steps),
        outcome=states[here].get("outcome"),
        sms_on_submit=_strings(states[initial].get("sms_on_enter")),
        submitted_on=start,
        finished_on=entered_on,
        pauses=tuple(pauses),
        rts_due=rts_due,
        within_rts=entered_on <= rts_due,
    )


def dry_run(
    workflow_doc: dict[str, Any],
    service_doc: dict[str, Any],
    *,
    start: dt.date,
    calendar: WorkingCalendar,
    limit: int = 12,
) -> list[DryRunPath]:
    """Up to `limit` ways through the workflow, from submission on `start` to a terminal
    state, shortest first, each stage taking its full SLA.

    A state is visited at most once per path, so a file returned to the citizen and
    resubmitted is shown up to its return, not round the loop again. States without
    sla_days take no time. Transitions to states that do not exist are ignored.
    """
    raw_states = workflow_doc.get("states")
    states = {
        code: spec if isinstance(spec, dict) else {}
        for code, spec in (raw_states.items() if isinstance(raw_states, dict) else ())
    }
    transitions = [t for t in workflow_doc.get("transitions") or () if isinstance(t, dict)]
    initial = workflow_doc.get("initial")
    if not isinstance(initial, str) or initial not in states or limit < 1:
        return []
    rts = service_doc.get("rts") or {}
    days, day_type = int(rts.get("days") or 0), DayType(rts.get("day_type", DayType.WORKING))
    return [
        _walk(
            path,
            states=states,
            initial=initial,
            start=start,
            days=days,
            day_type=day_type,
            calendar=calendar,
        )
        for path in _simple_paths(states, transitions, initial, limit)
    ]
