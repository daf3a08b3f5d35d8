from django.core.management.base import BaseCommand, CommandError

from seva.api.models import Partner
from seva.api.services import partner_create, partner_key_issue
from seva.definitions.models import Service


class Command(BaseCommand):
    help = (
        "Issue an API key to a partner system (made with --name and --services if new). "
        "The key is printed once; only its hash is kept."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("partner", help="the partner's code, e.g. cpgrams")
        parser.add_argument("--name", help="the partner's name, to make a new partner")
        parser.add_argument(
            "--services", default="", help="service codes it may file, comma-separated"
        )
        parser.add_argument("--label", default="", help="what the key is for (shown in lists)")

    def handle(self, *args, partner: str, name: str | None, services: str, label: str, **o):
        codes = [c.strip() for c in services.split(",") if c.strip()]
        unknown = sorted(set(codes) - set(Service.objects.values_list("code", flat=True)))
        if unknown:
            raise CommandError(f"--services: no service {', '.join(unknown)}")
        found = Partner.objects.filter(code=partner).first()
        if found is None:
            if not name:
                raise CommandError(
                    f"No partner '{partner}'; give --name (and --services) to add it."
                )
            found = partner_create(code=partner, name=name, service_codes=codes)
        elif codes:
            found.services.set(Service.objects.filter(code__in=codes))
        key = partner_key_issue(partner=found, label=label)
        scope = ", ".join(found.services.values_list("code", flat=True)) or "no service yet"
        self.stdout.write(f"API key for {found.name} ({scope}):")
        self.stdout.write(key)
        self.stderr.write(
            "Keep it now: it is not shown again. Send it as 'Authorization: Api-Key <key>'."
        )
