"""Routing by data from files alone: an automatic action (`auto` with an `if` over the form's
answers) is taken by the platform as soon as its condition holds, at submission or after an
officer's step; the checker refuses automatic actions a person would have to take, without a
condition, in a loop, or reading a field the service's form does not have."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
import time_machine
import yaml
from django.utils import timezone

from seva.applications.models import Application
from seva.applications.services import applications_fire_timers
from seva.definitions.lint import load_definitions
from seva.definitions.services import definitions_sync
from seva.notifications.models import OutboxMessage
from seva.org.models import Jurisdiction, Posting
from seva.workflows.lint import lint_workflow
from tests.helpers import ist

from .test_new_service_from_files import FORM, SERVICE, WORKFLOW, root  # noqa: F401 (fixture)

CODE = "arms-licence-renewal"
ROUTED_FORM = copy.deepcopy(FORM)
ROUTED_FORM["properties"]["cartridges"] = {
    "type": "integer",
    "minimum": 1,
    "maximum": 500,
    "x-label": {"en": "Cartridges a year", "hi": "प्रति वर्ष कारतूस"},
}
ROUTED_FORM["required"].append("cartridges")
ROUTED_FORM["examples"][0]["cartridges"] = 40
FAST_RENEWAL = """
  - action: renew_small_quota
    label: {en: Renewed for a small quota, hi: कम कोटे के लिए नवीनीकृत}
    from: pending
    to: renewed
    auto: true
    if: "data.cartridges <= 25"
"""


@pytest.fixture
def routed(root):  # noqa: F811 (the fixture imported above)
    (root / "workflows_yaml/single_decision.yaml").write_text(WORKFLOW + FAST_RENEWAL)
    (root / "form_schemas/revenue/arms_licence_renewal.json").write_text(
        json.dumps(ROUTED_FORM, ensure_ascii=False)
    )
    return root


def _submit(api, cartridges: int) -> Application:
    response = api("citizen").post(
        "/api/v1/applications/",
        {"service": CODE, "data": {**ROUTED_FORM["examples"][0], "cartridges": cartridges}},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return Application.objects.get(reference=response.json()["reference"])


@pytest.mark.django_db
def test_a_file_is_routed_by_its_data_at_submission_with_no_officer(routed, api):
    assert load_definitions(routed)[1] == []
    assert definitions_sync(root=routed).created == [f"{CODE} v1"]

    small = _submit(api, 10)
    assert (small.state, small.outcome) == ("renewed", "approved")
    steps = list(small.events.order_by("sequence").values_list("action", "actor_role"))
    assert steps == [("submit", "citizen"), ("renew_small_quota", "system")]
    assert OutboxMessage.objects.filter(application=small, event="decided").count() == 1

    large = _submit(api, 40)
    assert large.state == "pending" and not large.is_closed
    actions = api("dc.ambala").get(f"/api/v1/applications/{large.reference}/actions/").json()
    assert {a["action"] for a in actions["actions"]} == {"renew", "refuse"}
    taken = api("dc.ambala").post(
        f"/api/v1/applications/{large.reference}/actions/",
        {"action": "renew_small_quota"},
        format="json",
    )
    assert taken.status_code == 403  # nobody takes an automatic action by hand


def _problems(workflow_text: str) -> list[tuple[str, str]]:
    return lint_workflow(yaml.safe_load(workflow_text), roles=None, languages=["en", "hi"])


@pytest.mark.parametrize(
    ("change", "pointer", "says"),
    [
        (
            lambda t: t.replace(
                "    auto: true\n", "    auto: true\n    roles: [deputy_commissioner]\n"
            ),
            "/transitions/2/roles",
            "is automatic (auto): the platform takes it, so it has no roles",
        ),
        (
            lambda t: t.replace('    if: "data.cartridges <= 25"\n', ""),
            "/transitions/2",
            "needs an if",
        ),
        (
            lambda t: t.replace("    auto: true\n", ""),
            "/transitions/2",
            "needs roles (who may take it), or auto: true",
        ),
        (
            lambda t: t.replace("    to: renewed\n    auto", "    to: pending\n    auto"),
            "/transitions/2",
            "automatic actions would loop (pending -> pending)",
        ),
    ],
)
def test_the_checker_refuses_an_automatic_action_that_cannot_work(change, pointer, says):
    problems = _problems(change(WORKFLOW + FAST_RENEWAL))
    assert any(p == pointer and says in m for p, m in problems), problems


@pytest.mark.django_db
def test_a_condition_reading_a_field_the_form_lacks_is_refused_naming_the_service(root):  # noqa: F811
    (root / "workflows_yaml/single_decision.yaml").write_text(WORKFLOW + FAST_RENEWAL)
    problems = load_definitions(root)[1]
    found = [p for p in problems if p.pointer == "/transitions/2/if"]
    assert found and found[0].file == "workflows_yaml/single_decision.yaml", problems
    assert "unknown name or function 'data.cartridges'" in found[0].message
    assert "service_definitions/revenue/arms-licence-renewal.yaml" in found[0].message


DEEMED = """
  - action: deemed_renewed
    label: {en: Renewed (no decision in time), hi: नवीनीकृत (समय पर निर्णय नहीं)}
    from: pending
    to: renewed
    after_days: 3
