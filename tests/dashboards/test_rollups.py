"""The RTS rollups stay equal to a direct count of the applications table, whatever happens
to the files: random submissions and transitions by whoever may act (officers and
citizens), closures of every kind, the clock stopped and restarted, and deadlines
recomputed after a holiday is declared. Each seed is a different random history."""

from __future__ import annotations

import datetime as dt
import random
from itertools import product

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from seva.applications.models import Application
from seva.applications.services import (
    application_act,
    application_submit,
    applications_recompute_deadlines,
)
from seva.core.errors import SevaError
from seva.dashboards import boards
from seva.dashboards.boards import BoardFilters
from seva.dashboards.models import (
    PAST_DUE,
    RtsAreaDaily,
    RtsAreaMonthly,
    RtsAreaOpen,
    RtsDaily,
    RtsOpen,
    RtsPlaceMonthly,
    RtsServiceTotal,
    RtsStateDaily,
)
from seva.dashboards.selectors import rollups_differences, rts_board
from seva.dashboards.services import (
    FOLDED,
    fold_past_due,
    rollups_fold_past_due,
    rollups_rebuild,
    stored_rollups,
)
from seva.definitions.models import Service
from seva.definitions.selectors import workflow_for
from seva.org.models import Holiday, Jurisdiction
from seva.org.routing import postings_present
from tests.helpers import example_with_documents, ist

SERVICES = ["income-certificate", "birth-registration", "public-grievance", "water-connection"]
TEHSILS = ["HR-AMB-AMB-AMB", "HR-HSR-HSR-HSR", "HR-KKR-THN-THN"]


def _submit(user, rng: random.Random, at: dt.datetime) -> Application:
    service = Service.objects.get(code=rng.choice(SERVICES))
    citizen = user(rng.choice(["citizen", "citizen2"]))
    data = example_with_documents(service, citizen)
    if isinstance(data.get("address"), dict) and "tehsil" in data["address"]:
        data["address"]["tehsil"] = rng.choice(TEHSILS)
    return application_submit(service=service, data=data, applicant=citizen, at=at)


def _moves(application: Application, on: dt.date) -> list[tuple[object, object]]:
    workflow = workflow_for(application.service_version)
    moves = []
    if application.holder_role_id:
        role = application.holder_role.code
        for posting in postings_present(
            role_code=role,
            department_id=application.department_id,
            place_path=application.place_path,
            on=on,
        ):
            moves += [(posting.user, t) for t in workflow.actions_for(application.state, {role})]
    moves += [
        (application.applicant, t) for t in workflow.actions_for(application.state, {"citizen"})
    ]
    return moves


