"""Fees on an application (applications.FeeDue), on the two samples that charge one through
Seva: the marriage registration's fee, due with the application and worked out from the
answers (the RTS clock waits until it is paid), and the water connection's charges, demanded
once the connection is sanctioned and worked out from the officers' inputs. A fee falls due on
entering its state with its amount fixed then, is paid once, lapses by the timer or is
cancelled when the file moves on without it, and its payment moves the file on by itself."""

from __future__ import annotations

import copy
import datetime as dt
import shutil
from pathlib import Path

import pytest
import time_machine
import yaml
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from seva.applications.errors import FeeAlreadyPaid, FeeNotDue
from seva.applications.models import Application, ApplicationEvent, FeeDue
from seva.applications.presenters import application_view
from seva.applications.selectors import (
    application_clock,
    condition_holds,
    fee_due_get,
    fees_of,
)
from seva.applications.services import applications_fire_timers, fee_paid
from seva.core.errors import NotFound
from seva.definitions.services import definitions_sync
from seva.documents.content import Filler
from seva.notifications.models import OutboxMessage
from seva.workflows.engine import compile_workflow
from tests.helpers import expected_due_date

from .walk import (
    Walk,
    act,
    at,
    holidays_for,
    officer_for,
    pay_fees,
    sample_services,
    shortest_path,
    submit,
)

REPO = Path(__file__).resolve().parents[2]
SERVICES = sample_services()
MARRIAGE, WATER = "marriage-registration", "water-connection"
MONDAY = dt.date(2026, 7, 6)  # 114 days after the marriage in the form's example: Rs 200
FRIDAY = dt.date(2026, 7, 10)


def _marriage(api, day: dt.date = MONDAY, **changes) -> tuple[Walk, Application]:
    bundle = SERVICES[MARRIAGE]
    example = copy.deepcopy(bundle["form"]["examples"][0])
    example.update(changes)
    walk = Walk(MARRIAGE, bundle)
    return walk, submit(api, walk, day, example)


def _history(application: Application) -> list[tuple[str, str, str]]:
    return [(e.kind, e.action, e.actor_role) for e in application.events.order_by("sequence")]


def _water_to_demand(api, day: dt.date, *, pipe: str, metres: int) -> tuple[Walk, Application]:
    """A water connection inspected (`metres` from the main) and sanctioned with a `pipe`
    service pipe: the demand note is issued, and the file waits for the charges."""
    bundle = copy.deepcopy(SERVICES[WATER])
    workflow = compile_workflow(bundle["workflow"])
    for transition in bundle["workflow"]["transitions"]:
        if transition["action"] == "submit_inspection_report":
            transition["input_schema"]["examples"] = [
                {"feasible": True, "pipe_size": pipe, "distance_from_main_m": metres}
            ]
        if transition["action"] == "issue_demand_note":
            transition["input_schema"]["examples"] = [
                {"demand_note_number": "PHED-AMB-WS-2026-0311", "pipe_size": pipe}
            ]
    walk = Walk(WATER, bundle)
    application = submit(api, walk, day)
    for transition in shortest_path(workflow, workflow.initial, lambda s: s == "awaiting_fee"):
        day += dt.timedelta(days=1)
        act(api, walk, walk.workflow.transition(transition.sources[0], transition.action), day)
    application.refresh_from_db()
    assert application.state == "awaiting_fee"
    return walk, application


# ------------------------------------------------------------------------------
# Due with the application: the marriage registration
# ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_fee_due_with_the_application_falls_due_at_submission_and_the_file_waits(api):
    _walk, application = _marriage(api)
    assert application.state == "payment" and application.holder_role is None
    (fee,) = fees_of(application)
    assert (fee.code, fee.state, fee.status, fee.head) == (
        "registration_fee",
        "payment",
        FeeDue.Status.DUE,
        "0030-03-104-01",
    )
    assert fee.amount_paise == 200_00 and fee.name["hi"] == "विवाह पंजीकरण शुल्क"
    assert fee.due_since == application.submitted_at
    assert fee_due_get(application=application, code="registration_fee") == fee
    assert _history(application) == [
        ("submitted", "submit", "citizen"),
        ("fee", "fee_due", "system"),
    ]
    assert "Rs 200" in application.events.get(action="fee_due").remarks
    sms = OutboxMessage.objects.get(application=application, event="fee_due")
    assert "Please pay the fee of Rs 200 by 15-07-2026 online on Seva" in sms.body
    # Not yet in any officer's queue, and the clock stands still.
    assert application.clock_paused_at is not None
    assert application.clock_pauses == [[MONDAY.isoformat(), None]]


