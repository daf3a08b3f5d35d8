"""Writes to applications: submit, act, escalate, recompute deadlines.

Each runs in one database transaction that writes the state change, its history row,
the new deadlines, the RTS rollups and the SMS outbox rows together, or nothing at all.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from seva.core.errors import ActionNotAllowed, Conflict, NotFound, ValidationFailed
from seva.core.money import rupees
from seva.definitions.models import Service
from seva.definitions.selectors import (
    FeeUnknown,
    fee_amount_paise,
    form_schema_for,
    form_validator_for,
    workflow_for,
)
from seva.definitions.spec import ServiceSpec
from seva.formschemas.conditions import prune_hidden
from seva.formschemas.keywords import DRAFT_2020_12
from seva.formschemas.paths import get_path
from seva.formschemas.rules import with_computed
from seva.formschemas.validation import (
    build_validator,
    mask_sensitive,
    validate_form_data,
    with_kept_masked_values,
)
from seva.org.models import Department, Jurisdiction, JurisdictionLevel, Role
from seva.org.routing import HolderFlag, route_holder
from seva.org.selectors import place_chain, place_chain_of_path, working_calendar_for
from seva.workflows.clock import DayType, Pause, WorkingCalendar, due_date
from seva.workflows.engine import ANSWERS_GIVEN, CITIZEN, SYSTEM, State, Transition, Workflow

from . import events as lifecycle
from .documents import (
    ATTACHMENT_FIELD,
    attachment_upload,
    attachments_check_count,
    documents_attach,
    documents_check_claimable,
    documents_claim,
    documents_lock,
)
from .errors import FeeAlreadyPaid, FeeNotDue
from .models import (
    NEW,
    Application,
    ApplicationEvent,
    Channel,
    Consultation,
    Document,
    Feedback,
    FeeDue,
)
from .references import next_reference, reference_prefix
from .selectors import (
    acting_roles,
    application_get_for,
    clock_pauses,
    condition_holds,
    consultation_answerable_by,
    expression_values,
    guard_refusals,
    rts_days_of,
    stage_days_of,
)

logger = logging.getLogger(__name__)

LEVEL_ORDER = list(JurisdictionLevel.values)


@dataclass(frozen=True)
class _Submission:
    """The step from NEW into the workflow's initial state, in the FSM's terms."""

    target: str
    action: str = "submit"
    sources: tuple[str, ...] = (NEW,)


def end_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.max))


def _rts(application: Application) -> tuple[int, DayType]:
    return rts_days_of(application), application.service_version.spec.rts.day_type


def _compute_rts_due(
    application: Application, calendar: WorkingCalendar, today: dt.date
) -> dt.datetime:
    """Due date with every pause; a pause still open is taken to end today."""
    days, day_type = _rts(application)
    pauses = [
        p if p.ended_on else Pause(p.started_on, max(today, p.started_on))
        for p in clock_pauses(application)
    ]
    start = timezone.localdate(application.submitted_at)
    return end_of_day(
        due_date(start=start, days=days, day_type=day_type, calendar=calendar, pauses=pauses)
    )


def _stage_due(
    application: Application,
    state: State,
    start: dt.date,
    day_type: DayType,
    calendar: WorkingCalendar,
) -> dt.datetime | None:
    days = None if state.terminal else stage_days_of(application, state)
    if not days:
        return None
    return end_of_day(due_date(start=start, days=days, day_type=day_type, calendar=calendar))


def _timer_due(
    workflow: Workflow, state: State, start: dt.date, day_type: DayType, calendar: WorkingCalendar
) -> dt.datetime | None:
    """The end of the last day a file may stay in `state` before its timer fires."""
    timer = None if state.terminal else workflow.timer_from(state.code)
    if timer is None or timer.after_days is None:
        return None
    return end_of_day(
        due_date(start=start, days=timer.after_days, day_type=day_type, calendar=calendar)
    )


def _held_at(application: Application, state: State) -> str:
    """The path by which the file is held in `state`: the applicant's place, or the place of
    the form field the state names (`place_from`), raised to the state's level of office
    (`held_at`). A place field left empty routes by the applicant's place."""
    path = application.place_path
    if not (state.place_from or state.held_at):
        return path
    chain: list[Jurisdiction] = []
    if state.place_from:
        code = get_path(application.data, state.place_from)
        if isinstance(code, str):
            chain = place_chain(code)
    if not chain:
        chain = place_chain_of_path(path)
    if not chain:
        return path
    if state.held_at:
        chain = [j for j in chain if j.level == state.held_at] or chain
    return chain[-1].path


def _enter_state(
    application: Application,
    *,
    workflow: Workflow,
    state: State,
    at: dt.datetime,
    calendar: WorkingCalendar,
    holder: str | None = None,
) -> None:
    """Deadlines, holder, clock and closure for entering `state` at `at`. No save.
    `holder` overrides the state's own role (see Transition.back_to_sender)."""
    today = timezone.localdate(at)
    _days, day_type = _rts(application)
    was_paused = application.clock_paused_at is not None
    if was_paused and not state.stops_clock:
        start, _end = application.clock_pauses[-1]
        application.clock_pauses = [*application.clock_pauses[:-1], [start, today.isoformat()]]
        application.clock_paused_at = None
    elif state.stops_clock and not was_paused:
        application.clock_pauses = [*application.clock_pauses, [today.isoformat(), None]]
        application.clock_paused_at = at
    application.rts_due_at = _compute_rts_due(application, calendar, today)

    application.escalation_level = 0
    application.holder_role = None
    application.holder_flag = HolderFlag.NONE
    application.held_at_path = _held_at(application, state)
    if state.role:
        # The state's role, or a named officer role (back to the sender), if somebody is
        # there to hold it; else additional charge, else up the ladder (org.routing).
        routing = route_holder(
            state=state,
            role_code=holder or state.role,
            department_id=application.department_id,
            place_path=application.held_at_path,
            on=today,
        )
        application.holder_role = routing.role
        application.escalation_level = routing.ladder_index
        application.holder_flag = routing.flag
    application.stage_started_at = at
    application.stage_due_at = _stage_due(application, state, today, day_type, calendar)
    application.timer_due_at = _timer_due(workflow, state, today, day_type, calendar)
    if state.terminal:
        application.closed_at = at
        application.outcome = state.outcome.value if state.outcome else ""
        application.closed_within_rts = at <= application.rts_due_at


