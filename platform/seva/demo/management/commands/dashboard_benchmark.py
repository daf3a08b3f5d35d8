"""How fast is the RTS board at tens of millions of files? Times the boards by district,
department, service, tehsil and office, and the weekly trend, as the CMO's page asks for them
(from the rollups), and the same columns by a direct GROUP BY over the applications table,
in the same run; medians of --runs warm runs; checks that both give the same numbers.
Read-only. Fill the database first:

    python manage.py generate_applications --count 10000000 --yes
    python manage.py dashboard_benchmark [--by service,tehsil,office]
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from seva.applications.models import Application
from seva.dashboards.boards import GROUPINGS
from seva.dashboards.services import ROLLUPS
from seva.demo.benchmarks.dashboards import (
    board_direct,
    board_from_rollups,
    cases,
    trend_direct,
    trend_from_rollups,
)
from seva.demo.benchmarks.queues import median_ms

TARGET_MS = 50
TARGET_RATIO = 30


class Command(BaseCommand):
    help = "Time the RTS boards and trend from the rollups against a direct GROUP BY (PostgreSQL)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--runs", type=int, default=21, help="Warm runs of the board.")
        parser.add_argument(
            "--direct-runs", type=int, default=5, help="Warm runs of the direct GROUP BY."
        )
        parser.add_argument("--user", default="cmo", help="Whose board (default: the CMO).")
        parser.add_argument(
            "--by",
            default=",".join(GROUPINGS),
            help="The boards to time, comma-separated (default: all of them).",
        )

    def handle(self, *args, runs: int, direct_runs: int, user: str, by: str, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("The dashboard benchmark measures PostgreSQL: set DATABASE_URL.")
        boards = [name.strip() for name in by.split(",") if name.strip()]
        if not boards or set(boards) - set(GROUPINGS):
            raise CommandError(f"--by: choose from {', '.join(GROUPINGS)}.")
        if runs < 1 or direct_runs < 1:
            raise CommandError("--runs and --direct-runs: give a number of at least 1.")
        reader = get_user_model().objects.filter(username=user).first()
        if reader is None:
            raise CommandError(f"--user: there is no user {user!r} (run `manage.py seed_demo`).")
        today = timezone.localdate()
        files = Application.objects.count()
        sizes = ", ".join(
            f"{name} {rollup.model.objects.count():,}" for name, rollup in ROLLUPS.items()
        )
        self.stdout.write(
            f"{files:,} applications; rollup rows: {sizes}.\n"
            f"Board as {user}, on {today}; medians of {runs} warm runs (board) and "
            f"{direct_runs} (direct GROUP BY).\n"
        )
        self.stdout.write(
            f"{'':32} {'rows':>5} {'board ms':>9} {'direct ms':>10} {'ratio':>7}  same numbers"
        )
        failures = []
        for case in cases(today, boards):
            board = board_from_rollups(reader, case.filters, today)
            direct = board_direct(case.filters, today)
            board_ms = median_ms(
                lambda case=case: board_from_rollups(reader, case.filters, today), runs=runs
            )
            direct_ms = median_ms(
                lambda case=case: board_direct(case.filters, today), runs=direct_runs
            )
            ratio = direct_ms / board_ms
            same = board == direct
            self.stdout.write(
                f"{case.label:32} {len(board):>5} {board_ms:>9.1f} {direct_ms:>10.1f} "
                f"{ratio:>6.0f}x  {'yes' if same else 'NO'}"
                + (f"  ({case.note})" if case.note else "")
            )
            if not same:
                failures.append(f"{case.label}: the board differs from the direct count")
            if case.targeted and (board_ms > TARGET_MS or ratio < TARGET_RATIO):
                failures.append(
                    f"{case.label}: {board_ms:.1f} ms, {ratio:.0f}x (target: at most "
                    f"{TARGET_MS} ms and at least {TARGET_RATIO}x)"
                )
        # The weekly trend of the page (12 weeks to today) from the state's daily table.
        trend = trend_from_rollups(reader, today)
        trend_ms = median_ms(lambda: trend_from_rollups(reader, today), runs=runs)
        direct_ms = median_ms(lambda: trend_direct(today), runs=direct_runs)
        same = trend == trend_direct(today)
        self.stdout.write(
            f"{'weekly trend, 12 weeks':32} {len(trend):>5} {trend_ms:>9.1f} {direct_ms:>10.1f} "
            f"{direct_ms / trend_ms:>6.0f}x  {'yes' if same else 'NO'}"
        )
        if not same:
            failures.append("weekly trend: differs from the direct count")
        if trend_ms > TARGET_MS:
            failures.append(f"weekly trend: {trend_ms:.1f} ms (target: at most {TARGET_MS} ms)")
        for failure in failures:
            self.stdout.write(self.style.WARNING(failure))
        if not failures:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Every targeted board within {TARGET_MS} ms and at least {TARGET_RATIO}x faster "
                    "than the direct GROUP BY, with the same numbers."
                )
            )
