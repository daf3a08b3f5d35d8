"""The consulted officer's workspace: a factory registration asks the fire service and the
pollution control board for their NOCs at once; each office finds the consultation in its
queue, reads the file and answers it from the file page, without holding the file; once both
have answered, the file moves on by itself."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from wagtail.users.models import UserProfile

from seva.applications.models import Application, ApplicationEvent, Consultation
from seva.definitions.models import Service
from seva.org.models import Posting
from tests.applications.walk import officer_for, with_uploaded_documents

pytestmark = pytest.mark.django_db

SERVICE = "factory-registration"
FIRE, POLLUTION = "fire.ambala", "pollution.ambala"


def file_factory_at_nocs(api) -> Application:
    """Example 0 of the form (an orange-category unit in Ambala), filed by the citizen over
    the API; the DIC manager finds it complete and seeks both NOCs."""
    form = Service.objects.get(code=SERVICE).current_version.form_schema
    data = with_uploaded_documents(api, SERVICE, form, form["examples"][0])
    filed = api("citizen").post(
        "/api/v1/applications/", {"service": SERVICE, "data": data}, format="json"
    )
    assert filed.status_code == 201, filed.json()
    reference = filed.json()["reference"]
    sought = api("dic.manager.ambala").post(
        f"/api/v1/applications/{reference}/actions/",
        {"action": "seek_nocs", "remarks": "Complete.", "data": {}},
        format="json",
    )
    assert sought.status_code == 200, sought.json()
    application = Application.objects.get(reference=reference)
    assert application.state == "nocs"
    return application


@pytest.fixture
def factory(api) -> Application:
    return file_factory_at_nocs(api)


@pytest.fixture
def browser(user):
    def signed_in(username: str) -> Client:
        client = Client()
        client.force_login(user(username))
        return client

    return signed_in


def fire_officer_elsewhere(application: Application) -> str:
    """A demo fire station officer posted outside the file's district."""
    postings = (
        Posting.objects.filter(role__code="fire_station_officer")
        .select_related("user", "jurisdiction")
        .order_by("pk")
    )
    for candidate in postings:
        if not application.place_path.startswith(candidate.jurisdiction.path):
            return candidate.user.username
    raise AssertionError("the demo roster has no fire station officer outside Ambala")


def page_url(application: Application) -> str:
    return f"/admin/queue/{application.reference}/"


def answer_url(application: Application, code: str) -> str:
    return f"/admin/queue/{application.reference}/consultations/{code}/answer/"


def consultation(application: Application, code: str) -> Consultation:
    return Consultation.objects.get(application=application, code=code)


def test_the_demo_officers_are_those_the_file_consults(factory):
    assert (
        officer_for(
            factory, "fire_station_officer", consultation(factory, "fire_safety").department
        )
        == FIRE
    )
    assert (
        officer_for(
            factory, "pollution_regional_officer", consultation(factory, "pollution").department
        )
        == POLLUTION
    )