def _record(
    application: Application,
    *,
    kind: str,
    at: dt.datetime,
    actor,
    actor_role: str,
    action: str,
    from_state: str,
    remarks: str = "",
    data: dict | None = None,
    counts_as: str = "",
    within_stage_deadline: bool | None = None,
    sequence: int | None = None,
) -> ApplicationEvent:
    """A row in the file's history; `sequence` is known on submission (1), else the next."""
    if sequence is None:
        last = application.events.order_by("-sequence").values_list("sequence", flat=True)
        sequence = (last.first() or 0) + 1
    return ApplicationEvent.objects.create(
        application=application,
        sequence=sequence,
        kind=kind,
        at=at,
        actor=actor,
        actor_role=actor_role,
        action=action,
        from_state=from_state,
        to_state=application.state,
        remarks=remarks,
        data=data or {},
        counts_as=counts_as,
        within_stage_deadline=within_stage_deadline,
    )


def history_note(
    application: Application, *, actor, actor_role: str, action: str, remarks: str, data: dict
) -> ApplicationEvent:
    """A row in the file's history for what happened beside its workflow (a document revoked
    or corrected), without moving it. Locks the file, so rows keep their sequence."""
    locked = Application.objects.select_for_update().get(pk=application.pk)
    return _record(
        locked,
        kind=ApplicationEvent.Kind.DOCUMENT,
        at=timezone.now(),
        actor=actor,
        actor_role=actor_role,
        action=action,
        from_state=locked.state,
        remarks=remarks,
        data=data,
    )


def _notify(
    application: Application, *, events: tuple[str, ...], event_row: ApplicationEvent
) -> None:
    for event in events:
        lifecycle.sms_due.notify(lifecycle.SmsDue(application, event, event_row))
    lifecycle.entered.notify(lifecycle.Entered(application, event_row))


def _route(spec: ServiceSpec, data: dict) -> tuple[Jurisdiction, list[Jurisdiction]]:
    """(office, chain): the office that processes the application in the place the applicant
    gave (the node at the service's processing level above it), and that place with every
    node above it, from the root down (org.selectors.place_chain, cached per process)."""
    field = spec.applicant.jurisdiction_field
    code = get_path(data, field)
    level = spec.processing_level
    chain = place_chain(code) if isinstance(code, str) else []
    office = next((j for j in chain if j.level == level), None)
    if office is None or LEVEL_ORDER.index(chain[-1].level) < LEVEL_ORDER.index(level):
        raise ValidationFailed({f"data.{field}": [_("Choose a place from the list.")]})
    return office, chain


def _checked_form_data(
    version,
    data: Any,
    *,
    owners: list,
    kept: dict | None = None,
    application: Application | None = None,
) -> tuple[dict, list]:
    """Validate form data as the portal and the API both must: conditional answers that do not
    apply are dropped, the pinned version's validator decides, uploaded documents must be the
    caller's own. Returns the data to store (Aadhaar masked) and the documents it claims."""
    if not isinstance(data, dict):
        raise ValidationFailed({"data": [_("Send the form's answers as an object.")]})
    schema = form_schema_for(version)
    # Computed answers are the server's: whatever the client sent for them is replaced.
    data = with_computed(schema, prune_hidden(schema, data))
    checked = with_kept_masked_values(schema, data, kept) if kept else data
    errors = {
        f"data.{k}": v for k, v in validate_form_data(form_validator_for(version), checked).items()
    }
    documents, document_errors = documents_check_claimable(
        schema, data, owners=owners, application=application
    )
    for key, messages in document_errors.items():
        errors.setdefault(key, messages)
    if errors:
        raise ValidationFailed(dict(sorted(errors.items())))
    return mask_sensitive(schema, data), documents


def _district_and_tehsil(
    chain: list[Jurisdiction],
) -> tuple[Jurisdiction | None, Jurisdiction | None]:
    found = {j.level: j for j in chain}
    return found.get(JurisdictionLevel.DISTRICT), found.get(JurisdictionLevel.TEHSIL)