"""


@pytest.mark.django_db
def test_a_timer_moves_a_file_once_after_its_days_counted_across_a_holiday(root, api):  # noqa: F811
    (root / "workflows_yaml/single_decision.yaml").write_text(WORKFLOW + DEEMED)
    assert load_definitions(root)[1] == []
    definitions_sync(root=root)
    with time_machine.travel(ist(2026, 12, 23, 10, 0)):  # a Wednesday; 25 December a holiday
        response = api("citizen").post(
            "/api/v1/applications/",
            {"service": CODE, "data": FORM["examples"][0]},
            format="json",
        )
        assert response.status_code == 201, response.json()
    application = Application.objects.get(reference=response.json()["reference"])
    # Three working days after the day of receipt: 24, (25 a holiday), 28, 29 December.
    assert timezone.localdate(application.timer_due_at) == dt.date(2026, 12, 29)
    actions = api("dc.ambala").get(f"/api/v1/applications/{application.reference}/actions/")
    assert "deemed_renewed" not in {a["action"] for a in actions.json()["actions"]}

    assert applications_fire_timers(at=ist(2026, 12, 29, 23, 0)) == 0
    application.refresh_from_db()
    assert application.state == "pending"

    assert applications_fire_timers(at=ist(2026, 12, 30, 0, 30)) == 1
    assert applications_fire_timers(at=ist(2026, 12, 30, 0, 45)) == 0  # never twice
    application.refresh_from_db()
    assert (application.state, application.outcome) == ("renewed", "approved")
    assert application.timer_due_at is None
    last = application.events.order_by("-sequence").first()
    assert (last.action, last.actor_role, last.actor_id) == ("deemed_renewed", "system", None)
    assert "taken by the timer" in last.remarks
    assert OutboxMessage.objects.filter(application=application, event="decided").count() == 1


@pytest.mark.django_db
def test_an_officer_acting_first_stops_the_timer(root, api):  # noqa: F811
    (root / "workflows_yaml/single_decision.yaml").write_text(WORKFLOW + DEEMED)
    definitions_sync(root=root)
    with time_machine.travel(ist(2026, 12, 23, 10, 0)):
        reference = (
            api("citizen")
            .post(
                "/api/v1/applications/",
                {"service": CODE, "data": FORM["examples"][0]},
                format="json",
            )
            .json()["reference"]
        )
        refused = api("dc.ambala").post(
            f"/api/v1/applications/{reference}/actions/",
            {"action": "refuse", "remarks": "Licence suspended."},
            format="json",
        )
        assert refused.status_code == 200, refused.json()
    assert applications_fire_timers(at=ist(2027, 1, 30)) == 0
    assert Application.objects.get(reference=reference).outcome == "rejected"


@pytest.mark.parametrize(
    ("change", "pointer", "says"),
    [
        (
            lambda t: t.replace(
                "    after_days: 3\n", "    after_days: 3\n    roles: [deputy_commissioner]\n"
            ),
            "/transitions/2/roles",
            "is a timer (after_days): the platform takes it, so it has no roles",
        ),
        (
            lambda t: t + DEEMED.replace("deemed_renewed", "deemed_again"),
            "/transitions/3/after_days",
            "state 'pending' already has a timer",
        ),
        (
            lambda t: t.replace(
                "    from: pending\n    to: renewed\n    after_days",
                "    from: renewed\n    to: pending\n    after_days",
            ),
            "/transitions/2/from",
            "leaves terminal state 'renewed'",
        ),
    ],
)
def test_the_checker_refuses_a_timer_that_cannot_work(change, pointer, says):
    problems = _problems(change(WORKFLOW + DEEMED))
    assert any(p == pointer and says in m for p, m in problems), problems


# ------------------------------------------------------------------------------
# Variants: another RTS period for the applications a condition holds on
# ------------------------------------------------------------------------------
RENEWAL_VARIANT = """  variants:
    - if: 'data.licence_number.startsWith("AM/")'
      days: 3
