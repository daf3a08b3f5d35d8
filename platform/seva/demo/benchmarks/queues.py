"""Measuring the officer's queue at scale, on PostgreSQL: synthetic files inserted by one
INSERT ... SELECT, then the queue's own queries timed and explained. Used by the
`queue_benchmark` command and by the query-plan test; never by the application itself."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from seva.definitions.models import Service
from seva.definitions.selectors import workflow_for
from seva.org.models import Role
from seva.queues.selectors import QueueFilters, queue_colour_counts, queue_for, queue_rows

SYNTHETIC_PREFIX = "BENCH-"


def _holders() -> list[tuple[int, int, int, str, int]]:
    """(service, version, department, state, role) for every officer state of every service."""
    roles = dict(Role.objects.values_list("code", "id"))
    holders = []
    for service in Service.objects.filter(current_version__isnull=False).select_related(
        "current_version"
    ):
        workflow = workflow_for(service.current_version)
        for state in workflow.states.values():
            if state.role and state.role in roles:
                holders.append(
                    (
                        service.id,
                        service.current_version_id,
                        service.department_id,
                        state.code,
                        roles[state.role],
                    )
                )
    return holders


def synthetic_files_insert(*, count: int, open_per_mille: int = 100) -> int:
    """Insert `count` files spread over every tehsil and every officer state of every
    service, submitted over three years; `open_per_mille` of them still open (submitted in
    the last 30 days, their stage deadlines from breached to two weeks ahead), the rest
    approved. References start with BENCH-. Returns how many were inserted."""
    holders = _holders()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH offices AS (
                SELECT array_agg(id ORDER BY path) AS ids, array_agg(path ORDER BY path) AS paths
                FROM org_jurisdiction WHERE level = 'tehsil'
            ),
            base AS (
                SELECT g,
                       1 + (g * 7919) %% array_length(offices.ids, 1) AS o,
                       -- Scrambled (a Lehmer step), so that which holder a file has is
                       -- not tied to whether it is open (g %% 1000) or to its office.
                       1 + ((g::bigint * 48271) %% 2147483647) %% %(holders)s AS h,
                       (g %% 1000) < %(open_per_mille)s AS is_open,
                       now() - CASE WHEN (g %% 1000) < %(open_per_mille)s
                                    THEN interval '1 minute' * (g %% 43200)
                                    ELSE interval '1 minute' * (g %% 1576800) END AS sub
                FROM generate_series(1::bigint, %(count)s::bigint) AS g, offices
            )
            INSERT INTO applications_application (
                reference, service_id, service_version_id, department_id, office_id, place_id,
                place_path, held_at_path, applicant_name, applicant_mobile, language,
                channel, data, state,
                holder_role_id, escalation_level, holder_flag, submitted_at, stage_started_at,
                stage_due_at, rts_due_at, clock_pauses, closed_at, outcome, closed_within_rts,
                updated_at)
            SELECT %(prefix)s || g,
                   (%(service)s::bigint[])[h], (%(version)s::bigint[])[h],
                   (%(department)s::bigint[])[h], offices.ids[o], offices.ids[o],
                   offices.paths[o], offices.paths[o], 'Synthetic applicant ' || g,
                   (9000000000 + g)::text, 'en', 'online', '{}'::jsonb,
                   CASE WHEN is_open THEN (%(state)s::text[])[h] ELSE 'approved' END,
                   CASE WHEN is_open THEN (%(role)s::bigint[])[h] END,
                   0, '', sub, sub,
                   CASE WHEN is_open THEN sub + interval '1 day' * (1 + g %% 15) END,
                   sub + interval '21 days', '[]'::jsonb,
                   CASE WHEN is_open THEN NULL ELSE sub + interval '1 day' * (1 + g %% 30) END,
                   CASE WHEN is_open THEN '' ELSE 'approved' END,
                   CASE WHEN is_open THEN NULL ELSE (g %% 30) < 21 END,
                   now()
            FROM base, offices
            """,
            {
                "count": count,
                "open_per_mille": open_per_mille,
                "holders": len(holders),
                "prefix": SYNTHETIC_PREFIX,
                "service": [h[0] for h in holders],
                "version": [h[1] for h in holders],
                "department": [h[2] for h in holders],
                "state": [h[3] for h in holders],
                "role": [h[4] for h in holders],
            },
        )
        inserted = cursor.rowcount
        cursor.execute("ANALYZE applications_application")
    return inserted


@dataclass
class QueueQueries:
    """What a queue page asks the database, for one officer: `page` is the whole of it (the
    officer's postings, the colour counts and the first page of rows)."""

    counts: Callable[[], dict]
    page: Callable[[], list]
    explain_page: Callable[[], str]
    explain_counts: Callable[[], str]


def queue_queries(user, *, page_size: int = 50) -> QueueQueries:
    def page() -> list:
        return list(queue_for(user, QueueFilters()).items[:page_size])

    def counts() -> dict:
        return queue_for(user, QueueFilters()).counts

    def explain_page() -> str:
        items = queue_for(user, QueueFilters()).items[:page_size]
        return items.explain(analyze=True, buffers=True)

    def explain_counts() -> str:
        rows = queue_rows(user, QueueFilters(), timezone.now())
        return queue_colour_counts(rows).explain(analyze=True, buffers=True)

    return QueueQueries(
        counts=counts, page=page, explain_page=explain_page, explain_counts=explain_counts
    )


def median_ms(work: Callable[[], object], *, runs: int) -> float:
    work()  # warm the caches the first call fills
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)
