"""How fast is the RTS board at tens of millions of files? Times the district and
department boards as the CMO's page asks for them (from the rollups), and the same columns
by a direct GROUP BY over the applications table, in the same run; medians of --runs warm
runs; checks that both give the same numbers. Read-only. Fill the database first:

    python manage.py generate_applications --count 10000000 --yes
    python manage.py dashboard_benchmark
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from seva.applications.models import Application
from seva.dashboards.services import ROLLUPS
from seva.demo.benchmarks.dashboards import board_direct, board_from_rollups, cases
from seva.demo.benchmarks.queues import median_ms

TARGET_MS = 50
TARGET_RATIO = 30


class Command(BaseCommand):
    help = "Time the RTS board from the rollups against a direct GROUP BY (PostgreSQL)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--runs", type=int, default=21, help="Warm runs of the board.")
        parser.add_argument(
            "--direct-runs", type=int, default=5, help="Warm runs of the direct GROUP BY."
        )
        parser.add_argument("--user", default="cmo", help="Whose board (default: the CMO).")

    def handle(self, *args, runs: int, direct_runs: int, user: str, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("The dashboard benchmark measures PostgreSQL: set DATABASE_URL.")
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
        for case in cases(today):
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
        for failure in failures:
            self.stdout.write(self.style.WARNING(failure))
        if not failures:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Every targeted board within {TARGET_MS} ms and at least {TARGET_RATIO}x faster "
                    "than the direct GROUP BY, with the same numbers."
                )
            )