@pytest.mark.django_db
def test_the_amount_is_the_server_s_whatever_the_client_sends(api):
    _walk, application = _marriage(api, registration_fee=0, days_since_marriage=1)
    assert application.data["registration_fee"] == 200
    assert fees_of(application)[0].amount_paise == 200_00


@pytest.mark.django_db
def test_paying_moves_the_file_on_by_itself_and_is_recorded_with_the_receipt(api, user):
    _walk, application = _marriage(api)
    (fee,) = fees_of(application)
    with time_machine.travel(at(FRIDAY, 12), tick=False):
        paid = fee_paid(
            fee_due=fee, receipt="HR/REV/2026/000042", at=at(FRIDAY, 12), actor=user("citizen")
        )
    assert (paid.status, paid.receipt, paid.paid_at) == (
        FeeDue.Status.PAID,
        "HR/REV/2026/000042",
        at(FRIDAY, 12),
    )
    assert fee.status == FeeDue.Status.PAID  # the caller's object too
    application.refresh_from_db()
    assert application.state == "scrutiny"
    assert application.holder_role.code == "revenue_clerk"
    assert _history(application)[-2:] == [
        ("fee", "fee_paid", "citizen"),
        ("action", "fee_paid", "system"),
    ]
    recorded = application.events.get(kind=ApplicationEvent.Kind.FEE, action="fee_paid")
    assert recorded.actor == user("citizen")
    assert recorded.remarks == (
        "Paid: Marriage registration fee, Rs 200, receipt HR/REV/2026/000042."
    )
    assert recorded.data == {
        "paid": [
            {
                "fee": "registration_fee",
                "amount_paise": 20000,
                "head": "0030-03-104-01",
                "receipt": "HR/REV/2026/000042",
            }
        ]
    }
    taken_up = OutboxMessage.objects.get(application=application, event="received")
    assert "is taken up by the tehsil" in taken_up.body


@pytest.mark.django_db
def test_a_fee_is_paid_once(api):
    _walk, application = _marriage(api)
    (fee,) = fees_of(application)
    fee_paid(fee_due=fee, receipt="R-1", at=at(FRIDAY))
    with pytest.raises(FeeAlreadyPaid) as twice:
        fee_paid(fee_due=FeeDue.objects.get(pk=fee.pk), receipt="R-2", at=at(FRIDAY, 13))
    assert "paid already (receipt R-1)" in twice.value.message
    # Even through a stale copy that still says "due".
    stale = FeeDue.objects.get(pk=fee.pk)
    stale.status = FeeDue.Status.DUE
    with pytest.raises(FeeAlreadyPaid):
        fee_paid(fee_due=stale, receipt="R-3", at=at(FRIDAY, 14))
    assert FeeDue.objects.get(pk=fee.pk).receipt == "R-1"
    assert application.events.filter(action="fee_paid", kind="fee").count() == 1


@pytest.mark.django_db
def test_the_rts_clock_starts_only_once_the_fee_is_paid(api):
    """Submitted on Monday 6 July, paid on Friday 10 July: the 10 working days of the RTS
    period count from the Friday, as from a complete application."""
    _walk, application = _marriage(api, day=MONDAY)
    (fee,) = fees_of(application)
    fee_paid(fee_due=fee, receipt="R-CLOCK", at=at(FRIDAY, 15))
    application.refresh_from_db()
    assert application.state == "scrutiny" and application.clock_paused_at is None
    assert application.clock_pauses == [[MONDAY.isoformat(), FRIDAY.isoformat()]]
    holidays = holidays_for(application)
    from_payment = expected_due_date(
        start=FRIDAY, days=10, working_days_only=True, holidays=holidays
    )
    from_submission = expected_due_date(
        start=MONDAY, days=10, working_days_only=True, holidays=holidays
    )
    assert timezone.localdate(application.rts_due_at) == from_payment > from_submission
    # Nothing was used while the file waited for the fee.
    reading = application_clock(application, today=FRIDAY)
    assert (reading.days_used, reading.days_left) == (0, 10)
    # The clerk's stage counts from the day it reached them.
    assert timezone.localdate(application.stage_due_at) == expected_due_date(
        start=FRIDAY, days=2, working_days_only=True, holidays=holidays
    )


