"""The state admin keeps the organisation in the Wagtail admin: places, postings, leave and
holidays. The same rules as the data files hold, each error names its field, and a holiday
declared there moves the deadlines of open files."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from seva.applications.services import application_submit
from seva.definitions.models import Service
from seva.org.models import Holiday, Jurisdiction, Posting, Role
from tests.helpers import example_with_documents, ist

SNIPPETS = "/admin/snippets/org"


@pytest.fixture
def admin_client(client, user):
    client.force_login(user("admin"))
    return client


def _errors(response) -> dict:
    form = response.context["form"]
    return {name: [str(e) for e in errors] for name, errors in form.errors.items()}


@pytest.mark.django_db
def test_a_new_village_goes_under_its_tehsil_and_gets_its_path(admin_client):
    tehsil = Jurisdiction.objects.get(code="HR-AMB-AMB-AMB")
    response = admin_client.post(
        f"{SNIPPETS}/jurisdiction/add/",
        {
            "code": "HR-AMB-AMB-AMB-V99",
            "name_en": "Kaulan",
            "name_hi": "कौलां",
            "level": "village",
            "parent": tehsil.pk,
        },
    )
    assert response.status_code == 302, _errors(response)
    village = Jurisdiction.objects.get(code="HR-AMB-AMB-AMB-V99")
    assert village.path == f"{tehsil.path}HR-AMB-AMB-AMB-V99/"
    assert tehsil.covers(village)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("level", "parent_code", "field", "words"),
    [
        ("tehsil", "HR-AMB-AMB-AMB-V01", "level", "cannot sit under a village"),
        ("district", None, "parent", "only the state has none"),
        ("state", "HR", "parent", "part of no other place"),
    ],
)
def test_a_place_in_the_wrong_spot_is_refused_on_its_field(
    admin_client, level, parent_code, field, words
):
    parent = Jurisdiction.objects.get(code=parent_code) if parent_code else None
    before = Jurisdiction.objects.count()
    response = admin_client.post(
        f"{SNIPPETS}/jurisdiction/add/",
        {
            "code": "HR-NEW",
            "name_en": "New place",
            "name_hi": "नया स्थान",
            "level": level,
            "parent": parent.pk if parent else "",
        },
    )
    assert response.status_code == 200
    assert any(words in message for message in _errors(response)[field])
    assert Jurisdiction.objects.count() == before


@pytest.mark.django_db
def test_a_place_keeps_its_code_and_position_when_edited(admin_client):
    """Filed applications carry the place's path: renaming is fine, moving is not."""
    place = Jurisdiction.objects.get(code="HR-HSR-HSR-HSR")
    elsewhere = Jurisdiction.objects.get(code="HR-AMB-AMB")
    response = admin_client.post(
        f"{SNIPPETS}/jurisdiction/edit/{place.pk}/",
        {
            "code": "HR-MOVED",
            "name_en": "Hisar (renamed)",
            "name_hi": "हिसार",
            "level": "village",
            "parent": elsewhere.pk,
        },
    )
    assert response.status_code == 302, _errors(response)
    moved = Jurisdiction.objects.get(pk=place.pk)
    assert moved.name_en == "Hisar (renamed)"
    assert (moved.code, moved.level, moved.parent_id, moved.path) == (
        place.code,
        place.level,
        place.parent_id,
        place.path,
    )


@pytest.mark.django_db
def test_a_posting_made_in_the_admin_routes_files_and_its_dates_are_checked(admin_client, user):
    role = Role.objects.get(code="tehsildar")
    place = Jurisdiction.objects.get(code="HR-AMB-AMB-AMB")
    fields = {
        "user": user("clerk.hisar").pk,
        "role": role.pk,
        "department": role.postings.first().department_id,
        "jurisdiction": place.pk,
        "kind": "additional_charge",
        "starts_on": "2026-05-10",
        "ends_on": "2026-05-01",
    }
    response = admin_client.post(f"{SNIPPETS}/posting/add/", fields)
    assert response.status_code == 200
    assert _errors(response) == {"ends_on": ["The end date is before the start."]}

    response = admin_client.post(f"{SNIPPETS}/posting/add/", {**fields, "ends_on": ""})
    assert response.status_code == 302, _errors(response)
    assert Posting.objects.filter(user__username="clerk.hisar", role=role).exists()


@pytest.mark.django_db
def test_a_holiday_declared_in_the_admin_moves_open_deadlines(
    admin_client, user, django_capture_on_commit_callbacks
):
    service = Service.objects.get(code="income-certificate")
    with time_machine.travel(ist(2026, 6, 1, 10), tick=False):  # a Monday
        application = application_submit(
            service=service,
            data=example_with_documents(service, user("citizen")),
            applicant=user("citizen"),
        )
    due_before = application.rts_due_at
    holiday = timezone.localdate(application.stage_started_at) + dt.timedelta(days=2)
    assert not Holiday.objects.filter(date=holiday).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"{SNIPPETS}/holiday/add/",
            {
                "date": holiday.isoformat(),
                "name_en": "Flood relief day",
                "name_hi": "बाढ़ राहत दिवस",
            },
        )
    assert response.status_code == 302, _errors(response)
    application.refresh_from_db()
    assert application.rts_due_at > due_before
    assert application.events.filter(action="recompute_deadlines").count() == 1

    # The same date again for the whole state is refused on the date field.
    response = admin_client.post(
        f"{SNIPPETS}/holiday/add/",
        {"date": holiday.isoformat(), "name_en": "Again", "name_hi": "फिर"},
    )
    assert (
        "There is already a holiday on this date for the whole state."
        in (_errors(response)["date"])
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model", ["department", "jurisdiction", "role", "posting", "leave", "holiday"]
)
def test_officers_cannot_open_the_organisation_pages(client, user, model):
    client.force_login(user("dc.ambala"))
    for url in (f"{SNIPPETS}/{model}/", f"{SNIPPETS}/{model}/add/"):
        response = client.get(url)
        assert response.status_code in (302, 403), (url, response.status_code)
        assert response.status_code == 403 or "/admin/" in response["Location"]


@pytest.mark.django_db
def test_an_officers_contact_is_kept_and_a_bad_mobile_refused_on_its_field(admin_client, user):
    from seva.org.models import OfficerProfile

    officer = user("tehsildar.hr-kkr-thn-thn")  # rostered: no contact yet
    refused = admin_client.post(
        f"{SNIPPETS}/officerprofile/add/",
        {"user": officer.pk, "mobile": "12345", "language": "hi"},
    )
    assert refused.status_code == 200
    assert list(_errors(refused)) == ["mobile"]
    assert "10-digit mobile number" in _errors(refused)["mobile"][0]
    assert not OfficerProfile.objects.filter(user=officer).exists()

    saved = admin_client.post(
        f"{SNIPPETS}/officerprofile/add/",
        {"user": officer.pk, "mobile": "9000000199", "language": "hi"},
    )
    assert saved.status_code == 302, _errors(saved)
    profile = OfficerProfile.objects.get(user=officer)
    assert (profile.mobile, profile.language) == ("9000000199", "hi")
