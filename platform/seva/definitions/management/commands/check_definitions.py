from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from seva.definitions.lint import check_definitions


class Command(BaseCommand):
    # Django's system checks look at the same names (guards, SMS variables, eligibility
    # questions, widgets, formats) but can only say which file; run before this command they
    # would stop it with one error for the folder. This command reports each with its place.
    requires_system_checks: list[str] = []
    help = (
        "Check definition files (services, forms, workflows) against their meta-schemas and "
        "each other. With no PATH, checks the whole definitions folder. Exit status 1 on any problem."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("paths", nargs="*", type=Path, help="files or folders to check")

    def handle(self, *args, paths: list[Path], **options) -> None:
        for path in paths:
            if not path.exists():
                raise CommandError(f"{path}: no such file or folder")
        try:
            dset, problems = check_definitions(paths)
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from exc
        for problem in problems:
            self.stderr.write(str(problem))
        if problems:
            raise CommandError(
                f"{len(problems)} problem(s) found; fix them and run check_definitions again."
            )
        if dset is not None:
            self.stdout.write(
                self.style.SUCCESS(
                    f"OK: {len(dset.services)} services, {len(dset.forms)} forms, "
                    f"{len(dset.workflows)} workflows, {len(dset.departments)} departments, "
                    f"{len(dset.roles)} roles in {dset.root}"
                )
            )
