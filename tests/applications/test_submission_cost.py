"""What one submission costs the database (issue 20): at most 15 statements for the largest
sample form, and the service's reference number taken in a statement of its own, before the
submission's transaction, so that the counter's row is never held while the rest is written."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from seva.api.tokens import api_token_issue
from seva.applications.documents import document_fields
from seva.applications.models import Application
from seva.definitions.models import Service
from seva.notifications.models import OutboxMessage
from tests.helpers import example_with_documents

MOST_STATEMENTS = 15


def _signed_in(username: str) -> tuple[APIClient, object]:
    person = get_user_model().objects.get(username=username)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=person).token}")
    return client, person


def _submit(client: APIClient, service: Service, person) -> tuple[list[str], dict, set[str]]:
    """(the statements run, the answer, the upload tokens sent)."""
    data = example_with_documents(service, person)
    form = service.current_version.form_schema
    tokens = {token for _path, token, _schema in document_fields(form, data)}
    with CaptureQueriesContext(connection) as queries:
        reply = client.post(
            "/api/v1/applications/", {"service": service.code, "data": data}, format="json"
        )
    assert reply.status_code == 201, reply.json()
    return [q["sql"] for q in queries.captured_queries], reply.json(), tokens


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["disability-pension", "public-grievance", "income-certificate"])
def test_a_submission_through_the_api_runs_at_most_15_statements(code):
    service = Service.objects.select_related("current_version").get(code=code)
    client, person = _signed_in("citizen")
    # The first request of a process reads the place tree, the holidays and the site into
    # its caches; every later one is counted.
    _submit(client, service, person)
    statements, answer, tokens = _submit(client, service, person)
    listing = "\n".join(f"{i + 1:>2}. {sql[:140]}" for i, sql in enumerate(statements))
    assert len(statements) <= MOST_STATEMENTS, listing
    # ... and nothing a submission writes was left out to get there.
    application = Application.objects.get(reference=answer["reference"])
    assert application.events.count() == 1
    assert set(application.documents.values_list("token", flat=True)) == tokens
    assert OutboxMessage.objects.filter(application=application).exists()


@pytest.mark.django_db
def test_the_reference_number_is_taken_before_the_submission_writes_anything():
    service = Service.objects.select_related("current_version").get(code="disability-pension")
    client, person = _signed_in("citizen")
    _submit(client, service, person)
    statements, answer, _tokens = _submit(client, service, person)
    counter = [i for i, sql in enumerate(statements) if "applications_referencecounter" in sql]
    opened = [i for i, sql in enumerate(statements) if sql.startswith(("SAVEPOINT", "BEGIN"))]
    inserted = next(
        i
        for i, sql in enumerate(statements)
        if sql.startswith('INSERT INTO "applications_application"')
    )
    # One statement takes the number, and it comes before the submission's transaction opens;
    # nothing after it touches the counter again.
    assert len(counter) == 1, statements
    assert counter[0] < min(i for i in opened if i < inserted)
    assert answer["reference"].startswith("HR-SJE-")
