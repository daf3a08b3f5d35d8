"""Applying on the portal without JavaScript: steps, errors next to fields, conditional
answers dropped, uploads checked by content and size, drafts, the check page, submission,
the acknowledgement, corrections after a return, feedback and public tracking."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from seva.applications.models import Application, ApplicationDraft, Document
from seva.applications.services import application_act
from seva.definitions.models import Service
from seva.notifications.models import OutboxMessage
from tests.helpers import PDF_BYTES, png_bytes

from .flow import sign_in, step_post, steps_of

CODE = "income-certificate"


@pytest.fixture
def client(db) -> Client:
    client = Client()
    sign_in(client)
    return client


def form() -> dict:
    return Service.objects.get(code=CODE).current_version.form_schema


def start(client) -> tuple[str, list]:
    response = client.get(f"/apply/{CODE}/")
    assert response.status_code == 302
    match = re.match(r"/apply/draft/([0-9a-f-]+)/applicant/", response["Location"])
    assert match, response["Location"]
    return match.group(1), steps_of(form())


def fill_all(client, draft_id: str, data: dict) -> None:
    for step in steps_of(form()):
        response = client.post(f"/apply/draft/{draft_id}/{step.id}/", step_post(form(), data, step))
        assert response.status_code == 302, (step.id, response.content.decode()[:3000])


@pytest.mark.django_db
def test_signing_in_is_needed_to_apply():
    response = Client().get(f"/apply/{CODE}/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_a_citizen_applies_step_by_step_and_gets_an_acknowledgement(client):
    draft_id, _steps = start(client)
    data = form()["examples"][0]
    page = client.get(f"/apply/draft/{draft_id}/applicant/")
    assert page.status_code == 200
    assert 'for="f-applicant-full_name"' in page.content.decode()
    fill_all(client, draft_id, data)

    check = client.get(f"/apply/draft/{draft_id}/check/")
    body = check.content.decode()
    assert check.status_code == 200
    assert "Sunita Devi" in body and "XXXXXXXX0124" in body
    assert "true to the best of my knowledge" in body

    sent = client.post(f"/apply/draft/{draft_id}/check/")
    assert sent.status_code == 302
    reference = sent["Location"].split("/")[2]
    application = Application.objects.get(reference=reference)
    assert application.applicant.username == "citizen" and application.channel == "online"
    assert Document.objects.filter(application=application).count() == 4
    assert not ApplicationDraft.objects.filter(pk=draft_id).exists()

    ack = client.get(sent["Location"]).content.decode()
    assert reference in ack
    assert (
        application.rts_due_at.astimezone().strftime("%d-%m-") in ack or "To be decided by" in ack
    )
    assert "What happens next" in ack


@pytest.mark.django_db
def test_errors_are_shown_next_to_each_field_with_a_summary_on_top(client):
    draft_id, steps = start(client)
    data = form()["examples"][0]
    broken = {**data, "applicant": {**data["applicant"], "mobile": "12345"}}
    broken["applicant"].pop("occupation")
    response = client.post(
        f"/apply/draft/{draft_id}/applicant/", step_post(form(), broken, steps[0])
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'class="error-summary"' in body
    assert 'href="#f-applicant-mobile"' in body and 'href="#f-applicant-occupation"' in body
    assert 'id="f-applicant-mobile"' in body and 'aria-invalid="true"' in body
    assert "10-digit mobile number" in body
    # The answers given are kept, so the citizen fixes only what is wrong.
    assert 'value="Sunita Devi"' in body


@pytest.mark.django_db
def test_answers_to_hidden_conditional_questions_are_dropped(client):
    draft_id, steps = start(client)
    data = {**form()["examples"][0], "income_tax_payer": False, "pan": "ABCDE1234F"}
    income = next(s for s in steps if s.id == "income")
    response = client.post(f"/apply/draft/{draft_id}/income/", step_post(form(), data, income))
    assert response.status_code == 302
    assert "pan" not in ApplicationDraft.objects.get(pk=draft_id).data
    data["income_tax_payer"] = True
    response = client.post(f"/apply/draft/{draft_id}/income/", step_post(form(), data, income))
    assert ApplicationDraft.objects.get(pk=draft_id).data["pan"] == "ABCDE1234F"


@pytest.mark.django_db
def test_a_disguised_file_and_a_too_large_file_are_refused_with_a_clear_message(client):
    draft_id, steps = start(client)
    documents = next(s for s in steps if s.id == "documents")
    post = step_post(form(), form()["examples"][0], documents)
    post["documents.identity_proof"] = SimpleUploadedFile(
        "aadhaar.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"
    )
    post["documents.photo"] = SimpleUploadedFile(
        "photo.png", png_bytes(1200, 1200) + b"\0" * (1024 * 1024), "image/png"
    )
    response = client.post(f"/apply/draft/{draft_id}/documents/", post)
    assert response.status_code == 400
    body = response.content.decode()
    assert "not a PDF, JPEG or PNG, whatever its name says" in body
    assert "the largest allowed is 1 MB" in body
    assert not Document.objects.filter(original_name__in=["aadhaar.pdf", "photo.png"]).exists()


@pytest.mark.django_db
def test_a_pdf_with_scripts_is_refused(client):
    draft_id, steps = start(client)
    documents = next(s for s in steps if s.id == "documents")
    post = step_post(form(), form()["examples"][0], documents)
    post["documents.income_proof"] = SimpleUploadedFile(
        "proof.pdf",
        PDF_BYTES.replace(
            b"/Type/Catalog", b"/Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>"
        ),
        "application/pdf",
    )
    response = client.post(f"/apply/draft/{draft_id}/documents/", post)
    assert response.status_code == 400 and "contains scripts" in response.content.decode()


@pytest.mark.django_db
def test_a_draft_is_saved_and_resumed_later(client):
    draft_id, steps = start(client)
    data = form()["examples"][0]
    response = client.post(
        f"/apply/draft/{draft_id}/applicant/",
        step_post(form(), data, steps[0], extra={"save_and_exit": "1"}),
    )
    assert response.status_code == 302 and response["Location"] == "/my/"
    listing = client.get("/my/").content.decode()
    assert "Not sent yet" in listing and f"/apply/{CODE}/" in listing
    # Coming back to the service resumes the same draft, answers kept.
    again = client.get(f"/apply/{CODE}/")
    assert draft_id in again["Location"]
    page = client.get(again["Location"]).content.decode()
    assert 'value="Sunita Devi"' in page


@pytest.mark.django_db
def test_repeatable_rows_are_added_and_removed_without_javascript(client):
    draft_id, steps = start(client)
    family = next(s for s in steps if s.id == "family")
    data = form()["examples"][0]
    post = step_post(form(), data, family, extra={"_add": "family_members"})
    response = client.post(f"/apply/draft/{draft_id}/family/", post)
    assert response.status_code == 302
    page = client.get(f"/apply/draft/{draft_id}/family/").content.decode()
    assert 'name="family_members.3.name"' in page
    post = step_post(form(), data, family, extra={"_remove": "family_members.1"})
    client.post(f"/apply/draft/{draft_id}/family/", post)
    members = ApplicationDraft.objects.get(pk=draft_id).data["family_members"]
    assert [m["name"] for m in members] == ["Sunita Devi", "Pooja"]


@pytest.mark.django_db
def test_a_returned_application_is_corrected_and_sent_back(client, user):
    draft_id, _steps = start(client)
    fill_all(client, draft_id, form()["examples"][0])
    reference = client.post(f"/apply/draft/{draft_id}/check/")["Location"].split("/")[2]
    application = Application.objects.get(reference=reference)
    application_act(
        application=application,
        user=user("clerk.ambala"),
        action="return_for_correction",
        remarks="Occupation is missing detail.",
        inputs={"correction_needed": "Say what kind of tailoring work you do."},
    )
    page = client.get(f"/my/{reference}/").content.decode()
    assert "Occupation is missing detail." in page and "The clock is stopped" in page
    correction = client.post(f"/my/{reference}/correct/")
    assert correction.status_code == 302
    draft_id = correction["Location"].split("/")[3]
    corrected = {**form()["examples"][0]}
    corrected["applicant"] = {
        **corrected["applicant"],
        "occupation": "Tailoring of school uniforms",
        "aadhaar": "XXXXXXXX0124",
    }
    step = steps_of(form())[0]
    assert (
        client.post(
            f"/apply/draft/{draft_id}/applicant/", step_post(form(), corrected, step)
        ).status_code
        == 302
    )
    sent = client.post(f"/apply/draft/{draft_id}/check/")
    assert sent.status_code == 302, re.findall(
        r'class="error-summary".*?</div>', sent.content.decode(), re.S
    )
    application.refresh_from_db()
    assert application.state == "scrutiny"
    assert application.data["applicant"]["occupation"] == "Tailoring of school uniforms"
    assert application.data["applicant"]["aadhaar"] == "XXXXXXXX0124"
    last = application.events.order_by("-sequence").first()
    assert last.action == "resubmit" and last.data == {"corrected_fields": ["applicant"]}


@pytest.mark.django_db
def test_a_citizen_withdraws_and_then_rates_the_service(client):
    draft_id, _steps = start(client)
    fill_all(client, draft_id, form()["examples"][0])
    reference = client.post(f"/apply/draft/{draft_id}/check/")["Location"].split("/")[2]
    response = client.post(
        f"/my/{reference}/act/", {"action": "withdraw", "remarks": "Applied twice by mistake."}
    )
    assert response.status_code == 302
    application = Application.objects.get(reference=reference)
    assert application.outcome == "withdrawn"
    client.post(f"/my/{reference}/feedback/", {"rating": "4", "comment": "Quick and clear."})
    assert application.feedback.rating == 4
    again = client.post(f"/my/{reference}/feedback/", {"rating": "1"})
    assert again.status_code == 302
    application.feedback.refresh_from_db()
    assert application.feedback.rating == 4


@pytest.mark.django_db
def test_someone_elses_application_pages_answer_404(client, api):
    from tests.api.test_api import submit

    reference = submit(api, "citizen2")
    for url in (f"/my/{reference}/", f"/my/{reference}/acknowledgement/"):
        assert client.get(url).status_code == 404
    assert client.post(f"/my/{reference}/act/", {"action": "withdraw"}).status_code == 404


@pytest.mark.django_db
def test_public_tracking_needs_the_registered_mobile_and_reveals_nothing_otherwise(client):
    draft_id, _steps = start(client)
    fill_all(client, draft_id, form()["examples"][0])
    reference = client.post(f"/apply/draft/{draft_id}/check/")["Location"].split("/")[2]
    anonymous = Client()
    found = anonymous.post("/track/", {"reference": reference.lower(), "mobile": "9812345678"})
    assert found.status_code == 200
    body = found.content.decode()
    assert "Documents being checked" in body and reference in body
    assert "Sunita" not in body and "XXXXXXXX" not in body  # no personal data on the public page

    wrong = anonymous.post("/track/", {"reference": reference, "mobile": "9812345679"})
    unknown = anonymous.post(
        "/track/", {"reference": "HR-REV-INC-2026-999999", "mobile": "9812345679"}
    )
    assert wrong.status_code == unknown.status_code == 404
    assert "Documents being checked" not in wrong.content.decode()
    # The two answers differ only in echoing back what was typed.
    assert _without_csrf(wrong.content).replace(reference, "REF") == _without_csrf(
        unknown.content
    ).replace("HR-REV-INC-2026-999999", "REF")


@pytest.mark.django_db
def test_guessing_the_mobile_for_a_reference_is_cut_off(client):
    draft_id, _steps = start(client)
    fill_all(client, draft_id, form()["examples"][0])
    reference = client.post(f"/apply/draft/{draft_id}/check/")["Location"].split("/")[2]
    for guess in range(5):
        Client(REMOTE_ADDR=f"10.0.0.{guess}").post(
            "/track/", {"reference": reference, "mobile": f"900000000{guess}"}
        )
    right = Client(REMOTE_ADDR="10.0.1.1").post(
        "/track/", {"reference": reference, "mobile": "9812345678"}
    )
    assert right.status_code == 404


@pytest.mark.django_db
def test_the_form_and_sms_follow_the_language_the_citizen_chose(client):
    client.post("/language/", {"language": "hi", "next": "/"})
    draft_id, _steps = start(client)
    page = client.get(f"/apply/draft/{draft_id}/applicant/").content.decode()
    assert "पूरा नाम" in page and '<html lang="hi"' in page
    fill_all(client, draft_id, form()["examples"][0])
    reference = client.post(f"/apply/draft/{draft_id}/check/")["Location"].split("/")[2]
    sms = OutboxMessage.objects.get(application__reference=reference, event="received")
    assert sms.language == "hi" and "प्राप्त" in sms.body


def _without_csrf(content: bytes) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", content.decode())


@pytest.mark.django_db
def test_an_upload_past_the_site_wide_limit_is_stopped_while_it_streams(client):
    draft_id, steps = start(client)
    documents = next(s for s in steps if s.id == "documents")
    post = step_post(form(), form()["examples"][0], documents)
    post["documents.photo"] = SimpleUploadedFile(
        "huge.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (6 * 1024 * 1024), "image/png"
    )
    response = client.post(f"/apply/draft/{draft_id}/documents/", post)
    assert response.status_code == 400
    assert "larger than the largest allowed" in response.content.decode()
    assert not Document.objects.filter(original_name="huge.png").exists()


@pytest.mark.django_db
def test_a_hindi_timeline_explains_seva_s_own_steps_in_hindi(client):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    from seva.applications.services import application_escalate

    draft_id, _steps = start(client)
    fill_all(client, draft_id, form()["examples"][0])
    reference = client.post(f"/apply/draft/{draft_id}/check/")["Location"].split("/")[2]
    application = Application.objects.get(reference=reference)
    overdue = timezone.localtime(application.stage_due_at) + dt.timedelta(hours=1)
    with time_machine.travel(overdue, tick=False):
        assert application_escalate(application=application)

    client.post("/language/", {"language": "hi", "next": "/"})
    page = client.get(f"/my/{reference}/").content.decode()
    assert "समय-सीमा बीत गई" in page  # "deadline passed", the escalation row
    assert "Stage deadline passed" not in page
