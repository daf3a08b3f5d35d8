"""Parallel consultations, on the sample factory registration: the District Industries Centre
asks the fire service and the pollution control board for their NOCs at once; each answers
within its own deadline (no objection, on conditions, or an objection with reasons) or is
deemed to have no objection; the file moves on by itself once all have answered. Everything
through the REST API, with the clock moved across a holiday."""

from __future__ import annotations

import copy
import datetime as dt
import html
import json
import re

import pytest
import time_machine
import yaml
from django.test import Client
from django.utils import timezone

from seva.applications.models import Application, Consultation
from seva.applications.services import (
    applications_fire_timers,
    applications_recompute_deadlines,
    consultations_deem_due,
)
from seva.definitions.lint import load_definitions
from seva.definitions.services import definitions_sync
from seva.documents.services import documents_issue_pending
from seva.notifications.models import OutboxMessage
from seva.org.models import Department, Holiday, Jurisdiction, Posting, Role
from seva.workflows.lint import lint_workflow
from tests.helpers import expected_due_date, ist
from tests.portal.flow import sign_in

from .test_new_service_from_files import root  # noqa: F401 (fixture)
from .test_routing_by_data import ROUTED_FORM
from .walk import Walk, at, holidays_for, officer_for, sample_services, submit

CODE = "factory-registration"
BUNDLE = sample_services()[CODE]
ORANGE, GREEN = BUNDLE["form"]["examples"]
MONDAY = dt.date(2026, 12, 21)  # 25 December, that Friday, is a holiday


@pytest.fixture
def christmas(db):
    Holiday.objects.get_or_create(
        date=dt.date(2026, 12, 25),
        district=None,
        defaults={"name_en": "Christmas", "name_hi": "क्रिसमस"},
    )


def _filed(api, example=ORANGE, day=MONDAY) -> Application:
    """A factory registration, checked by the DIC and sent for its NOCs on `day`."""
    walk = Walk(CODE, BUNDLE)
    application = submit(api, walk, day, example)
    action = "seek_nocs" if example is ORANGE else "seek_fire_noc"
    with time_machine.travel(at(day, 12), tick=False):
        response = api("dic.manager.ambala").post(
            f"/api/v1/applications/{application.reference}/actions/",
            {"action": action, "remarks": "Complete."},
            format="json",
        )
    assert response.status_code == 200, response.json()
    application.refresh_from_db()
    return application


def _answer(api, username, application, code, answer, remarks="", day=MONDAY):
    with time_machine.travel(at(day, 15), tick=False):
        return api(username).post(
            f"/api/v1/applications/{application.reference}/consultations/{code}/",
            {"answer": answer, "remarks": remarks},
            format="json",
        )


@pytest.mark.django_db
def test_both_offices_are_consulted_at_once_each_with_its_own_deadline(api, christmas):
    application = _filed(api)
    assert application.state == "nocs" and application.holder_role.code == "dic_manager"
    consulted = {c.code: c for c in application.consultations.select_related("department")}
    assert set(consulted) == {"fire_safety", "pollution"}
    assert consulted["fire_safety"].department.code == "fire_services"
    assert consulted["pollution"].department.code == "environment"
    holidays = holidays_for(application)
    for code, days in (("fire_safety", 7), ("pollution", 10)):
        due = expected_due_date(start=MONDAY, days=days, working_days_only=True, holidays=holidays)
        assert timezone.localdate(consulted[code].due_at) == due
    assert dt.date(2026, 12, 25) in holidays  # the deadlines were counted across it

    # Each consulted officer finds it in their own list, and may read the file, though it
    # belongs to another department; the officers holding the file have nothing to answer.
    waiting = api("fire.ambala").get("/api/v1/consultations/").json()["results"]
    assert [(w["reference"], w["code"]) for w in waiting] == [
        (application.reference, "fire_safety")
    ]
    detail = api("fire.ambala").get(f"/api/v1/applications/{application.reference}/")
    assert detail.status_code == 200
    assert {c["code"] for c in detail.json()["consultations"]} == {"fire_safety", "pollution"}
    assert (
        api("fire.ambala")
        .get(f"/api/v1/applications/{application.reference}/actions/")
        .json()["actions"]
        == []
    )
    assert api("dic.manager.ambala").get("/api/v1/consultations/").json()["results"] == []
    history = application.events.filter(kind="consultation").get()
    assert {o["consultation"] for o in history.data["opened"]} == {"fire_safety", "pollution"}


