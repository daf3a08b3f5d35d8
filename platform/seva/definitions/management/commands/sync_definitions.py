from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from seva.definitions.services import DefinitionsInvalid, definitions_sync


class Command(BaseCommand):
    help = (
        "Load the definition files into the database: each changed service becomes a new "
        "immutable version, with its portal page; running it again with no change writes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--root", type=Path, help="definitions folder (default: settings)")

    def handle(self, *args, root: Path | None, **options) -> None:
        try:
            report = definitions_sync(root=root)
        except DefinitionsInvalid as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(str(exc)) from exc
        for line in report.created:
            self.stdout.write(f"new version: {line}")
        for line in report.conflicts:
            self.stderr.write(self.style.WARNING(f"not loaded: {line}"))
        conflicts = len(report.conflicts)
        summary = (
            f"{len(report.created)} new version(s), {len(report.unchanged)} unchanged, "
            + (f"{conflicts} left as published in the admin, " if conflicts else "")
            + f"{report.departments_written} department(s) and {report.roles_written} role(s) "
            "written"
        )
        self.stdout.write(self.style.SUCCESS(summary) if report.changed_anything else summary)
        # Every published service gets its portal page (the portal listens for the sync),
        # so a new service needs no other step.
