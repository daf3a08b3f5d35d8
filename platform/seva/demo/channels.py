"""Demo service centres, their operators and the helpline's agents, from the
`service_centres`, `centre_operators` and `helpline_agents` sections of the demo people's
file (demo/data/demo_users.yaml). Run by `seed_demo` after the organisation; idempotent."""

from __future__ import annotations

import yaml
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from seva.channels.models import CentreOperator, HelplineAgent, ServiceCentre
from seva.channels.services import helpline_agent_access_sync, operator_access_sync
from seva.demo.org import DATA_DIR, DEMO_PASSWORD, EMAIL_DOMAIN, DemoLogin
from seva.org.models import Jurisdiction


@transaction.atomic
def demo_channels_seed() -> list[DemoLogin]:
    people = yaml.safe_load((DATA_DIR / "demo_users.yaml").read_text(encoding="utf-8"))
    centres = {}
    for item in people.get("service_centres") or []:
        centres[item["code"]], _created = ServiceCentre.objects.get_or_create(
            code=item["code"],
            defaults={
                "name": item["name"],
                "kind": item["kind"],
                "jurisdiction": Jurisdiction.objects.get(code=item["jurisdiction"]),
            },
        )
    logins = []
    for item in people.get("centre_operators") or []:
        user = _person(item)
        centre = centres.get(item["centre"]) or ServiceCentre.objects.get(code=item["centre"])
        if not CentreOperator.objects.filter(user=user, active=True).exists():
            CentreOperator.objects.get_or_create(user=user, centre=centre, active=True)
        operator_access_sync(user=user)
        logins.append(
            DemoLogin(
                user.username,
                DEMO_PASSWORD,
                [
                    {
                        "role": "centre_operator",
                        "department": None,
                        "jurisdiction": centre.jurisdiction.code,
                    }
                ],
            )
        )
    for item in people.get("helpline_agents") or []:
        user = _person(item)
        if not HelplineAgent.objects.filter(user=user, active=True).exists():
            HelplineAgent.objects.create(user=user)
        helpline_agent_access_sync(user=user)
        logins.append(
            DemoLogin(
                user.username,
                DEMO_PASSWORD,
                [{"role": "helpline_agent", "department": None, "jurisdiction": "HR"}],
            )
        )
    return logins


def _person(item: dict):
    """The demo person; one who exists is left as they are (someone trying the demo may
    have changed their password)."""
    user, _created = get_user_model().objects.get_or_create(
        username=item["username"],
        defaults={
            "first_name": item["first_name"],
            "last_name": item["last_name"],
            "email": f"{item['username']}@{EMAIL_DOMAIN}",
            "password": make_password(DEMO_PASSWORD),
        },
    )
    return user
