"""Reads of applications. Every query that depends on who is asking goes through
`applications_visible_to`, so a view cannot forget the scope."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import lru_cache

from django.db.models import Q, QuerySet
from django.utils import timezone

from seva.core.errors import NotFound
from seva.core.money import rupees
from seva.definitions.models import ServiceVersion
from seva.definitions.selectors import form_schema_for, workflow_for
from seva.formschemas.keywords import DRAFT_2020_12
from seva.formschemas.rules import expression_holds, typed_values
from seva.formschemas.validation import build_validator
from seva.org.models import Oversight
from seva.org.selectors import (
    posting_covers,
    posting_sees_everything,
    postings_active,
    working_calendar_for,
)
from seva.workflows.clock import DayType, Pause, days_used, due_date
from seva.workflows.engine import CITIZEN, Answer, State, Transition, Workflow
from seva.workflows.guards import GUARDS
from seva.workflows.names import FACTS, FEES, INPUTS, input_variables, workflow_variables

from .models import Application, ApplicationEvent, Consultation, FeeDue


def applications_visible_to(user) -> QuerySet[Application]:
    """What `user` may read: their own applications; in each active posting's department and
    area, the files whose workflow names the posting's role (those it can hold or act on);
    and what a posting oversees: every department in its area (`oversees: district`, the
    collector), its department in its area (`oversees: department`, a head of department),
    everything (a posting with no department over the whole state, the CMO's). Any other
    posting in a department (its service administrator, say) reads no application."""
    if not getattr(user, "is_authenticated", False):
        return Application.objects.none()
    scope = Q(applicant=user)
    for posting in postings_active(user):
        if posting_sees_everything(posting):
            return Application.objects.all()
        area = Q(place_path__startswith=posting.jurisdiction.path)
        # A file held outside the applicant's area (routed by another place, or at a higher
        # office) is read where it is held, too.
        held_here = Q(held_at_path__startswith=posting.jurisdiction.path)
        department = Q(department_id=posting.department_id) if posting.department_id else Q()
        if posting.role.oversees == Oversight.DISTRICT:
            scope |= area | held_here
        elif posting.role.oversees == Oversight.DEPARTMENT:
            scope |= (area | held_here) & department
        else:
            handled = ServiceVersion.roles.through.objects.filter(role_id=posting.role_id)
            scope |= (
                (area | held_here)
                & department
                & Q(service_version__in=handled.values("serviceversion_id"))
            )
            # A file another department consulted this posting's role on (open or answered).
            if posting.department_id is not None:
                consulted = Consultation.objects.filter(
                    role_id=posting.role_id,
                    department_id=posting.department_id,
                    place_path__startswith=posting.jurisdiction.path,
                )
                scope |= Q(pk__in=consulted.values("application_id"))
    return Application.objects.filter(scope)


def applications_of_applicant(user) -> QuerySet[Application]:
    """A citizen's own applications, newest first (the same instant by id, so that pages
    never overlap), with only the columns a list shows: page it, a citizen may have
    thousands."""
    return (
        Application.objects.filter(applicant=user)
        .select_related("service")
        .only(
            "reference",
            "service__code",
            "state",
            "submitted_at",
            "rts_due_at",
            "closed_at",
            "outcome",
        )
        .order_by("-submitted_at", "-pk")
    )


def application_get_for(user, *, reference: str) -> Application:
    """The application, if `user` may see it. Not found and not allowed answer the same."""
    try:
        return (
            applications_visible_to(user)
            .select_related("service", "service_version", "department", "office", "holder_role")
            .get(reference=reference)
        )
    except Application.DoesNotExist:
        raise NotFound(f"No application {reference} that you can see.") from None


def acting_roles(user, application: Application) -> set[str]:
    """The roles in which `user` may act on `application` now: the holder role if one of their
    postings covers it, and 'citizen' if it is their own application."""
    roles: set[str] = set()
    if application.applicant_id is not None and application.applicant_id == user.pk:
        roles.add(CITIZEN)
    holder = application.holder_role.code if application.holder_role is not None else None
    for posting in postings_active(user):
        if posting.role.code == holder and posting_covers(
            posting,
            department_id=application.department_id,
            place_path=application.held_at_path or application.place_path,
        ):
            roles.add(holder)
    return roles


@dataclass(frozen=True)
class AvailableAction:
    transition: Transition
    role: str  # the role the user acts in


@lru_cache(maxsize=512)
def _condition_validator(when_json: str):
    return build_validator({"$schema": DRAFT_2020_12, **json.loads(when_json)})


def consultation_values(application: Application, workflow: Workflow) -> dict[str, object]:
    """What the expressions of `workflow` read about the consultations of the file's current
    state: `consultations.<code>` (an Answer), `.open`, `.objections`, `.conditions`."""
    variables = workflow.consultation_variables()
    if not variables:
        return {}
    consulted = workflow.state(application.state).consult
    answers = {c.code: Answer.PENDING.value for c in consulted}
    latest = application.consultations.filter(state=application.state).order_by("opened_at", "pk")
    for code, answer in latest.values_list("code", "answer"):
        if code in answers:
            answers[code] = answer or Answer.PENDING.value
    values: dict[str, object] = {name: "" for name, kind in variables if kind == "string"}
    values.update({f"consultations.{code}": answer for code, answer in answers.items()})
    counted = list(answers.values())
    values["consultations.open"] = counted.count(Answer.PENDING.value)
    values["consultations.objections"] = counted.count(Answer.OBJECTION.value)
    values["consultations.conditions"] = counted.count(Answer.CONDITIONS.value)
    return values


def _inputs_given(application: Application, workflow: Workflow) -> dict[str, object]:
    """`inputs.<action>.<field>`: what officers entered with each action, as last taken."""
    actions = {t.action for t in workflow.transitions if t.input_schema}
    given: dict[str, object] = {}
    taken = application.events.filter(kind=ApplicationEvent.Kind.ACTION, action__in=actions)
    for action, data in taken.order_by("sequence").values_list("action", "data"):
        for path, value in flattened(data or {}):
            given[f"{INPUTS}{action}.{path}"] = value
    return given


def flattened(value: object, prefix: str = "") -> list[tuple[str, object]]:
    """(dotted path, value) of every leaf of nested answers: {"a": {"b": 1}} -> [("a.b", 1)]."""
    if isinstance(value, dict) and (not prefix or value):
        return [
            item
            for key, inner in value.items()
            for item in flattened(inner, f"{prefix}.{key}" if prefix else str(key))
        ]
    return [(prefix, value)]


def _facts(application: Application) -> dict[str, object]:
    """`application.<fact>`: the application's own facts."""
    return {
        "application.channel": application.channel,
        "application.district": application.district.code if application.district else "",
        "application.place": application.place_path.rstrip("/").rsplit("/", 1)[-1],
        "application.service": application.service_version.spec.code,
        "application.submitted_on": timezone.localdate(application.submitted_at).isoformat(),
    }