@pytest.mark.django_db
def test_the_file_moves_on_by_itself_once_every_office_has_no_objection(api, christmas):
    application = _filed(api)
    answered = _answer(api, "fire.ambala", application, "fire_safety", "no_objection")
    assert answered.status_code == 200, answered.json()
    assert answered.json()["state"]["code"] == "nocs"  # the pollution board has not answered
    conditions = _answer(
        api, "pollution.ambala", application, "pollution", "conditions", "Fit a wet scrubber."
    )
    assert conditions.status_code == 200, conditions.json()
    application.refresh_from_db()
    assert (application.state, application.holder_role.code) == ("gm_approval", "dic_gm")
    steps = list(
        application.events.order_by("sequence").values_list("action", "actor_role", "data")
    )
    assert steps[-3:] == [
        (
            "answer_consultation",
            "fire_station_officer",
            {"consultation": "fire_safety", "answer": "no_objection"},
        ),
        (
            "answer_consultation",
            "pollution_regional_officer",
            {"consultation": "pollution", "answer": "conditions"},
        ),
        ("nocs_cleared", "system", {}),
    ]
    kept = Consultation.objects.get(application=application, code="pollution")
    assert (kept.remarks, kept.answered_by.username) == ("Fit a wet scrubber.", "pollution.ambala")
    # Answered once: a second answer is a conflict, and changes nothing.
    again = _answer(api, "fire.ambala", application, "fire_safety", "objection", "Second thoughts")
    assert again.status_code == 409


@pytest.mark.django_db
def test_an_objection_needs_its_reasons_and_sends_the_file_for_a_hearing(api, christmas):
    application = _filed(api)
    refused = _answer(api, "fire.ambala", application, "fire_safety", "objection")
    assert refused.status_code == 400
    assert "remarks" in refused.json()["errors"]
    assert application.consultations.get(code="fire_safety").answered_at is None
    bad = _answer(api, "fire.ambala", application, "fire_safety", "deemed")
    assert bad.status_code == 400 and "answer" in bad.json()["errors"]

    objected = _answer(
        api, "fire.ambala", application, "fire_safety", "objection", "No second staircase."
    )
    assert objected.status_code == 200
    _answer(api, "pollution.ambala", application, "pollution", "no_objection")
    application.refresh_from_db()
    assert (application.state, application.holder_role.code) == ("objection_review", "dic_gm")
    assert application.events.order_by("-sequence").first().action == "noc_objected"


@pytest.mark.django_db
def test_an_office_that_does_not_answer_in_time_is_deemed_to_have_no_objection(api, christmas):
    application = _filed(api)
    _answer(api, "pollution.ambala", application, "pollution", "no_objection")
    fire = application.consultations.get(code="fire_safety")
    due = timezone.localtime(fire.due_at)
    assert consultations_deem_due(at=due - dt.timedelta(minutes=1)) == 0
    application.refresh_from_db()
    assert application.state == "nocs"

    assert consultations_deem_due(at=due + dt.timedelta(minutes=1)) == 1
    assert consultations_deem_due(at=due + dt.timedelta(minutes=2)) == 0  # never twice
    fire.refresh_from_db()
    assert (fire.answer, fire.answered_by) == ("deemed", None)
    application.refresh_from_db()
    assert application.state == "gm_approval"
    deemed = application.events.get(kind="consultation", action="answer_consultation", actor=None)
    assert deemed.actor_role == "system" and "deemed no objection" in deemed.remarks
    # Too late to answer now.
    late = _answer(api, "fire.ambala", application, "fire_safety", "no_objection", day=due.date())
    assert late.status_code == 409


@pytest.mark.django_db
def test_a_green_factory_asks_the_fire_service_only(api, christmas):
    application = _filed(api, GREEN)
    assert application.state == "fire_noc"
    assert list(application.consultations.values_list("code", flat=True)) == ["fire_safety"]
    _answer(api, "fire.ambala", application, "fire_safety", "no_objection")
    application.refresh_from_db()
    assert application.state == "gm_approval"