@pytest.mark.django_db
def test_an_unpaid_fee_lapses_by_the_timer_and_cannot_be_paid_after(api):
    _walk, application = _marriage(api)
    (fee,) = fees_of(application)
    due = timezone.localtime(application.timer_due_at)
    assert timezone.localdate(due) == dt.date(2026, 7, 15)  # 7 working days
    assert applications_fire_timers(at=due - dt.timedelta(minutes=1)) == 0
    assert applications_fire_timers(at=due + dt.timedelta(minutes=1)) == 1
    application.refresh_from_db()
    assert (application.state, application.outcome) == ("lapsed", "closed")
    fee.refresh_from_db()
    assert fee.status == FeeDue.Status.LAPSED
    assert _history(application)[-2:] == [
        ("action", "fee_lapsed", "system"),
        ("fee", "fee_lapsed", "system"),
    ]
    lapsed = OutboxMessage.objects.get(application=application, event="lapsed")
    assert "is closed: the fee was not paid in time" in lapsed.body
    with pytest.raises(FeeNotDue) as late:
        fee_paid(fee_due=fee, receipt="LATE-1", at=due + dt.timedelta(hours=2))
    assert "not due any more: it was not paid in time" in late.value.message
    fee.refresh_from_db()
    assert fee.status == FeeDue.Status.LAPSED and fee.receipt == ""


@pytest.mark.django_db
def test_a_fee_left_unpaid_by_a_withdrawal_is_cancelled(api):
    _walk, application = _marriage(api)
    with time_machine.travel(at(MONDAY, 15), tick=False):
        response = api("citizen").post(
            f"/api/v1/applications/{application.reference}/actions/",
            {"action": "withdraw"},
            format="json",
        )
    assert response.status_code == 200, response.json()
    (fee,) = fees_of(application)
    assert fee.status == FeeDue.Status.CANCELLED
    assert _history(application)[-2:] == [
        ("action", "withdraw", "citizen"),
        ("fee", "fee_cancelled", "system"),
    ]
    with pytest.raises(FeeNotDue, match="moved on without it"):
        fee_paid(fee_due=fee, receipt="AFTER-1", at=at(MONDAY, 16))


@pytest.mark.django_db
def test_a_fee_of_a_closed_file_is_not_due(api):
    _walk, application = _marriage(api)
    (fee,) = fees_of(application)
    Application.objects.filter(pk=application.pk).update(closed_at=at(MONDAY, 12))
    with pytest.raises(FeeNotDue, match="the application is closed"):
        fee_paid(fee_due=fee, receipt="CLOSED-1", at=at(MONDAY, 13))


@pytest.mark.django_db
def test_a_fee_that_never_fell_due_is_not_found(api):
    _walk, application = _marriage(api)
    with pytest.raises(NotFound):
        fee_due_get(application=application, code="connection_charges")


@pytest.mark.django_db
def test_fees_unpaid_is_read_at_run_time(api):
    walk, application = _marriage(api)
    transition = walk.workflow.transition("payment", "fee_paid")
    assert not condition_holds(transition, application)
    FeeDue.objects.filter(application=application).update(status=FeeDue.Status.PAID)
    assert condition_holds(transition, application)


@pytest.mark.django_db
def test_the_citizen_reads_the_fee_in_the_history_in_their_language(api, user):
    _walk, application = _marriage(api)
    (fee,) = fees_of(application)
    fee_paid(fee_due=fee, receipt="HR/REV/2026/000077", at=at(FRIDAY), actor=user("citizen"))
    application.refresh_from_db()
    citizen = user("citizen")
    english = application_view(application=application, user=citizen, language="en")
    whats = [row["what"] for row in english.timeline]
    assert "Marriage registration fee due: Rs 200" in whats
    assert "Marriage registration fee paid: Rs 200, receipt HR/REV/2026/000077" in whats
    with translation.override("hi"):
        hindi = application_view(application=application, user=citizen, language="hi")
        whats = [row["what"] for row in hindi.timeline]
    assert "विवाह पंजीकरण शुल्क देय: 200 रुपये" in whats
    assert "विवाह पंजीकरण शुल्क जमा: 200 रुपये, रसीद HR/REV/2026/000077" in whats


# ------------------------------------------------------------------------------
# A fee that works out to nothing
# ------------------------------------------------------------------------------
@pytest.fixture
def free_within_ninety_days(tmp_path, db) -> None:
    """A new version of the marriage registration whose fee is waived within 90 days."""
    for folder in (settings.SEVA_SERVICE_DIR, settings.SEVA_FORM_DIR, settings.SEVA_WORKFLOW_DIR):
        shutil.copytree(REPO / folder, tmp_path / folder)
    path = tmp_path / settings.SEVA_SERVICE_DIR / "revenue" / "marriage-registration.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["fees"][0]["amount"] = "data.days_since_marriage <= 90 ? 0 : data.registration_fee"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    report = definitions_sync(root=tmp_path)
    assert [c.rsplit(" ", 1)[0] for c in report.created] == [MARRIAGE], report


