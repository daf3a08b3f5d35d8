"""Two people, or twenty, acting on one application at the same moment: exactly one
transition happens and everyone else gets a clear conflict. Reference numbers stay unique
under concurrent filing."""

from __future__ import annotations

import functools
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from seva.applications import drafts
from seva.applications.documents import document_fields
from seva.applications.models import (
    Application,
    ApplicationDraft,
    ApplicationEvent,
    Document,
    ReferenceCounter,
)
from seva.applications.services import application_act, application_submit
from seva.channels.models import AssistedDraft, AssistedFiling
from seva.channels.services import assisted_draft_save, consent_code_send, consent_verify
from seva.citizens.models import OtpChallenge
from seva.core.errors import Conflict
from seva.definitions.models import Service
from seva.notifications.models import OutboxMessage
from seva.org.models import Posting, PostingKind
from tests.helpers import example_with_documents
from tests.threads import cleanup, committed, needs_postgres, run_together

CODE = "income-certificate"
T = TypeVar("T")


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
@needs_postgres
@pytest.mark.postgres
@pytest.mark.django_db
def test_two_officers_at_once_make_exactly_one_transition(user):
    application = committed(_submit)
    clerk = user("clerk.ambala")
    try:

        def forward():
            seen = Application.objects.get(pk=application.pk)
            return application_act(application=seen, user=clerk, action="forward_for_verification")

        def send_back():
            seen = Application.objects.get(pk=application.pk)
            return application_act(
                application=seen,
                user=clerk,
                action="return_for_correction",
                remarks="Photo missing.",
                inputs={"correction_needed": "Upload a photograph."},
            )

        results = run_together([forward, send_back])
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
        committed(lambda: cleanup([application.reference]))


@needs_postgres
@pytest.mark.postgres
@pytest.mark.django_db
def test_concurrent_submissions_get_distinct_consecutive_references():
    results = run_together([_submit for _ in range(6)])
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
        committed(lambda: cleanup(references))


# ------------------------------------------------------------------------------
# Twenty people at their screens, deciding on the same files at the same moment
# ------------------------------------------------------------------------------
PEOPLE = 20
RETURN_REMARKS = "Income proof unsigned."
RETURN_INPUTS = {"correction_needed": "Sign the income proof."}
# Every decision is valid on a file in scrutiny: the clerk and the tehsildar (who also holds
# the clerk's charge) forward it or send it back, and the citizen withdraws it.
DECISIONS = [
    ("clerk.ambala", "forward_for_verification"),
    ("tehsildar.ambala", "return_for_correction"),
    ("citizen", "withdraw"),
    ("tehsildar.ambala", "forward_for_verification"),
    ("clerk.ambala", "return_for_correction"),
]


@contextmanager
def _tehsildar_holds_the_clerks_charge() -> Iterator[None]:
    """A second officer who may act on the files the clerk holds, while the block runs."""

    def give() -> Posting:
        clerks = Posting.objects.get(user__username="clerk.ambala", role__code="revenue_clerk")
        return Posting.objects.create(
            user=get_user_model().objects.get(username="tehsildar.ambala"),
            role=clerks.role,
            department=clerks.department,
            jurisdiction=clerks.jurisdiction,
            kind=PostingKind.ADDITIONAL_CHARGE,
            starts_on=clerks.starts_on,
        )

    posting = committed(give)
    try:
        yield
    finally:
        committed(posting.delete)


def _everyone_at_once(
    references: list[str], person: Callable[[str, str, list[str], threading.Barrier], dict]
) -> list[dict]:
    """PEOPLE threads, each `person(username, action, references, everyone_has_looked)` with
    its decision from DECISIONS and the files in its own order (so that the row locks are
    taken in every order). A person looks at every file, waits until everyone has looked,
    then acts on each: all decide on the same state."""
    everyone_has_looked = threading.Barrier(PEOPLE)
    workers = []
    for index in range(PEOPLE):
        username, action = DECISIONS[index % len(DECISIONS)]
        shift = index % len(references)
        order = references[shift:] + references[:shift]
        workers.append(functools.partial(person, username, action, order, everyone_has_looked))
    return run_together(workers)