@pytest.mark.django_db
def test_a_file_rejected_before_the_answers_withdraws_the_open_consultations(api, christmas):
    application = _filed(api)
    _answer(api, "fire.ambala", application, "fire_safety", "no_objection")
    with time_machine.travel(at(MONDAY, 16), tick=False):
        rejected = api("dic.manager.ambala").post(
            f"/api/v1/applications/{application.reference}/actions/",
            {"action": "reject", "remarks": "The land is not in an industrial zone."},
            format="json",
        )
    assert rejected.status_code == 200, rejected.json()
    answers = dict(application.consultations.values_list("code", "answer"))
    assert answers == {"fire_safety": "no_objection", "pollution": "withdrawn"}
    assert api("pollution.ambala").get("/api/v1/consultations/").json()["results"] == []
    assert consultations_deem_due(at=ist(2027, 2, 1)) == 0


@pytest.mark.django_db
def test_only_the_consulted_office_over_the_place_may_answer(api, christmas, django_user_model):
    application = _filed(api)
    # A fire station officer of another district neither sees the file nor answers.
    hisar = Jurisdiction.objects.get(code="HR-HSR")
    stranger = django_user_model.objects.create_user(username="fire.hisar", password="x")
    Posting.objects.create(
        user=stranger,
        role=Role.objects.get(code="fire_station_officer"),
        department=Department.objects.get(code="fire_services"),
        jurisdiction=hisar,
        starts_on=dt.date(2020, 1, 1),
    )
    assert (
        api("fire.hisar").get(f"/api/v1/applications/{application.reference}/").status_code == 404
    )
    refused = _answer(api, "fire.hisar", application, "fire_safety", "no_objection")
    assert refused.status_code == 404
    # The pollution officer cannot answer for the fire service, nor the applicant for anyone.
    assert (
        _answer(api, "pollution.ambala", application, "fire_safety", "no_objection").status_code
        == 403
    )
    assert _answer(api, "citizen", application, "pollution", "no_objection").status_code == 403
    assert application.consultations.filter(answered_at__isnull=False).count() == 0


# ------------------------------------------------------------------------------
# The checker
# ------------------------------------------------------------------------------
WORKFLOW = BUNDLE["workflow"]


def _problems(change) -> list[tuple[str, str]]:
    doc = copy.deepcopy(WORKFLOW)
    change(doc)
    return lint_workflow(
        doc,
        roles=None,
        languages=["en", "hi"],
        departments={"industries", "fire_services", "environment"},
    )


def _set(path, value):
    def change(doc):
        node = doc
        for key in path[:-1]:
            node = node[key]
        if value is None:
            node.pop(path[-1])
        else:
            node[path[-1]] = value

    return change


@pytest.mark.parametrize(
    ("change", "pointer", "says"),
    [
        (
            _set(["states", "nocs", "consult", 0, "days"], None),
            "/states/nocs/consult/0",
            "consultation 'fire_safety' has no deadline",
        ),
        (
            _set(["states", "nocs", "consult", 1, "department"], "pollution_board"),
            "/states/nocs/consult/1/department",
            "department 'pollution_board' is not defined",
        ),
        (
            _set(["states", "nocs", "consult", 1, "code"], "fire_safety"),
            "/states/nocs/consult/1/code",
            "consultation 'fire_safety' is given twice",
        ),
        (
            _set(["states", "nocs", "consult", 1, "code"], "open"),
            "/states/nocs/consult/1/code",
            "'open' is the name of a count",
        ),
        (
            _set(["states", "registered", "consult"], WORKFLOW["states"]["nocs"]["consult"]),
            "/states/registered/consult",
            "terminal state 'registered' is closed and cannot have consult",
        ),
        (
            _set(["states", "with_applicant", "consult"], WORKFLOW["states"]["nocs"]["consult"]),
            "/states/with_applicant/consult",
            "waits for the citizen; consult from a state an officer holds",
        ),
        (
            lambda doc: (
                _set(["states", "fire_noc", "consult"], WORKFLOW["states"]["nocs"]["consult"][1:])(
                    doc
                ),
                _set(
                    ["transitions", 4, "if"],
                    'consultations.open == 0 && consultations.fire_safety == "no_objection"',
                )(doc),
            ),
            "/transitions/4/if",
            "reads consultations.fire_safety, but state 'fire_noc' consults only pollution",
        ),
    ],
)
def test_the_checker_refuses_a_consultation_that_cannot_work(change, pointer, says):
    problems = _problems(change)
    assert any(p == pointer and says in m for p, m in problems), problems


