"""Compare the board's fee rollups (FeeMonth) with a direct count of the payments ledger;
--fix rebuilds them from that count."""

from django.core.management.base import BaseCommand

from seva.dashboards.fees import fee_months_differences, fee_months_rebuild


class Command(BaseCommand):
    help = "Compare the fee rollups with the payments ledger; --fix rebuilds them."

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="Rebuild the fee rollups.")

    def handle(self, *args, fix: bool = False, **options):
        differences = fee_months_differences()
        for line in differences:
            self.stdout.write(line)
        if not differences:
            self.stdout.write(self.style.SUCCESS("The fee rollups match the payments ledger."))
            return
        if fix:
            rows = fee_months_rebuild()
            self.stdout.write(self.style.SUCCESS(f"Rebuilt: {rows} fee rollup rows."))
            return
        self.stderr.write(
            f"{len(differences)} or more rows differ; run with --fix to rebuild the fee rollups."
        )
        raise SystemExit(1)
