"""Demo data for `make run` and the tests: the jurisdiction tree, holidays, and a person
for every role the sample services use. Idempotent: running it again changes nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.contrib.auth import get_user_model
from django.db import transaction

from .models import Department, Jurisdiction, Posting, Role
from .services import holidays_load, jurisdiction_tree_load

DATA_DIR = Path(__file__).parent / "data"
DEMO_PASSWORD = "seva-demo"  # published in the README on purpose: demo data only
POSTINGS_START = dt.date(2020, 1, 1)


@dataclass
class DemoLogin:
    username: str
    password: str
    roles: list[dict[str, str | None]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"username": self.username, "password": self.password, "roles": self.roles}


def _read(name: str):
    return yaml.safe_load((DATA_DIR / name).read_text(encoding="utf-8"))


def _user(username: str, *, first_name: str, last_name: str, **extra):
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username, defaults={"first_name": first_name, "last_name": last_name, **extra}
    )
    if created or not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _officers_group():
    """Officers sign in to the staff workspace (the Wagtail admin, where their queue is);
    what they see there is scoped by their postings, not by this group."""
    from django.contrib.auth.models import Group, Permission

    group, _created = Group.objects.get_or_create(name="Officers")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    return group


@transaction.atomic
def demo_seed() -> list[DemoLogin]:
    """Load the demo organisation and people. Departments and roles come from the
    definition files (sync_definitions), so run that first."""
    missing = {"revenue", "cm_grievance"} - set(Department.objects.values_list("code", flat=True))
    if missing:
        raise RuntimeError("Departments are missing: run `manage.py sync_definitions` first.")
    jurisdiction_tree_load(_read("jurisdictions.yaml"))
    holidays_load(_read("holidays.yaml")["holidays"])

    people = _read("demo_users.yaml")
    logins: list[DemoLogin] = []
    for item in people["admins"]:
        user = _user(
            item["username"],
            first_name=item["first_name"],
            last_name=item["last_name"],
            is_staff=True,
            is_superuser=True,
        )
        logins.append(
            DemoLogin(
                user.username,
                DEMO_PASSWORD,
                [{"role": "state_admin", "department": None, "jurisdiction": "HR"}],
            )
        )
    for item in people["citizens"]:
        user = _user(item["username"], first_name=item["first_name"], last_name=item["last_name"])
        logins.append(
            DemoLogin(
                user.username,
                DEMO_PASSWORD,
                [{"role": "citizen", "department": None, "jurisdiction": None}],
            )
        )
    officers = _officers_group()
    for item in people["officers"]:
        user = _user(item["username"], first_name=item["first_name"], last_name=item["last_name"])
        user.groups.add(officers)
        role = Role.objects.get(code=item["role"])
        department = (
            Department.objects.get(code=item["department"]) if item.get("department") else None
        )
        jurisdiction = Jurisdiction.objects.get(code=item["jurisdiction"])
        Posting.objects.get_or_create(
            user=user,
            role=role,
            department=department,
            jurisdiction=jurisdiction,
            defaults={"starts_on": POSTINGS_START},
        )
        logins.append(
            DemoLogin(
                user.username,
                DEMO_PASSWORD,
                [
                    {
                        "role": role.code,
                        "department": department.code if department else None,
                        "jurisdiction": jurisdiction.code,
                    }
                ],
            )
        )
    return logins


def demo_citizen_mobiles() -> dict[str, str]:
    """{username: mobile} of the demo citizens."""
    return {item["username"]: item["mobile"] for item in _read("demo_users.yaml")["citizens"]}