"""


def _with_variant(root, variant: str = RENEWAL_VARIANT) -> None:  # noqa: F811
    service = root / "service_definitions/revenue/arms-licence-renewal.yaml"
    service.write_text(
        SERVICE.replace(
            "  second_appellate_authority: deputy_commissioner\n",
            "  second_appellate_authority: deputy_commissioner\n" + variant,
        )
    )


@pytest.mark.django_db
def test_an_rts_variant_gives_the_applications_it_holds_on_their_own_period(root, api):  # noqa: F811
    _with_variant(root)
    assert load_definitions(root)[1] == []
    definitions_sync(root=root)
    with time_machine.travel(ist(2026, 12, 23, 10, 0)):
        short = (
            api("citizen")
            .post(
                "/api/v1/applications/",
                {"service": CODE, "data": FORM["examples"][0]},  # AM/20417
                format="json",
            )
            .json()
        )
        usual = (
            api("citizen")
            .post(
                "/api/v1/applications/",
                {"service": CODE, "data": {**FORM["examples"][0], "licence_number": "PB/20417"}},
                format="json",
            )
            .json()
        )
        clock = api("citizen").get(f"/api/v1/applications/{short['reference']}/").json()
    short_due = timezone.localdate(Application.objects.get(reference=short["reference"]).rts_due_at)
    usual_due = timezone.localdate(Application.objects.get(reference=usual["reference"]).rts_due_at)
    # 3 working days after 23 December (25 a holiday, 26-27 a weekend); 10 for the others.
    assert short_due == dt.date(2026, 12, 29)
    assert usual_due == dt.date(2027, 1, 7)
    assert clock["clock"]["days_allowed"] == 3


def test_an_rts_variant_that_cannot_work_is_refused_with_its_place(root):  # noqa: F811
    _with_variant(root, RENEWAL_VARIANT.replace("data.licence_number", "data.licence_no"))
    problems = load_definitions(root)[1]
    found = [p for p in problems if p.pointer == "/rts/variants/0/if"]
    assert found and "unknown name or function 'data.licence_no'" in found[0].message, problems


# ------------------------------------------------------------------------------
# A stage's deadline by the data: sla_variants
# ------------------------------------------------------------------------------
STAGE_VARIANT = """    sla_days: 10
    sla_variants:
      - if: 'data.licence_number.startsWith("AM/")'
        days: 2