def application_submit(
    *,
    service: Service,
    data: Any,
    applicant,
    channel: str = Channel.ONLINE,
    filed_by=None,
    language: str = "en",
    draft_id=None,
    at: dt.datetime | None = None,
) -> Application:
    """File an application on the service's current version. Raises ValidationFailed with
    errors keyed `data.<field>` when the form's validator refuses the data, DocumentsTaken
    (a Conflict) when its uploads went with another application while it was checked, and
    IntegrityError on `applications_one_per_draft` when `draft_id` (the draft it is sent
    from) made one already."""
    at = at or timezone.now()
    version = service.current_version
    if version is None:
        raise ValidationFailed({"service": [_("This service is not open for applications.")]})
    data, documents = _checked_form_data(version, data, owners=[applicant, filed_by])
    spec = version.spec
    office, chain = _route(spec, data)
    place = chain[-1]
    district, tehsil = _district_and_tehsil(chain)
    workflow = workflow_for(version)
    initial = workflow.state(workflow.initial)
    calendar = working_calendar_for(office)
    # The number first, in a statement of its own: the counter's row is locked for that
    # statement only, not for the whole submission (references.next_reference).
    reference = next_reference(
        prefix=reference_prefix(
            department_short_code=service.department.short_code,
            service_reference_code=spec.reference_code,
        ),
        year=timezone.localdate(at).year,
    )

    with transaction.atomic():
        application = Application(
            reference=reference,
            service=service,
            service_version=version,
            department=service.department,
            office=office,
            place=place,
            place_path=place.path,
            district=district,
            tehsil=tehsil,
            applicant=applicant,
            applicant_name=str(get_path(data, spec.applicant.name_field) or "")[:200],
            applicant_mobile=str(get_path(data, spec.applicant.mobile_field) or ""),
            language=language if language in ("en", "hi") else "en",
            channel=channel,
            filed_by=filed_by or applicant,
            data=data,
            draft_id=draft_id,
            submitted_at=at,
            stage_started_at=at,
            rts_due_at=at,  # set properly by _enter_state below
        )
        application.apply_step(_Submission(target=initial.code))
        _enter_state(application, workflow=workflow, state=initial, at=at, calendar=calendar)
        application.save(force_insert=True)
        documents_claim(documents, application)
        event = _record(
            application,
            kind=ApplicationEvent.Kind.SUBMITTED,
            at=at,
            actor=filed_by or applicant,
            actor_role=CITIZEN if (filed_by or applicant) == applicant else channel,
            action="submit",
            from_state=NEW,
            sequence=1,
        )
        # Checked on the spec first: a service without fees reads nothing more here.
        if spec.fees:
            _fees_open(application, state=initial, at=at, refused_as="data")
        _notify(application, events=initial.sms_on_enter, event_row=event)
        # After the SMS: the rollups' rows are the ones every submission in the district and
        # department shares, so they are locked as late as can be. Before any automatic
        # step, which moves the file from where it was counted.
        lifecycle.submitted.notify(lifecycle.Submitted(application))
        _consultations_open(application, state=initial, at=at, calendar=calendar)
        _take_automatic_steps(application, workflow=workflow, at=at)
    return application


def _take_automatic_steps(application: Application, *, workflow: Workflow, at: dt.datetime) -> None:
    """The automatic actions (`auto`) out of the state the file has entered, taken by the
    platform as soon as their condition holds: the first that holds, in the workflow's order,
    then again from where it led (routing by data). The checker refuses automatic actions
    that could loop; the bound is a second guard."""
    for _step in range(len(workflow.states)):
        transition = next(
            (
                t
                for t in workflow.automatic_from(application.state)
                if condition_holds(t, application)
            ),
            None,
        )
        if transition is None:
            return
        _platform_step(application, transition, workflow=workflow, at=at)


def _platform_step(
    application: Application,
    transition: Transition,
    *,
    workflow: Workflow,
    at: dt.datetime,
    remarks: str = "",
) -> None:
    """Take `transition` as the platform (an automatic action or a timer) on a locked file,
    recorded in its history with the actor `system`. The fees left unpaid in the state it
    leaves lapse when a timer took it out, else they are cancelled."""
    target = workflow.state(transition.target)
    from_state = application.state
    position = lifecycle.open_position(application)
    application.apply_step(transition)
    calendar = working_calendar_for(application.office)
    _enter_state(application, workflow=workflow, state=target, at=at, calendar=calendar)
    try:
        application.save()
    except ConcurrentTransition as exc:  # pragma: no cover - the row is locked
        raise Conflict() from exc
    lifecycle.moved.notify(lifecycle.Moved(application, position))
    event = _record(
        application,
        kind=ApplicationEvent.Kind.ACTION,
        at=at,
        actor=None,
        actor_role=SYSTEM,
        action=transition.action,
        from_state=from_state,
        remarks=remarks,
    )
    _fees_close(application, state=from_state, at=at, lapsed=transition.after_days is not None)
    _fees_open(application, state=target, at=at)
    _notify(application, events=(*transition.sms, *target.sms_on_enter), event_row=event)
    _consultations_withdraw(application, state=from_state, at=at)
    _consultations_open(application, state=target, at=at, calendar=calendar)


def applications_fire_timers(*, at: dt.datetime | None = None) -> int:
    """Every open file whose state's timer is due moves on by it (deemed approval, deemed no
    objection, lapse), then by any automatic action from where it leads. Each file in its
    own transaction, locked and looked at again: a file an officer moved meanwhile, or one a
    second sweep took first, is left alone, so a timer never fires twice and the sweep can
    run again after a restart. Returns how many timers fired."""
    at = at or timezone.now()
    due = Application.objects.filter(timer_due_at__lte=at, closed_at__isnull=True).values_list(
        "pk", flat=True
    )
    fired = 0
    for pk in list(due.order_by("timer_due_at", "pk")):
        with transaction.atomic():
            current = (
                Application.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("service_version", "office")
                .filter(pk=pk, timer_due_at__lte=at, closed_at__isnull=True)
                .first()
            )
            if current is None:
                continue
            workflow = workflow_for(current.service_version)
            timer = workflow.timer_from(current.state)
            if timer is None:  # pragma: no cover - timer_due_at is set only with a timer
                current.timer_due_at = None
                current.save(update_fields=["timer_due_at", "updated_at"])
                continue
            try:
                with transaction.atomic():
                    _platform_step(
                        current,
                        timer,
                        workflow=workflow,
                        at=at,
                        remarks=f"No action within {timer.after_days} days: taken by the timer.",
                    )
                    _take_automatic_steps(current, workflow=workflow, at=at)
            except FeeUnknown as exc:
                # The state it leads to has a fee its amount cannot be worked out for: the
                # definition needs correcting; the other files' timers still fire.
                logger.error(
                    "timer of %s not taken: %s",
                    current.reference,
                    exc.message,
                    extra={"application": current.reference},
                )
                continue
            fired += 1
    return fired


