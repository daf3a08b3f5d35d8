"""One action over many files (`application_act_bulk`): the limits are the service's, so
every door (the workspace's bulk form today) gets them."""

from __future__ import annotations

import pytest

from seva.applications.models import Application
from seva.applications.services import BULK_LIMIT, application_act_bulk
from tests.queues.test_routing_and_queues import file_income_certificate


@pytest.mark.django_db
def test_each_file_is_done_or_refused_on_its_own(user):
    mine = file_income_certificate(user)
    hisar = file_income_certificate(user, tehsil="HR-HSR-HSR-HSR")

    outcomes = application_act_bulk(
        user=user("clerk.ambala"),
        action="forward_for_verification",
        references=[mine.reference, hisar.reference, "HR-REV-INC-2026-999999"],
        remarks="Papers complete.",
        states={mine.reference: "scrutiny"},
    )

    assert [(o.reference, o.ok) for o in outcomes] == [
        (mine.reference, True),
        (hisar.reference, False),
        ("HR-REV-INC-2026-999999", False),
    ]
    assert Application.objects.get(pk=mine.pk).state == "field_verification"
    assert Application.objects.get(pk=hisar.pk).state == "scrutiny"


@pytest.mark.django_db
def test_an_action_the_workflow_does_not_mark_bulk_is_refused_for_every_file(user):
    app = file_income_certificate(user)
    (outcome,) = application_act_bulk(
        user=user("clerk.ambala"),
        action="return_for_correction",
        references=[app.reference],
        remarks="Photo missing.",
    )
    assert not outcome.ok
    assert outcome.message == "This action cannot be taken in bulk on this file now."
    assert Application.objects.get(pk=app.pk).state == "scrutiny"


@pytest.mark.django_db
def test_a_page_drawn_before_the_file_moved_is_refused(user):
    app = file_income_certificate(user)
    (outcome,) = application_act_bulk(
        user=user("clerk.ambala"),
        action="forward_for_verification",
        references=[app.reference],
        states={app.reference: "field_verification"},
    )
    assert not outcome.ok
    assert Application.objects.get(pk=app.pk).state == "scrutiny"


@pytest.mark.django_db
def test_at_most_the_limit_of_files_is_taken(user):
    references = [f"HR-REV-INC-2026-{n:06d}" for n in range(BULK_LIMIT + 50)]
    outcomes = application_act_bulk(
        user=user("clerk.ambala"), action="forward_for_verification", references=references
    )
    assert BULK_LIMIT == 200
    assert [o.reference for o in outcomes] == references[:BULK_LIMIT]
