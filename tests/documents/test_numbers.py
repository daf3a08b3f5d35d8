"""Document numbers: one running count per series, without gaps or repeats however many
workers take numbers at the same moment; a retry keeps the number it was given; validity
counted from the day of issue."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from seva.applications.models import Application
from seva.applications.services import application_submit
from seva.definitions.models import Service
from seva.documents.models import DocumentCounter, IssuedDocument
from seva.documents.services import _number_take, add_months, series_prefix
from tests.helpers import example_with_documents
from tests.threads import cleanup, committed, needs_postgres, run_together

CODE = "income-certificate"


def _submit() -> Application:
    service = Service.objects.select_related("current_version", "department").get(code=CODE)
    applicant = get_user_model().objects.get(username="citizen")
    return application_submit(
        service=service, data=example_with_documents(service, applicant), applicant=applicant
    )


def _pending(application: Application, count: int) -> list[int]:
    return [
        IssuedDocument.objects.create(
            application=application,
            code="certificate",
            kind="certificate",
            office=application.office,
            created_at=timezone.now(),
        ).pk
        for _ in range(count)
    ]


@needs_postgres
@pytest.mark.django_db
def test_twenty_workers_taking_numbers_at_once_get_twenty_consecutive_numbers():
    # Each worker on a connection of its own, committing, as Celery workers do; the test
    # removes what they made (tests.threads).
    application = committed(_submit)
    issue = application.service_version.spec.issue("certificate")
    prefix = series_prefix(issue, application, timezone.localdate().year)
    before = DocumentCounter.objects.filter(series=prefix).values_list("last_number", flat=True)
    start = (before.first() or 0) + 1
    try:
        ids = committed(lambda: _pending(application, 20))

        def take(pk: int):
            return lambda: _number_take(IssuedDocument.objects.get(pk=pk), issue).number

        numbers = run_together([take(pk) for pk in ids])
        assert not [n for n in numbers if isinstance(n, Exception)], numbers
        assert prefix == f"HR/INC/AMB/{timezone.localdate().year}"
        assert sorted(numbers) == [f"{prefix}/{n:06d}" for n in range(start, start + 20)]
        # Taken again (a retry after a failed signature): the same number, none used up.
        again = committed(lambda: _number_take(IssuedDocument.objects.get(pk=ids[0]), issue))
        assert again.number == numbers[0]
        assert DocumentCounter.objects.get(series=prefix).last_number == start + 19
    finally:
        committed(lambda: cleanup([application.reference]))
        committed(
            lambda: DocumentCounter.objects.filter(series=prefix).update(last_number=start - 1)
        )


@pytest.mark.django_db
def test_the_series_of_a_district_and_a_year_runs_on_its_own():
    application = _submit()
    issue = application.service_version.spec.issue("certificate")
    rejection = application.service_version.spec.issue("rejection_order")
    first, second = (IssuedDocument.objects.get(pk=pk) for pk in _pending(application, 2))
    order = IssuedDocument.objects.create(
        application=application,
        code="rejection_order",
        kind="rejection_order",
        office=application.office,
        created_at=timezone.now(),
    )
    year = timezone.localdate().year
    one = _number_take(first, issue).number
    assert re.fullmatch(rf"HR/INC/AMB/{year}/[0-9]{{6}}", one)
    assert re.fullmatch(rf"HR/INC/AMB/{year}/R/[0-9]{{6}}", _number_take(order, rejection).number)
    assert _number_take(second, issue).number == f"{one[:-6]}{int(one[-6:]) + 1:06d}"
    assert re.fullmatch(r"[A-Z2-7]{16}", first.public_id)
    assert first.public_id != second.public_id


@pytest.mark.django_db
def test_an_income_certificate_is_valid_for_a_year_less_a_day():
    application = _submit()
    issue = application.service_version.spec.issue("certificate")
    (pk,) = _pending(application, 1)
    taken = _number_take(IssuedDocument.objects.get(pk=pk), issue)
    today = timezone.localdate()
    assert taken.issued_on == today
    assert taken.valid_until == add_months(today, 12) - dt.timedelta(days=1)


def test_months_are_added_to_the_last_day_of_a_shorter_month():
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2028, 2, 29), 12) == dt.date(2029, 2, 28)
    assert add_months(dt.date(2026, 12, 7), 12) == dt.date(2027, 12, 7)
    assert add_months(dt.date(2026, 11, 30), 3) == dt.date(2027, 2, 28)
