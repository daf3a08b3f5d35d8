"""Two people acting on one application at the same moment: exactly one transition happens
and the other gets a clear conflict. Reference numbers stay unique under concurrent filing."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections

from seva.applications.models import Application, ApplicationEvent, Document, ReferenceCounter
from seva.applications.services import application_act, application_submit
from seva.core.errors import Conflict
from seva.definitions.models import Service
from seva.notifications.models import OutboxMessage
from tests.helpers import example_with_documents

CODE = "income-certificate"


def _submit(username: str = "citizen") -> Application:
    service = Service.objects.select_related("current_version", "department").get(code=CODE)
    applicant = get_user_model().objects.get(username=username)
    return application_submit(
        service=service, data=example_with_documents(service, applicant), applicant=applicant
    )


@pytest.mark.django_db
def test_an_officer_acting_on_a_stale_view_gets_a_conflict_and_nothing_changes(user):
    application = _submit()
    seen_by_clerk = Application.objects.get(pk=application.pk)
    seen_by_tehsildar = Application.objects.get(pk=application.pk)

    application_act(
        application=seen_by_clerk, user=user("clerk.ambala"), action="forward_for_verification"
    )
    events_before = ApplicationEvent.objects.filter(application=application).count()

    # A second browser tab still shows the application as it was.
    with pytest.raises(Conflict, match="first"):
        application_act(
            application=seen_by_tehsildar,
            user=user("clerk.ambala"),
            action="return_for_correction",
            remarks="Income proof unsigned.",
            inputs={"correction_needed": "Sign the income proof."},
        )
    application.refresh_from_db()
    assert application.state == "field_verification"
    assert ApplicationEvent.objects.filter(application=application).count() == events_before


@pytest.mark.django_db
def test_the_api_answers_409_when_the_state_the_caller_saw_has_changed(api):
    application = _submit()
    url = f"/api/v1/applications/{application.reference}/actions/"
    seen = (
        api("clerk.ambala")
        .get(f"/api/v1/applications/{application.reference}/")
        .json()["state"]["code"]
    )
    first = api("clerk.ambala").post(
        url, {"action": "forward_for_verification", "state": seen}, format="json"
    )
    assert first.status_code == 200
    second = api("clerk.ambala").post(
        url,
        {
            "action": "return_for_correction",
            "state": seen,
            "remarks": "x",
            "data": {"correction_needed": "Sign it."},
        },
        format="json",
    )
    assert second.status_code == 409, second.json()
    assert application.reference in second.json()["detail"]
    application.refresh_from_db()
    assert application.state == "field_verification"


# ------------------------------------------------------------------------------
# Real concurrency: separate database connections, PostgreSQL row locks
# ------------------------------------------------------------------------------
needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks between real connections need PostgreSQL"
)


def _cleanup(references: list[str]) -> None:
    apps = Application.objects.filter(reference__in=references)
    Document.objects.filter(application__in=apps).delete()
    OutboxMessage.objects.filter(application__in=apps).delete()
    ApplicationEvent.objects.filter(application__in=apps).delete()
    apps.delete()


def _run_together(workers: list) -> list:
    """Start every worker at once; each returns a value or the exception it raised."""
    barrier = threading.Barrier(len(workers))
    results: list = [None] * len(workers)

    def run(index: int, work) -> None:
        try:
            barrier.wait()
            results[index] = work()
        except Exception as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@needs_postgres
@pytest.mark.postgres
def test_two_officers_at_once_make_exactly_one_transition(django_db_blocker):
    with django_db_blocker.unblock():
        application = _submit()
        User = get_user_model()
        clerk = User.objects.get(username="clerk.ambala")
        try:

            def forward():
                seen = Application.objects.get(pk=application.pk)
                return application_act(
                    application=seen, user=clerk, action="forward_for_verification"
                )

            def send_back():
                seen = Application.objects.get(pk=application.pk)
                return application_act(
                    application=seen,
                    user=clerk,
                    action="return_for_correction",
                    remarks="Photo missing.",
                    inputs={"correction_needed": "Upload a photograph."},
                )

            results = _run_together([forward, send_back])
            kinds = Counter(type(r).__name__ for r in results)
            assert kinds["Application"] == 1 and kinds["Conflict"] == 1, results
            application.refresh_from_db()
            winner = next(r for r in results if isinstance(r, Application))
            assert application.state == winner.state
            actions = list(
                ApplicationEvent.objects.filter(application=application).values_list(
                    "action", flat=True
                )
            )
            assert len(actions) == 2  # submit + the one transition
        finally:
            _cleanup([application.reference])


@needs_postgres
@pytest.mark.postgres
def test_concurrent_submissions_get_distinct_consecutive_references(django_db_blocker):
    with django_db_blocker.unblock():
        results = _run_together([_submit for _ in range(6)])
        references = [r.reference for r in results if isinstance(r, Application)]
        try:
            assert len(references) == 6, results
            assert len(set(references)) == 6
            numbers = sorted(int(ref.rsplit("-", 1)[1]) for ref in references)
            assert numbers == list(range(numbers[0], numbers[0] + 6))
            prefix = references[0].rsplit("-", 2)[0]
            counter = ReferenceCounter.objects.get(
                prefix=prefix, year=int(references[0].rsplit("-", 2)[1])
            )
            assert counter.last_number >= numbers[-1]
        finally:
            _cleanup(references)
