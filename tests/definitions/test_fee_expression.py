"""A service's fee written as an expression over its form's answers: check_definitions
compiles it against the form and refuses, at `/fee/amount` with the file's line, a fee that
reads a field the form lacks or does not give a number; the spec tells a fixed fee from one
that depends on the answers, and the builder's details editor keeps a fee expression as
text, refusing a bad one beside its input."""

from __future__ import annotations

import pytest
from django.urls import reverse

from seva.definitions.builder.forms.service import DetailsForm
from seva.definitions.spec import compile_service

from .test_check_definitions import SERVICE, expect, root  # noqa: F401 (fixture)
from .test_editors import _errors_beside, _form_data, draft  # noqa: F401 (fixture)


def _fee(amount):
    return lambda doc: doc.__setitem__("fee", {"amount": amount})


def test_a_fee_may_be_an_expression_over_the_form(root):  # noqa: F811
    root.edit(
        SERVICE,
        _fee("data.total_annual_income > 100000 ? 50 : 10"),
    )
    assert [p for p in root.problems() if p.pointer.startswith("/fee")] == []


@pytest.mark.parametrize(
    ("amount", "says"),
    [
        (
            "data.total_income > 100000 ? 50 : 10",
            "does not compile against the form: at character 5: unknown name or function "
            "'data.total_income'",
        ),
        ("data.applicant.full_name", "gives a string, not a number of rupees"),
        ("data.income_tax_payer", "gives a bool, not a number of rupees"),
        ("fee(data.purpose)", "unknown name or function 'fee'"),
        ("data.purpose + 10", "no matching overload"),
    ],
)
def test_a_fee_expression_that_cannot_work_is_refused_with_file_and_place(root, amount, says):  # noqa: F811
    root.edit(SERVICE, _fee(amount))
    problem = expect(root.problems(), SERVICE, "/fee/amount", says)
    assert problem.line == root.line(SERVICE, r"^\s*amount:")


@pytest.mark.parametrize(
    ("amount", "says"),
    [(-5, "less than the minimum of 0"), (12.5, "a whole number of rupees, or an expression")],
)
def test_a_fee_that_is_neither_rupees_nor_an_expression_is_refused(root, amount, says):  # noqa: F811
    root.edit(SERVICE, _fee(amount))
    expect(root.problems(), SERVICE, "/fee/amount", says)


def test_the_spec_tells_a_fixed_fee_from_one_that_depends_on_the_answers(root):  # noqa: F811
    fixed = compile_service({**root.load(SERVICE), "fee": {"amount": 30}})
    assert (fixed.fee_amount, fixed.fee.depends_on_answers) == (30, False)
    computed = compile_service({**root.load(SERVICE), "fee": {"amount": "data.fee_due"}})
    assert computed.fee_amount is None
    assert (computed.fee.expression, computed.fee.depends_on_answers) == ("data.fee_due", True)
    assert (
        compile_service({k: v for k, v in root.load(SERVICE).items() if k != "fee"}).fee_amount == 0
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "stored"),
    [("", 0), ("150", 150), (" data.registration_fee ", "data.registration_fee")],
)
def test_the_details_editor_keeps_rupees_as_a_number_and_an_expression_as_text(
    root,  # noqa: F811
    typed,
    stored,
):
    doc = root.load(SERVICE)
    initial = DetailsForm.initial_from(doc)
    form = DetailsForm({**initial, "fee_amount": typed})
    assert form.is_valid(), form.errors
    assert form.apply_to(doc)["fee"]["amount"] == stored


@pytest.mark.django_db
def test_the_details_editor_refuses_a_negative_fee_beside_its_input(root):  # noqa: F811
    doc = root.load(SERVICE)
    form = DetailsForm({**DetailsForm.initial_from(doc), "fee_amount": "-20"})
    assert not form.is_valid()
    assert form.errors["fee_amount"] == ["A fee is 0 rupees or more."]


@pytest.mark.django_db
def test_the_details_editor_refuses_a_fee_expression_beside_its_input_with_the_same_check(
    client,
    user,
    draft,  # noqa: F811
):
    client.force_login(user("admin.revenue"))
    url = reverse("definitions:draft-details", args=[draft.pk])
    data = {**_form_data(client.get(url).content.decode()), "save": "1"}
    refused = client.post(url, {**data, "fee_amount": "data.no_such_field * 2"})
    assert refused.status_code == 400
    beside = _errors_beside(refused.content.decode(), "id_fee_amount")
    assert "fee 'data.no_such_field * 2' does not compile against the form" in beside
    assert "unknown name or function 'data.no_such_field'" in beside
    draft.refresh_from_db()
    assert draft.service_doc["fee"]["amount"] == 0

    saved = client.post(url, {**data, "fee_amount": "100 + 50"})
    assert saved.status_code == 302, _errors_beside(saved.content.decode(), "id_fee_amount")
    draft.refresh_from_db()
    assert draft.service_doc["fee"]["amount"] == "100 + 50"
    page = client.get(url).content.decode()
    assert _form_data(page)["fee_amount"] == "100 + 50"  # edited again as text


@pytest.mark.django_db
def test_the_api_says_a_fee_depends_on_the_answers_rather_than_giving_a_wrong_amount(api):
    mutation = api(None).get("/api/v1/services/land-mutation/").json()["fee"]
    assert mutation["amount"] is None and mutation["depends_on_answers"] is True
    assert "Rs 500 for a sale" in mutation["note"]["en"]
    sewer = api(None).get("/api/v1/services/sewer-connection/").json()["fee"]
    assert sewer == {"amount": 0, "depends_on_answers": False}
