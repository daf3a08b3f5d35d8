"""The builder's documents editor over HTTP: each document the service issues is a row whose
problems stand beside their inputs; an edit is saved as a revision; each saved document is
previewed as a PDF in English and in Hindi, filled with the form's example and marked as a
preview; a document with problems answers a page listing them; another department's drafts
are out of reach."""

from __future__ import annotations

import datetime as dt

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.urls import reverse

from seva.definitions.models import Service
from seva.definitions.services import draft_start_from_service
from seva.documents.pdf import extract_text
from seva.org.models import Department, Jurisdiction, Posting, Role

from .test_editors import _blank, _errors_beside, _row_index
from .test_editors import _form_data as _form_data_single

APPLICANT = "Sunita Devi"  # form_schemas/revenue/income_certificate.json's first example


@pytest.fixture
def draft(user):
    service = Service.objects.get(code="income-certificate")
    return draft_start_from_service(user=user("admin.revenue"), service=service)


@pytest.fixture
def signed_in(client, user):
    client.force_login(user("admin.revenue"))
    return client


def _form_data(page: str) -> dict:
    """What a browser posts from the page's form: a multiple select sends each chosen
    option (none when none is chosen)."""
    data = _form_data_single(page)
    soup = BeautifulSoup(page, "html.parser")
    for select in soup.select("main form[method=post] select[multiple]"):
        data[select["name"]] = [o.get("value", "") for o in select.select("option[selected]")]
    return data


def _editor(draft) -> str:
    return reverse("definitions:draft-documents", args=[draft.pk])


def _preview(draft, code: str, language: str) -> str:
    return reverse("definitions:draft-document-pdf", args=[draft.pk, code, language])


@pytest.mark.django_db
def test_the_editor_shows_each_document_with_its_preview_links_and_the_names_it_may_read(
    signed_in, draft
):
    response = signed_in.get(_editor(draft))
    assert response.status_code == 200
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    rows = [f["data-document"] for f in soup.select("form fieldset.s-row")]
    assert rows == ["certificate", "rejection_order", ""]  # and an empty one to add a document
    data = _form_data(response.content.decode())
    row = _row_index(response.content.decode(), "issues", "code", "certificate")
    assert data[f"issues-{row}-state"] == "approved"
    assert data[f"issues-{row}-validity_kind"] == "years"
    assert data[f"issues-{row}-validity_value"] == "1"
    assert data[f"issues-{row}-sms"] == "approved"
    assert "{{ data.applicant.full_name }}" in data[f"issues-{row}-body_en"]
    state = soup.select_one(f"#id_issues-{row}-state option[value=approved]")
    assert state.get_text() == "Certificate issued (approved)"
    links = {a.get_text(): a["href"] for a in soup.select("[data-document=certificate] a")}
    assert links == {
        "Preview (English)": _preview(draft, "certificate", "en"),
        "Preview (हिन्दी)": _preview(draft, "certificate", "hi"),
    }
    names = soup.select_one("details.s-names").get_text(" ")
    for name in (
        "data.applicant.full_name",
        "inputs.submit_verification_report.verified_annual_income",
        "document.number",
        "appeal.last_day",
    ):
        assert name in names
    assert soup.select_one("nav a[aria-current=page]").get_text() == "Documents"


@pytest.mark.django_db
def test_a_placeholder_naming_no_field_is_refused_beside_that_documents_english_body(
    signed_in, draft
):
    revisions = draft.revisions.count()
    page = signed_in.get(_editor(draft)).content.decode()
    data = _form_data(page)
    row = _row_index(page, "issues", "code", "rejection_order")
    body = data[f"issues-{row}-body_en"]
    data[f"issues-{row}-body_en"] = body.replace(
        "{{ applicant.name }}", "{{ data.no_such_field }}", 1
    )
    response = signed_in.post(_editor(draft), data)
    assert response.status_code == 400
    beside = _errors_beside(response.content.decode(), f"id_issues-{row}-body_en")
    assert "Block 1, paragraph" in beside and "no_such_field" in beside
    assert _errors_beside(response.content.decode(), f"id_issues-{row}-body_hi") == ""
    draft.refresh_from_db()
    assert draft.revisions.count() == revisions
    assert "no_such_field" not in str(draft.service_doc["issues"])


