"""Fill a load-test database with a state's worth of applications, for the dashboards and
their benchmark. PostgreSQL only; everything in one transaction.

    python manage.py generate_applications --count 10000000 --yes
"""

from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from seva.demo.generator import (
    DEPARTMENTS,
    SERVICES,
    YEARS,
    applications_generate,
)


class Command(BaseCommand):
    help = (
        f"Add {DEPARTMENTS} departments, {SERVICES} services and N applications over "
        f"{YEARS} years to this (load-test) database, then rebuild the rollups."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--count", type=int, required=True, help="Applications to add.")
        parser.add_argument("--batch-size", type=int, default=200_000)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--yes",
            action="store_true",
            help="Confirm that this database is for load tests: generated departments, "
            "services and applications are added to it.",
        )

    def handle(self, *args, count: int, batch_size: int, seed: int, yes: bool, **options):
        if count < 1:
            raise CommandError("--count: give a number of applications of at least 1.")
        if batch_size < 1:
            raise CommandError("--batch-size: give a number of at least 1.")
        if not yes:
            raise CommandError(
                "This adds generated departments, services and applications to the database "
                "in DATABASE_URL. Run it on a database of its own, with --yes."
            )
        started = time.monotonic()
        tty = sys.stderr.isatty()

        def progress(done: int, stage: str) -> None:
            width = 30
            filled = width * done // count
            elapsed = time.monotonic() - started
            line = (
                f"[{'#' * filled}{'.' * (width - filled)}] {done:>12,} / {count:,} "
                f"{stage:<12} {elapsed:7.1f} s"
            )
            self.stderr.write(("\r" if tty else "") + line, ending="" if tty else "\n")
            self.stderr.flush()

        try:
            generated = applications_generate(
                count=count, batch_size=batch_size, seed=seed, progress=progress
            )
        except (RuntimeError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if tty:
            self.stderr.write("")
        self.stdout.write(
            self.style.SUCCESS(
                f"Added {generated.applications:,} applications in {generated.seconds:.1f} s "
                f"({generated.applications / max(generated.seconds, 0.001):,.0f} a second); "
                f"the state has {generated.departments} departments and "
                f"{generated.services} services; the rollups are rebuilt."
            )
        )
