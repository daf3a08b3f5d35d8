"""The admin's editors over HTTP: an edit that breaks a rule is refused and the message is
shown beside the input it is about; the builder and the raw text are two views of one
document; another department's drafts and services are out of reach; the preview draws the
portal's form in Hindi; a service's files import as a draft."""

from __future__ import annotations

import copy
import io
import json
import zipfile

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from seva.definitions.files import version_files
from seva.definitions.models import Service, ServiceDraft
from seva.definitions.services import draft_start_from_service, draft_start_new
from seva.org.models import Department

NEW = {
    "code": "arms-licence-renewal",
    "reference_code": "ALR",
    "kind": "service",
    "name": {"en": "Arms licence renewal", "hi": "शस्त्र लाइसेंस नवीनीकरण"},
    "processing_level": "tehsil",
    "designated_officer": "tehsildar",
    "first_appellate_authority": "sdm",
    "second_appellate_authority": "deputy_commissioner",
    "rts_days": 5,
}


@pytest.fixture
def draft(user):
    return draft_start_new(
        user=user("admin.revenue"), department=Department.objects.get(code="revenue"), **NEW
    )


def _form_data(page: str, form_index: int = 0) -> dict:
    """What a browser would post from the page's n-th POST form, unchanged."""
    soup = BeautifulSoup(page, "html.parser")
    form = soup.select("main form[method=post]")[form_index]
    data: dict = {}
    for element in form.select("input, textarea, select"):
        name = element.get("name")
        if not name or element.get("type") in ("submit", "file"):
            continue
        if element.get("type") == "checkbox":
            if element.has_attr("checked"):
                data[name] = "on"
        elif element.name == "textarea":
            data[name] = element.text.lstrip("\n")
        elif element.name == "select":
            chosen = element.select_one("option[selected]") or element.select_one("option")
            data[name] = chosen.get("value", "") if chosen else ""
        else:
            data[name] = element.get("value", "")
    return data


def _errors_beside(page: str, input_id: str) -> str:
    """The error text in the field wrapper of the input with this id."""
    soup = BeautifulSoup(page, "html.parser")
    label = soup.select_one(f'label[for="{input_id}"]')
    assert label is not None, f"no input {input_id}"
    wrapper = label.find_parent(class_="w-field__wrapper")
    return " ".join(p.get_text(" ", strip=True) for p in wrapper.select(".error-message"))


def _blank(data: dict, prefix: str, key: str) -> int:
    """The index of the first empty row of a form set, to add one."""
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    return next(i for i in range(total) if not data.get(f"{prefix}-{i}-{key}"))


def _row_index(page: str, prefix: str, key: str, value: str) -> int:
    data = _form_data(page)
    for name, posted in data.items():
        if name.startswith(prefix + "-") and name.endswith("-" + key) and posted == value:
            return int(name.split("-")[1])
    raise AssertionError(f"no {prefix} row with {key}={value}")


@pytest.mark.django_db
def test_a_label_without_hindi_is_refused_beside_the_hindi_label(client, user, draft):
    client.force_login(user("admin.revenue"))
    url = reverse("definitions:draft-form", args=[draft.pk])
    page = client.get(url).content.decode()
    data = _form_data(page)
    row = _row_index(page, "fields", "name", "mobile")
    data[f"fields-{row}-label_hi"] = ""
    data["save"] = "1"
    response = client.post(url, data)
    assert response.status_code == 400
    beside = _errors_beside(response.content.decode(), f"id_fields-{row}-label_hi")
    assert "field 'mobile'" in beside and "Hindi (hi)" in beside
    draft.refresh_from_db()
    assert draft.form_schema["properties"]["mobile"]["x-label"]["hi"] == "मोबाइल नंबर"


@pytest.mark.django_db
def test_the_builder_adds_a_conditional_field_and_the_raw_json_shows_it(client, user, draft):
    client.force_login(user("admin.revenue"))
    url = reverse("definitions:draft-form", args=[draft.pk])
    page = client.get(url).content.decode()
    data = _form_data(page)
    blank = _blank(data, "fields", "name")
    data.update(
        {
            f"fields-{blank}-name": "owns_weapon",
            f"fields-{blank}-kind": "yes_no",
            f"fields-{blank}-label_en": "Do you own a weapon now?",
            f"fields-{blank}-label_hi": "क्या आपके पास अभी कोई हथियार है?",
            f"fields-{blank}-required": "on",
            f"fields-{blank}-step": "1",
            "save": "1",
        }
    )
    assert client.post(url, data).status_code == 302

    page = client.get(url).content.decode()
    data = _form_data(page)
    blank = _blank(data, "fields", "name")
    data.update(
        {
            f"fields-{blank}-name": "licence_number",
            f"fields-{blank}-kind": "text",
            f"fields-{blank}-label_en": "Licence number",
            f"fields-{blank}-label_hi": "लाइसेंस संख्या",
            f"fields-{blank}-required": "on",
            f"fields-{blank}-step": "1",
            f"fields-{blank}-show_when_field": "owns_weapon",
            f"fields-{blank}-show_when_value": "yes",
            "save": "1",
        }
    )
    assert client.post(url, data).status_code == 302
    draft.refresh_from_db()
    assert {
        "if": {"properties": {"owns_weapon": {"const": True}}, "required": ["owns_weapon"]},
        "then": {"required": ["licence_number"]},
    } in draft.form_schema["allOf"]
    assert "licence_number" not in draft.form_schema["required"]

    # The raw JSON shown is the document the builder wrote; saving it back changes nothing.
    page = client.get(url).content.decode()
    raw = _form_data(page, form_index=1)
    assert json.loads(raw["text"]) == draft.form_schema
    response = client.post(url, {**raw, "save_raw": "1"})
    assert response.status_code == 302
    before = draft.revisions.count()
    draft.refresh_from_db()
    assert draft.revisions.count() == before


