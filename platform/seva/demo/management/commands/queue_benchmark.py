"""How fast is an officer's queue at millions of files? Inserts synthetic files into the
current PostgreSQL database inside a transaction, times the queue's two queries for a few
demo officers (median of --runs), prints the plans, then times them again without the queue
index (foreign-key indexes only) and with no index on its columns, for the ratios.
Everything is rolled back at the end.

    python manage.py queue_benchmark --files 2000000
"""

from __future__ import annotations

import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from seva.demo.benchmarks.queues import median_ms, queue_queries, synthetic_files_insert

OFFICERS = ("clerk.ambala", "welfare.clerk.ambala", "dswo.ambala")


class Command(BaseCommand):
    help = "Time the officer's queue over synthetic files (PostgreSQL; rolled back)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--files", type=int, default=2_000_000)
        parser.add_argument("--open-per-mille", type=int, default=100)
        parser.add_argument("--runs", type=int, default=15)

    def handle(self, *args, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("The queue benchmark measures PostgreSQL: set DATABASE_URL.")
        User = get_user_model()
        officers = list(User.objects.filter(username__in=OFFICERS).order_by("username"))
        if len(officers) != len(OFFICERS):
            raise CommandError("Demo officers are missing: run `manage.py seed_demo` first.")
        runs = options["runs"]
        with transaction.atomic():
            started = time.perf_counter()
            inserted = synthetic_files_insert(
                count=options["files"], open_per_mille=options["open_per_mille"]
            )
            self.stdout.write(
                f"Inserted {inserted:,} synthetic files "
                f"({options['open_per_mille'] / 10:.1f}% open) in "
                f"{time.perf_counter() - started:.1f} s; medians of {runs} runs."
            )
            with_index = self._time_all(officers, runs)
            first = queue_queries(officers[0])
            self.stdout.write(f"\nPlan of the first page for {officers[0].username}:")
            self.stdout.write(first.explain_page())
            self.stdout.write(f"\nPlan of the colour counts for {officers[0].username}:")
            self.stdout.write(first.explain_counts())

            # What the queue would cost unplanned: first with only the indexes Django puts
            # on every foreign key, then with none on the queue's columns at all.
            with connection.cursor() as cursor:
                cursor.execute("DROP INDEX app_open_queue_idx")
            fk_only = self._time_all(officers, runs)
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT indexname FROM pg_indexes WHERE tablename = 'applications_application'"
                    " AND (indexdef LIKE '%%(holder_role_id)' OR indexdef LIKE '%%(department_id)')"
                )
                for (name,) in cursor.fetchall():
                    cursor.execute(f'DROP INDEX "{name}"')
            no_index = self._time_all(officers, runs)
            transaction.set_rollback(True)

        self.stdout.write(
            "\nmedian ms of a queue page   rows   queue index   FK indexes only     no index"
        )
        for officer in officers:
            rows, planned = with_index[officer.username]
            fk, bare = fk_only[officer.username][1], no_index[officer.username][1]
            self.stdout.write(
                f"{officer.username:<26} {rows:>6} {planned:>13.2f} "
                f"{fk:>10.2f} ({fk / planned:.1f}x) {bare:>9.2f} ({bare / planned:.1f}x)"
            )
        self.stdout.write("Rolled back: the database is as it was.")

    def _time_all(self, officers, runs: int) -> dict[str, tuple[int, float]]:
        """Per officer: the rows in their queue, and the median time of what the queue page
        asks the database (the colour counts and the first page of rows)."""
        timings = {}
        for officer in officers:
            queries = queue_queries(officer)
            timings[officer.username] = (
                sum(queries.counts().values()),
                median_ms(queries.page, runs=runs),
            )
        return timings
