"""The API's description: /api/schema/ serves a valid OpenAPI 3 document covering every
operation under /api/v1/, with its answers and refusals; /api/docs/ shows it with Swagger
UI from the project's own static files, calling no other host."""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def served(db) -> dict:
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def _operations(description: dict):
    for path, item in description["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


@pytest.mark.django_db
def test_the_schema_is_valid_openapi_3_and_is_the_one_schemathesis_tests(served):
    assert served["openapi"].startswith("3.")
    validate_schema(served)  # raises on the first way it breaks the OpenAPI 3 meta-schema
    # tests/api/test_schemathesis.py builds its description the same way, at collection.
    built = json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True)))
    assert built == served


@pytest.mark.django_db
def test_the_schema_is_served_as_yaml_by_default():
    response = APIClient().get("/api/schema/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert response.content.startswith(b"openapi: 3.")


@pytest.mark.django_db
def test_every_operation_is_versioned_named_tagged_and_answers_in_a_described_shape(served):
    operations = list(_operations(served))
    assert {path for path, _method, _op in operations} >= {
        "/api/v1/services/",
        "/api/v1/services/{code}/",
        "/api/v1/services/{code}/form/",
        "/api/v1/applications/",
        "/api/v1/applications/{reference}/",
        "/api/v1/applications/{reference}/actions/",
        "/api/v1/applications/{reference}/documents/",
        "/api/v1/applications/{reference}/documents/{public_id}/{language}/",
        "/api/v1/documents/",
        "/api/v1/documents/revoke/",
        "/api/v1/documents/reissue/",
        "/api/v1/queue/",
        "/api/v1/dashboard/rts/",
        "/api/v1/auth/token/",
        "/api/v1/auth/tokens/",
        "/api/v1/auth/tokens/{token_id}/",
        "/api/v1/auth/logout/",
        "/api/v1/sms/delivery-reports/",
    }
    operation_ids = [op["operationId"] for _path, _method, op in operations]
    assert len(operation_ids) == len(set(operation_ids))
    for path, method, operation in operations:
        where = f"{method.upper()} {path}"
        assert path.startswith("/api/v1/"), where
        assert operation.get("tags") and operation.get("summary"), where
        successes = [code for code in operation["responses"] if code.startswith("2")]
        assert successes, where
        for code in successes:
            if code == "204":  # nothing to say: a token revoked, a sign-out
                assert "content" not in operation["responses"][code], where
                continue
            content = operation["responses"][code]["content"]
            if path.endswith("/{language}/"):  # an issued document's signed PDF
                assert content["application/pdf"]["schema"]["format"] == "binary", where
                continue
            assert "schema" in content["application/json"], where
        for code, answer in operation["responses"].items():
            if code[0] in "45":
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (where, code)


@pytest.mark.django_db
def test_the_error_body_and_the_ways_in_are_described(served):
    error = served["components"]["schemas"]["ErrorBody"]
    assert error["required"] == ["detail"]
    assert set(error["properties"]) == {"detail", "errors"}
    schemes = served["components"]["securitySchemes"]
    assert schemes["tokenAuth"]["name"] == "Authorization"
    assert schemes["cookieAuth"]["in"] == "cookie"
    applications = served["paths"]["/api/v1/applications/"]
    assert {"tokenAuth": []} in applications["post"]["security"]
    assert {"cookieAuth": []} in applications["post"]["security"]
    # Public reads say so; the SMS gateway signs in with its own header.
    assert {} in served["paths"]["/api/v1/services/"]["get"]["security"]
    gateway = served["paths"]["/api/v1/sms/delivery-reports/"]["post"]
    assert "X-Gateway-Token" in {p["name"] for p in gateway["parameters"]}


@pytest.mark.django_db
def test_lists_are_paginated_and_their_filters_described(served):
    for path in ("/api/v1/services/", "/api/v1/applications/", "/api/v1/queue/"):
        get = served["paths"][path]["get"]
        params = {p["name"] for p in get["parameters"]}
        assert {"page", "page_size"} <= params, path
        page = get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        body = served["components"]["schemas"][page.rsplit("/", 1)[-1]]
        assert {"count", "next", "previous", "results"} <= set(body["properties"]), path
    queue = served["paths"]["/api/v1/queue/"]["get"]
    assert {"service", "state", "channel", "colour", "min_age_days", "max_age_days", "q"} <= {
        p["name"] for p in queue["parameters"]
    }
    board = served["paths"]["/api/v1/dashboard/rts/"]["get"]
    assert {"by", "from", "to", "kind", "department", "district", "tehsil", "office"} <= {
        p["name"] for p in board["parameters"]
    }


@pytest.mark.django_db
def test_the_docs_page_loads_swagger_ui_from_our_own_static_files():
    client = APIClient()
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="en">' in html
    # Nothing from another host: no absolute or protocol-relative URL anywhere on the page.
    assert not re.search(r"""(https?:)?//[a-z0-9.-]+\.[a-z]{2,}""", html, re.IGNORECASE), html
    assert '"validatorUrl": null' in html  # Swagger UI would post the schema to swagger.io
    assets = re.findall(r"""(?:src|href)="([^"]+)\"""", html)
    assert len(assets) >= 4  # the bundle, the preset, the stylesheet, the icon
    for asset in assets:
        assert asset.startswith(f"{settings.STATIC_URL}drf_spectacular_sidecar/"), asset
        assert client.get(asset).status_code == 200, asset
    assert '"/api/schema/"' in html