def _assert_one_transition_each(references: list[str], winners: dict[str, str]) -> None:
    """Each file took exactly the winning step: one history row after the submission, and
    the SMS of that step queued once."""
    for reference in references:
        application = Application.objects.get(reference=reference)
        events = list(
            ApplicationEvent.objects.filter(application=application).values_list(
                "sequence", "action"
            )
        )
        assert events == [(1, "submit"), (2, winners[reference])], (reference, events)
        sms = sorted(
            OutboxMessage.objects.filter(application=application).values_list("event", flat=True)
        )
        sent_back = winners[reference] == "return_for_correction"
        assert sms == (["received", "returned"] if sent_back else ["received"]), (reference, sms)


@needs_postgres
@pytest.mark.postgres
@pytest.mark.django_db
def test_twenty_people_at_once_make_exactly_one_transition_per_application():
    references = committed(lambda: [_submit().reference for _ in range(5)])
    User = get_user_model()
    try:

        def person(username, action, order, everyone_has_looked) -> dict:
            user = User.objects.get(username=username)
            extra = (
                {"remarks": RETURN_REMARKS, "inputs": RETURN_INPUTS}
                if action == "return_for_correction"
                else {}
            )
            seen = {ref: Application.objects.get(reference=ref) for ref in order}
            everyone_has_looked.wait(timeout=30)
            outcomes = {}
            for ref in order:
                try:
                    acted = application_act(
                        application=seen[ref], user=user, action=action, **extra
                    )
                    outcomes[ref] = (action, acted)
                except Exception as exc:
                    outcomes[ref] = (action, exc)
            return outcomes

        with _tehsildar_holds_the_clerks_charge():
            results = _everyone_at_once(references, person)

        assert all(isinstance(r, dict) for r in results), results
        winners = {}
        for reference in references:
            outcomes = [r[reference] for r in results]
            kinds = Counter(type(outcome).__name__ for _action, outcome in outcomes)
            # Nothing but conflicts for the losers: no deadlock, no "not your action".
            assert kinds == {"Application": 1, "Conflict": PEOPLE - 1}, outcomes
            action, won = next((a, o) for a, o in outcomes if isinstance(o, Application))
            winners[reference] = action
            assert Application.objects.get(reference=reference).state == won.state
        _assert_one_transition_each(references, winners)
    finally:
        committed(lambda: cleanup(references))


@needs_postgres
@pytest.mark.postgres
@pytest.mark.django_db
def test_twenty_api_callers_at_once_get_one_200_and_nineteen_409s_per_application():
    references = committed(lambda: [_submit().reference for _ in range(3)])
    User = get_user_model()
    try:

        def person(username, action, order, everyone_has_looked) -> dict:
            client = APIClient()
            client.force_authenticate(User.objects.get(username=username))
            seen = {
                ref: client.get(f"/api/v1/applications/{ref}/").json()["state"]["code"]
                for ref in order
            }
            everyone_has_looked.wait(timeout=30)
            answers = {}
            for ref in order:
                payload = {"action": action, "state": seen[ref]}
                if action == "return_for_correction":
                    payload |= {"remarks": RETURN_REMARKS, "data": RETURN_INPUTS}
                answer = client.post(f"/api/v1/applications/{ref}/actions/", payload, format="json")
                answers[ref] = (action, answer.status_code, answer.json())
            return answers

        with _tehsildar_holds_the_clerks_charge():
            results = _everyone_at_once(references, person)

        assert all(isinstance(r, dict) for r in results), results
        winners = {}
        for reference in references:
            answers = [r[reference] for r in results]
            statuses = Counter(status for _action, status, _body in answers)
            assert statuses == {200: 1, 409: PEOPLE - 1}, answers
            assert all(reference in body["detail"] for _a, status, body in answers if status == 409)
            winners[reference] = next(a for a, status, _body in answers if status == 200)
        _assert_one_transition_each(references, winners)
    finally:
        committed(lambda: cleanup(references))


