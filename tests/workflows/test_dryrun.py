"""The dry run, on dates worked out by hand (Saturdays and Sundays are weekly offs)."""

import datetime as dt
from pathlib import Path

import pytest
import yaml

from seva.workflows.clock import DayType, WorkingCalendar, due_date
from seva.workflows.dryrun import DryRunPath, dry_run

D = dt.date
WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows_yaml"
FRIDAY = D(2026, 1, 9)


def cal(*holidays: dt.date) -> WorkingCalendar:
    return WorkingCalendar(holidays=frozenset(holidays))


def service(days: int, day_type: str = "working") -> dict:
    return {"rts": {"days": days, "day_type": day_type}}


def decide(*, sla_days: int | None = 5) -> dict:
    """One officer stage, then approved or rejected."""
    pending = {"label": {"en": "Pending", "hi": "लंबित"}, "role": "tehsildar"}
    if sla_days is not None:
        pending["sla_days"] = sla_days
    return {
        "code": "decide",
        "name": {"en": "Decide", "hi": "निर्णय"},
        "initial": "pending",
        "states": {
            "pending": {**pending, "sms_on_enter": ["received"]},
            "approved": {
                "label": {"en": "Approved", "hi": "स्वीकृत"},
                "terminal": True,
                "outcome": "approved",
                "sms_on_enter": ["approved"],
            },
            "rejected": {
                "label": {"en": "Rejected", "hi": "अस्वीकृत"},
                "terminal": True,
                "outcome": "rejected",
            },
        },
        "transitions": [
            {
                "action": "approve",
                "label": {"en": "Approve", "hi": "स्वीकृत करें"},
                "from": "pending",
                "to": "approved",
                "roles": ["tehsildar"],
            },
            {
                "action": "reject",
                "label": {"en": "Reject", "hi": "अस्वीकार करें"},
                "from": ["pending"],
                "to": "rejected",
                "roles": ["tehsildar", "sdm"],
                "remarks": "required",
                "sms": ["rejected"],
            },
        ],
    }


@pytest.fixture
def certificate() -> dict:
    return yaml.safe_load((WORKFLOWS / "certificate_verification.yaml").read_text())


def test_each_way_to_a_terminal_state_is_one_path_in_document_order():
    paths = dry_run(decide(), service(5), start=FRIDAY, calendar=cal())

    assert [p.states for p in paths] == [("pending", "approved"), ("pending", "rejected")]
    assert [p.outcome for p in paths] == ["approved", "rejected"]


def test_the_stage_and_the_rts_period_skip_the_weekend():
    # Friday 9 Jan + 5 working days: Mon 12 .. Fri 16.
    approved, _rejected = dry_run(decide(), service(5), start=FRIDAY, calendar=cal())
    (step,) = approved.steps

    assert step.entered_on == FRIDAY
    assert step.stage_due == D(2026, 1, 16)
    assert approved.finished_on == D(2026, 1, 16)
    assert approved.rts_due == D(2026, 1, 16)
    assert approved.within_rts


def test_a_holiday_in_the_calendar_pushes_both_due_dates():
    # Wednesday 14 Jan is a holiday: Mon 12, Tue 13, Thu 15, Fri 16, Mon 19.
    approved, _rejected = dry_run(decide(), service(5), start=FRIDAY, calendar=cal(D(2026, 1, 14)))

    assert approved.steps[0].stage_due == D(2026, 1, 19)
    assert approved.rts_due == D(2026, 1, 19)
    assert approved.within_rts


def test_a_stage_longer_than_the_rts_period_finishes_late():
    approved, _rejected = dry_run(decide(sla_days=6), service(5), start=FRIDAY, calendar=cal())

    assert approved.finished_on == D(2026, 1, 19)
    assert approved.rts_due == D(2026, 1, 16)
    assert not approved.within_rts


def test_each_step_says_what_the_action_asks_of_whom():
    _approved, rejected = dry_run(decide(), service(5), start=FRIDAY, calendar=cal())
    (step,) = rejected.steps

    assert step.action == "reject"
    assert step.label == {"en": "Reject", "hi": "अस्वीकार करें"}
    assert (step.from_state, step.to_state) == ("pending", "rejected")
    assert step.roles == ("tehsildar", "sdm")
    assert step.remarks_required
    assert step.holder == "tehsildar"
    assert not step.with_citizen


def test_the_sms_sent_on_entering_states_and_by_actions_are_listed_with_their_day():
    approved, rejected = dry_run(decide(), service(5), start=FRIDAY, calendar=cal())

    assert approved.sms_on_submit == ("received",)
    assert approved.steps[0].sms == ("approved",)
    assert not approved.steps[0].remarks_required
    assert rejected.sms_events == ((FRIDAY, "received"), (D(2026, 1, 16), "rejected"))


def test_a_workflow_without_sla_days_takes_no_time():
    approved, _rejected = dry_run(decide(sla_days=None), service(5), start=FRIDAY, calendar=cal())

    assert approved.steps[0].stage_due is None
    assert approved.finished_on == FRIDAY
    assert approved.within_rts


