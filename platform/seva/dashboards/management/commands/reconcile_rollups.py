"""Compare the RTS rollups with a direct count of the applications table; --fix rebuilds
them from that count."""

from django.core.management.base import BaseCommand

from seva.dashboards.selectors import rollups_differences
from seva.dashboards.services import rollups_rebuild


class Command(BaseCommand):
    help = "Compare the RTS rollups with a direct count; --fix rebuilds them."

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="Rebuild the rollups.")

    def handle(self, *args, fix: bool = False, **options):
        differences = rollups_differences()
        for line in differences:
            self.stdout.write(line)
        if not differences:
            self.stdout.write(self.style.SUCCESS("The rollups match a direct count."))
            return
        if fix:
            counts = rollups_rebuild()
            rows = ", ".join(f"{count} {name} rows" for name, count in counts.items())
            self.stdout.write(self.style.SUCCESS(f"Rebuilt: {rows}."))
            return
        self.stderr.write(
            f"{len(differences)} or more rows differ; run with --fix to rebuild the rollups."
        )
        raise SystemExit(1)