# ------------------------------------------------------------------------------
# One draft, or one set of uploads, sent twenty times at once
# ------------------------------------------------------------------------------
SENDERS = 20


def _sms_of(reference: str) -> list[str]:
    return sorted(
        OutboxMessage.objects.filter(application__reference=reference).values_list(
            "event", flat=True
        )
    )


@pytest.mark.django_db
def test_a_send_arriving_after_the_first_was_done_is_shown_what_it_made(user):
    """The second tap lands after the first one's answer (or the citizen goes back and sends
    again): no second application, no 404, but the first one's acknowledgement."""
    citizen = user("citizen")
    service = Service.objects.get(code=CODE)
    draft = drafts.draft_for(user=citizen, service=service, language="en")
    drafts.draft_save(draft=draft, data=example_with_documents(service, citizen))
    browser = Client()
    browser.force_login(citizen)
    first = browser.post(f"/apply/draft/{draft.pk}/check/")
    application = Application.objects.get(draft_id=draft.pk)
    acknowledgement = f"/my/{application.reference}/acknowledgement/"
    assert (first.status_code, first["Location"]) == (302, acknowledgement)
    for again in (
        browser.post(f"/apply/draft/{draft.pk}/check/"),
        browser.get(f"/apply/draft/{draft.pk}/applicant/"),
    ):
        assert (again.status_code, again["Location"]) == (302, acknowledgement)
    shown = browser.get(acknowledgement).content.decode()
    assert (
        f"This application was already sent. Its reference number is {application.reference}"
        in shown
    )
    assert Application.objects.filter(applicant=citizen, draft_id=draft.pk).count() == 1
    # Somebody else's hand on the same address answers as for a draft that never was.
    other = Client()
    other.force_login(user("citizen2"))
    assert other.post(f"/apply/draft/{draft.pk}/check/").status_code == 404


@needs_postgres
@pytest.mark.postgres
@pytest.mark.django_db
def test_twenty_sends_of_one_draft_make_one_application_and_tell_the_rest_its_reference():
    """A citizen's "Send" pressed twenty times at once (taps on a slow phone, tabs): one
    application, with the draft's documents and one "received" SMS; every other request is
    sent to that application's acknowledgement, not to a second one."""
    citizen = get_user_model().objects.get(username="citizen")
    service = Service.objects.get(code=CODE)

    def make_draft() -> ApplicationDraft:
        draft = drafts.draft_for(user=citizen, service=service, language="en")
        drafts.draft_save(draft=draft, data=example_with_documents(service, citizen))
        return draft

    draft = committed(make_draft)
    tokens = [
        token
        for _path, token, _schema in document_fields(draft.service_version.form_schema, draft.data)
    ]
    count_before = Application.objects.count()
    references: list[str] = []
    try:

        def send() -> tuple[int, str]:
            browser = Client()
            browser.force_login(citizen)
            answer = browser.post(f"/apply/draft/{draft.pk}/check/")
            return answer.status_code, answer["Location"] if answer.status_code == 302 else ""

        results = run_together([send for _ in range(SENDERS)])
        made = Application.objects.filter(applicant=citizen, submitted_at__gte=draft.updated_at)
        references = list(made.values_list("reference", flat=True))
        assert Application.objects.count() == count_before + 1, results
        application = Application.objects.order_by("-pk").first()
        acknowledgement = f"/my/{application.reference}/acknowledgement/"
        assert results == [(302, acknowledgement)] * SENDERS, results
        assert sorted(
            Document.objects.filter(token__in=tokens).values_list("application_id", flat=True)
        ) == [application.pk] * len(tokens)
        assert _sms_of(application.reference) == ["received"]
        assert not ApplicationDraft.objects.filter(pk=draft.pk).exists()
    finally:
        committed(lambda: cleanup(references))
        committed(lambda: Document.objects.filter(token__in=tokens).delete())
        committed(lambda: ApplicationDraft.objects.filter(pk=draft.pk).delete())


