"""Routing on submission (vacancy, leave, additional charge, next level up) and the
officer's queue: what each role sees, in deadline order, coloured, filtered, and never a
file from outside their department and area."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from seva.applications.models import Application
from seva.definitions.models import Service
from seva.org.models import Jurisdiction, Leave, Posting, PostingKind, Role
from seva.org.routing import HolderFlag
from seva.queues.selectors import Colour, QueueFilters, queue_for
from tests.applications.walk import (
    Walk,
    act,
    example_for,
    officer_for,
    sample_services,
    shortest_path,
    submit,
)
from tests.helpers import example_with_documents

SERVICES = sample_services()
MONDAY = dt.date(2026, 7, 6)


def file_income_certificate(user, *, tehsil: str = "HR-AMB-AMB-AMB", name: str = "Sunita Devi"):
    from seva.applications.services import application_submit

    service = Service.objects.get(code="income-certificate")
    citizen = user("citizen")
    data = example_with_documents(service, citizen)
    data["address"]["tehsil"] = tehsil
    data["applicant"]["full_name"] = name
    return application_submit(service=service, data=data, applicant=citizen)


def references(queue) -> list[str]:
    return [app.reference for app in queue.items]


@pytest.mark.django_db
def test_a_file_goes_to_the_role_at_the_office_covering_the_applicant(user):
    application = file_income_certificate(user)
    assert application.office.code == "HR-AMB-AMB-AMB"
    assert application.holder_role.code == "revenue_clerk"
    assert application.holder_flag == HolderFlag.NONE
    assert application.reference in references(queue_for(user("clerk.ambala")))
    # The same role in another district, and another role here, do not see it.
    assert application.reference not in references(queue_for(user("clerk.hisar")))
    assert application.reference not in references(queue_for(user("patwari.ambala")))


@pytest.mark.django_db
def test_with_the_officer_on_leave_the_additional_charge_holder_gets_it(user):
    today = timezone.localdate()
    Leave.objects.create(
        user=user("clerk.ambala"), starts_on=today, ends_on=today + dt.timedelta(days=5)
    )
    Posting.objects.create(
        user=user("patwari.ambala"),
        role=Role.objects.get(code="revenue_clerk"),
        department=Posting.objects.get(user__username="clerk.ambala").department,
        jurisdiction=Jurisdiction.objects.get(code="HR-AMB-AMB-AMB"),
        kind=PostingKind.ADDITIONAL_CHARGE,
        starts_on=today,
    )
    application = file_income_certificate(user)
    assert application.holder_role.code == "revenue_clerk"
    assert application.holder_flag == HolderFlag.ADDITIONAL_CHARGE
    assert application.reference in references(queue_for(user("patwari.ambala")))


@pytest.mark.django_db
def test_with_nobody_in_post_it_goes_up_a_level_and_is_flagged(user):
    today = timezone.localdate()
    Leave.objects.create(user=user("clerk.ambala"), starts_on=today, ends_on=today)
    application = file_income_certificate(user)
    assert application.holder_role.code == "tehsildar"
    assert application.holder_flag == HolderFlag.MOVED_UP
    assert application.escalation_level == 1
    assert application.reference in references(queue_for(user("tehsildar.ambala")))
    assert application.reference not in references(queue_for(user("clerk.ambala")))


@pytest.mark.django_db
def test_a_vacancy_on_every_level_keeps_the_role_and_flags_it(user):
    # Ambala Cantt tehsil's revenue clerk and tehsildar were transferred out yesterday.
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    vacated = Posting.objects.filter(
        jurisdiction__code="HR-AMB-ACT-ACT", role__code__in=["revenue_clerk", "tehsildar"]
    ).update(ends_on=yesterday)
    assert vacated == 2
    application = file_income_certificate(user, tehsil="HR-AMB-ACT-ACT")
    assert application.office.code == "HR-AMB-ACT-ACT"
    assert application.holder_role.code == "revenue_clerk"
    assert application.holder_flag == HolderFlag.UNSTAFFED


@pytest.mark.django_db
def test_the_queue_is_in_deadline_order_with_colours_and_counts(user):
    first = file_income_certificate(user, name="Asha")
    second = file_income_certificate(user, name="Bimla")
    third = file_income_certificate(user, name="Chanchal")
    now = timezone.now()
    Application.objects.filter(pk=first.pk).update(stage_due_at=now + dt.timedelta(days=9))
    Application.objects.filter(pk=second.pk).update(stage_due_at=now - dt.timedelta(hours=2))
    Application.objects.filter(pk=third.pk).update(stage_due_at=now + dt.timedelta(hours=3))

    queue = queue_for(user("clerk.ambala"), now=now)
    rows = [(app.reference, app.colour) for app in queue.items]
    mine = [row for row in rows if row[0] in {first.reference, second.reference, third.reference}]
    assert mine == [
        (second.reference, Colour.BREACHED),
        (third.reference, Colour.DUE_SOON),
        (first.reference, Colour.WITHIN),
    ]
    assert queue.counts[Colour.BREACHED] >= 1 and queue.counts[Colour.DUE_SOON] >= 1
    assert sum(queue.counts.values()) == queue.total == len(rows)

    breached = queue_for(user("clerk.ambala"), QueueFilters(colour="breached"), now=now)
    assert second.reference in references(breached) and first.reference not in references(breached)
    by_name = queue_for(user("clerk.ambala"), QueueFilters(search="bimla"))
    assert references(by_name) == [second.reference]
    by_reference = queue_for(user("clerk.ambala"), QueueFilters(search=third.reference.lower()))
    assert references(by_reference) == [third.reference]
    by_mobile = queue_for(user("clerk.ambala"), QueueFilters(search="98123 45678"))
    assert {first.reference, second.reference, third.reference} <= set(references(by_mobile))
    other_service = queue_for(user("clerk.ambala"), QueueFilters(service="caste-certificate"))
    assert first.reference not in references(other_service)


@pytest.mark.django_db
@pytest.mark.parametrize("code", sorted(SERVICES))
def test_every_officer_state_lands_in_the_queue_of_its_role_and_nobody_elses(api, user, code):
    bundle = SERVICES[code]
    workflow = Walk(code, bundle).workflow
    officer_states = [s for s in workflow.states.values() if s.role and not s.terminal]
    assert officer_states
    for number, state in enumerate(officer_states):
        walk = Walk(code, bundle)
        day = MONDAY + dt.timedelta(days=7 * number)
        path = shortest_path(workflow, workflow.initial, lambda c, s=state.code: c == s)
        submit(api, walk, day, example_for(bundle, path))
        for step in path:
            day += dt.timedelta(days=1)
            act(api, walk, step, day)
        application = Application.objects.get(reference=walk.reference)
        assert application.state == state.code
        holder = officer_for(application, state.role)
        with time_machine.travel(timezone.make_aware(dt.datetime.combine(day, dt.time(12)))):
            assert walk.reference in references(queue_for(user(holder))), (state.code, holder)
            for other in Posting.objects.exclude(user__username=holder).select_related("user"):
                others_queue = references(queue_for(other.user))
                if walk.reference in others_queue:
                    # Only someone holding the same role over this place may see it.
                    assert other.role.code == application.holder_role.code
                    assert application.place_path.startswith(other.jurisdiction.path)


@pytest.mark.django_db
def test_the_queue_api_answers_the_callers_queue_with_filters(api, user):
    application = file_income_certificate(user)
    clerk = api("clerk.ambala").get("/api/v1/queue/").json()
    assert application.reference in [row["reference"] for row in clerk["results"]]
    row = next(r for r in clerk["results"] if r["reference"] == application.reference)
    assert (
        row["colour"] in {"within", "due_soon", "breached"}
        and row["holder_role"] == "revenue_clerk"
    )
    assert set(clerk["counts"]) == {"within", "due_soon", "breached"}

    hisar = api("clerk.hisar").get("/api/v1/queue/").json()
    assert application.reference not in [row["reference"] for row in hisar["results"]]
    citizen = api("citizen").get("/api/v1/queue/").json()
    assert citizen["results"] == [] and citizen["count"] == 0
    assert api(None).get("/api/v1/queue/").status_code in (401, 403)

    bad = api("clerk.ambala").get("/api/v1/queue/?colour=purple&page=0")
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"colour", "page"}
