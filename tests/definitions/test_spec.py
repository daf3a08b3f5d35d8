"""The typed service spec: every published service file compiles, reads as the file says,
is kept once per version, and cannot be changed by a reader."""

from __future__ import annotations

import dataclasses

import pytest

from seva.definitions.models import Service
from seva.definitions.selectors import form_schema_for
from seva.definitions.spec import ServiceSpec, compile_service
from seva.workflows.clock import DayType


@pytest.mark.django_db
def test_every_published_service_compiles_and_reads_as_its_file_says():
    services = Service.objects.filter(current_version__isnull=False).select_related(
        "current_version"
    )
    assert services.count() >= 7
    for service in services:
        doc = service.current_version.service_doc
        spec = service.current_version.spec
        assert isinstance(spec, ServiceSpec)
        assert (spec.code, spec.department, spec.kind) == (
            doc["code"],
            doc["department"],
            doc["kind"],
        )
        assert spec.name == doc["name"] and spec.short_name == doc["short_name"]
        assert spec.rts.days == doc["rts"]["days"]
        assert spec.rts.day_type is DayType(doc["rts"]["day_type"])
        assert spec.rts.designated_officer == doc["rts"]["designated_officer"]
        assert spec.processing_level == doc["processing_level"]
        assert spec.applicant.mobile_field == doc["applicant"]["mobile_field"]
        amount = (doc.get("fee") or {}).get("amount", 0)
        if isinstance(amount, str):  # an expression over the answers: no fixed fee
            assert (spec.fee_amount, spec.fee.expression) == (None, amount)
        else:
            assert spec.fee_amount == amount
        assert [d.code for d in spec.documents] == [d["code"] for d in doc.get("documents", [])]
        assert set(spec.sms) == set(doc["sms"])
        for event, per_language in doc["sms"].items():
            for language, template in per_language.items():
                compiled = spec.sms[event][language]
                assert compiled.text == template["text"]
                assert list(compiled.variables) == template["variables"]
        rules = (doc.get("eligibility") or {}).get("rules", [])
        compiled = spec.eligibility.rules if spec.eligibility else ()
        assert [(r.fact, r.expression) for r in compiled] == [
            (r.get("fact"), r.get("if")) for r in rules
        ]


@pytest.mark.django_db
def test_a_spec_is_compiled_once_per_version_and_a_new_version_gets_its_own():
    service = Service.objects.select_related("current_version").get(code="income-certificate")
    version = service.current_version
    again = Service.objects.select_related("current_version").get(pk=service.pk)
    assert again.current_version.spec is version.spec

    doc = dict(version.service_doc, rts={**version.service_doc["rts"], "days": 3})
    newer = type(version).objects.create(
        service=service,
        number=version.number + 1,
        content_hash="another",
        service_doc=doc,
        form_schema=version.form_schema,
        workflow_doc=version.workflow_doc,
        source=version.source,
        created_at=version.created_at,
    )
    assert newer.spec is not version.spec
    assert (newer.spec.rts.days, version.spec.rts.days) == (3, version.service_doc["rts"]["days"])


@pytest.mark.django_db
def test_a_reader_cannot_change_the_spec():
    spec = Service.objects.get(code="income-certificate").current_version.spec
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.rts.days = 1  # type: ignore[misc]


def test_a_document_missing_a_required_key_does_not_compile():
    with pytest.raises(KeyError):
        compile_service({"code": "x"})


@pytest.mark.django_db
def test_a_versions_form_is_one_object_however_often_the_version_is_loaded():
    first = Service.objects.get(code="disability-pension").current_version
    again = Service.objects.get(code="disability-pension").current_version
    assert first.form_schema is not again.form_schema  # each load parses its own copy
    assert form_schema_for(first) is form_schema_for(again)
    assert form_schema_for(first) == first.form_schema
