"""Every sample service issues its documents: each outcome that names one is reached over the
REST API, and the document is read back as the citizen gets it: once, with a unique number,
its words in English and in Hindi extracted from the PDF, its signature valid against the
demo certifying authority, and broken by one changed byte."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client

from seva.applications.models import Application
from seva.documents.models import IssuedDocument
from seva.documents.pdf import extract_text
from seva.documents.qr import decode_qr_codes, public_keys_from_document, verify_payload
from seva.documents.signing import load_trust_roots, validate_pdf
from seva.formschemas.paths import get_path
from tests.applications.walk import (
    Walk,
    act,
    example_for,
    sample_services,
    shortest_path,
    submit,
)

SERVICES = sample_services()
START = dt.date(2026, 7, 6)  # a Monday


def _issuing_states() -> list[tuple[str, str]]:
    return sorted(
        {
            (code, issue["state"])
            for code, bundle in SERVICES.items()
            for issue in bundle["service"].get("issues") or ()
        }
    )


def test_every_sample_service_issues_a_document_on_each_outcome():
    for code, bundle in SERVICES.items():
        workflow = Walk(code, bundle).workflow
        outcomes = {
            s.code
            for s in workflow.states.values()
            if s.terminal and s.outcome in ("approved", "rejected")
        }
        issued_on = {issue["state"] for issue in bundle["service"].get("issues") or ()}
        assert outcomes <= issued_on or code == "public-grievance", (code, outcomes - issued_on)
        kinds = {i["kind"] for i in bundle["service"]["issues"] if i["state"] in outcomes}
        if any(workflow.state(s).outcome == "rejected" for s in outcomes):
            assert "rejection_order" in kinds, code


def _words(text: str) -> set[str]:
    return set(text.replace(",", " ").replace(".", " ").replace("।", " ").split())


@pytest.mark.django_db
@pytest.mark.parametrize(("code", "state"), _issuing_states())
def test_the_document_of_each_outcome_is_issued_once_signed_and_readable(
    api, django_capture_on_commit_callbacks, code, state
):
    bundle = SERVICES[code]
    walk = Walk(code, bundle)
    workflow = walk.workflow
    path = shortest_path(workflow, workflow.initial, lambda s: s == state)
    assert path is not None, (code, state)
    application = submit(api, walk, START, example_for(bundle, path))
    day = START
    # What each request's transaction hands to the worker after its commit runs (eagerly).
    with django_capture_on_commit_callbacks(execute=True):
        for transition in path:
            if not transition.auto:
                day += dt.timedelta(days=1)
            act(api, walk, transition, day)
    application = Application.objects.get(reference=walk.reference)
    assert application.state == state

    issues = [i for i in bundle["service"]["issues"] if i["state"] == state]
    # Those issued on the way too (a demand note before the sanction order), each once.
    visited = {workflow.initial, *(t.target for t in path)}
    on_the_way = [i for i in bundle["service"]["issues"] if i["state"] in visited]
    client = api("citizen")
    listed = client.get(f"/api/v1/applications/{application.reference}/documents/")
    assert listed.status_code == 200, listed.content
    documents = listed.json()["documents"]
    assert sorted(d["code"] for d in documents) == sorted(i["code"] for i in on_the_way)
    documents = [d for d in documents if d["code"] in {i["code"] for i in issues}]
    numbers = [number for (number,) in IssuedDocument.objects.values_list("number")]
    assert len(numbers) == len(set(numbers))

    keys = public_keys_from_document(Client().get("/verify/keys.json").json())
    applicant = get_path(application.data, bundle["service"]["applicant"]["name_field"])
    for document, issue in zip(
        sorted(documents, key=lambda d: d["code"]),
        sorted(issues, key=lambda i: i["code"]),
        strict=True,
    ):
        assert document["status"] == "valid", (
            document,
            IssuedDocument.objects.values_list("last_error", flat=True)[:3],
        )
        roots = load_trust_roots(settings.SEVA_DOCUMENT_TRUST_ROOTS)
        assert document["number"].startswith("HR/"), document["number"]
        assert document["number"].endswith(f"/{document['number'][-6:]}")
        assert {f["language"] for f in document["files"]} == {"en", "hi"}
        for file in document["files"]:
            response = client.get(file["url"])
            assert response.status_code == 200
            assert response["Content-Type"] == "application/pdf"
            data = b"".join(response.streaming_content)
            text = extract_text(data)
            words = _words(text)
            # The number, the applicant's name and the title, as printed, come back whole:
            # in Hindi too, conjuncts and vowel signs and all.
            assert document["number"] in text
            assert set(applicant.split()) <= words, (applicant, text[:400])
            title_words = _words(issue["title"][file["language"]])
            assert title_words <= words, (title_words - words, text[:400])
            if file["language"] == "hi":
                assert any("\u0900" <= ch <= "\u097f" for ch in text)

            # The QR code read off the printed page verifies with the published keys, and
            # carries this document's number and holder.
            (payload,) = decode_qr_codes(data)
            facts = verify_payload(payload, keys)
            assert facts["n"] == document["number"]
            assert facts["u"] == document["verify_url"]
            assert facts["h"] and facts["h"] in text

            check = validate_pdf(data, roots)
            assert check.intact and check.trusted, check
            # One byte changed anywhere in the signed part breaks the signature.
            middle = len(data) // 3
            tampered = data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]
            assert not validate_pdf(tampered, roots).intact