@pytest.mark.django_db
def test_a_fee_of_nothing_opens_nothing_and_the_file_moves_on_at_once(api, free_within_ninety_days):
    _walk, application = _marriage(
        api, marriage={**SERVICES[MARRIAGE]["form"]["examples"][0]["marriage"]}, day=MONDAY
    )
    assert application.state == "payment"  # 114 days: the fee is due
    married = {
        **SERVICES[MARRIAGE]["form"]["examples"][0]["marriage"],
        "date_of_marriage": "2026-06-01",
    }
    _walk, free = _marriage(api, marriage=married, day=MONDAY)
    assert free.data["days_since_marriage"] == 35
    assert free.state == "scrutiny" and free.holder_role.code == "revenue_clerk"
    assert fees_of(free) == []
    assert _history(free) == [("submitted", "submit", "citizen"), ("action", "fee_paid", "system")]
    # No time stood still: the clock counts from the day it came in.
    assert timezone.localdate(free.rts_due_at) == expected_due_date(
        start=MONDAY, days=10, working_days_only=True, holidays=holidays_for(free)
    )


# ------------------------------------------------------------------------------
# Demanded mid-way: the water connection
# ------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("pipe", "metres", "paise", "shown"),
    [("20mm", 25, 1_100_00, "1,100"), ("15mm", 8, 500_00, "500")],
)
def test_charges_demanded_mid_way_are_worked_out_from_the_officers_inputs(
    api, django_capture_on_commit_callbacks, pipe, metres, paise, shown
):
    with django_capture_on_commit_callbacks(execute=True):
        _walk, application = _water_to_demand(api, MONDAY, pipe=pipe, metres=metres)
    (fee,) = fees_of(application)
    assert (fee.code, fee.state, fee.amount_paise, fee.head) == (
        "connection_charges",
        "awaiting_fee",
        paise,
        "0215-01-102-01",
    )
    # The demand note, signed by the SDO who sanctioned, carries the SMS with the amount.
    demand = application.issued_documents.get(code="demand_note")
    assert demand.kind == "demand_note" and demand.status == "issued"
    sms = OutboxMessage.objects.get(application=application, event="demand_note")
    pay_by = timezone.localdate(application.timer_due_at).strftime("%d-%m-%Y")
    assert f"Please pay Rs {shown} by {pay_by} online on Seva" in sms.body
    filler = Filler.for_application(application, {}, "en")
    assert (
        filler.fill(
            "{{ fees.connection_charges.amount }} to {{ fees.connection_charges.head }} by "
            "{{ fees.connection_charges.pay_by }}"
        )
        == f"{shown} to 0215-01-102-01 by {timezone.localdate(application.timer_due_at):%d/%m/%Y}"
    )

    day = MONDAY + dt.timedelta(days=8)
    with django_capture_on_commit_callbacks(execute=True):
        pay_fees(application, day)
    application.refresh_from_db()
    assert application.state == "connection_work"
    received = OutboxMessage.objects.get(application=application, event="fee_received")
    assert received.body.startswith(f"Rs {shown} received for application")
    fee.refresh_from_db()
    assert (
        filler.fill(
            "{{ fees.connection_charges.receipt }} on {{ fees.connection_charges.paid_on }}"
        )
        == f"{fee.receipt} on {day:%d/%m/%Y}"
    )