"""


@pytest.mark.django_db
def test_a_stage_variant_gives_the_files_it_holds_on_their_own_stage_deadline(root, api):  # noqa: F811
    (root / "workflows_yaml/single_decision.yaml").write_text(
        WORKFLOW.replace("    sla_days: 10\n", STAGE_VARIANT, 1)
    )
    assert load_definitions(root)[1] == []
    definitions_sync(root=root)
    with time_machine.travel(ist(2026, 12, 23, 10, 0)):  # a Wednesday; 25 December a holiday
        references = [
            api("citizen")
            .post(
                "/api/v1/applications/",
                {"service": CODE, "data": {**FORM["examples"][0], "licence_number": number}},
                format="json",
            )
            .json()["reference"]
            for number in ("AM/20417", "PB/20417")
        ]
    short, usual = (Application.objects.get(reference=r) for r in references)
    # 2 working days after 23 December: 24, (25 a holiday, 26-27 a weekend) 28; 10 for others.
    assert timezone.localdate(short.stage_due_at) == dt.date(2026, 12, 28)
    assert timezone.localdate(usual.stage_due_at) == dt.date(2027, 1, 7)


@pytest.mark.django_db
def test_a_stage_variant_that_cannot_work_is_refused_with_its_place(root):  # noqa: F811
    (root / "workflows_yaml/single_decision.yaml").write_text(
        WORKFLOW.replace("    sla_days: 10\n", STAGE_VARIANT.replace("number.", "no."), 1)
    )
    problems = load_definitions(root)[1]
    found = [p for p in problems if p.pointer == "/states/pending/sla_variants/0/if"]
    assert found and "unknown name or function 'data.licence_no'" in found[0].message, problems
    assert found[0].file == "workflows_yaml/single_decision.yaml"
    without_days = _problems(
        WORKFLOW.replace("    sla_days: 10\n", STAGE_VARIANT.split("\n", 1)[1], 1)
    )
    assert (
        "/states/pending/sla_variants",
        "state 'pending' has sla_variants but no sla_days: give the stage deadline for the files no variant holds on",
    ) in without_days


# ------------------------------------------------------------------------------
# Names besides the form's: an officer's inputs, the application's facts
# ------------------------------------------------------------------------------
BY_INPUTS = """
code: single_decision
name: {en: One decision after a check, hi: जाँच के बाद एक निर्णय}
initial: pending
states:
  pending:
    label: {en: With the Deputy Commissioner, hi: उपायुक्त के पास}
    role: deputy_commissioner
    sla_days: 10
  checked:
    label: {en: Checked, hi: जाँचा गया}
    role: deputy_commissioner
    sla_days: 5
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
  - action: verify
    label: {en: Record the check, hi: जाँच दर्ज करें}
    from: pending
    to: checked
    roles: [deputy_commissioner]
    input_schema:
      type: object
      additionalProperties: false
      required: [cartridges_held, licence_until]
      properties:
        cartridges_held:
          type: integer
          minimum: 0
          x-label: {en: Cartridges found, hi: पाए गए कारतूस}
        licence_until:
          type: string
          format: date
          x-label: {en: Renewed until, hi: कब तक नवीनीकृत}
      examples:
        - {cartridges_held: 10, licence_until: "2029-12-31"}
  - action: over_quota
    label: {en: Refused (more cartridges than allowed), hi: अस्वीकृत (अनुमति से अधिक कारतूस)}
    from: checked
    to: refused
    auto: true
    if: "inputs.verify.cartridges_held > data.cartridges"
  - action: helpline_renewal
    label: {en: Renewed (filed through the helpline), hi: नवीनीकृत (हेल्पलाइन से)}
    from: checked
    to: renewed
    auto: true
    if: "application.channel == 'helpline' && inputs.verify.cartridges_held <= data.cartridges"
  - action: renew
    label: {en: Renew, hi: नवीनीकरण करें}
    from: checked
    to: renewed
    roles: [deputy_commissioner]
  - action: refuse
    label: {en: Refuse, hi: अस्वीकार करें}
    from: [pending, checked]
    to: refused
    roles: [deputy_commissioner]
    remarks: required
