"""The domain's services take plain values (dicts, strings, files), never a request or a
posted QueryDict: the views read what a page posted (applications.posted, the form layer's
parsing) and hand the services what it says, as the API does from JSON."""

from __future__ import annotations

import importlib
import inspect

import pytest

DOMAIN_MODULES = [
    "seva.applications.services",
    "seva.applications.drafts",
    "seva.applications.selectors",
    "seva.applications.documents",
    "seva.citizens.services",
    "seva.definitions.services",
    "seva.definitions.selectors",
]
# The upload handler's companion: it reads what the handler marked on the request, for the
# views to pass on as plain field names.
HTTP_ADAPTERS = {"seva.applications.documents.uploads_too_large"}
HTTP_NAMES = {"request", "post", "querydict", "httprequest"}


def _http_parameters(function) -> list[str]:
    found = []
    for name, parameter in inspect.signature(function).parameters.items():
        annotation = str(parameter.annotation).lower()
        if name.lower() in HTTP_NAMES or "querydict" in annotation or "httprequest" in annotation:
            found.append(name)
    return found


@pytest.mark.parametrize("module_name", DOMAIN_MODULES)
def test_domain_services_take_no_request_or_posted_form(module_name):
    module = importlib.import_module(module_name)
    offenders = {
        f"{module_name}.{name}": params
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module_name
        and f"{module_name}.{name}" not in HTTP_ADAPTERS
        and (params := _http_parameters(function))
    }
    assert offenders == {}


def test_the_check_finds_a_service_that_takes_a_request():
    def service_reading_the_page(*, request, application):  # what the check must refuse
        return request.POST

    assert _http_parameters(service_reading_the_page) == ["request"]