def test_the_checker_refuses_a_condition_on_consultations_from_a_state_that_opens_none():
    def change(doc):
        doc["transitions"][4]["from"] = ["nocs", "gm_approval"]

    problems = _problems(change)
    assert (
        "/transitions/4/if",
        "action 'nocs_cleared' reads consultations, but state 'gm_approval' opens none",
    ) in problems


def test_the_sample_workflow_passes_the_checker():
    assert _problems(lambda doc: None) == []
    assert yaml.safe_dump(WORKFLOW)  # a plain document, as the files hold it


# ------------------------------------------------------------------------------
# The whole capability from files alone: a department's new service, in a folder of its own,
# routed by its data, consulting an office and deemed decided by a timer
# ------------------------------------------------------------------------------
FROM_FILES = """
code: single_decision
name: {en: Renewal with a tehsil report, hi: तहसील रिपोर्ट सहित नवीनीकरण}
initial: verification
states:
  verification:
    label: {en: Awaiting the tehsil's report, hi: तहसील की रिपोर्ट की प्रतीक्षा}
    role: deputy_commissioner
    sla_days: 10
    consult:
      - code: tehsil_report
        label: {en: Report of the tehsildar, hi: तहसीलदार की रिपोर्ट}
        role: tehsildar
        days: 5
  pending:
    label: {en: With the Deputy Commissioner, hi: उपायुक्त के पास}
    role: deputy_commissioner
    sla_days: 10
  renewed:
    label: {en: Renewed, hi: नवीनीकृत}
    terminal: true
    outcome: approved
    sms_on_enter: [decided]
  refused:
    label: {en: Refused, hi: अस्वीकृत}
    terminal: true
    outcome: rejected
    sms_on_enter: [decided]
transitions:
  - action: renew_small_quota
    label: {en: Renewed for a small quota, hi: कम कोटे के लिए नवीनीकृत}
    from: verification
    to: renewed
    auto: true
    if: "data.cartridges <= 25"
  - action: reported
    label: {en: The tehsil has no objection, hi: तहसील को आपत्ति नहीं}
    from: verification
    to: pending
    auto: true
    if: "consultations.open == 0 && consultations.tehsil_report != 'objection'"
  - action: refused_on_report
    label: {en: Refused on the tehsil's report, hi: तहसील की रिपोर्ट पर अस्वीकृत}
    from: verification
    to: refused
    auto: true
    if: "consultations.objections > 0"
  - action: renew
    label: {en: Renew, hi: नवीनीकरण करें}
    from: pending
    to: renewed
    roles: [deputy_commissioner]
  - action: deemed_renewed
    label: {en: Renewed (no decision in time), hi: नवीनीकृत (समय पर निर्णय नहीं)}
    from: pending
    to: renewed
    after_days: 3
  - action: refuse
    label: {en: Refuse, hi: अस्वीकार करें}
    from: [verification, pending]
    to: refused
    roles: [deputy_commissioner]
    remarks: required
"""