def fees_of(application: Application) -> list[FeeDue]:
    """Every fee that fell due on the file, in the order they did: due, paid, lapsed or
    cancelled."""
    return list(application.fees.order_by("due_since", "pk"))


def fee_due_get(*, application: Application, code: str) -> FeeDue:
    """The fee `code` as it fell due on the file (its latest: a fee due again after a lapse
    is the same row). Raises NotFound when it never fell due."""
    try:
        return application.fees.get(code=code)
    except FeeDue.DoesNotExist:
        raise NotFound(f"No fee '{code}' fell due on {application.reference}.") from None


def _pay_by(application: Application, fee: FeeDue, workflow: Workflow) -> str:
    """YYYY-MM-DD: the last day to pay `fee` before the timer out of its state lapses it (as
    the timer counts it: the service's RTS day type, from the day it fell due); "" when its
    state has no timer."""
    timer = workflow.timer_from(fee.state) if fee.state in workflow.states else None
    if timer is None or timer.after_days is None:
        return ""
    last = due_date(
        start=timezone.localdate(fee.due_since),
        days=timer.after_days,
        day_type=application.service_version.spec.rts.day_type,
        calendar=working_calendar_for(application.office),
    )
    return last.isoformat()


def fee_values(application: Application, workflow: Workflow) -> dict[str, object]:
    """`fees.unpaid` (the fees due in the file's current state not paid yet) and, for each
    fee that fell due on the file, `fees.<code>.amount` (rupees), `.head`, `.receipt`,
    `.paid_on` and `.pay_by` (YYYY-MM-DD, or "")."""
    if not application.service_version.spec.fees:
        return {"fees.unpaid": 0}
    fees = fees_of(application)
    values: dict[str, object] = {
        "fees.unpaid": sum(f.is_due and f.state == application.state for f in fees)
    }
    for fee in fees:
        prefix = f"{FEES}{fee.code}."
        values[prefix + "amount"] = rupees(fee.amount_paise)
        values[prefix + "head"] = fee.head
        values[prefix + "receipt"] = fee.receipt if fee.is_paid else ""
        values[prefix + "paid_on"] = (
            timezone.localdate(fee.paid_at).isoformat() if fee.is_paid and fee.paid_at else ""
        )
        values[prefix + "pay_by"] = _pay_by(application, fee, workflow) if fee.is_due else ""
    return values


def expression_values(
    application: Application, workflow: Workflow, source: str
) -> dict[str, object]:
    """The values of the names besides the form's answers that `source` reads: the
    application's facts, the officers' inputs, the consultations' answers and the fees."""
    values: dict[str, object] = {}
    if FACTS in source:
        values.update(_facts(application))
    if INPUTS in source:
        values.update(typed_values(input_variables(workflow), _inputs_given(application, workflow)))
    if "consultations." in source:
        values.update(consultation_values(application, workflow))
    if FEES in source:
        values.update(fee_values(application, workflow))
    return values


