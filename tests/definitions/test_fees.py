"""Fees paid through Seva in the definitions: a service's `fees` and the treasury's heads of
account (service_definitions/_org/budget_heads.yaml). Each mistake a department admin can
make is refused by check_definitions in the right file, at the right place, in words that say
what to do; the spec carries what the files say, amounts in whole paise; an amount written
as an expression is worked out on the answers and the officers' inputs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.conf import settings

from seva.definitions.fees import HEADS_WHERE, budget_heads
from seva.definitions.lint import load_definitions
from seva.definitions.models import Service
from seva.definitions.selectors import FeeUnknown, fee_amount_paise
from seva.definitions.spec import FeeSpec, RefundRule, compile_service

from .test_check_definitions import REPO, DefinitionsRoot, expect, listing

SERVICE = f"{settings.SEVA_SERVICE_DIR}/public_health/water-connection.yaml"
FORM = f"{settings.SEVA_FORM_DIR}/public_health/water_connection.json"
WORKFLOW = f"{settings.SEVA_WORKFLOW_DIR}/water_connection.yaml"
MARRIAGE = f"{settings.SEVA_SERVICE_DIR}/revenue/marriage-registration.yaml"
HEADS = f"{settings.SEVA_SERVICE_DIR}/_org/budget_heads.yaml"
ORG = f"{settings.SEVA_SERVICE_DIR}/_org"


@pytest.fixture
def root(tmp_path: Path) -> DefinitionsRoot:
    """The water connection's three files (a fee demanded mid-way) beside the state's org."""
    shutil.copytree(REPO / ORG, tmp_path / ORG)
    for rel in (SERVICE, FORM, WORKFLOW):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, tmp_path / rel)
    return DefinitionsRoot(tmp_path)


def _fee(root: DefinitionsRoot, **changes) -> None:
    def change(doc):
        doc["fees"][0].update(changes)
        for key, value in changes.items():
            if value is None:
                del doc["fees"][0][key]

    root.edit(SERVICE, change)


# ------------------------------------------------------------------------------
# The samples, and what the spec makes of them
# ------------------------------------------------------------------------------
def test_the_samples_with_fees_are_clean(root):
    assert root.problems() == [], listing(root.problems())
    dset, problems = load_definitions()
    assert problems == [], listing(problems)
    assert {"water-connection", "marriage-registration"} <= {
        code for code, source in dset.services.items() if source.data.get("fees")
    }


def test_the_spec_carries_each_fee_with_its_amount_in_paise(root):
    water = compile_service(root.load(SERVICE))
    (charges,) = water.fees
    assert isinstance(charges, FeeSpec)
    assert (charges.code, charges.due, charges.head) == (
        "connection_charges",
        "awaiting_fee",
        "0215-01-102-01",
    )
    assert charges.amount_paise is None and "inputs.issue_demand_note.pipe_size" in (
        charges.expression or ""
    )
    assert charges.refund == RefundRule(rejected=None, withdrawn_within_days=7)
    assert water.fee is None and water.fees_due_in("awaiting_fee") == (charges,)
    assert water.fee_spec("connection_charges") is charges and water.fee_spec("other") is None

    fixed = compile_service(
        {**root.load(SERVICE), "fees": [{**root.load(SERVICE)["fees"][0], "amount": 1250.5}]}
    )
    assert (fixed.fees[0].amount_paise, fixed.fees[0].expression) == (125050, None)
    marriage = compile_service(root.load(SERVICE) | {"fees": ()})
    assert marriage.fees == () and marriage.fees_due_in("awaiting_fee") == ()


def test_the_marriage_fee_is_due_with_the_application_and_refunded_if_refused_unprocessed():
    dset, _problems = load_definitions()
    (fee,) = compile_service(dset.services["marriage-registration"].data).fees
    assert (fee.due, fee.expression, fee.head) == (
        "payment",
        "data.registration_fee",
        "0030-03-104-01",
    )
    assert fee.refund == RefundRule(rejected="before_processing", withdrawn_within_days=None)
    workflow = dset.workflows["marriage_registration"].data
    assert workflow["initial"] == "payment" and workflow["states"]["payment"]["with_citizen"]


def test_the_budget_heads_are_read_once_with_their_departments():
    heads = budget_heads()
    assert heads["0215-01-102-01"].department == "public_health"
    assert heads["0070-60-800-01"].department is None  # any department's
    assert set(heads["0030-03-104-01"].name) == set(settings.SEVA_LANGUAGES)


# ------------------------------------------------------------------------------
# What check_definitions refuses in a service's fees
# ------------------------------------------------------------------------------
def test_a_fee_due_in_a_state_the_workflow_lacks_is_refused(root):
    _fee(root, due="awaiting_payment")
    problem = expect(
        root.problems(),
        SERVICE,
        "/fees/0/due",
        "state 'awaiting_payment' is not a state of workflow 'water_connection'",
        "its states are",
    )
    assert problem.line == root.line(SERVICE, r"^fees:", r"^\s*due:")


def test_a_fee_due_in_a_terminal_state_is_refused(root):
    _fee(root, due="connected")
    expect(root.problems(), SERVICE, "/fees/0/due", "state 'connected' is terminal")


def test_a_fee_due_where_no_automatic_action_waits_for_it_is_refused(root):
    _fee(root, due="sanction")
    problems = root.problems()
    expect(
        problems,
        SERVICE,
        "/fees/0/due",
        "no automatic action leaves 'sanction' once it is",
        'if: "fees.unpaid == 0"',
    )
    # And the workflow's own wait for the fees of a state where this service has none.
    index = next(
        i for i, t in enumerate(root.load(WORKFLOW)["transitions"]) if t["action"] == "fee_paid"
    )
    expect(
        problems,
        WORKFLOW,
        f"/transitions/{index}/if",
        "waits for the fees of state 'awaiting_fee'",
        "service water-connection has no fee due there",
    )


@pytest.mark.parametrize(
    ("amount", "says"),
    [
        (
            "inputs.issue_demand_note.diameter * 2",
            "does not compile against the form and the officers' inputs: at character 25: "
            "unknown name or function 'inputs.issue_demand_note.diameter'",
        ),
        ("inputs.issue_demand_note.pipe_size", "gives a string, not a number of rupees"),
        ("data.has_sewer_connection", "gives a bool, not a number of rupees"),
        ("fees.unpaid * 100", "reads fees.*: an amount reads the answers and inputs only"),
        ("consultations.open * 10", "unknown name or function 'consultations.open'"),
    ],
)
def test_an_amount_that_cannot_give_rupees_is_refused_at_its_place(root, amount, says):
    _fee(root, amount=amount)
    problem = expect(root.problems(), SERVICE, "/fees/0/amount", says)
    assert problem.line == root.line(SERVICE, r"^fees:", r"^\s*amount:")


def test_an_amount_may_read_the_answers_the_facts_and_the_inputs(root):
    _fee(
        root,
        amount='application.channel == "online" ? 10.50 * double(data.floors) '
        ": double(inputs.submit_inspection_report.distance_from_main_m)",
    )
    assert root.problems() == [], listing(root.problems())


@pytest.mark.parametrize(
    ("amount", "says"),
    [
        (12.505, "12.505 rupees has more than two decimals: write rupees and paise"),
        (-5, "less than the minimum of 0"),
        (True, "should be rupees (a number, at most two decimals), or an expression"),
    ],
)
def test_a_fixed_amount_must_be_rupees_and_paise(root, amount, says):
    _fee(root, amount=amount)
    expect(root.problems(), SERVICE, "/fees/0/amount", says)


def test_a_fixed_amount_in_rupees_and_paise_is_accepted(root):
    _fee(root, amount=1250.5)
    assert root.problems() == [], listing(root.problems())


def test_a_head_that_is_not_in_the_budget_heads_is_refused(root):
    _fee(root, head="0215-01-999-01")
    problem = expect(
        root.problems(),
        SERVICE,
        "/fees/0/head",
        f"head '0215-01-999-01' is not in {HEADS_WHERE}",
        "the heads public_health may use are 0215-01-102-01",
        "0070-60-800-01",
    )
    assert "0030-03-104-01" not in problem.message  # another department's


def test_a_head_of_another_department_is_refused(root):
    _fee(root, head="0030-03-104-01")
    expect(
        root.problems(),
        SERVICE,
        "/fees/0/head",
        "head '0030-03-104-01' takes the fees of department 'revenue' only",
    )


def test_a_head_any_department_may_use_is_accepted(root):
    _fee(root, head="0070-60-800-01")
    assert root.problems() == [], listing(root.problems())


def test_a_service_may_not_have_both_fee_and_fees(root):
    root.edit(SERVICE, lambda doc: doc.update(fee={"amount": 500}))
    expect(root.problems(), SERVICE, "/fee", "either fee", "or fees", "not both")


def test_a_fee_code_given_twice_is_refused(root):
    root.edit(SERVICE, lambda doc: doc["fees"].append(dict(doc["fees"][0])))
    expect(root.problems(), SERVICE, "/fees/1/code", "fee 'connection_charges' is given twice")


def test_the_count_s_name_is_not_a_fee_code(root):
    _fee(root, code="unpaid")
    problems = root.problems()
    expect(problems, SERVICE, "/fees/0/code", "'unpaid' is the name of a count (fees.unpaid)")


@pytest.mark.parametrize(
    ("refund", "pointer", "says"),
    [
        ({"rejected": "sometimes"}, "/fees/0/refund/rejected", "use one of: before_processing"),
        ({"rejectd": "always"}, "/fees/0/refund/rejectd", "did you mean 'rejected'?"),
        ({"withdrawn_within_days": 0}, "/fees/0/refund/withdrawn_within_days", "minimum of 1"),
        ({}, "/fees/0/refund", "should be non-empty"),
    ],
)
def test_a_refund_rule_that_is_not_one_is_refused(root, refund, pointer, says):
    _fee(root, refund=refund)
    expect(root.problems(), SERVICE, pointer, says)


def test_a_refund_on_an_outcome_the_workflow_never_reaches_is_refused(root):
    _fee(root, refund={"rejected": "always", "withdrawn_within_days": 7})
    root.edit(WORKFLOW, lambda doc: doc["states"]["rejected"].update(outcome="closed"))
    expect(
        root.problems(),
        SERVICE,
        "/fees/0/refund/rejected",
        "workflow 'water_connection' never rejects a file",
    )


# ------------------------------------------------------------------------------
# The heads of account file
# ------------------------------------------------------------------------------
def test_a_head_defined_twice_is_refused_in_the_heads_file(root):
    root.edit(HEADS, lambda doc: doc["heads"].append(dict(doc["heads"][0])))
    problems = root.problems()
    last = len(root.load(HEADS)["heads"]) - 1
    expect(problems, HEADS, f"/heads/{last}/code", "head '0215-01-102-01' is defined twice")


def test_a_head_of_an_unknown_department_is_refused(root):
    root.edit(HEADS, lambda doc: doc["heads"][0].update(department="water_board"))
    problem = expect(
        root.problems(),
        HEADS,
        "/heads/0/department",
        "department 'water_board' is not defined in service_definitions/_org/departments.yaml",
    )
    assert problem.line == root.line(HEADS, r"^\s*department: water_board")


def test_a_head_not_written_as_the_treasury_writes_it_is_refused(root):
    root.edit(HEADS, lambda doc: doc["heads"][0].update(code="water charges"))
    expect(root.problems(), HEADS, "/heads/0/code", "'water charges' is not in the expected form")


def test_a_head_without_its_name_in_every_language_is_refused(root):
    root.edit(HEADS, lambda doc: doc["heads"][0]["name"].pop("hi"))
    expect(root.problems(), HEADS, "/heads/0/name", "has no Hindi (hi) text")


def test_the_heads_file_must_exist(root):
    root.remove(HEADS)
    expect(root.problems(), HEADS, "", "is missing")


# ------------------------------------------------------------------------------
# The workflow's conditions and the documents' placeholders
# ------------------------------------------------------------------------------
def test_fees_unpaid_is_a_number_in_a_workflow_condition(root):
    def change(doc):
        for transition in doc["transitions"]:
            if transition["action"] == "fee_paid":
                transition["if"] = 'fees.unpaid == "none"'

    root.edit(WORKFLOW, change)
    index = next(
        i for i, t in enumerate(root.load(WORKFLOW)["transitions"]) if t["action"] == "fee_paid"
    )
    expect(
        root.problems(),
        WORKFLOW,
        f"/transitions/{index}/if",
        "condition 'fees.unpaid == \"none\"' does not compile against the form of",
        "no matching overload",
    )


def _placeholder(doc, text: str) -> None:
    demand = next(issue for issue in doc["issues"] if issue["code"] == "demand_note")
    demand["body"]["en"][1]["facts"][0]["value"] = text


def test_a_document_may_print_only_the_fees_its_service_declares(root):
    root.edit(SERVICE, lambda doc: _placeholder(doc, "{{ fees.meter_rent.amount }}"))
    expect(
        root.problems(),
        SERVICE,
        "/issues/0/body/en/1/facts/0/value",
        "'fees.meter_rent.amount' reads fee 'meter_rent', which this service does not "
        "declare in its fees; its fees are connection_charges",
    )


def test_a_document_may_print_a_fee_s_amount_receipt_and_dates(root):
    root.edit(
        SERVICE,
        lambda doc: _placeholder(
            doc,
            "{{ fees.connection_charges.amount }} {{ fees.connection_charges.receipt }} "
            "{{ fees.connection_charges.paid_on }} {{ fees.connection_charges.pay_by }} "
            "{{ fees.connection_charges.head }}",
        ),
    )
    assert root.problems() == [], listing(root.problems())
    root.edit(SERVICE, lambda doc: _placeholder(doc, "{{ fees.connection_charges.total }}"))
    expect(
        root.problems(),
        SERVICE,
        "/issues/0/body/en/1/facts/0/value",
        "unknown name or function 'fees.connection_charges.total'",
    )


def test_a_service_without_fees_prints_none(root):
    def change(doc):
        doc.pop("fees")
        doc["fee"] = {"amount": 500}
        doc["issues"] = [i for i in doc["issues"] if i["code"] != "demand_note"]
        doc["issues"][0]["body"]["en"][1]["facts"][0]["value"] = (
            "{{ fees.connection_charges.receipt }}"
        )

    root.edit(SERVICE, change)
    problems = root.problems()
    expect(
        problems,
        SERVICE,
        "/issues/0/body/en/1/facts/0/value",
        "reads fee 'connection_charges', which this service does not declare in its fees",
    )


# ------------------------------------------------------------------------------
# An amount worked out (definitions.selectors.fee_amount_paise)
# ------------------------------------------------------------------------------
INPUTS = {
    "inputs.issue_demand_note.pipe_size": "20mm",
    "inputs.submit_inspection_report.distance_from_main_m": 25,
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("pipe", "metres", "paise"),
    [("15mm", 10, 500_00), ("20mm", 25, 1_100_00), ("25mm", 0, 1_500_00), ("25mm", 11, 1_520_00)],
)
def test_the_water_connection_charges_follow_the_pipe_and_the_distance(pipe, metres, paise):
    version = Service.objects.get(code="water-connection").current_version
    (fee,) = version.spec.fees
    inputs = {
        "inputs.issue_demand_note.pipe_size": pipe,
        "inputs.submit_inspection_report.distance_from_main_m": metres,
    }
    data = version.form_schema["examples"][0]
    assert fee_amount_paise(version=version, fee=fee, data=data, inputs=inputs) == paise


@pytest.mark.django_db
def test_an_amount_that_needs_an_input_not_given_is_unknown_with_the_reason():
    version = Service.objects.get(code="water-connection").current_version
    (fee,) = version.spec.fees
    data = version.form_schema["examples"][0]
    with pytest.raises(FeeUnknown) as unknown:
        fee_amount_paise(
            version=version,
            fee=fee,
            data=data,
            inputs={"inputs.issue_demand_note.pipe_size": "20mm"},
        )
    assert "The Connection charges cannot be worked out yet" in unknown.value.message
    assert "distance_from_main_m" in unknown.value.message


@pytest.mark.django_db
def test_an_amount_is_rupees_converted_once_to_paise_rounded_half_up():
    version = Service.objects.get(code="water-connection").current_version
    (fee,) = version.spec.fees
    data = version.form_schema["examples"][0]
    for expression, paise in (("0.1 + 0.2", 30), ("12.345", 1235), ("1250.5", 125050)):
        changed = FeeSpec(**{**fee.__dict__, "expression": expression})
        assert fee_amount_paise(version=version, fee=changed, data=data, inputs=INPUTS) == paise
    negative = FeeSpec(**{**fee.__dict__, "expression": "-1.0 * 10.0"})
    with pytest.raises(FeeUnknown, match="not an amount of rupees"):
        fee_amount_paise(version=version, fee=negative, data=data, inputs=INPUTS)
    fixed = FeeSpec(**{**fee.__dict__, "expression": None, "amount_paise": 25_050})
    assert fee_amount_paise(version=version, fee=fixed, data=data, inputs={}) == 25_050