@pytest.mark.django_db
def test_raw_json_that_does_not_parse_or_breaks_a_rule_is_refused_beside_the_text(
    client, user, draft
):
    client.force_login(user("admin.revenue"))
    url = reverse("definitions:draft-form", args=[draft.pk])
    response = client.post(url, {"text": '{"type": "object",\n "properties": }', "save_raw": "1"})
    assert response.status_code == 400
    assert "not valid JSON (line 2" in _errors_beside(response.content.decode(), "id_text")

    schema = dict(draft.form_schema)
    schema["properties"] = {
        **schema["properties"],
        "mobile": {"type": "string", "format": "mobile"},
    }
    response = client.post(url, {"text": json.dumps(schema), "save_raw": "1"})
    assert response.status_code == 400
    beside = _errors_beside(response.content.decode(), "id_text")
    assert "/properties/mobile/x-label" in beside


@pytest.mark.django_db
def test_raw_json_or_yaml_nested_without_end_or_holding_a_lone_surrogate_is_refused_beside_it(
    client, user, draft
):
    """Typed or pasted definitions are read with the same guards as any input: nesting that
    would make the parser recurse, and a character that cannot be stored, get a message
    beside the text instead of a server error."""
    client.force_login(user("admin.revenue"))
    before = draft.revisions.count()
    url = reverse("definitions:draft-form", args=[draft.pk])
    deep = '{"type": "object", "x": ' + "[" * 5000 + "]" * 5000 + "}"
    response = client.post(url, {"text": deep, "save_raw": "1"})
    assert response.status_code == 400
    beside = _errors_beside(response.content.decode(), "id_text")
    assert "This JSON is nested more than 64 levels deep." in beside

    response = client.post(url, {"text": '{"title": "\\ud800"}', "save_raw": "1"})
    assert response.status_code == 400
    beside = _errors_beside(response.content.decode(), "id_text")
    assert "The field “title” contains a broken character (a lone surrogate)" in beside

    workflow = reverse("definitions:draft-workflow", args=[draft.pk])
    response = client.post(workflow, {"text": "a: " + "[" * 5000 + "]" * 5000, "save_raw": "1"})
    assert response.status_code == 400
    beside = _errors_beside(response.content.decode(), "id_text")
    assert "This YAML is nested more than any definition needs" in beside
    draft.refresh_from_db()
    assert draft.revisions.count() == before


