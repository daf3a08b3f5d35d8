"""The data generator: a state of 22 districts, 40 departments and 550 services, and
applications with the mix the board must show (within and outside RTS, rejections,
withdrawals, pauses, a backlog beyond RTS), whose rollups equal a direct count. All or
nothing: a run that fails leaves nothing behind. PostgreSQL only, like the benchmark."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from seva.applications.models import Application
from seva.dashboards.boards import BoardFilters
from seva.dashboards.selectors import rollups_differences, rts_board
from seva.definitions.models import Service
from seva.demo import generator
from seva.demo.generator import PREFIX, applications_generate
from seva.org.models import Department, Jurisdiction, JurisdictionLevel

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the generator writes with PostgreSQL's SQL"
)


@pytest.mark.django_db
def test_the_generator_makes_a_state_with_a_realistic_mix(user):
    generated = applications_generate(count=4000, batch_size=1500, seed=7)
    assert (generated.departments, generated.services, generated.applications) == (40, 550, 4000)
    assert Department.objects.count() == 40
    assert Service.objects.filter(current_version__isnull=False).count() == 550
    assert Jurisdiction.objects.filter(level=JurisdictionLevel.DISTRICT).count() == 22

    made = Application.objects.filter(reference__startswith=PREFIX)
    now = timezone.now()
    mix = {
        "within RTS": made.filter(closed_within_rts=True).count(),
        "outside RTS": made.filter(closed_within_rts=False).count(),
        "rejected": made.filter(outcome="rejected").count(),
        "withdrawn": made.filter(outcome="withdrawn").count(),
        "paused once": made.exclude(clock_pauses=[]).count(),
        "underway within RTS": made.filter(closed_at__isnull=True, rts_due_at__gte=now).count(),
        "underway beyond RTS": made.filter(
            closed_at__isnull=True, clock_paused_at__isnull=True, rts_due_at__lt=now
        ).count(),
    }
    assert made.count() == 4000 and all(mix.values()), mix
    assert mix["within RTS"] > 2 * mix["outside RTS"]  # most files are on time
    assert made.filter(district__isnull=True).count() == 0
    assert made.values("district").distinct().count() == 22
    assert made.values("service").distinct().count() > 300
    days = made.order_by("submitted_at").values_list("submitted_at", flat=True)
    assert (days.last() - days.first()).days > 3 * 365 - 30

    assert rollups_differences() == []
    board = rts_board(user=user("cmo"), filters=BoardFilters(by="district"))
    assert len(board) == 22 and sum(row.received for row in board) == Application.objects.count()


@pytest.mark.django_db
def test_a_failed_run_leaves_nothing_behind(monkeypatch):
    departments = Department.objects.count()

    def broken():
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(generator, "rollups_rebuild", broken)
    with pytest.raises(RuntimeError, match="disk is full"):
        applications_generate(count=500)
    assert Department.objects.count() == departments
    assert not Service.objects.filter(code__startswith="gen-").exists()
    assert not Application.objects.filter(reference__startswith=PREFIX).exists()


@pytest.mark.django_db
def test_the_command_asks_for_confirmation_and_a_count():
    with pytest.raises(CommandError, match="--yes"):
        call_command("generate_applications", "--count", "10")
    with pytest.raises(CommandError, match="--count"):
        call_command("generate_applications", "--count", "0", "--yes")
    assert not Application.objects.filter(reference__startswith=PREFIX).exists()