@pytest.mark.django_db
def test_the_sanction_order_prints_the_receipt_of_the_charges(
    api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        walk, application = _water_to_demand(api, MONDAY, pipe="20mm", metres=25)
        pay_fees(application, MONDAY + dt.timedelta(days=9))
        act(
            api,
            walk,
            walk.workflow.transition("connection_work", "mark_connected"),
            MONDAY + dt.timedelta(days=10),
        )
    application.refresh_from_db()
    assert application.state == "connected"
    (fee,) = fees_of(application)
    order = application.issued_documents.get(code="sanction_order")
    assert order.status == "issued", order.last_error
    filler = Filler.for_application(application, {}, "hi")
    assert filler.fill("{{ fees.connection_charges.receipt }}") == fee.receipt


@pytest.mark.django_db
def test_a_demand_not_met_lapses_and_the_file_is_closed(api):
    _walk, application = _water_to_demand(api, MONDAY, pipe="15mm", metres=5)
    due = timezone.localtime(application.timer_due_at)
    assert applications_fire_timers(at=due + dt.timedelta(minutes=1)) == 1
    application.refresh_from_db()
    assert (application.state, application.outcome) == ("lapsed", "closed")
    assert fees_of(application)[0].status == FeeDue.Status.LAPSED
    assert (
        "connection charges were not paid in time"
        in OutboxMessage.objects.get(application=application, event="lapsed").body
    )


# ------------------------------------------------------------------------------
# Falling due again: after a cancellation, and not after a payment
# ------------------------------------------------------------------------------
@pytest.fixture
def demand_revisable(tmp_path, db) -> None:
    """A version of the water connection in which the citizen may ask the SDO to revise the
    demand (back to sanction), and the junior engineer may send a paid file back to it."""
    for folder in (settings.SEVA_SERVICE_DIR, settings.SEVA_FORM_DIR, settings.SEVA_WORKFLOW_DIR):
        shutil.copytree(REPO / folder, tmp_path / folder)
    path = tmp_path / settings.SEVA_WORKFLOW_DIR / "water_connection.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["transitions"] += [
        {
            "action": "ask_revision",
            "label": {"en": "Ask for the demand to be revised", "hi": "मांग संशोधन का अनुरोध"},
            "from": "awaiting_fee",
            "to": "sanction",
            "roles": ["citizen"],
        },
        {
            "action": "reopen_demand",
            "label": {"en": "Back to the demand", "hi": "मांग पर वापस"},
            "from": "connection_work",
            "to": "awaiting_fee",
            "roles": ["phed_junior_engineer"],
        },
    ]
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    report = definitions_sync(root=tmp_path)
    assert [c.rsplit(" ", 1)[0] for c in report.created] == [WATER], report


def _act(api, application: Application, username: str, action: str, day, data=None):
    with time_machine.travel(at(day, 14), tick=False):
        response = api(username).post(
            f"/api/v1/applications/{application.reference}/actions/",
            {"action": action, "remarks": "Revised.", "data": data or {}},
            format="json",
        )
    assert response.status_code == 200, response.json()
    application.refresh_from_db()


@pytest.mark.django_db
def test_a_cancelled_fee_falls_due_again_worked_out_again_and_a_paid_one_does_not(
    api, demand_revisable
):
    _walk, application = _water_to_demand(api, MONDAY, pipe="15mm", metres=10)
    (fee,) = fees_of(application)
    assert fee.amount_paise == 500_00
    _act(api, application, "citizen", "ask_revision", MONDAY + dt.timedelta(days=3))
    fee.refresh_from_db()
    assert (application.state, fee.status) == ("sanction", FeeDue.Status.CANCELLED)

    sdo = application.holder_role.code
    _act(
        api,
        application,
        officer_for(application, sdo),
        "issue_demand_note",
        MONDAY + dt.timedelta(days=4),
        {"demand_note_number": "PHED-AMB-WS-2026-0312", "pipe_size": "25mm"},
    )
    (again,) = fees_of(application)
    assert again.pk == fee.pk  # one row per fee code and file
    assert (again.status, again.amount_paise) == (FeeDue.Status.DUE, 1_500_00)
    assert timezone.localdate(again.due_since) == MONDAY + dt.timedelta(days=4)
    assert [e.action for e in application.events.filter(kind="fee")] == [
        "fee_due",
        "fee_cancelled",
        "fee_due",
    ]

    pay_fees(application, MONDAY + dt.timedelta(days=5))
    application.refresh_from_db()
    assert application.state == "connection_work"
    _act(
        api,
        application,
        officer_for(application, "phed_junior_engineer"),
        "reopen_demand",
        MONDAY + dt.timedelta(days=6),
    )
    # Paid already: nothing is asked again, and the file goes straight back to the work.
    assert application.state == "connection_work"
    (paid,) = fees_of(application)
    assert paid.status == FeeDue.Status.PAID and paid.amount_paise == 1_500_00
    assert [e.action for e in application.events.filter(kind="fee")][-1] == "fee_paid"


@pytest.mark.django_db
def test_the_submission_of_a_service_without_fees_never_reads_the_fees(api):
    """The submission path is benchmarked: a service without `fees` is known to have none
    from its spec, and no statement goes near the fees' table."""
    walk = Walk("income-certificate", SERVICES["income-certificate"])
    with CaptureQueriesContext(connection) as queries:
        application = submit(api, walk, MONDAY)
    assert queries.captured_queries
    assert not [q["sql"] for q in queries.captured_queries if "applications_feedue" in q["sql"]]
    assert fees_of(application) == []
    # While a service with fees does read them, once it is known to have some.
    with CaptureQueriesContext(connection) as queries:
        _marriage(api)
    assert [q["sql"] for q in queries.captured_queries if "applications_feedue" in q["sql"]]