@needs_postgres
@pytest.mark.postgres
@pytest.mark.django_db
def test_twenty_api_submissions_of_one_set_of_uploads_make_one_application():
    """The same application posted twenty times at once with the same document tokens (a
    partner's retry storm, a client without Idempotency-Key): one application owns the
    documents; the other nineteen answer 409 naming it, and nothing of theirs is kept."""
    citizen = get_user_model().objects.get(username="citizen")
    service = Service.objects.get(code=CODE)
    data = committed(lambda: example_with_documents(service, citizen))
    tokens = [
        token
        for _path, token, _schema in document_fields(service.current_version.form_schema, data)
    ]
    count_before = Application.objects.count()
    references: list[str] = []
    try:

        def submit():
            client = APIClient()
            client.force_authenticate(citizen)
            answer = client.post(
                "/api/v1/applications/", {"service": CODE, "data": data}, format="json"
            )
            return answer.status_code, answer.json()

        results = run_together([submit for _ in range(SENDERS)])
        created = [body for status, body in results if status == 201]
        references = [body["reference"] for body in created]
        assert Counter(status for status, _body in results) == {201: 1, 409: SENDERS - 1}, results
        assert Application.objects.count() == count_before + 1
        (reference,) = references
        assert all(reference in body["detail"] for status, body in results if status == 409)
        owner = Application.objects.get(reference=reference)
        assert sorted(
            Document.objects.filter(token__in=tokens).values_list("application_id", flat=True)
        ) == [owner.pk] * len(tokens)
        assert _sms_of(reference) == ["received"]
    finally:
        committed(lambda: cleanup(references))
        committed(lambda: Document.objects.filter(token__in=tokens).delete())


@needs_postgres
@pytest.mark.postgres
@pytest.mark.django_db
def test_twenty_presses_of_file_at_the_counter_make_one_application():
    """At a service centre, "File" pressed twenty times at once on one filing: one
    application and one filing record; every press lands on its acknowledgement."""
    operator = get_user_model().objects.get(username="operator.ambala")
    service = Service.objects.get(code=CODE)
    mobile = "9812345678"  # the demo citizen's: found, not registered

    def make_draft():
        draft = consent_code_send(operator=operator, mobile=mobile, service=service, language="en")
        code = re.search(
            r"\b(\d{6})\b",
            OutboxMessage.objects.filter(recipient=mobile, event="otp").latest("id").body,
        ).group(1)
        draft = consent_verify(draft=draft, code=code)
        data = example_with_documents(service, operator)
        data["applicant"]["mobile"] = mobile
        assisted_draft_save(draft=draft, data=data)
        return draft

    draft = committed(make_draft)
    references: list[str] = []
    try:

        def press() -> tuple[int, str]:
            browser = Client()
            browser.force_login(operator)
            answer = browser.post(
                f"/admin/assisted/{draft.pk}/check/",
                {"fee_amount": "0", "fee_receipt_number": "", "language": "en"},
            )
            return answer.status_code, answer.get("Location", "")

        results = run_together([press for _ in range(SENDERS)])
        filings = AssistedFiling.objects.filter(operator=operator, filed_at__gte=draft.updated_at)
        references = list(filings.values_list("application__reference", flat=True))
        assert len(references) == 1, results
        acknowledgement = f"/admin/assisted/filed/{references[0]}/"
        assert results == [(302, acknowledgement)] * SENDERS, results
        assert _sms_of(references[0]) == ["received"]
    finally:

        def remove() -> None:
            AssistedFiling.objects.filter(application__reference__in=references).delete()
            cleanup(references)
            AssistedDraft.objects.filter(pk=draft.pk).delete()
            OutboxMessage.objects.filter(recipient=mobile, event="otp").delete()
            OtpChallenge.objects.filter(mobile=mobile).delete()

        committed(remove)
