import json

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from seva.citizens.services import citizen_profile_ensure
from seva.demo.accounts import DEMO_SECOND_FACTOR_MOBILE, demo_second_factor_seed
from seva.demo.api import demo_key_file, demo_partner_seed
from seva.demo.channels import demo_channels_seed
from seva.demo.org import demo_citizen_mobiles, demo_seed
from seva.demo.signing import demo_signing_seed


class Command(BaseCommand):
    help = (
        "Load the demo state (jurisdictions, holidays, people, service centres, citizens' mobile "
        "numbers, officers' second factor) and print the demo logins."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", help="print the logins as JSON")
        parser.add_argument("--quiet", action="store_true", help="print nothing on success")
        parser.add_argument(
            "--logins-only", action="store_true", help="print the logins table only"
        )

    def handle(self, *args, **options) -> None:
        try:
            with transaction.atomic():
                logins = demo_seed()
                logins += demo_channels_seed()
                partner_key = demo_partner_seed()
                User = get_user_model()
                for username, mobile in demo_citizen_mobiles().items():
                    citizen_profile_ensure(user=User.objects.get(username=username), mobile=mobile)
                demo_second_factor_seed()
            demo_signing_seed(logins)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps([login.as_dict() for login in logins], indent=2))
            return
        if options["quiet"]:
            return
        if not options["logins_only"]:
            self.stdout.write(self.style.SUCCESS(f"Demo data loaded: {len(logins)} people."))
        self.stdout.write("Demo logins (password for all: seva-demo)")
        for login in (login for login in logins if not login.rostered):
            roles = ", ".join(
                " / ".join(part for part in (r["role"], r["department"], r["jurisdiction"]) if part)
                for r in login.roles
            )
            self.stdout.write(f"  {login.username:<28} {roles}")
        rostered = [login for login in logins if login.rostered]
        if rostered:
            self.stdout.write(
                f"  and {len(rostered)} more officers, one in each office of the state, named "
                f"<role>.<place code>, e.g. {rostered[0].username} "
                "(seed_demo --json lists them all)"
            )
        self.stdout.write(
            "Officers who approve or reject, and the state admin, give a second factor: after "
            "the password, the code sent by SMS, shown in the demo SMS box (/demo/sms/) for "
            f"their mobile, or {DEMO_SECOND_FACTOR_MOBILE} if they have none"
        )
        self.stdout.write(
            f"Documents are signed by a DEMO certifying authority made in "
            f"{settings.SEVA_DOCUMENT_SIGNING_DIR} (demo-ca.pem): not valid for real use"
        )
        self.stdout.write(
            f"Demo partner API key (income-certificate, public-grievance): {partner_key}\n"
            f"  kept in {demo_key_file()}; send it as 'Authorization: Api-Key <key>'"
        )