def _inputs(transition, application: Application) -> dict:
    if transition.corrects_form:
        return example_with_documents(application.service, application.applicant, application.data)
    if transition.input_schema:
        return dict(transition.input_schema.get("examples", [{}])[0])
    return {}


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_histories_keep_the_rollups_equal_to_a_direct_count(user, seed, monkeypatch):
    rng = random.Random(seed)
    at = ist(2026, 10, 1, 10)
    applications: list[Application] = []
    acted = closed = 0
    for step in range(70):
        at += dt.timedelta(hours=rng.choice([1, 3, 7, 20, 30]))
        if step < 12 or rng.random() < 0.3:
            applications.append(_submit(user, rng, at))
            continue
        if step == 40:  # a holiday declared in Ambala moves its open files' deadlines
            Holiday.objects.create(
                date=timezone.localdate(at) + dt.timedelta(days=3),
                name_en="Local fair",
                name_hi="स्थानीय मेला",
                district=Jurisdiction.objects.get(code="HR-AMB"),
            )
            applications_recompute_deadlines(
                district=Jurisdiction.objects.get(code="HR-AMB"), at=at
            )
            continue
        open_files = [
            a
            for a in Application.objects.filter(pk__in=[a.pk for a in applications])
            if not a.is_closed
        ]
        if not open_files:
            continue
        application = rng.choice(open_files)
        moves = _moves(application, timezone.localdate(at))
        if not moves:
            continue
        actor, transition = rng.choice(moves)
        try:
            after = application_act(
                application=application,
                user=actor,
                action=transition.action,
                remarks="Looked into it.",
                inputs=_inputs(transition, application),
                at=at,
            )
        except SevaError:
            continue  # a guard or a condition refused it: nothing changed
        acted += 1
        closed += after.is_closed
        if step % 10 == 0:
            assert rollups_differences() == [], f"after step {step}"

    assert acted >= 15 and closed >= 1, (acted, closed)
    assert rollups_differences() == []
    # And the rollups hold what the board needs: every file received once, each closed one
    # disposed of or withdrawn once, each open one underway once.
    everything = Application.objects.filter(pk__in=[a.pk for a in applications])
    assert sum(RtsDaily.objects.values_list("received", flat=True)) == everything.count()
    assert sum(RtsOpen.objects.values_list("open_count", flat=True)) == (
        everything.filter(closed_at__isnull=True).count()
    )
    for coarse in (RtsAreaDaily, RtsAreaMonthly):
        assert sum(coarse.objects.values_list("received", flat=True)) == everything.count()
    # The district and department boards, read from the coarse tables (whole months and
    # the days at either end), say what the fine tables say, whatever the date range.
    cmo = get_user_model().objects.get(username="cmo")
    days = [ist(2026, 9, 25, 0).date() + dt.timedelta(days=n) for n in range(0, 70, 3)]
    ranges = (
        [(None, None)]
        + [tuple(sorted(rng.sample(days, 2))) for _ in range(6)]
        + [(None, rng.choice(days)), (rng.choice(days), None)]
    )
    # The nightly fold of the files due in the past changes no count on any later day.
    folded_on = days[len(days) // 2]
    assert rollups_fold_past_due(folded_on) > 0
    assert not RtsAreaOpen.objects.filter(rts_due_on__lt=folded_on).exclude(rts_due_on=PAST_DUE)
    # So do the boards by service, tehsil and office (their own coarse tables), for the
    # CMO, a collector and a head of department, with the page's drill-down filters.
    ambala = Jurisdiction.objects.get(code="HR-AMB")
    tehsil = Jurisdiction.objects.get(code=TEHSILS[0])
    office = Application.objects.filter(tehsil=tehsil).values_list("office_id", flat=True)[0]
    readers = [cmo, *get_user_model().objects.filter(username__in=["dc.ambala", "fcr"])]
    drills = [
        {},
        {"district_id": ambala.pk},
        {"tehsil_id": tehsil.pk, "district_id": ambala.pk},
        {"office_id": office},
        {"kind": "grievance"},
        {"department_id": Service.objects.get(code=SERVICES[0]).department_id},
    ]
    for start, end in ranges:
        for by in boards.GROUPINGS:
            for today in (folded_on, days[-1]):
                for reader, drill in [(cmo, {})] if start or end else product(readers, drills):
                    filters = BoardFilters(by=by, start=start, end=end, **drill)
                    coarse = rts_board(user=reader, filters=filters, today=today)
                    monkeypatch.setattr(boards, "coarse_family", lambda *args: None)
                    fine = rts_board(user=reader, filters=filters, today=today)
                    monkeypatch.undo()
                    assert [vars(r) for r in coarse] == [vars(r) for r in fine], (
                        by,
                        start,
                        end,
                        reader.username,
                        drill,
                    )
    assert rollups_differences() == []
    # Rebuilding in the database gives what the transactions kept (with the files due
    # before today folded).
    kept = stored_rollups()
    rollups_rebuild()
    rebuilt = stored_rollups()
    today = timezone.localdate()
    for name in FOLDED:
        kept[name] = fold_past_due(name, kept[name], today)
        rebuilt[name] = fold_past_due(name, rebuilt[name], today)
    assert rebuilt == kept


@pytest.mark.django_db
def test_the_reconciliation_reports_a_drift_and_the_rebuild_repairs_it(user, capsys):
    rng = random.Random(7)
    for hours in range(5):
        _submit(user, rng, ist(2026, 10, 1, 10) + dt.timedelta(hours=hours))
    call_command("reconcile_rollups")
    assert "match a direct count" in capsys.readouterr().out

    row = RtsDaily.objects.first()
    RtsDaily.objects.filter(pk=row.pk).update(received=row.received + 2)
    with pytest.raises(SystemExit):
        call_command("reconcile_rollups")
    out = capsys.readouterr().out
    assert f"daily ({row.day!r}, {row.service_id}, {row.office_id}, {row.tehsil_id})" in out
    assert f"'received': {row.received}" in out

    call_command("reconcile_rollups", "--fix")
    assert rollups_differences() == []
    counts = rollups_rebuild()
    assert counts["daily"] == RtsDaily.objects.count() and counts["open"] == RtsOpen.objects.count()
    assert rollups_differences() == []

    # The coarse tables are checked too: a month of a district that drifted is reported.
    month = RtsAreaMonthly.objects.first()
    RtsAreaMonthly.objects.filter(pk=month.pk).update(received=month.received - 1)
    with pytest.raises(SystemExit):
        call_command("reconcile_rollups")
    assert f"area monthly ({month.month!r}, {month.district_id}" in capsys.readouterr().out


@pytest.mark.django_db
def test_the_reconciliation_covers_the_service_place_and_state_tables(user, capsys):
    rng = random.Random(11)
    for hours in range(4):
        _submit(user, rng, ist(2026, 10, 1, 10) + dt.timedelta(hours=hours))
    for model, name in (
        (RtsServiceTotal, "service total"),
        (RtsPlaceMonthly, "place monthly"),
        (RtsStateDaily, "state daily"),
    ):
        row = model.objects.first()
        model.objects.filter(pk=row.pk).update(received=row.received + 1)
        with pytest.raises(SystemExit):
            call_command("reconcile_rollups")
        assert f"{name} (" in capsys.readouterr().out
        call_command("reconcile_rollups", "--fix")
        assert rollups_differences() == []