@pytest.mark.django_db
def test_a_body_that_is_not_yaml_is_refused_beside_it(signed_in, draft):
    page = signed_in.get(_editor(draft)).content.decode()
    data = _form_data(page)
    row = _row_index(page, "issues", "code", "certificate")
    data[f"issues-{row}-body_hi"] = "- paragraph: [not closed"
    response = signed_in.post(_editor(draft), data)
    assert response.status_code == 400
    assert "not valid YAML" in _errors_beside(response.content.decode(), f"id_issues-{row}-body_hi")


@pytest.mark.django_db
def test_a_good_edit_is_saved_as_a_revision_and_keeps_the_rest_of_each_document(signed_in, draft):
    before = draft.service_doc["issues"]
    revisions = draft.revisions.count()
    page = signed_in.get(_editor(draft)).content.decode()
    data = _form_data(page)
    row = _row_index(page, "issues", "code", "certificate")
    data[f"issues-{row}-title_en"] = "Certificate of Income"
    data[f"issues-{row}-validity_kind"] = "months"
    data[f"issues-{row}-validity_value"] = "6"
    response = signed_in.post(_editor(draft), data)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.revisions.count() == revisions + 1
    assert draft.revisions.first().part == "documents"
    certificate, rejection = draft.service_doc["issues"]
    assert certificate["title"] == {"en": "Certificate of Income", "hi": "आय प्रमाण पत्र"}
    assert certificate["validity"] == {"months": 6}
    assert {**certificate, "title": before[0]["title"], "validity": {"years": 1}} == before[0]
    assert rejection == before[1]


@pytest.mark.django_db
def test_the_preview_in_each_language_is_a_pdf_of_the_example_marked_as_not_valid(signed_in, draft):
    english = signed_in.get(_preview(draft, "certificate", "en"))
    assert english.status_code == 200
    assert english["Content-Type"] == "application/pdf"
    assert english["Content-Disposition"].startswith("inline;")
    text = extract_text(english.content)
    assert APPLICANT in text
    assert "PREVIEW — NOT VALID" in text and "Income Certificate" in text
    assert "1,80,000" in text  # the officer's example input, verified_annual_income
    assert f"HR/INC/AMB/{dt.date.today().year}/000000" in text

    hindi = signed_in.get(_preview(draft, "certificate", "hi"))
    assert hindi.status_code == 200
    text = extract_text(hindi.content)
    assert APPLICANT in text
    assert "आय प्रमाण पत्र" in text and "पूर्वावलोकन — मान्य नहीं" in text

    order = extract_text(signed_in.get(_preview(draft, "rejection_order", "en")).content)
    assert "Facts could not be verified" in order  # inputs.reject.reason, by its label
    assert Role.objects.get(code="sdm").name_en in order  # appeal.authority


@pytest.mark.django_db
def test_a_document_that_has_problems_previews_as_a_page_listing_them(signed_in, draft):
    draft.service_doc["issues"][0]["body"]["en"][0]["paragraph"] = "For {{ data.no_such_field }}"
    draft.save()
    response = signed_in.get(_preview(draft, "certificate", "en"))
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    refused = soup.select_one("[data-preview-refused=certificate]").get_text(" ")
    assert "/issues/0/body/en/0/paragraph" in refused and "no_such_field" in refused
    # The other document has no problem of its own: it previews.
    assert signed_in.get(_preview(draft, "rejection_order", "en")).status_code == 200
    assert signed_in.get(_preview(draft, "no_such_document", "en")).status_code == 404
    assert signed_in.get(_preview(draft, "certificate", "fr")).status_code == 404