def _consultation_due(
    opened_on: dt.date, days: int, day_type: DayType, calendar: WorkingCalendar
) -> dt.datetime:
    """The end of a consultation's last day: `days` counted like the service's RTS days."""
    return end_of_day(due_date(start=opened_on, days=days, day_type=day_type, calendar=calendar))


def _consultations_open(
    application: Application, *, state: State, at: dt.datetime, calendar: WorkingCalendar
) -> None:
    """Open the consultations `state` asks for, each with its deadline (the service's RTS day
    type, from the day the file entered), and record that they were opened."""
    if not state.consult or state.terminal:
        return
    _days, day_type = _rts(application)
    today = timezone.localdate(at)
    roles = {r.code: r for r in Role.objects.filter(code__in={c.role for c in state.consult})}
    codes = {c.department for c in state.consult if c.department}
    departments = {d.code: d for d in Department.objects.filter(code__in=codes)}
    opened = Consultation.objects.bulk_create(
        Consultation(
            application=application,
            state=state.code,
            code=item.code,
            label=dict(item.label),
            role=roles[item.role],
            department=departments[item.department] if item.department else application.department,
            place_path=application.place_path,
            opened_at=at,
            due_at=_consultation_due(today, item.days, day_type, calendar),
        )
        for item in state.consult
    )
    _record(
        application,
        kind=ApplicationEvent.Kind.CONSULTATION,
        at=at,
        actor=None,
        actor_role=SYSTEM,
        action="consult",
        from_state=application.state,
        data={
            "opened": [
                {
                    "consultation": c.code,
                    "role": c.role.code,
                    "department": c.department.code,
                    "due": timezone.localdate(c.due_at).isoformat(),
                }
                for c in opened
            ]
        },
    )


def _consultations_withdraw(application: Application, *, state: str, at: dt.datetime) -> None:
    """The file left `state` before some of its consultations were answered: those close
    unanswered (the answers given stay in the history)."""
    application.consultations.filter(state=state, answered_at__isnull=True).update(
        answered_at=at, answer=Consultation.Answer.WITHDRAWN
    )


# ------------------------------------------------------------------------------
# Fees paid through Seva (the service's `fees`; the payments app records the payments)
# ------------------------------------------------------------------------------
def _fee_row(fee: FeeDue) -> dict[str, object]:
    return {"fee": fee.code, "amount_paise": fee.amount_paise, "head": fee.head}


def _fee_words(fees: Sequence[FeeDue]) -> str:
    return "; ".join(
        f"{fee.name.get('en') or fee.code}, Rs {rupees(fee.amount_paise)}" for fee in fees
    )


def _fees_open(
    application: Application, *, state: State, at: dt.datetime, refused_as: str | None = None
) -> None:
    """The service's fees due in `state` fall due on the file entering it, each with its
    amount worked out now (on the answers, the application's facts and the officers' inputs
    recorded so far) and fixed; an amount of 0 opens nothing, and a fee paid already (the
    file came back to the state) is not asked for again. Recorded in the history. A fee whose
    amount cannot be worked out raises FeeUnknown, or ValidationFailed keyed `refused_as`
    when a person's step led here (what they sent may be what is missing)."""
    spec = application.service_version.spec
    due = spec.fees_due_in(state.code)
    if not due or state.terminal:
        return
    rows = {fee.code: fee for fee in application.fees.filter(code__in=[f.code for f in due])}
    opened: list[FeeDue] = []
    for fee in due:
        row = rows.get(fee.code)
        if row is not None and row.status in (FeeDue.Status.PAID, FeeDue.Status.DUE):
            continue
        try:
            amount = fee_amount_paise(
                version=application.service_version,
                fee=fee,
                data=application.data,
                inputs=expression_values(
                    application, workflow_for(application.service_version), fee.expression or ""
                ),
            )
        except FeeUnknown as exc:
            if refused_as is None:
                raise
            raise ValidationFailed({refused_as: [str(exc.message)]}) from None
        if amount == 0:
            continue
        row = row or FeeDue(application=application, code=fee.code)
        row.name, row.state, row.head = dict(fee.name), state.code, fee.head
        row.amount_paise, row.status, row.due_since = amount, FeeDue.Status.DUE, at
        row.paid_at, row.receipt = None, ""
        row.save()
        opened.append(row)
    if opened:
        _record(
            application,
            kind=ApplicationEvent.Kind.FEE,
            at=at,
            actor=None,
            actor_role=SYSTEM,
            action="fee_due",
            from_state=application.state,
            remarks=f"Due: {_fee_words(opened)}.",
            data={"due": [_fee_row(fee) for fee in opened]},
        )


