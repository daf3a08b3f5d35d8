"""A form's computed answers (x-compute) and cross-field rules (x-rules): checked against the
form's fields before publishing, computed on the server whatever a client sends, errors
keyed to the rule's field."""

from __future__ import annotations

import copy

import pytest
from django.http import QueryDict
from django.utils import translation

from seva.formschemas.drawing import render_fields
from seva.formschemas.lint import lint_form_schema
from seva.formschemas.parsing import parse_submission
from seva.formschemas.rules import with_computed
from seva.formschemas.validation import build_validator, validate_form_data

EN_HI = {"en": "x", "hi": "x"}


def _form() -> dict:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "required": ["category", "rows", "declared_total"],
        "properties": {
            "category": {
                "type": "string",
                "enum": ["general", "sc"],
                "x-label": EN_HI,
                "x-enum-labels": {"general": EN_HI, "sc": EN_HI},
            },
            "rows": {
                "type": "array",
                "x-label": EN_HI,
                "x-item-label": EN_HI,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["amount"],
                    "properties": {"amount": {"type": "integer", "x-label": EN_HI}},
                },
            },
            "declared_total": {"type": "integer", "x-label": EN_HI},
            "total": {
                "type": "integer",
                "x-label": EN_HI,
                "x-compute": "sum(data.rows.map(r, r.amount))",
            },
        },
        "x-rules": [
            {
                "id": "total_matches",
                "field": "declared_total",
                "expression": "data.declared_total == sum(data.rows.map(r, r.amount))",
                "message": {
                    "en": "The total must be the sum of the rows.",
                    "hi": "कुल योग पंक्तियों का योग होना चाहिए।",
                },
            },
            {
                "id": "limit_by_category",
                "field": "declared_total",
                "expression": 'data.declared_total <= (data.category == "sc" ? 250000 : 180000)',
                "message": {"en": "Above the income limit.", "hi": "आय सीमा से अधिक।"},
            },
        ],
        "examples": [
            {"category": "sc", "rows": [{"amount": 100}, {"amount": 50}], "declared_total": 150}
        ],
    }


def test_a_form_with_rules_and_computed_answers_passes_the_checks():
    assert lint_form_schema(_form()) == []


def _broken(change) -> list[tuple[str, str]]:
    form = _form()
    change(form)
    return lint_form_schema(form, require_examples=False)


MISTAKES = {
    "a rule about a field the form does not have": (
        lambda f: f["x-rules"][0].update(field="declared"),
        "/x-rules/0/field",
        "'declared' is not a field of the form",
    ),
    "a rule reading a field the form does not have": (
        lambda f: f["x-rules"][0].update(expression="data.declared == 1"),
        "/x-rules/0/expression",
        "unknown name or function 'data.declared'",
    ),
    "a rule comparing text with a number": (
        lambda f: f["x-rules"][1].update(expression="data.category > 5"),
        "/x-rules/1/expression",
        "'(string, int)'",
    ),
    "a rule calling a function that is not registered": (
        lambda f: f["x-rules"][0].update(expression="total(data.rows) > 0"),
        "/x-rules/0/expression",
        "unknown name or function 'total'",
    ),
    "a rule that is not true or false": (
        lambda f: f["x-rules"][0].update(expression="data.declared_total + 1"),
        "/x-rules/0/expression",
        "gives a int, not true or false",
    ),
    "a rule's message without Hindi": (
        lambda f: f["x-rules"][0].update(message={"en": "Wrong."}),
        "/x-rules/0/message",
        "needs a text in hi",
    ),
    "two rules with one id": (
        lambda f: f["x-rules"][1].update(id="total_matches"),
        "/x-rules/1/id",
        "two rules are called 'total_matches'",
    ),
    "a computed answer of the wrong type": (
        lambda f: f["properties"]["total"].update({"x-compute": "data.category"}),
        "/properties/total/x-compute",
        "gives a string, but the field holds a int",
    ),
    "a computed answer reading itself": (
        lambda f: f["properties"]["total"].update({"x-compute": "data.total + 1"}),
        "/properties/total/x-compute",
        "reads the field it computes",
    ),
    "a required computed answer": (
        lambda f: f["required"].append("total"),
        "/properties/total",
        "a computed answer cannot be required",
    ),
    "rules inside a group": (
        lambda f: f["properties"]["rows"]["items"].update({"x-rules": []}),
        "",
        "x-rules belong to the whole form",
    ),
    "a field drawn computed with nothing to compute": (
        lambda f: f["properties"]["declared_total"].update({"x-widget": "computed"}),
        "/properties/declared_total/x-widget",
        "by giving it x-compute",
    ),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_check_definitions_refuses_each_mistake_with_its_place(mistake):
    change, pointer, says = MISTAKES[mistake]
    problems = _broken(change)
    assert any(p.startswith(pointer) and says in m for p, m in problems), problems


def test_a_rule_error_is_keyed_to_its_field_in_the_active_language():
    validator = build_validator(_form())
    data = {"category": "general", "rows": [{"amount": 100}], "declared_total": 190000}
    errors = validate_form_data(validator, data)
    assert errors == {
        "declared_total": ["The total must be the sum of the rows.", "Above the income limit."]
    }
    with translation.override("hi"):
        assert validate_form_data(validator, data)["declared_total"][0] == (
            "कुल योग पंक्तियों का योग होना चाहिए।"
        )
    assert validate_form_data(validator, {**data, "rows": [{"amount": 190000}]}) == {
        "declared_total": ["Above the income limit."]
    }


def test_a_rule_reading_an_unanswered_field_is_left_to_the_required_check():
    validator = build_validator(_form())
    errors = validate_form_data(validator, {"category": "sc", "rows": [{"amount": 1}]})
    assert errors == {"declared_total": ["This field is required."]}


def test_a_computed_answer_is_the_servers_whatever_the_client_sent():
    form = _form()
    sent = {"category": "sc", "rows": [{"amount": 100}, {"amount": 7}], "total": 999999}
    computed = with_computed(form, sent)
    assert computed["total"] == 107
    assert sent["total"] == 999999  # the caller's data is not changed
    assert "total" not in with_computed(form, {"category": "sc"})  # rows not answered


def test_a_computed_answer_may_read_one_declared_after_it():
    """As PostgreSQL's jsonb stores a form: its keys shortest first, not in the file's order."""
    form = _form()
    form["properties"] = {
        "fee": {
            "type": "integer",
            "x-label": EN_HI,
            "x-compute": "data.total > 100 ? 20 : 10",
        },
        **form["properties"],
    }
    sent = {"category": "sc", "rows": [{"amount": 100}, {"amount": 7}], "fee": 0}
    assert with_computed(form, sent)["fee"] == 20
    assert "fee" not in with_computed(form, {"category": "sc"})  # nothing to read: left out


def test_a_computed_answer_is_shown_and_never_read_from_the_page():
    form = copy.deepcopy(_form())
    html = render_fields(form, {"total": 107}, {}, fields=["total"], language="en")
    assert "<output" in html and "107" in html and "<input" not in html
    posted = QueryDict("total=5&declared_total=5")
    assert parse_submission(form, posted, fields=["total", "declared_total"]) == {
        "declared_total": 5
    }
