"""The staff workspace in the Wagtail admin: the queue page, the application page, actions
one at a time and in bulk, each checked against the officer's role, department and area."""

from __future__ import annotations

import pytest
from django.test import Client

from seva.applications.models import Application

from .test_routing_and_queues import file_income_certificate


def signed_in(user, username: str) -> Client:
    client = Client()
    client.force_login(user(username))
    return client


@pytest.mark.django_db
def test_the_queue_page_shows_the_officers_files_in_deadline_order_with_colours(user):
    application = file_income_certificate(user)
    page = signed_in(user, "clerk.ambala").get("/admin/queue/")
    assert page.status_code == 200
    body = page.content.decode()
    assert f'data-reference="{application.reference}"' in body
    assert "Within time:" in body and "Past the deadline:" in body
    assert 'name="reference"' in body  # forward_for_verification may be taken in bulk

    other = signed_in(user, "clerk.hisar").get("/admin/queue/").content.decode()
    assert application.reference not in other
    # A citizen has no workspace at all.
    assert signed_in(user, "citizen").get("/admin/queue/").status_code == 302


@pytest.mark.django_db
def test_the_application_page_is_only_for_those_who_may_see_it(user):
    application = file_income_certificate(user)
    url = f"/admin/queue/{application.reference}/"
    page = signed_in(user, "clerk.ambala").get(url)
    body = page.content.decode()
    assert page.status_code == 200
    assert "Sunita Devi" in body and "XXXXXXXX0124" in body  # the form's answers, Aadhaar masked
    assert 'data-action="forward_for_verification"' in body
    assert body.count('href="/documents/doc_') == 4
    assert signed_in(user, "clerk.hisar").get(url).status_code == 404
    # The patwari of this tehsil may see it but has no action on it now.
    patwari = signed_in(user, "patwari.ambala").get(url).content.decode()
    assert "You have no action on this application now." in patwari
    refused = signed_in(user, "patwari.ambala").post(
        f"{url}act/", {"action": "forward_for_verification", "state": "scrutiny"}
    )
    assert refused.status_code == 302
    assert Application.objects.get(pk=application.pk).state == "scrutiny"
    outsider = signed_in(user, "clerk.hisar").post(
        f"{url}act/", {"action": "forward_for_verification", "state": "scrutiny"}
    )
    assert outsider.status_code == 404


@pytest.mark.django_db
def test_an_officer_returns_a_file_with_a_reason_and_a_stale_page_is_refused(user):
    application = file_income_certificate(user)
    url = f"/admin/queue/{application.reference}/act/"
    clerk = signed_in(user, "clerk.ambala")
    missing = clerk.post(url, {"action": "return_for_correction", "state": "scrutiny"})
    assert missing.status_code == 400
    assert "What must the applicant correct?" in missing.content.decode()
    assert Application.objects.get(pk=application.pk).state == "scrutiny"

    done = clerk.post(
        url,
        {
            "action": "return_for_correction",
            "state": "scrutiny",
            "remarks": "Income proof unsigned.",
            "correction_needed": "Upload a signed income proof.",
        },
    )
    assert done.status_code == 302
    application.refresh_from_db()
    assert application.state == "returned" and application.clock_paused_at is not None

    stale = clerk.post(
        url, {"action": "forward_for_verification", "state": "scrutiny"}, follow=True
    )
    assert "Someone else acted on" in stale.content.decode()
    assert Application.objects.get(pk=application.pk).state == "returned"


@pytest.mark.django_db
def test_a_bulk_action_reports_a_result_for_each_file(user):
    files = [file_income_certificate(user, name=f"Person {n}") for n in range(3)]
    outside = file_income_certificate(user, tehsil="HR-HSR-HSR-HSR")
    post = {
        "action": "forward_for_verification",
        "remarks": "",
        "reference": [a.reference for a in files] + [outside.reference],
    }
    for application in files:
        post[f"state-{application.reference}"] = "scrutiny"
    page = signed_in(user, "clerk.ambala").post("/admin/queue/bulk/", post)
    assert page.status_code == 200
    body = page.content.decode()
    assert body.count('data-ok="yes"') == 3 and body.count('data-ok="no"') == 1
    for application in files:
        assert Application.objects.get(pk=application.pk).state == "field_verification"
    assert Application.objects.get(pk=outside.pk).state == "scrutiny"


@pytest.mark.django_db
def test_the_queue_page_keeps_its_filters_across_pages_and_its_queries_do_not_grow_per_row(
    user, monkeypatch
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from seva.queues import views

    clerk = signed_in(user, "clerk.ambala")
    file_income_certificate(user, name="Kamla")
    clerk.get("/admin/queue/")  # the first visit also sets up the session
    with CaptureQueriesContext(connection) as one_row:
        clerk.get("/admin/queue/")
    for n in range(3):
        file_income_certificate(user, name=f"Kamla {n}")
    with CaptureQueriesContext(connection) as four_rows:
        clerk.get("/admin/queue/")
    assert len(four_rows) == len(one_row)

    monkeypatch.setattr(views, "QUEUE_PAGE_SIZE", 2)
    page = clerk.get("/admin/queue/?q=kamla&service=income-certificate").content.decode()
    assert 'href="?q=kamla&amp;service=income-certificate&amp;page=2"' in page
    second = clerk.get("/admin/queue/?q=kamla&service=income-certificate&page=2").content.decode()
    assert second.count('data-reference="') == 2
    assert 'href="?q=kamla&amp;service=income-certificate&amp;page=1"' in second


@pytest.mark.django_db
def test_what_an_officer_entered_is_shown_to_the_citizen_and_in_the_history(user):
    application = file_income_certificate(user)
    signed_in(user, "clerk.ambala").post(
        f"/admin/queue/{application.reference}/act/",
        {
            "action": "return_for_correction",
            "state": "scrutiny",
            "remarks": "Please look again.",
            "correction_needed": "Upload the income proof signed by the sarpanch.",
        },
    )
    citizen_page = (
        signed_in(user, "citizen").get(f"/my/{application.reference}/").content
    ).decode()
    assert "What must the applicant correct?" in citizen_page
    assert "Upload the income proof signed by the sarpanch." in citizen_page
    staff_page = (
        signed_in(user, "tehsildar.ambala").get(f"/admin/queue/{application.reference}/")
    ).content.decode()
    assert "Upload the income proof signed by the sarpanch." in staff_page
    # The public tracking page shows what happened, not what was written.
    public = Client().post(
        "/track/", {"reference": application.reference, "mobile": application.applicant_mobile}
    )
    assert "signed by the sarpanch" not in public.content.decode()


@pytest.mark.django_db
def test_the_queue_names_services_and_stages_in_words(user):
    file_income_certificate(user)
    body = signed_in(user, "clerk.ambala").get("/admin/queue/").content.decode()
    assert "<td>Income certificate</td>" in body
    assert "<td>scrutiny</td>" not in body and "<td>income-certificate</td>" not in body


@pytest.mark.django_db
def test_the_staff_history_calls_the_citizen_the_applicant(user):
    application = file_income_certificate(user)
    staff = signed_in(user, "clerk.ambala").get(f"/admin/queue/{application.reference}/")
    assert "Application submitted</strong> — " in staff.content.decode()
    assert ", Applicant" in staff.content.decode() and ", You" not in staff.content.decode()
    mine = signed_in(user, "citizen").get(f"/my/{application.reference}/").content.decode()
    assert "You" in mine
