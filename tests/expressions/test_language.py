"""The expression language (CEL): the checker refuses what cannot work before a rule is
published; evaluation is bounded and fails with a clear error, never a server error."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from seva.expressions.language import (
    MAX_SOURCE_CHARS,
    ExpressionError,
    ExpressionFailed,
    NotAnswered,
    compile_expression,
)

VARIABLES = (
    ("data.age", "int"),
    ("data.area", "double"),
    ("data.category", "string"),
    ("data.dob", "string"),
    ("data.rows", "list(map)"),
)


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("data.agee > 5", "unknown name or function 'data.agee'"),
        ("ageing(data.dob) > 5", "unknown name or function 'ageing'"),
        ('data.age == "five"', "no matching overload for '_==_' applied to '(int, string)'"),
        ("data.area > 100", "write 100.0, not 100"),
        ("data.age >", "Syntax error"),
        ("", "non-empty string"),
        ("1 + " * MAX_SOURCE_CHARS + "1", f"at most {MAX_SOURCE_CHARS} characters"),
    ],
)
def test_the_checker_refuses_a_mistake_and_says_what_it_is(source, says):
    with pytest.raises(ExpressionError) as caught:
        compile_expression(source, VARIABLES)
    assert says in caught.value.message


def test_an_expression_reads_the_values_given_and_the_registered_functions():
    total = compile_expression("sum(data.rows.map(r, r.amount)) + data.age", VARIABLES)
    assert total.returns == "int"  # dyn + int
    assert total.evaluate({"data.rows": [{"amount": 40}, {"amount": 2}], "data.age": 3}) == 45
    limit = compile_expression(
        'data.category in ["sc", "st"] ? data.area <= 250000.0 : data.area <= 180000.0',
        VARIABLES,
    )
    assert limit.returns == "bool"
    assert limit.evaluate({"data.category": "sc", "data.area": 200000.0}) is True
    assert limit.evaluate({"data.category": "general", "data.area": 200000.0}) is False


@time_machine.travel(dt.datetime(2026, 12, 7, 20, 0, tzinfo=dt.UTC))  # 8 Dec in India
def test_dates_are_counted_in_india():
    assert compile_expression("today()", VARIABLES).evaluate({}) == "2026-12-08"
    age = compile_expression("age(data.dob)", VARIABLES)
    assert age.evaluate({"data.dob": "2008-12-08"}) == 18
    assert age.evaluate({"data.dob": "2008-12-09"}) == 17
    between = compile_expression('days_between(data.dob, "2026-01-01")', VARIABLES)
    assert between.evaluate({"data.dob": "2025-12-25"}) == 7


def test_a_value_not_given_is_not_answered_and_a_bad_value_fails_clearly():
    adult = compile_expression("age(data.dob) >= 18", VARIABLES)
    with pytest.raises(NotAnswered):
        adult.evaluate({})
    with pytest.raises(ExpressionFailed) as caught:
        adult.evaluate({"data.dob": "31/12/2000"})
    assert "is not a date written YYYY-MM-DD" in caught.value.message
    with pytest.raises(ExpressionFailed):
        compile_expression("data.age / 0 > 1", VARIABLES).evaluate({"data.age": 4})


def test_evaluation_is_bounded():
    every = compile_expression("data.rows.all(r, r.amount > 0)", VARIABLES)
    with pytest.raises(ExpressionFailed) as caught:
        every.evaluate({"data.rows": [{"amount": 1}] * 200_000})
    assert "budget" in caught.value.message


def test_an_expression_is_compiled_once():
    first = compile_expression("data.age > 1", VARIABLES)
    assert compile_expression("data.age > 1", VARIABLES) is first


def test_a_row_without_the_field_read_is_not_answered():
    total = compile_expression("sum(data.rows.map(r, r.amount))", VARIABLES)
    with pytest.raises(NotAnswered):
        total.evaluate({"data.rows": [{"amount": 1}, {"source": "wages"}]})