def test_the_time_with_the_citizen_pushes_the_rts_due_date(certificate):
    # Scrutiny 3 days from Fri 9 Jan: Wed 14 Jan. With the citizen 15 days: Wed 4 Feb.
    # 30 working days from 9 Jan end on Fri 20 Feb; the 15 working days with the citizen
    # (15 Jan to 4 Feb) do not count, so the period ends 15 working days later, Fri 13 Mar.
    paths = dry_run(certificate, service(30), start=FRIDAY, calendar=cal())
    returned = next(p for p in paths if p.states == ("scrutiny", "returned", "withdrawn"))

    assert [step.acted_on for step in returned.steps] == [D(2026, 1, 14), D(2026, 2, 4)]
    assert returned.steps[1].with_citizen
    assert returned.steps[1].holder is None
    assert returned.finished_on == D(2026, 2, 4)
    unpaused = due_date(start=FRIDAY, days=30, day_type=DayType.WORKING, calendar=cal())
    assert unpaused == D(2026, 2, 20)
    assert returned.rts_due == D(2026, 3, 13)
    assert returned.sms_events == (
        (FRIDAY, "received"),
        (D(2026, 1, 14), "returned"),
    )


def test_every_path_ends_in_a_terminal_state_and_visits_no_state_twice(certificate):
    paths = dry_run(certificate, service(30), start=FRIDAY, calendar=cal(), limit=50)
    terminals = {code for code, spec in certificate["states"].items() if spec.get("terminal")}

    assert paths
    for path in paths:
        assert path.states[0] == "scrutiny"
        assert path.states[-1] in terminals
        assert len(set(path.states)) == len(path.states)
        assert [s.from_state for s in path.steps] == list(path.states[:-1])
        assert [s.to_state for s in path.steps] == list(path.states[1:])
        for earlier, later in zip(path.steps, path.steps[1:], strict=False):
            assert later.entered_on == earlier.acted_on
    outcomes = {p.outcome for p in paths}
    assert outcomes == {"approved", "rejected", "withdrawn"}


def test_the_limit_keeps_the_shortest_paths(certificate):
    every: list[DryRunPath] = dry_run(
        certificate, service(30), start=FRIDAY, calendar=cal(), limit=50
    )
    first_three = dry_run(certificate, service(30), start=FRIDAY, calendar=cal(), limit=3)

    assert len(every) > 3
    assert first_three == every[:3]
    lengths = [len(p.steps) for p in every]
    assert lengths == sorted(lengths)
    assert dry_run(certificate, service(30), start=FRIDAY, calendar=cal(), limit=0) == []


def test_the_same_inputs_give_the_same_paths(certificate):
    def run() -> list[DryRunPath]:
        return dry_run(certificate, service(30), start=FRIDAY, calendar=cal())

    assert run() == run()


def test_transitions_to_unknown_states_are_left_out():
    doc = decide()
    doc["transitions"].append(
        {"action": "send_up", "from": "pending", "to": "nowhere", "roles": ["tehsildar"]}
    )

    paths = dry_run(doc, service(5), start=FRIDAY, calendar=cal())

    assert [p.steps[0].action for p in paths] == ["approve", "reject"]
    assert dry_run({**doc, "initial": "nowhere"}, service(5), start=FRIDAY, calendar=cal()) == []


def test_the_dry_run_shows_who_takes_automatic_actions_and_timers_and_when():
    workflow = {
        "initial": "pending",
        "states": {
            "pending": {"role": "tehsildar", "sla_days": 5},
            "done": {"terminal": True, "outcome": "approved"},
        },
        "transitions": [
            {"action": "fast", "from": "pending", "to": "done", "auto": True, "if": "data.x > 1"},
            {"action": "deemed", "from": "pending", "to": "done", "after_days": 3},
        ],
    }
    service = {"rts": {"days": 10, "day_type": "calendar"}}
    paths = dry_run(
        workflow, service, start=dt.date(2026, 12, 1), calendar=WorkingCalendar(frozenset())
    )
    by_action = {p.steps[0].action: p.steps[0] for p in paths}
    assert by_action["fast"].roles == ("system (when data.x > 1)",)
    assert by_action["fast"].acted_on == dt.date(2026, 12, 1)
    assert by_action["deemed"].roles == ("system (after 3 days)",)
    assert by_action["deemed"].acted_on == dt.date(2026, 12, 5)


def test_an_automatic_action_waiting_for_consultations_comes_the_day_after_the_last_deadline():
    workflow = {
        "initial": "nocs",
        "states": {
            "nocs": {
                "role": "dic_manager",
                "sla_days": 12,
                "consult": [
                    {"code": "fire", "role": "fire_station_officer", "days": 3},
                    {"code": "pollution", "role": "pollution_regional_officer", "days": 5},
                ],
            },
            "done": {"terminal": True, "outcome": "approved"},
        },
        "transitions": [
            {
                "action": "cleared",
                "from": "nocs",
                "to": "done",
                "auto": True,
                "if": "consultations.open == 0",
            },
        ],
    }
    service = {"rts": {"days": 30, "day_type": "calendar"}}
    (path,) = dry_run(
        workflow, service, start=dt.date(2026, 12, 1), calendar=WorkingCalendar(frozenset())
    )
    # The pollution board's 5 days end on 6 December; deemed, the file moves on the 7th.
    assert path.steps[0].acted_on == dt.date(2026, 12, 7)