def _fees_close(application: Application, *, state: str, at: dt.datetime, lapsed: bool) -> None:
    """The file left `state`: the fees due there and still unpaid close, `lapsed` when a
    timer took it out (the demand was not met in time), else `cancelled`. Recorded in the
    history."""
    spec = application.service_version.spec
    if not spec.fees_due_in(state):
        return
    status = FeeDue.Status.LAPSED if lapsed else FeeDue.Status.CANCELLED
    closing = list(application.fees.filter(state=state, status=FeeDue.Status.DUE))
    if not closing:
        return
    FeeDue.objects.filter(pk__in=[fee.pk for fee in closing]).update(status=status)
    _record(
        application,
        kind=ApplicationEvent.Kind.FEE,
        at=at,
        actor=None,
        actor_role=SYSTEM,
        action="fee_lapsed" if lapsed else "fee_cancelled",
        from_state=state,
        remarks=(
            f"Not paid in time: {_fee_words(closing)}."
            if lapsed
            else f"No longer due: {_fee_words(closing)}."
        ),
        data={status.value: [_fee_row(fee) for fee in closing]},
    )


def fee_paid(
    *,
    fee_due: FeeDue,
    receipt: str,
    at: dt.datetime,
    actor=None,
    actor_role: str | None = None,
) -> FeeDue:
    """Mark `fee_due` paid by the payment whose receipt number is `receipt`, in the caller's
    transaction: the file is locked first and the fee read again under the lock, so that two
    payments settling at once pay it once. Raises FeeAlreadyPaid when it is paid already,
    FeeNotDue when it is not due any more (lapsed, cancelled, the file closed): the caller
    keeps the money on record and gives it back. Recorded in the history with `actor` (None:
    the platform, a gateway's callback) in `actor_role` (by default 'citizen' for the
    applicant, else 'system'); then the file moves on by any automatic action that now holds
    (`fees.unpaid == 0`)."""
    with transaction.atomic():
        current = (
            Application.objects.select_for_update(of=("self",))
            .select_related("service_version", "office", "district")
            .get(pk=fee_due.application_id)
        )
        fee = FeeDue.objects.select_for_update().get(pk=fee_due.pk)
        name = fee.name.get((get_language() or "en")[:2]) or fee.name.get("en") or fee.code
        if fee.status == FeeDue.Status.PAID:
            raise FeeAlreadyPaid(reference=current.reference, fee=name, receipt=fee.receipt)
        if current.is_closed or fee.status != FeeDue.Status.DUE:
            reasons: dict[str, str] = {
                FeeDue.Status.LAPSED: _("it was not paid in time, and the demand lapsed."),
                FeeDue.Status.CANCELLED: _("the application moved on without it."),
            }
            why = reasons.get(fee.status, _("the application is closed."))
            raise FeeNotDue(reference=current.reference, fee=name, why=str(why))
        fee.status, fee.paid_at, fee.receipt = FeeDue.Status.PAID, at, receipt[:40]
        fee.save(update_fields=["status", "paid_at", "receipt"])
        if actor_role is None:
            applicant = actor is not None and actor.pk == current.applicant_id
            actor_role = CITIZEN if applicant else SYSTEM
        _record(
            current,
            kind=ApplicationEvent.Kind.FEE,
            at=at,
            actor=actor,
            actor_role=actor_role,
            action="fee_paid",
            from_state=current.state,
            remarks=f"Paid: {_fee_words([fee])}, receipt {fee.receipt}.",
            data={"paid": [{**_fee_row(fee), "receipt": fee.receipt}]},
        )
        _take_automatic_steps(current, workflow=workflow_for(current.service_version), at=at)
    fee_due.status, fee_due.paid_at, fee_due.receipt = fee.status, fee.paid_at, fee.receipt
    return fee


def consultation_answer(
    *,
    application: Application,
    user,
    code: str,
    answer: str,
    remarks: str = "",
    at: dt.datetime | None = None,
) -> Consultation:
    """A consulted officer's answer (no objection; no objection on conditions, which they
    state; an objection, with its reasons), recorded in the file's history; then the file
    moves on by any automatic action that now holds (all answered, say)."""
    at = at or timezone.now()
    remarks = (remarks or "").strip()
    with transaction.atomic():
        current = (
            Application.objects.select_for_update(of=("self",))
            .select_related("service_version", "office", "department")
            .get(pk=application.pk)
        )
        consultation = next(
            (c for c in consultation_answerable_by(user, current) if c.code == code), None
        )
        if consultation is None:
            if current.consultations.filter(code=code, answered_at__isnull=False).exists():
                raise Conflict(
                    _("The consultation '%(code)s' on %(ref)s has been answered already.")
                    % {"code": code, "ref": current.reference}
                )
            raise ActionNotAllowed(
                _("No open consultation '%(code)s' on %(ref)s is yours to answer.")
                % {"code": code, "ref": current.reference}
            )
        errors: dict[str, list[str]] = {}
        if answer not in ANSWERS_GIVEN:
            errors["answer"] = [
                _("Answer no_objection, conditions or objection."),
            ]
        elif answer == Consultation.Answer.OBJECTION and not remarks:
            errors["remarks"] = [_("Give the reasons for the objection.")]
        elif answer == Consultation.Answer.CONDITIONS and not remarks:
            errors["remarks"] = [_("State the conditions of the no objection.")]
        if errors:
            raise ValidationFailed(errors)
        consultation.answer = answer
        consultation.answered_at = at
        consultation.answered_by = user
        consultation.remarks = remarks
        consultation.save(update_fields=["answer", "answered_at", "answered_by", "remarks"])
        _record(
            current,
            kind=ApplicationEvent.Kind.CONSULTATION,
            at=at,
            actor=user,
            actor_role=consultation.role.code,
            action="answer_consultation",
            from_state=current.state,
            remarks=remarks,
            data={"consultation": consultation.code, "answer": answer},
        )
        _take_automatic_steps(current, workflow=workflow_for(current.service_version), at=at)
    return consultation


