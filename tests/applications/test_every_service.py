"""Every sample service, end to end over the REST API: valid data accepted, invalid data
refused field by field, and every transition of its workflow taken, to every terminal state,
by the role the workflow names, with the RTS clock checked at each step."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from seva.applications.models import Application
from seva.applications.services import applications_escalate_overdue
from tests.helpers import expected_due_date

from .walk import (
    Walk,
    act,
    covering_paths,
    example_for,
    holidays_for,
    officer_for,
    sample_services,
    shortest_path,
    submit,
    waits_for_fees,
    with_uploaded_documents,
)

SERVICES = sample_services()
CODES = sorted(SERVICES)
START = dt.date(2026, 7, 6)  # a Monday


def local_day(value: dt.datetime) -> dt.date:
    return timezone.localtime(value).date()


def test_there_are_at_least_eight_services_across_five_departments():
    departments = {bundle["service"]["department"] for bundle in SERVICES.values()}
    assert len(SERVICES) >= 8 and len(departments) >= 5


# ------------------------------------------------------------------------------
# Submission
# ------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("code", CODES)
def test_every_example_is_accepted_and_lands_in_the_first_queue(api, code):
    bundle = SERVICES[code]
    for example in bundle["form"]["examples"]:
        walk = Walk(code, bundle)
        application = submit(api, walk, START, example)
        workflow = walk.workflow
        initial = workflow.state(workflow.initial)
        assert application.state == workflow.initial
        # A first state with the citizen (a fee due with the application) has no queue yet.
        holder = application.holder_role.code if application.holder_role else None
        assert holder == initial.role
        assert application.reference.startswith(
            f"HR-{application.department.short_code}-{bundle['service']['reference_code']}-2026-"
        )
        assert application.office.level == bundle["service"]["processing_level"]
        assert application.place_path.startswith(application.office.path)
        assert local_day(application.rts_due_at) == walk.expected_rts_due(application)
        assert application.channel == "online"
        # Aadhaar numbers never reach the database whole.
        assert not any(
            len(v) == 12 and v.isdigit() for v in _strings(application.data) if v.isdigit()
        )


def _strings(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def _required_paths(schema: dict, data, prefix: str = ""):
    """(dotted path, parent path list, key) of every required field present in `data`."""
    if not isinstance(data, dict):
        return
    for name in schema.get("required", []):
        if name in data:
            yield f"{prefix}{name}", name
    for name, sub in (schema.get("properties") or {}).items():
        if name not in data:
            continue
        if sub.get("type") == "object":
            for path, key in _required_paths(sub, data[name], f"{prefix}{name}."):
                yield path, key
        if sub.get("type") == "array" and isinstance(sub.get("items"), dict) and data[name]:
            for path, key in _required_paths(sub["items"], data[name][0], f"{prefix}{name}.0."):
                yield path, key


def _without(data: dict, dotted: str) -> dict:
    broken = copy.deepcopy(data)
    node = broken
    parts = dotted.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    del node[parts[-1]]
    return broken


def _replace(data: dict, dotted: str, value) -> dict:
    broken = copy.deepcopy(data)
    node = broken
    parts = dotted.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[parts[-1]] = value
    return broken


WRONG_TYPE = {
    "string": 12345,
    "integer": "many",
    "number": "a lot",
    "boolean": "perhaps",
    "array": "one",
    "object": "none",
}


def _leaves(schema: dict, data, prefix: str = ""):
    """(dotted path, field schema) for every field in `data` that has a type."""
    for name, sub in (schema.get("properties") or {}).items():
        if not isinstance(data, dict) or name not in data:
            continue
        yield f"{prefix}{name}", sub
        if sub.get("type") == "object":
            yield from _leaves(sub, data[name], f"{prefix}{name}.")
        if sub.get("type") == "array" and isinstance(sub.get("items"), dict) and data[name]:
            yield from _leaves(sub["items"], data[name][0], f"{prefix}{name}.0.")


@pytest.mark.django_db
@pytest.mark.parametrize("code", CODES)
def test_invalid_data_is_refused_field_by_field(api, code):
    bundle = SERVICES[code]
    form = bundle["form"]
    example = with_uploaded_documents(api, code, form, form["examples"][0])
    client = api("citizen")
    checked = 0
    for path, _key in _required_paths(form, example):
        response = client.post(
            "/api/v1/applications/",
            {"service": code, "data": _without(example, path)},
            format="json",
        )
        assert response.status_code == 400, path
        assert set(response.json()["errors"]) == {f"data.{path}"}, (path, response.json())
        checked += 1
    for path, sub in _leaves(form, example):
        if "type" not in sub:
            continue
        response = client.post(
            "/api/v1/applications/",
            {"service": code, "data": _replace(example, path, WRONG_TYPE[sub["type"]])},
            format="json",
        )
        assert response.status_code == 400, path
        assert set(response.json()["errors"]) == {f"data.{path}"}, (path, response.json())
        checked += 1
    assert checked >= 10
    assert not Application.objects.filter(service__code=code).exists()


# ------------------------------------------------------------------------------
# The workflow, every transition, to every terminal state
# ------------------------------------------------------------------------------
def _source_of_last_step(workflow, path) -> str:
    state = workflow.initial
    for transition in path[:-1]:
        state = transition.target
    return state


@pytest.mark.django_db
@pytest.mark.parametrize("code", CODES)
def test_every_transition_is_walked_to_every_terminal_state(api, code):
    bundle = SERVICES[code]
    workflow = Walk(code, bundle).workflow
    paths = covering_paths(workflow)
    taken: set[tuple[str, str]] = set()
    terminals_reached: set[str] = set()
    within_flags: set[bool] = set()
    paused_somewhere = False

    # One path is walked slowly, so that its last step comes after the RTS deadline: the
    # first whose last step is taken while the clock runs (not while the file waits on the
    # citizen, when the clock is stopped and the file cannot fall late).
    sources = [_source_of_last_step(workflow, path) for path in paths]
    late_index = next(
        i
        for i, source in enumerate(sources)
        if not workflow.state(source).with_citizen and not paths[i][-1].by_platform
    )

    for index, path in enumerate(paths):
        walk = Walk(code, bundle)
        day = START + dt.timedelta(days=7 * index)
        application = submit(api, walk, day, example_for(bundle, path))
        state = workflow.initial
        # A file that waits with the citizen from the start (for its fee) has its clock
        # stopped from the day it came in.
        returned_on = day if workflow.state(state).with_citizen else None
        late = index == late_index
        for step_number, transition in enumerate(path):
            last = step_number == len(path) - 1
            # Five days with the citizen always include working days, so the pause moves the
            # deadline. An automatic action was taken with the step before, on its day, but
            # for one that waits for the citizen to pay.
            if not transition.auto or waits_for_fees(transition):
                day += dt.timedelta(days=5 if workflow.state(state).with_citizen else 1)
            if late and last:
                application.refresh_from_db()
                day = max(day, local_day(application.rts_due_at) + dt.timedelta(days=2))
            act(api, walk, transition, day)
            if transition.after_days:  # the timer fired on its own day
                day = walk.last_timer_day
            taken.add((state, transition.action))
            before, state = state, transition.target
            application = Application.objects.get(reference=walk.reference)
            target = workflow.state(state)
            following = None if last else path[step_number + 1]
            if following is not None and following.auto and not waits_for_fees(following):
                continue  # the file only passed through: the platform moved it on at once
            assert application.state == state

            # The clock stops while the file is with the citizen, and restarts when it comes back.
            if target.with_citizen and not workflow.state(before).with_citizen:
                returned_on = day
                assert application.clock_paused_at is not None
                assert application.clock_pauses[-1] == [day.isoformat(), None]
            if returned_on and not target.with_citizen:
                walk.pauses.append((returned_on, day))
                assert application.clock_pauses[-1] == [returned_on.isoformat(), day.isoformat()]
                assert application.clock_paused_at is None
                returned_on = None
                paused_somewhere = True
                without_pause = expected_due_date(
                    start=walk.submitted_on,
                    days=walk.rts_days(application),
                    working_days_only=bundle["service"]["rts"]["day_type"] == "working",
                    holidays=holidays_for(application),
                )
                assert local_day(application.rts_due_at) > without_pause

            if not (target.with_citizen and returned_on):
                assert local_day(application.rts_due_at) == walk.expected_rts_due(application)
            if target.terminal:
                assert application.closed_at is not None and application.outcome == target.outcome
                assert application.holder_role is None
                expected_within = day <= walk.expected_rts_due(application)
                assert application.closed_within_rts is expected_within
                within_flags.add(expected_within)
                terminals_reached.add(state)
            elif walk.stage_days(application, target):
                stage_due = expected_due_date(
                    start=day,
                    days=walk.stage_days(application, target),
                    working_days_only=bundle["service"]["rts"]["day_type"] == "working",
                    holidays=holidays_for(application),
                )
                assert local_day(application.stage_due_at) == stage_due
                assert (
                    application.holder_role.code if application.holder_role else None
                ) == target.role

        history = application.events.order_by("sequence")
        steps = history.exclude(kind__in=["consultation", "fee", "escalated"])
        assert [e.action for e in steps] == ["submit", *[t.action for t in path]]
        # Every step has its person, but the platform's own (automatic actions, timers).
        assert all(e.actor_id or e.actor_role == "system" for e in history)

    every_transition = {(s, t.action) for t in workflow.transitions for s in t.sources}
    assert taken == every_transition
    assert terminals_reached == {c for c, s in workflow.states.items() if s.terminal}
    assert within_flags == {True, False}
    if any(s.with_citizen for s in workflow.states.values()):
        assert paused_somewhere


@pytest.mark.django_db
@pytest.mark.parametrize("code", CODES)
def test_stage_breaches_escalate_up_the_ladder(api, code):
    bundle = SERVICES[code]
    workflow = Walk(code, bundle).workflow
    ladders = [s for s in workflow.states.values() if s.escalate_to]
    for number, state in enumerate(ladders):
        walk = Walk(code, bundle)
        day = START + dt.timedelta(days=7 * number)
        path = shortest_path(workflow, workflow.initial, lambda c, s=state.code: c == s)
        submit(api, walk, day, example_for(bundle, path))
        for transition in path:
            day += dt.timedelta(days=1)
            act(api, walk, transition, day)
        application = Application.objects.get(reference=walk.reference)
        holders = [officer_for(application, state.role)]
        for level, role in enumerate(state.escalate_to, start=1):
            overdue = timezone.localtime(application.stage_due_at) + dt.timedelta(hours=1)
            with time_machine.travel(overdue, tick=False):
                assert applications_escalate_overdue() >= 1
            application = Application.objects.get(reference=walk.reference)
            assert application.holder_role.code == role
            assert application.escalation_level == level
            assert application.state == state.code
            escalation = application.events.order_by("-sequence").first()
            assert escalation.kind == "escalated" and escalation.actor_role == "system"
            holder = officer_for(application, role)
            with time_machine.travel(overdue, tick=False):
                url = f"/api/v1/applications/{walk.reference}/actions/"
                assert api(holder).get(url).json()["actions"], (
                    f"{role} holds {state.code} but has no action"
                )
                # Whoever held it before has lost it.
                for earlier in holders:
                    if earlier != holder:
                        assert api(earlier).get(url).json()["actions"] == [], earlier
            holders.append(holder)
        # At the top of the ladder nothing more happens.
        overdue = timezone.localtime(application.stage_due_at) + dt.timedelta(days=1)
        with time_machine.travel(overdue, tick=False):
            applications_escalate_overdue()
        application.refresh_from_db()
        assert application.escalation_level == len(state.escalate_to)