@pytest.mark.django_db
def test_a_new_service_from_files_routes_consults_and_times_out_with_no_code(root, api):  # noqa: F811
    (root / "workflows_yaml/single_decision.yaml").write_text(FROM_FILES)
    (root / "form_schemas/revenue/arms_licence_renewal.json").write_text(
        json.dumps(ROUTED_FORM, ensure_ascii=False)
    )
    assert load_definitions(root)[1] == []
    assert definitions_sync(root=root).created == ["arms-licence-renewal v1"]

    def file(cartridges: int, hour: int) -> Application:
        with time_machine.travel(ist(2026, 12, 23, hour), tick=False):  # a Wednesday
            response = api("citizen").post(
                "/api/v1/applications/",
                {
                    "service": "arms-licence-renewal",
                    "data": {**ROUTED_FORM["examples"][0], "cartridges": cartridges},
                },
                format="json",
            )
        assert response.status_code == 201, response.json()
        return Application.objects.get(reference=response.json()["reference"])

    # Routed by its data at submission: a small quota is renewed with nobody's click.
    small = file(10, 10)
    assert (small.state, small.outcome) == ("renewed", "approved")
    assert list(small.consultations.values_list("answer", flat=True)) == ["withdrawn"]

    # A larger one waits for the tehsildar's report, asked of the tehsil over the place.
    large = file(40, 11)
    assert large.state == "verification"
    tehsildar = officer_for(large, "tehsildar")
    waiting = api(tehsildar).get("/api/v1/consultations/").json()["results"]
    assert [w["reference"] for w in waiting] == [large.reference]
    assert api("tehsildar.ambala").get("/api/v1/consultations/").json()["results"] == []
    with time_machine.travel(ist(2026, 12, 24, 11), tick=False):
        answered = api(tehsildar).post(
            f"/api/v1/applications/{large.reference}/consultations/tehsil_report/",
            {"answer": "no_objection"},
            format="json",
        )
    assert answered.status_code == 200, answered.json()
    large.refresh_from_db()
    assert large.state == "pending"
    # Three working days from 24 December: (25 a holiday) 28, 29, 30; the timer fires after.
    assert timezone.localdate(large.timer_due_at) == dt.date(2026, 12, 30)
    assert applications_fire_timers(at=ist(2026, 12, 31, 0, 30)) == 1
    large.refresh_from_db()
    assert (large.state, large.outcome) == ("renewed", "approved")
    assert list(large.events.order_by("sequence").values_list("action", "actor_role")) == [
        ("submit", "citizen"),
        ("consult", "system"),
        ("answer_consultation", "tehsildar"),
        ("reported", "system"),
        ("deemed_renewed", "system"),
    ]


@pytest.mark.django_db
def test_a_holiday_declared_later_moves_an_open_consultations_deadline(api, christmas):
    application = _filed(api)
    fire = application.consultations.get(code="fire_safety")
    before = timezone.localdate(fire.due_at)
    Holiday.objects.create(
        date=dt.date(2026, 12, 28), district=None, name_en="A new holiday", name_hi="नई छुट्टी"
    )
    assert applications_recompute_deadlines(district=None) >= 1
    fire.refresh_from_db()
    assert timezone.localdate(fire.due_at) == before + dt.timedelta(days=1)


@pytest.mark.django_db
def test_the_citizen_sees_whom_the_file_was_sent_to_and_each_answer(api, christmas):
    application = _filed(api)
    _answer(api, "pollution.ambala", application, "pollution", "conditions", "Fit a wet scrubber.")
    client = Client()
    sign_in(client)
    page = client.get(f"/my/{application.reference}/").content.decode()
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))
    assert "Opinions asked for: Fire safety NOC, Consent to establish (pollution)" in text
    assert "Consent to establish (pollution): no objection, on conditions" in text
    assert "Fit a wet scrubber." in text


@pytest.mark.django_db
def test_the_factory_is_deemed_registered_once_when_the_manager_does_not_decide(api, christmas):
    application = _filed(api)
    _answer(api, "fire.ambala", application, "fire_safety", "no_objection")
    _answer(api, "pollution.ambala", application, "pollution", "no_objection")
    application.refresh_from_db()
    assert application.state == "gm_approval"
    # Seven working days from 21 December, Christmas and the weekends skipped.
    due = expected_due_date(
        start=MONDAY, days=7, working_days_only=True, holidays=holidays_for(application)
    )
    assert timezone.localdate(application.timer_due_at) == due
    assert applications_fire_timers(at=at(due, 22)) == 0
    assert applications_fire_timers(at=at(due + dt.timedelta(days=1), 1)) == 1
    assert applications_fire_timers(at=at(due + dt.timedelta(days=1), 2)) == 0
    application.refresh_from_db()
    assert (application.state, application.outcome) == ("registered", "approved")
    last = application.events.order_by("-sequence").first()
    assert (last.action, last.actor_role) == ("deemed_approval", "system")
    # The registration certificate is signed in the platform's name and its SMS goes with it,
    # once, however often the sweep runs.
    assert not OutboxMessage.objects.filter(application=application, event="approved").exists()
    assert documents_issue_pending(older_than_seconds=0) == 1
    assert documents_issue_pending(older_than_seconds=0) == 0
    certificate = application.issued_documents.get(code="registration_certificate")
    assert certificate.status == "issued" and certificate.signed_by is None
    assert OutboxMessage.objects.filter(application=application, event="approved").count() == 1