def consultations_deem_due(*, at: dt.datetime | None = None) -> int:
    """Every open consultation past its deadline is deemed no objection, recorded as the
    system's, and its file moves on by any automatic action that now holds. Each file in
    its own transaction, locked and looked at again, so that a consultation answered
    meanwhile is left alone and none is deemed twice. Returns how many were deemed."""
    at = at or timezone.now()
    due = (
        Consultation.objects.filter(due_at__lte=at, answered_at__isnull=True)
        .order_by("due_at", "pk")
        .values_list("application_id", flat=True)
    )
    deemed = 0
    for application_id in list(dict.fromkeys(due)):
        with transaction.atomic():
            current = (
                Application.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("service_version", "office")
                .filter(pk=application_id)
                .first()
            )
            if current is None:  # pragma: no cover - another sweep holds it
                continue
            overdue = list(
                current.consultations.filter(due_at__lte=at, answered_at__isnull=True)
                .select_related("role")
                .order_by("due_at", "pk")
            )
            for consultation in overdue:
                consultation.answer = Consultation.Answer.DEEMED
                consultation.answered_at = at
                consultation.save(update_fields=["answer", "answered_at"])
                _record(
                    current,
                    kind=ApplicationEvent.Kind.CONSULTATION,
                    at=at,
                    actor=None,
                    actor_role=SYSTEM,
                    action="answer_consultation",
                    from_state=current.state,
                    remarks="No answer by the deadline: deemed no objection.",
                    data={"consultation": consultation.code, "answer": consultation.answer},
                )
                deemed += 1
            if overdue:
                _take_automatic_steps(
                    current, workflow=workflow_for(current.service_version), at=at
                )
    return deemed


def _sender_of(application: Application) -> str | None:
    """The officer role whose action put the file in its current state."""
    last = (
        application.events.filter(to_state=application.state, kind=ApplicationEvent.Kind.ACTION)
        .exclude(actor_role__in=[CITIZEN, SYSTEM])
        .order_by("-sequence")
        .first()
    )
    return last.actor_role if last else None


def _choose_role(transition: Transition, roles: set[str]) -> str | None:
    if transition.for_citizen and CITIZEN in roles:
        return CITIZEN
    officer = sorted((roles - {CITIZEN}) & transition.roles)
    return officer[0] if officer else None


def application_act(
    *,
    application: Application,
    user,
    action: str,
    remarks: str = "",
    inputs: Any = None,
    expected_state: str | None = None,
    attachments: Sequence[Document] = (),
    at: dt.datetime | None = None,
) -> Application:
    """Take `action` on `application` as `user`, with files the user uploaded for it
    (`attachments`, from `attachment_upload`) kept with this step. The application object (or `expected_state`,
    when the caller says what it saw) is what the user decided on: if someone moved the file
    on since, this raises Conflict and changes nothing."""
    at = at or timezone.now()
    inputs = {} if inputs is None else inputs
    remarks = (remarks or "").strip()
    with transaction.atomic():
        # Lock the row: a second officer acting at the same moment waits here, then sees
        # the new state below and gets a conflict instead of a second transition.
        current = (
            Application.objects.select_for_update(of=("self",))
            .select_related("service_version", "holder_role", "department", "office")
            .get(pk=application.pk)
        )
        workflow = workflow_for(current.service_version)
        seen_state = expected_state or application.state
        if current.state != seen_state or current.holder_role_id != application.holder_role_id:
            label = workflow.state(current.state).label.get("en", current.state)
            raise Conflict(
                _(
                    "Someone else acted on %(ref)s first; it is now '%(state)s'. Reload it and decide again."
                )
                % {"ref": current.reference, "state": label}
            )
        if current.is_closed:
            raise ActionNotAllowed(_("This application is closed."))
        transition = workflow.transition(current.state, action)
        roles = acting_roles(user, current)
        role = _choose_role(transition, roles) if transition else None
        if transition is None or role is None:
            raise ActionNotAllowed(
                _("'%(action)s' is not one of your actions on %(ref)s now.")
                % {"action": action, "ref": current.reference}
            )
        if not condition_holds(transition, current):
            raise ActionNotAllowed(
                _("'%(action)s' does not apply to this application.") % {"action": action}
            )
        refusals = guard_refusals(transition, current, user, inputs)
        if refusals:
            raise ActionNotAllowed(" ".join(refusals))

        errors: dict[str, list[str]] = {}
        if transition.remarks_required and not remarks:
            errors["remarks"] = [_("Give your remarks for this action.")]
        documents: list[Document] = []
        corrected, recorded = None, inputs
        if transition.corrects_form:
            try:
                corrected, documents = _checked_form_data(
                    current.service_version,
                    inputs,
                    owners=[current.applicant, user],
                    kept=current.data,
                    application=current,
                )
            except ValidationFailed as exc:
                errors.update(exc.errors)
            if corrected is not None:
                changed = set(corrected) | set(current.data)
                changed = {k for k in changed if corrected.get(k) != current.data.get(k)}
                recorded = {"corrected_fields": sorted(changed)}
        elif transition.input_schema is not None:
            validator = build_validator({"$schema": DRAFT_2020_12, **transition.input_schema})
            for key, messages in validate_form_data(validator, inputs).items():
                errors[f"data.{key}"] = messages
            recorded = mask_sensitive(transition.input_schema, inputs)
        elif inputs:
            errors["data"] = [_("This action takes no inputs.")]
        if any(
            d.owner_id != user.pk or d.application_id is not None or d.field != ATTACHMENT_FIELD
            for d in attachments
        ):
            errors[ATTACHMENT_FIELD] = [_("Attach the file again.")]
        if errors:
            raise ValidationFailed(errors)

        target = workflow.state(transition.target)
        from_state = current.state
        position = lifecycle.open_position(current)
        on_time = None if current.stage_due_at is None else at <= current.stage_due_at
        sender = _sender_of(current) if transition.back_to_sender else None
        try:
            current.apply_step(transition)
        except TransitionNotAllowed as exc:  # pragma: no cover - checked above
            raise ActionNotAllowed(str(exc)) from exc
        _enter_state(
            current,
            workflow=workflow,
            state=target,
            at=at,
            calendar=working_calendar_for(current.office),
            holder=sender,
        )
        if corrected is not None:
            current.data = corrected
            documents_lock(documents, application=current)
            documents_attach(documents, current)
        try:
            current.save()
        except ConcurrentTransition as exc:
            raise Conflict() from exc
        if transition.counts_as:
            lifecycle.acted.notify(lifecycle.Acted(current, transition.counts_as, on_time, at))
        if transition.counts_as == "consent" and recorded.get("rating"):
            # The citizen's rating at closure is their feedback on the file.
            feedback = Feedback.objects.create(
                application=current, rating=int(recorded["rating"]), created_at=at
            )
            lifecycle.rated.notify(lifecycle.Rated(feedback))
        lifecycle.moved.notify(lifecycle.Moved(current, position))
        event = _record(
            current,
            kind=ApplicationEvent.Kind.ACTION,
            at=at,
            actor=user,
            actor_role=role,
            action=action,
            from_state=from_state,
            remarks=remarks,
            data=recorded,
            counts_as=transition.counts_as or "",
            within_stage_deadline=on_time,
        )
        if attachments:
            Document.objects.filter(pk__in=[d.pk for d in attachments]).update(
                application=current, event=event
            )
        _fees_close(current, state=from_state, at=at, lapsed=False)
        _fees_open(current, state=target, at=at, refused_as="data")
        _notify(current, events=(*transition.sms, *target.sms_on_enter), event_row=event)
        _consultations_withdraw(current, state=from_state, at=at)
        _consultations_open(
            current, state=target, at=at, calendar=working_calendar_for(current.office)
        )
        _take_automatic_steps(current, workflow=workflow, at=at)
    return current