"""


@pytest.fixture
def by_inputs(routed):
    (routed / "workflows_yaml/single_decision.yaml").write_text(BY_INPUTS)
    service = routed / "service_definitions/revenue/arms-licence-renewal.yaml"
    service.write_text(
        service.read_text()
        .replace(
            "Application {#var#} is decided.", "Application {#var#} is decided, valid {#var#}."
        )
        .replace("आवेदन {#var#} पर निर्णय हो गया है।", "आवेदन {#var#} पर निर्णय हो गया है, {#var#} तक।")
        .replace("variables: [reference]", "variables: [reference, inputs.verify.licence_until]")
    )
    return routed


@pytest.mark.django_db
def test_an_officers_inputs_and_the_application_facts_route_the_file_and_fill_the_sms(
    by_inputs, api
):
    assert load_definitions(by_inputs)[1] == []
    definitions_sync(root=by_inputs)

    def verified(cartridges_held: int) -> Application:
        application = _submit(api, 40)
        response = api("dc.ambala").post(
            f"/api/v1/applications/{application.reference}/actions/",
            {
                "action": "verify",
                "data": {"cartridges_held": cartridges_held, "licence_until": "2029-12-31"},
            },
            format="json",
        )
        assert response.status_code == 200, response.json()
        application.refresh_from_db()
        return application

    # Found with more than the quota: refused by the platform, on the officer's input.
    over = verified(55)
    assert (over.state, over.events.order_by("-sequence").first().action) == (
        "refused",
        "over_quota",
    )
    sms = OutboxMessage.objects.get(application=over, event="decided")
    assert "valid 2029-12-31" in sms.body
    # Within it, filed online: the Deputy Commissioner decides (the helpline's are automatic).
    within = verified(30)
    assert within.state == "checked"
    actions = api("dc.ambala").get(f"/api/v1/applications/{within.reference}/actions/").json()
    assert {a["action"] for a in actions["actions"]} == {"renew", "refuse"}


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (
            lambda t: t.replace("inputs.verify.cartridges_held >", "inputs.verify.cartridges >"),
            "unknown name or function 'inputs.verify.cartridges'",
        ),
        (
            lambda t: t.replace("application.channel == 'helpline'", "application.channel == 3"),
            "no matching overload",
        ),
    ],
)
@pytest.mark.django_db
def test_a_condition_on_inputs_or_facts_that_cannot_work_is_refused(by_inputs, change, says):
    path = by_inputs / "workflows_yaml/single_decision.yaml"
    path.write_text(change(BY_INPUTS))
    problems = [p for p in load_definitions(by_inputs)[1] if p.pointer.endswith("/if")]
    assert any(says in p.message for p in problems), problems


@pytest.mark.django_db
def test_an_sms_value_from_an_officers_free_text_input_is_refused_as_too_long(by_inputs):
    path = by_inputs / "workflows_yaml/single_decision.yaml"
    path.write_text(BY_INPUTS.replace("          format: date\n", "          maxLength: 200\n"))
    problems = load_definitions(by_inputs)[1]
    found = [p for p in problems if p.pointer == "/sms/decided/en/variables/1"]
    assert found and "can be longer than 30 characters" in found[0].message, problems


# ------------------------------------------------------------------------------
# Where a state is held: another place than the applicant's (place_from), at a level of
# office (held_at)
# ------------------------------------------------------------------------------
HELD_ELSEWHERE = WORKFLOW.replace(
    "    role: deputy_commissioner\n    sla_days: 10\n",
    "    role: deputy_commissioner\n    sla_days: 10\n    place_from: range_tehsil\n"
    "    held_at: district\n",
    1,
)


@pytest.fixture
def held_elsewhere(root):  # noqa: F811
    form = copy.deepcopy(FORM)
    form["properties"]["range_tehsil"] = {
        "type": "string",
        "format": "jurisdiction",
        "x-widget": "jurisdiction",
        "x-jurisdiction-level": "tehsil",
        "x-label": {"en": "Tehsil of the firing range", "hi": "फायरिंग रेंज की तहसील"},
    }
    form["required"].append("range_tehsil")
    form["examples"][0]["range_tehsil"] = "HR-HSR-HSR-HSR"
    (root / "form_schemas/revenue/arms_licence_renewal.json").write_text(
        json.dumps(form, ensure_ascii=False)
    )
    (root / "workflows_yaml/single_decision.yaml").write_text(HELD_ELSEWHERE)
    return root


@pytest.mark.django_db
def test_a_state_is_held_where_its_place_field_says_not_where_the_applicant_lives(
    held_elsewhere, api
):
    assert load_definitions(held_elsewhere)[1] == []
    definitions_sync(root=held_elsewhere)
    response = api("citizen").post(
        "/api/v1/applications/",
        {"service": CODE, "data": {**FORM["examples"][0], "range_tehsil": "HR-HSR-HSR-HSR"}},
        format="json",
    )
    assert response.status_code == 201, response.json()
    application = Application.objects.get(reference=response.json()["reference"])
    assert application.place_path.startswith("/HR/HR-DIV-AMB/HR-AMB/")  # lives in Ambala
    hisar = Jurisdiction.objects.get(code="HR-HSR")
    assert application.held_at_path == hisar.path  # held at the range's district office
    hisar_dc = (
        Posting.objects.filter(role__code="deputy_commissioner", jurisdiction=hisar)
        .select_related("user")
        .first()
        .user.username
    )
    queue = api(hisar_dc).get("/api/v1/queue/").json()["results"]
    assert application.reference in [row["reference"] for row in queue]
    assert application.reference not in [
        row["reference"] for row in api("dc.ambala").get("/api/v1/queue/").json()["results"]
    ]
    # The applicant's own district reads the file, but does not hold it.
    ambala = api("dc.ambala").get(f"/api/v1/applications/{application.reference}/actions/")
    assert ambala.status_code == 200 and ambala.json()["actions"] == []
    renewed = api(hisar_dc).post(
        f"/api/v1/applications/{application.reference}/actions/",
        {"action": "renew"},
        format="json",
    )
    assert renewed.status_code == 200, renewed.json()


@pytest.mark.django_db
def test_a_place_field_the_form_lacks_is_refused_naming_the_service(held_elsewhere):
    (held_elsewhere / "workflows_yaml/single_decision.yaml").write_text(
        HELD_ELSEWHERE.replace("place_from: range_tehsil", "place_from: licence_number")
    )
    problems = [p for p in load_definitions(held_elsewhere)[1] if p.pointer.endswith("place_from")]
    assert problems and problems[0].file == "workflows_yaml/single_decision.yaml", problems
    assert "'licence_number' is not a place field" in problems[0].message
    assert "arms-licence-renewal.yaml" in problems[0].message
