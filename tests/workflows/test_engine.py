"""The compiled workflow answers which actions a role has in a state, and who holds a file
after each escalation."""

from seva.workflows.engine import CITIZEN, Outcome, compile_workflow

DOC = {
    "code": "tiny",
    "name": {"en": "Tiny", "hi": "छोटा"},
    "initial": "l1",
    "states": {
        "l1": {
            "label": {"en": "L1", "hi": "एल1"},
            "role": "grievance_l1",
            "sla_days": 7,
            "escalate_to": ["grievance_l2", "grievance_l3"],
            "sms_on_enter": ["received"],
        },
        "consent": {"label": {"en": "Consent", "hi": "सहमति"}, "with_citizen": True},
        "closed": {
            "label": {"en": "Closed", "hi": "बंद"},
            "terminal": True,
            "outcome": "closed",
            "sms_on_enter": ["closed"],
        },
    },
    "transitions": [
        {
            "action": "report",
            "label": {"en": "Report", "hi": "रिपोर्ट"},
            "from": "l1",
            "to": "consent",
            "roles": ["grievance_l1", "grievance_l2", "grievance_l3"],
            "sms": ["reported"],
        },
        {
            "action": "accept",
            "label": {"en": "Accept", "hi": "स्वीकार"},
            "from": "consent",
            "to": "closed",
            "roles": [CITIZEN],
        },
        {
            "action": "reopen",
            "label": {"en": "Reopen", "hi": "पुनः खोलें"},
            "from": ["consent"],
            "to": "l1",
            "roles": [CITIZEN],
            "remarks": "required",
        },
    ],
}


def test_actions_are_the_current_state_times_the_roles():
    workflow = compile_workflow(DOC)
    assert [t.action for t in workflow.actions_for("l1", {"grievance_l2"})] == ["report"]
    assert workflow.actions_for("l1", {CITIZEN}) == []
    assert [t.action for t in workflow.actions_for("consent", {CITIZEN})] == ["accept", "reopen"]
    assert workflow.transition("consent", "reopen").remarks_required
    assert workflow.transition("l1", "accept") is None


def test_the_escalation_ladder_names_the_holder_at_each_level():
    state = compile_workflow(DOC).state("l1")
    assert [state.holder_at_level(n) for n in range(4)] == [
        "grievance_l1",
        "grievance_l2",
        "grievance_l3",
        "grievance_l3",
    ]
    assert state.can_escalate(1) and not state.can_escalate(2)


def test_clock_sms_and_roles_are_read_from_the_document():
    workflow = compile_workflow(DOC)
    assert workflow.state("consent").stops_clock and not workflow.state("l1").stops_clock
    assert workflow.state("closed").outcome is Outcome.CLOSED
    assert workflow.sms_events() == {"received", "closed", "reported"}
    assert workflow.roles_used() == {"grievance_l1", "grievance_l2", "grievance_l3"}