def application_act_with_files(
    *,
    application: Application,
    user,
    action: str,
    remarks: str = "",
    inputs: Any = None,
    expected_state: str | None = None,
    files: Sequence[UploadedFile] = (),
) -> Application:
    """`application_act` with the files a person attached to the step, each checked and
    stored first (`attachment_upload`; at most ATTACHMENTS_PER_ACTION)."""
    attachments_check_count(len(files))
    attachments = [attachment_upload(owner=user, uploaded_file=f) for f in files]
    return application_act(
        application=application,
        user=user,
        action=action,
        remarks=remarks,
        inputs=inputs,
        expected_state=expected_state,
        attachments=attachments,
    )


# One bulk action takes at most this many files; the rest of a larger selection is left.
BULK_LIMIT = 200


@dataclass(frozen=True)
class BulkOutcome:
    reference: str
    ok: bool
    message: str


def application_act_bulk(
    *,
    user,
    action: str,
    references: Sequence[str],
    remarks: str = "",
    states: Mapping[str, str] | None = None,
) -> list[BulkOutcome]:
    """One action over the selected files (at most BULK_LIMIT), each checked and done on its
    own: a file the caller may not see, one whose workflow does not mark the action `bulk`
    here, or one changed since the page was drawn (`states`: reference -> state shown) is
    refused with its reason, and the others go ahead."""
    outcomes = []
    for reference in list(references)[:BULK_LIMIT]:
        try:
            application = application_get_for(user, reference=reference)
            transition = workflow_for(application.service_version).transition(
                application.state, action
            )
            if transition is None or not transition.bulk:
                raise ActionNotAllowed("This action cannot be taken in bulk on this file now.")
            application_act(
                application=application,
                user=user,
                action=action,
                remarks=remarks,
                inputs={},
                expected_state=(states or {}).get(reference) or None,
            )
        except (NotFound, ActionNotAllowed, Conflict) as exc:
            outcomes.append(BulkOutcome(reference, False, str(exc.message)))
        except ValidationFailed as exc:
            detail = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in exc.errors.items())
            outcomes.append(BulkOutcome(reference, False, detail or str(exc.message)))
        else:
            outcomes.append(BulkOutcome(reference, True, "Done."))
    return outcomes


def application_escalate(*, application: Application, at: dt.datetime | None = None) -> bool:
    """Move a file whose stage deadline has passed one step up its state's escalation ladder.
    Returns False when there is nothing to do (not overdue, closed, or at the top)."""
    at = at or timezone.now()
    with transaction.atomic():
        current = (
            Application.objects.select_for_update(of=("self",))
            .select_related("service_version", "office")
            .get(pk=application.pk)
        )
        if current.is_closed or current.stage_due_at is None or current.stage_due_at >= at:
            return False
        workflow = workflow_for(current.service_version)
        state = workflow.state(current.state)
        next_role = state.holder_at_level(current.escalation_level + 1)
        if next_role is None or not state.can_escalate(current.escalation_level):
            return False
        _days, day_type = _rts(current)
        calendar = working_calendar_for(current.office)
        from_role = current.holder_role.code if current.holder_role_id else ""
        routing = route_holder(
            state=state,
            role_code=next_role,
            department_id=current.department_id,
            place_path=current.held_at_path or current.place_path,
            on=timezone.localdate(at),
        )
        current.escalation_level = routing.ladder_index
        current.holder_role = routing.role
        current.holder_flag = routing.flag
        current.stage_started_at = at
        current.stage_due_at = _stage_due(
            current, state, timezone.localdate(at), day_type, calendar
        )
        current.save()
        _record(
            current,
            kind=ApplicationEvent.Kind.ESCALATED,
            at=at,
            actor=None,
            actor_role=SYSTEM,
            action="escalate",
            from_state=current.state,
            remarks=f"Stage deadline passed; moved from {from_role} to {current.holder_role.code}.",
            data={
                "from_role": from_role,
                "to_role": current.holder_role.code,
                "level": current.escalation_level,
            },
        )
    return True


