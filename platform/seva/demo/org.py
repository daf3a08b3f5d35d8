"""Demo data for `make run` and the tests: the jurisdiction tree, holidays, named people for
every role the sample services use, and a roster that staffs every other office of the
state. Idempotent: running it again changes nothing."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from seva.core.process_cache import process_caches_changed
from seva.definitions.models import Service
from seva.org.models import Department, Jurisdiction, OfficerProfile, Posting, Role
from seva.org.services import holidays_load, jurisdiction_tree_load

DATA_DIR = Path(__file__).parent / "data"
DEMO_PASSWORD = "seva-demo"  # published in the README on purpose: demo data only
EMAIL_DOMAIN = "seva.example"  # reserved for examples: nothing is ever delivered there
POSTINGS_START = dt.date(2020, 1, 1)


@dataclass
class DemoLogin:
    username: str
    password: str
    roles: list[dict[str, str | None]] = field(default_factory=list)
    rostered: bool = False  # one of the roster's generated officers, not a named one

    def as_dict(self) -> dict:
        return {"username": self.username, "password": self.password, "roles": self.roles}


def _read(name: str):
    return yaml.safe_load((DATA_DIR / name).read_text(encoding="utf-8"))


@functools.cache
def _demo_password_hash() -> str:
    """The demo password hashed once: hashing is slow on purpose, and the demo has over a
    thousand people."""
    return make_password(DEMO_PASSWORD)


def _user(username: str, *, first_name: str, last_name: str, **extra):
    """The demo person, created with the demo password. One who exists is left as they are
    (someone trying the demo may have changed their password)."""
    User = get_user_model()
    user, _created = User.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first_name,
            "last_name": last_name,
            "password": _demo_password_hash(),
            **extra,
        },
    )
    return user


def _officers_group():
    """Officers sign in to the staff workspace (the Wagtail admin, where their queue is);
    what they see there is scoped by their postings, not by this group."""

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
                [_posting_dict("state_admin", None, "HR")],
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
    named: set[tuple[str, str | None, str]] = set()
    for item in people["officers"]:
        user = _user(
            item["username"],
            first_name=item["first_name"],
            last_name=item["last_name"],
            email=f"{item['username']}@{EMAIL_DOMAIN}",
        )
        user.groups.add(officers)
        OfficerProfile.objects.get_or_create(
            user=user,
            defaults={"mobile": item.get("mobile", ""), "language": item.get("language", "en")},
        )
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
        named.add((role.code, item.get("department"), jurisdiction.code))
        logins.append(
            DemoLogin(
                user.username,
                DEMO_PASSWORD,
                [
                    _posting_dict(
                        role.code, department.code if department else None, jurisdiction.code
                    )
                ],
            )
        )
    roster = people["roster"] + _lines_for_other_roles(people["roster"], named)
    logins += _roster_seed(roster, people["roster_names"], named, officers)
    return logins


def _lines_for_other_roles(roster: list[dict], named: set) -> list[dict]:
    """A roster line for each role in roles.yaml that neither the roster nor a named officer
    holds (a role a department has just added): at the role's level, in each department whose
    services' workflows name it, or in none while no service does. So a new role has demo and
    test officers with no change here."""
    held = {line["role"] for line in roster} | {role for role, _department, _place in named}
    departments_of: dict[str, set[str]] = {}
    named_in_services = Service.objects.filter(current_version__roles__isnull=False).values_list(
        "current_version__roles__code", "department__code"
    )
    for role_code, department_code in named_in_services:
        departments_of.setdefault(role_code, set()).add(department_code)
    return [
        {"role": role.code, "department": department, "level": role.level}
        for role in Role.objects.exclude(code__in=held).order_by("code")
        for department in sorted(departments_of.get(role.code, ())) or [None]
    ]


def _posting_dict(role: str, department: str | None, jurisdiction: str) -> dict:
    return {"role": role, "department": department, "jurisdiction": jurisdiction}


def _roster_seed(roster: list[dict], names: dict, named: set, group) -> list[DemoLogin]:
    """One officer per roster line and place, in bulk (a state has well over a thousand
    offices): users that exist are kept as they are, postings that exist are not repeated."""
    User = get_user_model()
    roles = {r.code: r for r in Role.objects.filter(code__in={line["role"] for line in roster})}
    departments = {d.code: d for d in Department.objects.all()}
    places_at: dict[str, list[Jurisdiction]] = {}
    wanted: list[tuple[str, Role, Department, Jurisdiction]] = []
    for line in roster:
        level = line["level"]
        if level not in places_at:
            places_at[level] = list(Jurisdiction.objects.filter(level=level).order_by("path"))
        for place in places_at[level]:
            if (line["role"], line["department"], place.code) in named:
                continue
            username = f"{line['role']}.{place.code.lower()}"
            department = departments[line["department"]] if line["department"] else None
            wanted.append((username, roles[line["role"]], department, place))

    usernames = [username for username, *_rest in wanted]
    existing = set(User.objects.filter(username__in=usernames).values_list("username", flat=True))
    first, last = names["first"], names["last"]
    User.objects.bulk_create(
        User(
            username=username,
            first_name=first[index % len(first)],
            last_name=last[(index // len(first) + index) % len(last)],
            email=f"{username}@{EMAIL_DOMAIN}",
            password=_demo_password_hash(),
        )
        for index, username in enumerate(usernames)
        if username not in existing
    )
    ids = dict(User.objects.filter(username__in=usernames).values_list("username", "id"))
    group.user_set.add(*ids.values())
    held = set(
        Posting.objects.filter(user_id__in=ids.values()).values_list(
            "user_id", "role_id", "department_id", "jurisdiction_id"
        )
    )
    Posting.objects.bulk_create(
        Posting(
            user_id=ids[username],
            role=role,
            department=department,
            jurisdiction=place,
            starts_on=POSTINGS_START,
        )
        for username, role, department, place in wanted
        if (ids[username], role.id, getattr(department, "id", None), place.id) not in held
    )
    process_caches_changed()  # bulk_create sends no signal: the routing caches are told here
    return [
        DemoLogin(
            username,
            DEMO_PASSWORD,
            [_posting_dict(role.code, getattr(department, "code", None), place.code)],
            rostered=True,
        )
        for username, role, department, place in wanted
    ]


def demo_citizen_mobiles() -> dict[str, str]:
    """{username: mobile} of the demo citizens."""
    return {item["username"]: item["mobile"] for item in _read("demo_users.yaml")["citizens"]}


def demo_officer_mobiles() -> dict[str, str]:
    """{username: mobile} of the named demo officers who have one (their alerts, and their
    sign-in codes, go there)."""
    return {
        item["username"]: item["mobile"]
        for item in _read("demo_users.yaml")["officers"]
        if item.get("mobile")
    }
