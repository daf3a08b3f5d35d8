from django.core.management.base import BaseCommand, CommandError

from seva.api.models import PartnerKey
from seva.api.services import partner_key_revoke


class Command(BaseCommand):
    help = "Revoke a partner's API key by its prefix (the part before the dot); it stops at once."

    def add_arguments(self, parser) -> None:
        parser.add_argument("prefix")

    def handle(self, *args, prefix: str, **options) -> None:
        key = PartnerKey.objects.select_related("partner").filter(prefix=prefix).first()
        if key is None:
            raise CommandError(f"No API key starting '{prefix}'.")
        partner_key_revoke(key=key)
        self.stdout.write(f"Revoked {key.partner.name}'s key {prefix}.")
