"""Who holds a file: the role the workflow names, at the office covering the applicant's
place, if somebody is there to hold it.

An officer on leave is not there. With nobody posted in the role (a vacancy) or everybody
posted on leave, the file goes to whoever holds the additional charge of that role; with
no one holding it either, to the next role up the state's escalation ladder that has
somebody; and it is flagged, so that the vacancy shows in the queue and the history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from seva.core.process_cache import ProcessCache
from seva.org.models import Leave, Posting, PostingKind, Role
from seva.workflows.engine import State


class HolderFlag:
    NONE = ""
    ADDITIONAL_CHARGE = "additional_charge"  # held by an officer with the additional charge
    MOVED_UP = "moved_up"  # nobody in the role: the next level up holds it
    UNSTAFFED = "unstaffed"  # nobody anywhere on the ladder: waits for a posting


FLAG_LABELS = {
    HolderFlag.ADDITIONAL_CHARGE: "Held under additional charge",
    HolderFlag.MOVED_UP: "Nobody in post: moved up a level",
    HolderFlag.UNSTAFFED: "Nobody in post on any level",
}


def _ancestor_paths(place_path: str) -> list[str]:
    """ "/HR/HR-DIV-AMB/HR-AMB/" -> ["/HR/", "/HR/HR-DIV-AMB/", "/HR/HR-DIV-AMB/HR-AMB/"]"""
    parts = [p for p in place_path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def postings_present(
    *, role_code: str, department_id: int, place_path: str, on: dt.date
) -> list[Posting]:
    """Active postings in `role_code` covering the place, whose officer is not on leave."""
    away = Leave.objects.filter(starts_on__lte=on, ends_on__gte=on).values("user_id")
    return list(
        Posting.objects.active_on(on)
        .filter(role__code=role_code, jurisdiction__path__in=_ancestor_paths(place_path))
        .filter(Q(department_id=department_id) | Q(department__isnull=True))
        .exclude(user_id__in=away)
        .select_related("role")
    )


@dataclass(frozen=True)
class Routing:
    role: Role
    flag: str
    ladder_index: int  # the rung of the state's escalation ladder


# Who holds a new file where changes when an officer is posted, transferred or goes on leave:
# a few times a day, against hundreds of files a minute. Each process keeps the answers
# (plain ids) and drops them whenever a posting, a leave or a role is saved anywhere
# (org.signals, seva.core.process_cache).
_routes: ProcessCache[tuple[int | None, str, int, str]] = ProcessCache("routing", maxsize=8192)
_roles: ProcessCache[tuple] = ProcessCache("roles", maxsize=1024)
_ROLE_FIELDS = tuple(f.attname for f in Role._meta.concrete_fields)


def _role(pk: int | None, code: str) -> Role:
    """A fresh Role instance from the process's copy of the row (by id, or by code)."""
    key = pk if pk is not None else code
    lookup = {"pk": pk} if pk is not None else {"code": code}
    row = _roles.get(key, lambda: Role.objects.values_list(*_ROLE_FIELDS).get(**lookup))
    return Role.from_db("default", _ROLE_FIELDS, row)


def route_holder(
    *, state: State, role_code: str, department_id: int, place_path: str, on: dt.date
) -> Routing:
    """The role that holds the file on entering `state` (starting at `role_code`, which is
    the state's role or a rung of its ladder), and why."""
    ladder = [role for role in (state.role, *state.escalate_to) if role is not None]
    if role_code not in ladder:  # a role off the ladder (back to the sender): that role only
        ladder = [role_code]
    start = ladder.index(role_code)
    key = (tuple(ladder), start, department_id, place_path, on)
    role_id, flag, index, code = _routes.get(
        key,
        lambda: _route(ladder, start, department_id=department_id, place_path=place_path, on=on),
    )
    return Routing(role=_role(role_id, code), flag=flag, ladder_index=index)


def _route(
    ladder: list[str], start: int, *, department_id: int, place_path: str, on: dt.date
) -> tuple[int | None, str, int, str]:
    for index in range(start, len(ladder)):
        present = postings_present(
            role_code=ladder[index], department_id=department_id, place_path=place_path, on=on
        )
        if not present:
            continue
        if index > start:
            flag = HolderFlag.MOVED_UP
        elif all(p.kind == PostingKind.ADDITIONAL_CHARGE for p in present):
            flag = HolderFlag.ADDITIONAL_CHARGE
        else:
            flag = HolderFlag.NONE
        return present[0].role_id, flag, index, ladder[index]
    return None, HolderFlag.UNSTAFFED, start, ladder[start]
