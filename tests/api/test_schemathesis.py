"""The API does what its OpenAPI description says: schemathesis generates requests for every
operation in /api/schema/ (valid ones and invalid ones) and sends them to the application
in-process, signed in as demo users, a partner key and the SMS gateway. No answer may be a
server error, and every answer must have a status, a content type and a body the
description gives for that operation. One test for each operation."""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from seva.api.services import partner_application_file, partner_create, partner_key_issue
from seva.api.tokens import api_token_issue
from seva.applications.services import application_submit
from seva.definitions.models import Service
from tests.helpers import example_with_documents

CODE = "income-certificate"
GATEWAY_TOKEN = "schemathesis-gateway-token"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Fast and repeatable: a few examples an operation, the same ones every run, nothing stored
# between runs. Schemathesis's own credentials are replaced by the real ones below.
CONFIG = {
    "generation": {
        "max-examples": 25,
        "deterministic": True,
        "database": "none",
        "with-security-parameters": False,
    },
}


@pytest.fixture
def one_connection():
    """A WSGI request closes the database connection when it ends, which would end the test's
    transaction; Django's test client keeps it open the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def partner(db):
    return partner_create(code="schemathesis", name="Schemathesis", service_codes=[CODE])


@pytest.fixture
def callers(user, partner, settings) -> dict[str, dict[str, str]]:
    """The headers that sign a request in, by who calls it."""
    settings.SEVA_SMS_DLR_TOKEN = GATEWAY_TOKEN

    def token(username: str) -> dict[str, str]:
        return {"Authorization": f"Token {api_token_issue(user=user(username)).token}"}

    return {
        "citizen": token("citizen"),
        "clerk": token("clerk.ambala"),
        "collector": token("dc.ambala"),
        "partner": {"Authorization": f"Api-Key {partner_key_issue(partner=partner)}"},
        "gateway": {"X-Gateway-Token": GATEWAY_TOKEN},
    }


def _headers(callers: dict, path: str) -> dict[str, str]:
    for prefix, caller in (
        ("/api/v1/partner/", "partner"),
        ("/api/v1/sms/", "gateway"),
        ("/api/v1/queue/", "clerk"),
        ("/api/v1/dashboard/", "collector"),
    ):
        if path.startswith(prefix):
            return callers[caller]
    return callers["citizen"]


# The references of applications that exist, set for each test by `real_references`; the
# hook below offers them in place of made-up ones (which all answer 404).
KNOWN_REFERENCES: dict[str, str] = {}


@pytest.fixture
def real_references(user, partner):
    """An application of the citizen's, and one the partner filed."""
    service = Service.objects.select_related("current_version", "department").get(code=CODE)
    citizen = user("citizen")
    mine = application_submit(
        service=service, data=example_with_documents(service, citizen), applicant=citizen
    )
    data = example_with_documents(service, partner.user)
    data["applicant"]["mobile"] = "9812399902"
    filed, _created = partner_application_file(
        partner=partner, service_code=CODE, partner_reference="ST-1", data=data
    )
    KNOWN_REFERENCES.update(citizen=mine.reference, partner=filed.reference)
    yield
    KNOWN_REFERENCES.clear()


# The description /api/schema/ serves (test_openapi.py checks that it is this one), built at
# collection, when no database may be used yet: the operations become one test each.
schema = schemathesis.openapi.from_dict(
    SchemaGenerator().get_schema(request=None, public=True),
    config=schemathesis.Config.from_dict(CONFIG),
)
schema.app = get_wsgi_application()


@schema.hook("flatmap_path_parameters")
def known_references(context, path_parameters):
    if "reference" not in (path_parameters or {}) or not KNOWN_REFERENCES:
        return st.just(path_parameters)
    owner = "partner" if context.operation.path.startswith("/api/v1/partner/") else "citizen"
    return st.sampled_from(
        [path_parameters, {**path_parameters, "reference": KNOWN_REFERENCES[owner]}]
    )


@schema.parametrize()
@hypothesis.settings(deadline=None, suppress_health_check=list(hypothesis.HealthCheck))
def test_every_operation_answers_as_described(case, callers, real_references, one_connection):
    case.call_and_validate(headers=_headers(callers, case.operation.path), checks=CHECKS)