def test_the_consulted_officer_finds_the_consultation_in_the_queue(factory, browser):
    """A fire station officer holds no file: the queue page is still theirs, and lists what
    they are asked, by whom and by when."""
    page = browser(FIRE).get("/admin/queue/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Consultations waiting for your answer" in body
    assert f'data-consultation="{factory.reference}" data-overdue="no"' in body
    assert f'href="/admin/queue/{factory.reference}/"' in body
    assert "Fire safety NOC" in body
    assert "Consent to establish (pollution)" not in body  # the pollution board's, not theirs
    assert "Industries" in body  # the department asking
    due = timezone.localtime(consultation(factory, "fire_safety").due_at)
    assert due.strftime("%d-%m-%Y %H:%M") in body
    assert "You hold no application now." in body
    assert f'data-reference="{factory.reference}"' not in body  # not a file they hold

    # The DIC manager holds the file; nobody consults them.
    manager = browser("dic.manager.ambala").get("/admin/queue/").content.decode()
    assert "Consultations waiting for your answer" not in manager
    assert f'data-reference="{factory.reference}"' in manager


def test_the_queue_lists_consultations_soonest_due_first_and_marks_the_overdue(api, browser):
    later = file_factory_at_nocs(api)
    with time_machine.travel(timezone.now() - dt.timedelta(days=20), tick=False):
        sooner = file_factory_at_nocs(api)
    body = browser(FIRE).get("/admin/queue/").content.decode()
    assert body.index(f'data-consultation="{sooner.reference}"') < body.index(
        f'data-consultation="{later.reference}"'
    )
    assert f'data-consultation="{sooner.reference}" data-overdue="yes"' in body
    assert f'data-consultation="{later.reference}" data-overdue="no"' in body


def test_the_queue_is_in_the_officers_language(factory, browser, user):
    profile = UserProfile.get_for_user(user(FIRE))
    profile.preferred_language = "hi"
    profile.save()
    body = browser(FIRE).get("/admin/queue/").content.decode()
    assert "आपके उत्तर की प्रतीक्षा में परामर्श" in body
    assert "अग्नि सुरक्षा अनापत्ति प्रमाण पत्र" in body


def test_the_file_page_offers_the_consulted_officer_an_answer_form_and_no_actions(factory, browser):
    page = browser(FIRE).get(page_url(factory))
    assert page.status_code == 200
    body = page.content.decode()
    # Both consultations are on the panel; only the fire service's is theirs to answer.
    assert 'data-consultation="fire_safety" data-answer="open"' in body
    assert 'data-consultation="pollution" data-answer="open"' in body
    assert "Fire Station Officer, " in body  # the office asked
    assert 'data-answer-form="fire_safety"' in body
    assert 'data-answer-form="pollution"' not in body
    assert f'action="{answer_url(factory, "fire_safety")}"' in body
    for answer in ("no_objection", "conditions", "objection"):
        assert f'id="answer-fire_safety-{answer}"' in body
    assert "Conditions or reasons" in body
    # They do not hold the file: none of the workflow's actions.
    assert f'action="/admin/queue/{factory.reference}/act/"' not in body
    assert 'data-action="reject"' not in body
    assert "You have no action on this application now." in body
    assert "Harish Bansal" in body  # the file itself, read across departments

    pollution = browser(POLLUTION).get(page_url(factory)).content.decode()
    assert 'data-answer-form="pollution"' in pollution
    assert 'data-answer-form="fire_safety"' not in pollution

    # The holder sees the panel, and their own actions, but no answer form.
    manager = browser("dic.manager.ambala").get(page_url(factory)).content.decode()
    assert 'data-consultation="fire_safety"' in manager
    assert "data-answer-form=" not in manager
    assert 'data-action="reject"' in manager


def test_an_objection_without_reasons_is_refused_beside_the_field(factory, browser):
    events = ApplicationEvent.objects.filter(application=factory).count()
    refused = browser(FIRE).post(
        answer_url(factory, "fire_safety"), {"answer": "objection", "remarks": "  "}
    )
    assert refused.status_code == 400
    body = refused.content.decode()
    assert (
        '<p class="error-message" id="remarks-fire_safety-error">'
        "Give the reasons for the objection.</p>"
    ) in body
    assert 'id="answer-fire_safety-objection" required checked' in body
    assert "Your answer was not recorded" in body
    fire = consultation(factory, "fire_safety")
    assert (fire.answer, fire.answered_at, fire.answered_by_id) == ("", None, None)
    assert ApplicationEvent.objects.filter(application=factory).count() == events
    assert Application.objects.get(pk=factory.pk).state == "nocs"

    no_answer = browser(FIRE).post(answer_url(factory, "fire_safety"), {"remarks": "Fine."})
    assert no_answer.status_code == 400
    assert 'id="answer-fire_safety-error"' in no_answer.content.decode()


def test_the_answers_are_recorded_and_the_file_moves_on_once_both_offices_answered(
    factory, browser
):
    fire = browser(FIRE)
    done = fire.post(answer_url(factory, "fire_safety"), {"answer": "no_objection"})
    assert done.status_code == 302 and done["Location"] == page_url(factory)
    body = fire.get(done["Location"]).content.decode()
    assert "your answer on “Fire safety NOC” is recorded" in body
    assert 'data-consultation="fire_safety" data-answer="no_objection"' in body
    assert "Baljeet Sandhu" in body  # who answered
    assert 'data-answer-form="fire_safety"' not in body
    assert Application.objects.get(pk=factory.pk).state == "nocs"  # pollution has not answered

    conditions = "Install an effluent treatment plant before production."
    browser(POLLUTION).post(
        answer_url(factory, "pollution"), {"answer": "conditions", "remarks": conditions}
    )
    moved = Application.objects.get(pk=factory.pk)
    assert moved.state == "gm_approval"
    assert moved.holder_role.code == "dic_gm"
    gm = browser("dic.gm.ambala").get(page_url(factory)).content.decode()
    assert 'data-consultation="pollution" data-answer="conditions"' in gm
    assert "No objection on conditions" in gm and conditions in gm
    assert 'data-action="approve"' in gm

    # The fire officer still reads the file they answered on; a second answer is refused.
    again = fire.post(answer_url(factory, "fire_safety"), {"answer": "objection", "remarks": "x"})
    assert again.status_code == 302
    assert "has been answered already" in fire.get(again["Location"]).content.decode()
    assert consultation(factory, "fire_safety").answer == "no_objection"


def test_a_fire_officer_of_another_district_cannot_reach_the_file(factory, browser):
    outsider = browser(fire_officer_elsewhere(factory))
    assert outsider.get(page_url(factory)).status_code == 404
    refused = outsider.post(answer_url(factory, "fire_safety"), {"answer": "no_objection"})
    assert refused.status_code == 404
    assert consultation(factory, "fire_safety").answered_at is None
    queue = outsider.get("/admin/queue/").content.decode()
    assert factory.reference not in queue


def test_the_answer_url_takes_posts_only_and_is_for_staff(factory, browser):
    assert browser(FIRE).get(answer_url(factory, "fire_safety")).status_code == 405
    citizen = browser("citizen").post(answer_url(factory, "fire_safety"), {"answer": "objection"})
    assert citizen.status_code == 302 and citizen["Location"].startswith("/admin/login/")
    assert consultation(factory, "fire_safety").answered_at is None
