"""The queue is answered from its index, not by reading the applications table: with tens of
thousands of files in the table, PostgreSQL's plans for the queue page use
app_open_queue_idx (the counts from the index alone). Figures at two million files:
docs/queue-query-plan.md (`manage.py queue_benchmark`)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from seva.applications.models import Application
from seva.demo.benchmarks.queues import synthetic_files_insert
from seva.queues.selectors import QueueFilters, queue_colour_counts, queue_for, queue_rows

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the plan checked is PostgreSQL's"
    ),
]


@pytest.fixture
def crowded_table(db):
    inserted = synthetic_files_insert(count=40_000)
    assert inserted == 40_000
    return inserted


@pytest.mark.parametrize("username", ["clerk.ambala", "dswo.ambala", "tehsildar.hr-kkr-thn-thn"])
def test_the_queue_page_and_its_counts_read_the_queue_index(crowded_table, user, username):
    officer = user(username)
    queue = queue_for(officer)
    assert queue.total > 0  # the synthetic files reach this officer's queue
    page_plan = queue.items[:50].explain()
    counts_plan = queue_colour_counts(queue_rows(officer, QueueFilters(), timezone.now())).explain()
    for plan in (page_plan, counts_plan):
        assert "app_open_queue_idx" in plan, plan
        assert "Seq Scan on applications_application" not in plan, plan
    assert "Index Only Scan using app_open_queue_idx" in counts_plan, counts_plan


def test_the_synthetic_files_are_spread_like_real_ones(crowded_table):
    synthetic = Application.objects.filter(reference__startswith="BENCH-")
    open_files = synthetic.filter(closed_at__isnull=True)
    assert 0.05 < open_files.count() / crowded_table < 0.15
    assert open_files.filter(stage_due_at__lt=timezone.now()).exists()
    assert open_files.filter(stage_due_at__gt=timezone.now()).exists()
    assert synthetic.values("office").distinct().count() > 100  # every tehsil