def condition_holds(transition: Transition, application: Application) -> bool:
    """Whether the transition's conditions hold on the form data (and the names besides it:
    the application's facts, the officers' inputs, the consultations' answers): its `if` (an
    expression) and its `when` (a JSON Schema), each where it has one."""
    if transition.condition:
        workflow = workflow_for(application.service_version)
        if not expression_holds(
            form_schema_for(application.service_version),
            transition.condition,
            application.data,
            extra_variables=workflow_variables(workflow),
            extra_values=expression_values(application, workflow, transition.condition),
        ):
            return False
    if not transition.when:
        return True
    validator = _condition_validator(json.dumps(transition.when, sort_keys=True))
    return validator.is_valid(application.data)


def guard_refusals(
    transition: Transition, application: Application, user, inputs: dict
) -> list[str]:
    refusals = (GUARDS.get(name)(application, user, inputs) for name in transition.guards)
    return [reason for reason in refusals if reason]


def available_actions(user, application: Application) -> list[AvailableAction]:
    """What `user` can do to `application` right now: the workflow's actions from the current
    state for the user's acting roles, whose conditions on the data hold and whose guards pass."""
    if application.is_closed:
        return []
    roles = acting_roles(user, application)
    if not roles:
        return []
    workflow = workflow_for(application.service_version)
    actions = []
    for transition in workflow.actions_for(application.state, roles):
        if transition.for_citizen and CITIZEN in roles:
            role = CITIZEN
        else:
            role = min((roles - {CITIZEN}) & transition.roles)
        if condition_holds(transition, application) and not guard_refusals(
            transition, application, user, {}
        ):
            actions.append(AvailableAction(transition=transition, role=role))
    return actions


def consultations_of(application: Application) -> list[Consultation]:
    """Every consultation the file has had, oldest first, with who answered."""
    return list(
        application.consultations.select_related("role", "department", "answered_by").order_by(
            "opened_at", "pk"
        )
    )


def consultation_answerable_by(user, application: Application) -> list[Consultation]:
    """The open consultations on `application` that `user` may answer: a posting in the
    consulted role, in the consulted department, over the applicant's place."""
    if not getattr(user, "is_authenticated", False):
        return []
    postings = postings_active(user)
    return [
        c
        for c in application.consultations.filter(answered_at__isnull=True).select_related(
            "role", "department"
        )
        if any(
            p.role_id == c.role_id
            and posting_covers(p, department_id=c.department_id, place_path=c.place_path)
            for p in postings
        )
    ]


def consultations_waiting_for(user) -> QuerySet[Consultation]:
    """The open consultations in `user`'s postings' roles, departments and areas, soonest
    due first: the consulted officer's queue."""
    if not getattr(user, "is_authenticated", False):
        return Consultation.objects.none()
    scope = Q(pk__in=[])
    for posting in postings_active(user):
        if posting.department_id is None:
            continue
        scope |= Q(
            role_id=posting.role_id,
            department_id=posting.department_id,
            place_path__startswith=posting.jurisdiction.path,
        )
    return (
        Consultation.objects.filter(scope, answered_at__isnull=True)
        .select_related("application", "application__service", "role", "department")
        .order_by("due_at", "pk")
    )


def clock_pauses(application: Application) -> list[Pause]:
    return [
        Pause(dt.date.fromisoformat(start), dt.date.fromisoformat(end) if end else None)
        for start, end in application.clock_pauses
    ]


@dataclass(frozen=True)
class ClockReading:
    days_allowed: int
    day_type: DayType
    days_used: int
    days_left: int
    paused: bool


def rts_days_of(application: Application) -> int:
    """The RTS period of `application`: its service's, or the first variant's whose condition
    holds on its answers (a renewal's shorter period)."""
    spec = application.service_version.spec
    schema = form_schema_for(application.service_version)
    for variant in spec.rts.variants:
        if expression_holds(schema, variant.condition, application.data):
            return variant.days
    return spec.rts.days


def stage_days_of(application: Application, state: State) -> int | None:
    """The stage deadline of `state` for `application`: the first of the state's variants
    whose condition holds on its answers (a renewal's shorter stage), else its sla_days."""
    if state.sla_variants:
        schema = form_schema_for(application.service_version)
        for condition, days in state.sla_variants:
            if expression_holds(schema, condition, application.data):
                return days
    return state.sla_days


def application_clock(application: Application, *, today: dt.date | None = None) -> ClockReading:
    """The RTS clock as the citizen and officer see it: days used and left, paused or not."""
    rts = application.service_version.spec.rts
    days = rts_days_of(application)
    if application.closed_at:
        until = timezone.localdate(application.closed_at)
    else:
        until = today or timezone.localdate()
    used = days_used(
        start=timezone.localdate(application.submitted_at),
        until=until,
        day_type=rts.day_type,
        calendar=working_calendar_for(application.office),
        pauses=clock_pauses(application),
    )
    return ClockReading(
        days_allowed=days,
        day_type=rts.day_type,
        days_used=used,
        days_left=days - used,
        paused=application.clock_paused_at is not None,
    )
