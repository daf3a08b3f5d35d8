"""Store a month's scores and ranks (by district, department and service) for good. Beat
does it on the first of each month; this is for a month it missed. A month already stored
is left as it is."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from seva.dashboards.snapshots import months_before, scores_snapshot


class Command(BaseCommand):
    help = "Store a month's RTS scores and ranks (default: last month); never rewrites one."

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM (default: last month)")

    def handle(self, *args, month: str | None = None, **options):
        if month:
            try:
                first = dt.date.fromisoformat(f"{month}-01")
            except ValueError as exc:
                raise CommandError("--month: give a month as YYYY-MM, e.g. 2026-10.") from exc
        else:
            first = months_before(timezone.localdate(), 1)[0]
        try:
            written = scores_snapshot(first)
        except ValueError as exc:
            raise CommandError(f"--month: {exc}") from exc
        if written:
            self.stdout.write(self.style.SUCCESS(f"Stored {written} scores for {first:%B %Y}."))
        else:
            self.stdout.write(f"{first:%B %Y} was already stored; left as it was.")