@pytest.mark.django_db
def test_a_workflow_edit_naming_an_unknown_role_or_leaving_a_state_unreachable_is_refused(
    client, user, draft
):
    client.force_login(user("admin.revenue"))
    url = reverse("definitions:draft-workflow", args=[draft.pk])
    page = client.get(url).content.decode()
    assert "<svg" in page
    data = _form_data(page)
    pending = _row_index(page, "states", "code", "pending")
    approve = _row_index(page, "transitions", "action", "approve")
    blank = _blank(data, "states", "code")
    data.update(
        {
            f"transitions-{approve}-roles": "tehsildar, chief_of_everything",
            f"states-{blank}-code": "on_hold",
            f"states-{blank}-label_en": "On hold",
            f"states-{blank}-label_hi": "रोका गया",
            f"states-{blank}-role": "tehsildar",
            f"states-{blank}-sla_days": "2",
            "save": "1",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "chief_of_everything" in _errors_beside(page, f"id_transitions-{approve}-roles")
    assert "on_hold" in _errors_beside(page, f"id_states-{blank}-code")
    assert _errors_beside(page, f"id_states-{pending}-code") == ""
    draft.refresh_from_db()
    assert "on_hold" not in draft.workflow_doc["states"]


@pytest.mark.django_db
def test_a_department_admin_cannot_reach_another_departments_drafts(client, user):
    health = Service.objects.get(code="birth-registration")
    theirs = draft_start_from_service(user=user("admin"), service=health)
    client.force_login(user("admin.revenue"))
    for name in (
        "draft",
        "draft-form",
        "draft-workflow",
        "draft-details",
        "draft-sms",
        "draft-preview",
    ):
        assert client.get(reverse(f"definitions:{name}", args=[theirs.pk])).status_code == 404
    assert (
        client.post(reverse("definitions:draft-action", args=[theirs.pk, "submit"])).status_code
        == 404
    )
    assert client.post(reverse("definitions:edit", args=["birth-registration"])).status_code == 404
    # The CMO sees every draft but changes none: Wagtail turns the refusal into a redirect.
    client.force_login(user("cmo"))
    assert client.get(reverse("definitions:draft", args=[theirs.pk])).status_code == 200
    assert client.get(reverse("definitions:draft-form", args=[theirs.pk])).status_code == 302
    response = client.post(reverse("definitions:draft-action", args=[theirs.pk, "discard"]))
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert theirs.is_open


@pytest.mark.django_db
def test_the_preview_draws_the_portal_form_in_hindi(client, user, draft):
    client.force_login(user("admin.revenue"))
    url = reverse("definitions:draft-preview", args=[draft.pk])
    page = client.get(url + "?lang=hi").content.decode()
    soup = BeautifulSoup(page, "html.parser")
    assert soup.html["lang"] == "hi"
    assert soup.select_one('label[for="f-full_name"]').get_text(strip=True).startswith("पूरा नाम")
    assert "आपके बारे में" in soup.h1.get_text()
    # Answers are checked as the portal checks them.
    response = client.post(url + "?lang=hi&step=about-you", {"full_name": "A", "mobile": "12"})
    assert response.status_code == 400
    assert "f-mobile" in response.content.decode()


@pytest.mark.django_db
def test_a_downloaded_service_imports_as_a_draft_and_a_broken_archive_is_refused(client, user):
    client.force_login(user("admin.revenue"))
    url = reverse("definitions:import")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        for name, text in version_files(
            Service.objects.get(code="income-certificate").current_version
        ).items():
            z.writestr(name, text)
    archive.seek(0)
    archive.name = "income.zip"
    response = client.post(url, {"archive": archive})
    assert response.status_code == 302
    imported = ServiceDraft.objects.get(code="income-certificate")
    assert imported.service.code == "income-certificate"

    response = client.post(url, {"archive": io.BytesIO(b"not a zip")})
    assert response.status_code == 400
    assert "not a .zip file" in response.content.decode()


@pytest.mark.django_db
def test_the_overview_draws_the_workflow_and_the_dry_run_gives_each_path_its_deadlines(
    client, user, draft
):
    from django.utils import timezone

    from seva.org.selectors import state_calendar
    from seva.workflows.clock import DayType, due_date

    client.force_login(user("admin.revenue"))
    page = client.get(reverse("definitions:draft", args=[draft.pk])).content.decode()
    soup = BeautifulSoup(page, "html.parser")
    assert soup.select_one(".s-diagram svg[role=img]") is not None
    assert "No problems" in soup.select_one(".s-ok").get_text()

    page = client.get(reverse("definitions:draft-dry-run", args=[draft.pk])).content.decode()
    soup = BeautifulSoup(page, "html.parser")
    paths = soup.select("section[data-outcome]")
    assert sorted(p["data-outcome"] for p in paths) == ["approved", "rejected"]
    rts_due = due_date(
        start=timezone.localdate(), days=5, day_type=DayType.WORKING, calendar=state_calendar()
    )
    for path in paths:
        assert f"RTS due {rts_due:%d-%m-%Y}" in path.get_text(" ", strip=True)
        assert "within the RTS timeline" in path.get_text(" ", strip=True)


@pytest.mark.django_db
def test_check_without_saving_shows_problems_and_saves_nothing(client, user, draft):
    client.force_login(user("admin.revenue"))
    url = reverse("definitions:draft-workflow", args=[draft.pk])
    page = client.get(url).content.decode()
    data = _form_data(page)
    pending = _row_index(page, "states", "code", "pending")
    data.update({f"states-{pending}-sla_days": "", "check": "1"})
    response = client.post(url, data)
    assert response.status_code == 400
    assert "sla_days" in _errors_beside(response.content.decode(), f"id_states-{pending}-sla_days")

    data.update({f"states-{pending}-sla_days": "9"})
    response = client.post(url, data)
    assert response.status_code == 200
    assert "no problems in the workflow. It is not saved yet" in response.content.decode()
    draft.refresh_from_db()
    assert draft.workflow_doc["states"]["pending"]["sla_days"] == 5
    assert draft.revisions.count() == 1


@pytest.mark.django_db
def test_a_details_edit_reusing_another_services_reference_code_is_refused_beside_it(
    client, user, draft
):
    client.force_login(user("admin.revenue"))
    url = reverse("definitions:draft-details", args=[draft.pk])
    data = {**_form_data(client.get(url).content.decode()), "reference_code": "INC", "save": "1"}
    response = client.post(url, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "already used by income-certificate" in _errors_beside(page, "id_reference_code")
    assert "Not saved" in page
    draft.refresh_from_db()
    assert draft.service_doc["reference_code"] == "ALR"


@pytest.mark.django_db
def test_the_dry_run_tries_each_condition_on_both_sides_of_its_numbers(client, user):
    sewer = Service.objects.get(code="sewer-connection")
    draft = draft_start_from_service(user=user("admin"), service=sewer)
    client.force_login(user("admin"))
    page = client.get(reverse("definitions:draft-dry-run", args=[draft.pk])).content.decode()
    soup = BeautifulSoup(page, "html.parser")
    rows = {
        tr.select("td")[1].get_text(strip=True): [
            td.get_text(" ", strip=True) for td in tr.select("td")
        ]
        for tr in soup.select("table:has(caption:-soup-contains('How often')) tbody tr")
    }
    # Plots of 499.99, 500 and 500.01 square metres, and the examples: only one is over 500.
    assert rows["refer_to_executive_engineer"][2:] == [
        "data.plot_area_sq_m > 500.0",
        "2 of 5",
        "yes",
    ]
    assert "every open state has an action that applies" in soup.select(".s-ok")[-1].get_text()


@pytest.mark.django_db
def test_the_workflow_editor_keeps_consultations_and_checks_conditions_beside_them(client, user):
    factory = Service.objects.get(code="factory-registration")
    draft = draft_start_from_service(user=user("admin"), service=factory)
    before = copy.deepcopy(draft.workflow_doc)
    client.force_login(user("admin"))
    url = reverse("definitions:draft-workflow", args=[draft.pk])
    page = client.get(url).content.decode()
    nocs = _row_index(page, "states", "code", "nocs")
    cleared = _row_index(page, "transitions", "action", "nocs_cleared")
    data = _form_data(page)
    assert "fire_station_officer" in data[f"states-{nocs}-consult"]
    assert data[f"transitions-{cleared}-condition"].startswith("consultations.open == 0")

    # Saved as it is, nothing is lost.
    response = client.post(url, {**data, "save": "1"})
    assert response.status_code in (200, 302), response.content.decode()[:500]
    draft.refresh_from_db()
    assert draft.workflow_doc == before

    # A condition reading an office the state does not consult, and a consultation with no
    # deadline: each refused beside its own input, and nothing saved.
    wrong = dict(data)
    wrong[f"transitions-{cleared}-condition"] = (
        "consultations.open == 0 && consultations.police == 'x'"
    )
    wrong[f"states-{nocs}-consult"] = data[f"states-{nocs}-consult"].replace("  days: 7\n", "")
    response = client.post(url, {**wrong, "check": "1"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "consultations.police" in _errors_beside(page, f"id_transitions-{cleared}-condition")
    assert "has no deadline" in _errors_beside(page, f"id_states-{nocs}-consult")
    draft.refresh_from_db()
    assert draft.workflow_doc == before


@pytest.mark.django_db
def test_the_form_editor_keeps_computed_answers_and_rules_and_checks_them_beside_them(client, user):
    pension = Service.objects.get(code="disability-pension")
    draft = draft_start_from_service(user=user("admin"), service=pension)
    before = copy.deepcopy(draft.form_schema)
    client.force_login(user("admin"))
    url = reverse("definitions:draft-form", args=[draft.pk])
    page = client.get(url).content.decode()
    income = _row_index(page, "fields", "name", "annual_family_income")
    data = _form_data(page)
    assert data[f"fields-{income}-compute"].startswith("sum(")
    assert "age(data.applicant.date_of_birth) >= 18" in data["rules"]

    # Saved as it is, nothing is lost: the computed answers, the rules, the examples.
    response = client.post(url, {**data, "save": "1"})
    assert response.status_code in (200, 302), response.content.decode()[:300]
    draft.refresh_from_db()
    after = draft.form_schema
    assert after["x-rules"] == before["x-rules"]
    assert after["examples"] == before["examples"]
    assert (
        after["properties"]["annual_family_income"]["x-compute"]
        == before["properties"]["annual_family_income"]["x-compute"]
    )

    wrong = dict(data)
    wrong[f"fields-{income}-compute"] = "sum(data.income_rowz.map(r, r.amount))"
    wrong["rules"] = data["rules"].replace(">= 18", '>= "18"', 1)
    response = client.post(url, {**wrong, "check": "1"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "data.income_rowz" in _errors_beside(page, f"id_fields-{income}-compute")
    assert "no matching overload" in _errors_beside(page, "id_rules")