def applications_escalate_overdue(*, at: dt.datetime | None = None) -> int:
    """The periodic sweep: escalate every open file past its stage deadline. Returns how many."""
    at = at or timezone.now()
    overdue = (
        Application.objects.open()
        .filter(stage_due_at__lt=at, holder_role__isnull=False)
        .select_related("service_version")
        .only(
            "pk",
            "state",
            "escalation_level",
            "service_version__id",
            "service_version__content_hash",
        )
    )
    escalated = 0
    for app in overdue.iterator():
        # A file already at the top of its ladder stays overdue; it is not locked again on
        # every sweep just to find that out.
        if workflow_for(app.service_version).state(app.state).can_escalate(app.escalation_level):
            escalated += application_escalate(application=app, at=at)
    return escalated


def applications_recompute_deadlines(
    *, district: Jurisdiction | None, at: dt.datetime | None = None
) -> int:
    """After the holiday calendar changed: recompute the RTS and stage deadlines of open files
    in `district` (every district when None). Returns how many changed."""
    at = at or timezone.now()
    today = timezone.localdate(at)
    open_apps = Application.objects.open().select_related("service_version", "office")
    if district is not None:
        open_apps = open_apps.filter(place_path__startswith=district.path)
    changed = 0
    calendars: dict[int, WorkingCalendar] = {}
    for app in open_apps.iterator():
        with transaction.atomic():
            current = (
                Application.objects.select_for_update(of=("self",))
                .select_related("service_version", "office")
                .get(pk=app.pk)
            )
            if current.is_closed:
                continue
            key = current.office_id
            calendar = calendars.get(key) or calendars.setdefault(
                key, working_calendar_for(current.office)
            )
            workflow = workflow_for(current.service_version)
            state = workflow.state(current.state)
            _days, day_type = _rts(current)
            rts_due = _compute_rts_due(current, calendar, today)
            entered = timezone.localdate(current.stage_started_at)
            stage_due = _stage_due(current, state, entered, day_type, calendar)
            timer_due = _timer_due(workflow, state, entered, day_type, calendar)
            consulted = _consultations_moved(current, state, day_type, calendar)
            if (rts_due, stage_due, timer_due) == (
                current.rts_due_at,
                current.stage_due_at,
                current.timer_due_at,
            ) and not consulted:
                continue
            old = {
                "rts_due_at": timezone.localtime(current.rts_due_at).isoformat(),
                "stage_due_at": timezone.localtime(current.stage_due_at).isoformat()
                if current.stage_due_at
                else None,
            }
            position = lifecycle.open_position(current)
            current.rts_due_at, current.stage_due_at = rts_due, stage_due
            current.timer_due_at = timer_due
            current.save(update_fields=["rts_due_at", "stage_due_at", "timer_due_at", "updated_at"])
            lifecycle.moved.notify(lifecycle.Moved(current, position))
            _record(
                current,
                kind=ApplicationEvent.Kind.DEADLINES_RECOMPUTED,
                at=at,
                actor=None,
                actor_role=SYSTEM,
                action="recompute_deadlines",
                from_state=current.state,
                remarks="The holiday calendar changed.",
                data={"before": old},
            )
            changed += 1
    return changed


def _consultations_moved(
    application: Application, state: State, day_type: DayType, calendar: WorkingCalendar
) -> bool:
    """The open consultations' deadlines counted again on the changed calendar; whether any
    moved."""
    days = {c.code: c.days for c in state.consult}
    moved = False
    for consultation in application.consultations.filter(
        state=state.code, answered_at__isnull=True
    ):
        if consultation.code not in days:  # pragma: no cover - opened by this state
            continue
        due = _consultation_due(
            timezone.localdate(consultation.opened_at), days[consultation.code], day_type, calendar
        )
        if due != consultation.due_at:
            consultation.due_at = due
            consultation.save(update_fields=["due_at"])
            moved = True
    return moved


def feedback_give(*, application, rating: int, comment: str, at: dt.datetime | None = None):
    """The citizen's rating of a closed application, and what they say of it: the one way
    feedback is written (a rating given with consent at closure is the other door into
    `Feedback`, in `application_act`)."""
    if not application.is_closed:
        raise ActionNotAllowed(_("You can rate the service once your application is closed."))
    if Feedback.objects.filter(application=application).exists():
        raise ActionNotAllowed(_("You have already given feedback on this application."))
    if rating not in range(1, 6):
        raise ValidationFailed({"rating": [_("Choose a rating from 1 to 5.")]})
    with transaction.atomic():
        feedback = Feedback.objects.create(
            application=application,
            rating=rating,
            comment=comment.strip(),
            created_at=at or timezone.now(),
        )
        lifecycle.rated.notify(lifecycle.Rated(feedback))
    return feedback
