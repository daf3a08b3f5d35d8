"""The workflow engine: a YAML state machine compiled into immutable objects.

A workflow is data (states with a holder and an SLA; actions from, to, for which roles).
The engine answers two questions: which actions a role has in a state, and where an
action leads. Applying one is the applications app's job, in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

CITIZEN = "citizen"  # the applicant, as an actor in `roles`
SYSTEM = "system"  # the platform itself (escalation), as it appears in history


class Outcome(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class Answer(StrEnum):
    """What a consulted office answers (or is taken to have answered)."""

    PENDING = "pending"  # not answered yet
    NO_OBJECTION = "no_objection"
    CONDITIONS = "conditions"  # no objection, on conditions it states
    OBJECTION = "objection"  # with its reasons
    DEEMED = "deemed"  # no answer by the deadline: deemed no objection


# What an officer may answer; DEEMED is the platform's, PENDING no answer at all.
ANSWERS_GIVEN = (Answer.NO_OBJECTION, Answer.CONDITIONS, Answer.OBJECTION)
# Names an expression reads about a state's consultations, besides one per consultation code.
CONSULTATION_COUNTS = ("open", "objections", "conditions")


@dataclass(frozen=True)
class Consultation:
    """An office asked for its opinion (a no-objection certificate) while the file stays in a
    state: its own holder, deadline and answer, alongside the others the state consults."""

    code: str
    label: dict[str, str]
    role: str
    days: int
    department: str | None = None  # None: the service's own department


@dataclass(frozen=True)
class State:
    code: str
    label: dict[str, str]
    role: str | None = None
    with_citizen: bool = False
    sla_days: int | None = None
    escalate_to: tuple[str, ...] = ()
    sms_on_enter: tuple[str, ...] = ()
    terminal: bool = False
    outcome: Outcome | None = None
    consult: tuple[Consultation, ...] = ()
    # Other stage deadlines for the files a condition holds on, first that holds: (if, days).
    sla_variants: tuple[tuple[str, int], ...] = ()
    # Where the file is held: the level of office (a district's, the state headquarters')
    # above the place, and the form field whose place it is (the institute's tehsil rather
    # than the applicant's); None: the applicant's place, at the role's own office.
    held_at: str | None = None
    place_from: str | None = None

    @property
    def stops_clock(self) -> bool:
        return self.with_citizen

    def holder_at_level(self, escalation_level: int) -> str | None:
        """The role holding the file after `escalation_level` escalations."""
        if self.role is None:
            return None
        ladder = (self.role, *self.escalate_to)
        return ladder[min(escalation_level, len(ladder) - 1)]

    def can_escalate(self, escalation_level: int) -> bool:
        return escalation_level < len(self.escalate_to)


@dataclass(frozen=True)
class Transition:
    action: str
    label: dict[str, str]
    sources: tuple[str, ...]
    target: str
    roles: frozenset[str]
    remarks_required: bool = False
    input_schema: dict[str, Any] | None = None
    when: dict[str, Any] | None = None
    guards: tuple[str, ...] = ()
    sms: tuple[str, ...] = ()
    bulk: bool = False
    # The citizen sends the whole form again, corrected; it replaces the stored answers.
    corrects_form: bool = False
    # The file goes back to the officer role that sent it to the current state (a grievance
    # the citizen is not satisfied with returns to whoever reported the action taken).
    back_to_sender: bool = False
    # What the dashboards count this action as (grievances): "action_taken_report",
    # "consent" (the citizen accepts the closure) or "reopen"; see COUNTS_AS.
    counts_as: str | None = None
    # A condition as an expression (CEL) over the form's answers, `data.<field>`; with `when`,
    # both must hold (docs/definitions/expressions.md).
    condition: str | None = None
    # Taken by the platform, not a person, as soon as `condition` holds on entering a state
    # it leaves from (routing by data); recorded in the history as the system's step.
    auto: bool = False
    # A timer: taken by the platform once the file has stayed this many days (counted like
    # the service's RTS days) in a state it leaves from: deemed approval, deemed no objection,
    # lapse. Recorded in the history as the system's step.
    after_days: int | None = None

    @property
    def by_platform(self) -> bool:
        """Taken by the platform, never offered to a person."""
        return self.auto or self.after_days is not None

    @property
    def for_citizen(self) -> bool:
        return CITIZEN in self.roles


@dataclass(frozen=True)
class Alerts:
    """What the officer holding a file is told about its stage deadline (officers always
    hear of new files in their queue)."""

    remind_before_days: int | None = None  # working days before the stage is due
    on_breach: bool = False


@dataclass(frozen=True)
class Workflow:
    code: str
    name: dict[str, str]
    initial: str
    states: dict[str, State]
    transitions: tuple[Transition, ...] = field(default_factory=tuple)
    alerts: Alerts = Alerts()

    @cached_property
    def _by_source(self) -> dict[str, dict[str, Transition]]:
        index: dict[str, dict[str, Transition]] = {code: {} for code in self.states}
        for transition in self.transitions:
            for source in transition.sources:
                index.setdefault(source, {})[transition.action] = transition
        return index

    def state(self, code: str) -> State:
        return self.states[code]

    def transitions_from(self, state: str) -> list[Transition]:
        return list(self._by_source.get(state, {}).values())

    def transition(self, state: str, action: str) -> Transition | None:
        return self._by_source.get(state, {}).get(action)

    def actions_for(self, state: str, roles: Iterable[str]) -> list[Transition]:
        """Transitions out of `state` that any of `roles` may take (conditions aside)."""
        wanted = set(roles)
        return [t for t in self.transitions_from(state) if t.roles & wanted and not t.by_platform]

    def automatic_from(self, state: str) -> list[Transition]:
        """The transitions the platform takes by itself out of `state`, in the file's order."""
        return [t for t in self.transitions_from(state) if t.auto]

    def timer_from(self, state: str) -> Transition | None:
        """The timer out of `state` (the checker allows one per state), if it has one."""
        return next((t for t in self.transitions_from(state) if t.after_days), None)

    def consultation_variables(self) -> tuple[tuple[str, str], ...]:
        """The names an expression may read about consultations, with their types:
        `consultations.open` (how many are unanswered), `.objections`, `.conditions` (how many
        answered so), and `consultations.<code>` (each one's Answer); none when no state
        consults."""
        codes = sorted({c.code for s in self.states.values() for c in s.consult})
        if not codes:
            return ()
        counts = [(f"consultations.{name}", "int") for name in CONSULTATION_COUNTS]
        return tuple(sorted([*counts, *((f"consultations.{c}", "string") for c in codes)]))

    def sms_events(self) -> set[str]:
        events = {e for s in self.states.values() for e in s.sms_on_enter}
        return events | {e for t in self.transitions for e in t.sms}

    def roles_used(self) -> set[str]:
        roles = {r for s in self.states.values() for r in (s.role, *s.escalate_to) if r}
        roles |= {c.role for s in self.states.values() for c in s.consult}
        return roles | {r for t in self.transitions for r in t.roles if r != CITIZEN}


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def compile_workflow(doc: dict[str, Any]) -> Workflow:
    """Build the engine's objects from a workflow document that passed the linter."""
    states = {
        code: State(
            code=code,
            label=dict(spec["label"]),
            role=spec.get("role"),
            with_citizen=bool(spec.get("with_citizen", False)),
            sla_days=spec.get("sla_days"),
            escalate_to=_as_tuple(spec.get("escalate_to")),
            sms_on_enter=_as_tuple(spec.get("sms_on_enter")),
            terminal=bool(spec.get("terminal", False)),
            outcome=Outcome(spec["outcome"]) if spec.get("outcome") else None,
            consult=tuple(
                Consultation(
                    code=item["code"],
                    label=dict(item["label"]),
                    role=item["role"],
                    days=int(item.get("days") or 0),
                    department=item.get("department"),
                )
                for item in spec.get("consult") or ()
            ),
            sla_variants=tuple(
                (item["if"], int(item["days"])) for item in spec.get("sla_variants") or ()
            ),
            held_at=spec.get("held_at"),
            place_from=spec.get("place_from"),
        )
        for code, spec in doc["states"].items()
    }
    transitions = tuple(
        Transition(
            action=spec["action"],
            label=dict(spec["label"]),
            sources=_as_tuple(spec["from"]),
            target=spec["to"],
            roles=frozenset(spec.get("roles") or ()),
            remarks_required=spec.get("remarks", "optional") == "required",
            input_schema=spec.get("input_schema"),
            when=spec.get("when"),
            guards=_as_tuple(spec.get("guards")),
            sms=_as_tuple(spec.get("sms")),
            bulk=bool(spec.get("bulk", False)),
            corrects_form=bool(spec.get("corrects_form", False)),
            back_to_sender=bool(spec.get("back_to_sender", False)),
            counts_as=spec.get("counts_as"),
            condition=spec.get("if"),
            auto=bool(spec.get("auto", False)),
            after_days=spec.get("after_days"),
        )
        for spec in doc["transitions"]
    )
    return Workflow(
        code=doc["code"],
        name=dict(doc["name"]),
        initial=doc["initial"],
        states=states,
        transitions=transitions,
        alerts=Alerts(
            remind_before_days=(doc.get("alerts") or {}).get("remind_before_days"),
            on_breach=bool((doc.get("alerts") or {}).get("on_breach", False)),
        ),
    )
