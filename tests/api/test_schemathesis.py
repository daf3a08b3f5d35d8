"""The API does what its OpenAPI description says: schemathesis generates requests for every
operation in /api/schema/ (valid ones and invalid ones) and sends them to the application
in-process, signed in as demo users, a partner key and the SMS gateway. No answer may be a
server error, and every answer must have a status, a content type and a body the
description gives for that operation. One test for each operation."""

from __future__ import annotations

import json

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


# ------------------------------------------------------------------------------
# Odd input: the same operations, with every string the generator made replaced by input no
# endpoint can use (a NUL, a lone surrogate, a body nested far deeper than any form). Each
# must be refused as a client error in the API's JSON, never a server error.
# ------------------------------------------------------------------------------
# Stands for a lone surrogate in a JSON body (see the test); in an address it is a NUL.
SURROGATE_MARK = "\x00\x01surrogate\x01\x00"
ODD_STRINGS = ["\x00", "a\x00b", SURROGATE_MARK]
DEEP: object = "deep"
for _level in range(60):
    DEEP = [DEEP]


def _oddly(value, odd: str):
    if isinstance(value, str):
        return odd
    if isinstance(value, dict):
        return {key: _oddly(item, odd) for key, item in value.items()}
    if isinstance(value, list):
        return [_oddly(item, odd) for item in value]
    return value


odd_schema = schemathesis.openapi.from_dict(
    SchemaGenerator().get_schema(request=None, public=True),
    config=schemathesis.Config.from_dict(
        {"generation": {**CONFIG["generation"], "max-examples": 8, "mode": "positive"}}
    ),
)
odd_schema.app = schema.app


@odd_schema.hook("flatmap_case")
def odd_input(context, case):
    def poisoned(choice):
        odd, deep = choice
        case.path_parameters = _oddly(case.path_parameters, odd)
        case.query = _oddly(case.query, odd)
        if isinstance(case.body, dict | list):
            case.body = {"data": DEEP} if deep else _oddly(case.body, odd)
        return case

    return st.sampled_from([(odd, deep) for odd in ODD_STRINGS for deep in (False, True)]).map(
        poisoned
    )


@odd_schema.parametrize()
@hypothesis.settings(deadline=None, suppress_health_check=list(hypothesis.HealthCheck))
def test_odd_input_is_refused_in_json_never_with_a_server_error(case, callers, one_connection):
    headers = _headers(callers, case.operation.path)
    body = json.dumps(case.body) if "json" in (case.media_type or "") else ""
    marked = json.dumps(SURROGATE_MARK)[1:-1]
    if marked in body:
        # A lone surrogate has no UTF-8 bytes, so schemathesis cannot carry one; JSON can, as
        # an escape, and that is how a client sends it.
        response = case.call(headers=headers, data=body.replace(marked, "\\ud800").encode())
    else:
        response = case.call(headers=headers)
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:300])
    if response.status_code >= 400:
        content_type = {k.lower(): v for k, v in response.headers.items()}["content-type"]
        assert content_type[0].startswith("application/json"), response.text