@pytest.mark.django_db
def test_a_document_added_through_the_editor_is_saved_and_previews(signed_in, draft):
    page = signed_in.get(_editor(draft)).content.decode()
    data = _form_data(page)
    row = _blank(data, "issues", "code")
    data.update(
        {
            f"issues-{row}-code": "verification_report",
            f"issues-{row}-kind": "order",
            f"issues-{row}-state": "decision",
            f"issues-{row}-name_en": "Field verification report",
            f"issues-{row}-name_hi": "क्षेत्र सत्यापन रिपोर्ट",
            f"issues-{row}-title_en": "Report of Field Verification",
            f"issues-{row}-title_hi": "क्षेत्र सत्यापन की रिपोर्ट",
            f"issues-{row}-series": "{state}/INC/{district}/{year}/V",
            f"issues-{row}-validity_kind": "days",
            f"issues-{row}-validity_value": "90",
            f"issues-{row}-holder": "data.applicant.full_name",
            f"issues-{row}-body_en": (
                "- heading: What was found\n"
                "- paragraph: The patwari visited {{ data.address.village_or_ward }}.\n"
                "- facts:\n"
                "    - {label: Applicant, value: '{{ applicant.name }}'}\n"
                "    - {label: Income found (Rs.), value: "
                "'{{ inputs.submit_verification_report.verified_annual_income }}'}\n"
            ),
            f"issues-{row}-body_hi": (
                "- paragraph: पटवारी ने {{ data.address.village_or_ward }} का दौरा किया।\n"
                "- facts:\n"
                "    - {label: आवेदक, value: '{{ applicant.name }}'}\n"
            ),
        }
    )
    response = signed_in.post(_editor(draft), data)
    assert response.status_code == 302, _problems_on(response)
    draft.refresh_from_db()
    added = draft.service_doc["issues"][2]
    assert added["code"] == "verification_report" and added["validity"] == {"days": 90}
    assert added["body"]["en"][0] == {"heading": "What was found"}
    assert "sms" not in added and "revoked_by" not in added

    english = extract_text(signed_in.get(_preview(draft, "verification_report", "en")).content)
    assert "Report of Field Verification" in english and "Babyal" in english
    assert APPLICANT in english and "1,80,000" in english
    hindi = extract_text(signed_in.get(_preview(draft, "verification_report", "hi")).content)
    assert "क्षेत्र सत्यापन की रिपोर्ट" in hindi and APPLICANT in hindi


@pytest.mark.django_db
def test_a_deleted_document_leaves_the_service_file(signed_in, draft):
    page = signed_in.get(_editor(draft)).content.decode()
    data = _form_data(page)
    row = _row_index(page, "issues", "code", "rejection_order")
    data[f"issues-{row}-DELETE"] = "on"
    assert signed_in.post(_editor(draft), data).status_code == 302
    draft.refresh_from_db()
    assert [issue["code"] for issue in draft.service_doc["issues"]] == ["certificate"]


@pytest.mark.django_db
def test_the_details_editor_leaves_the_documents_problems_to_the_documents_editor(signed_in, draft):
    draft.service_doc["issues"][0]["body"]["en"][0]["paragraph"] = "For {{ data.no_such_field }}"
    draft.save()
    details = signed_in.get(reverse("definitions:draft-details", args=[draft.pk]))
    assert "no_such_field" in details.content.decode()  # in the raw text, as written
    assert "no_such_field" not in _problems_on(details)
    page = signed_in.get(_editor(draft)).content.decode()
    row = _row_index(page, "issues", "code", "certificate")
    assert "no_such_field" in _errors_beside(page, f"id_issues-{row}-body_en")


@pytest.mark.django_db
def test_another_departments_admin_cannot_reach_the_documents_or_their_previews(
    client, user, draft
):
    health_admin = get_user_model().objects.create_user("admin.health", password="x")
    health_admin.groups.set(user("admin.revenue").groups.all())
    Posting.objects.create(
        user=health_admin,
        role=Role.objects.get(code="service_admin"),
        department=Department.objects.get(code="health"),
        jurisdiction=Jurisdiction.objects.get(code="HR"),
        starts_on=dt.date(2020, 1, 1),
    )
    client.force_login(health_admin)
    assert client.get(_editor(draft)).status_code == 404
    assert client.get(_preview(draft, "certificate", "en")).status_code == 404
    # The CMO sees every draft but changes none: Wagtail turns the refusal into a redirect.
    client.force_login(user("cmo"))
    assert client.get(_editor(draft)).status_code == 302
    assert client.get(_preview(draft, "certificate", "en")).status_code == 302


def _problems_on(response) -> str:
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    return " | ".join(
        e.get_text(" ", strip=True) for e in soup.select(".error-message, .s-problems")
    )
