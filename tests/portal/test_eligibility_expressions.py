"""The finder on rules written as expressions over several facts (the disability pension's
income limit by category, its age band) and on a derived fact (the age from a date of birth)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from seva.portal.catalogue import (
    ELIGIBLE,
    MAYBE,
    NOT_ELIGIBLE,
    eligibility_questions,
    eligibility_results,
    service_detail,
)
from seva.portal.pages import portal_pages_sync


@pytest.fixture(autouse=True)
def pages(db):
    portal_pages_sync()


def disability_pension(answers: dict):
    return next(
        r for r in eligibility_results(answers, "en") if r.entry.code == "disability-pension"
    )


def born_years_ago(years: int) -> str:
    today = timezone.localdate()
    return dt.date(today.year - years, 1, 1).isoformat()


ADULT = {"age": 30, "annual_family_income": 250000}


def test_a_scheduled_caste_income_of_two_and_a_half_lakh_is_within_the_limit():
    result = disability_pension({**ADULT, "category": "sc"})
    assert result.status == ELIGIBLE
    assert [r.mark for r in result.reasons] == ["✓", "✓"]


def test_the_same_income_in_the_general_category_is_over_the_limit():
    result = disability_pension({**ADULT, "category": "general"})
    assert result.status == NOT_ELIGIBLE
    assert [r.mark for r in result.reasons] == ["✓", "✗"]


def test_without_a_category_the_income_rule_is_not_checked():
    result = disability_pension(ADULT)
    assert result.status == MAYBE
    assert [r.mark for r in result.reasons] == ["✓", "?"]
    # Within the lower limit, the category does not matter.
    assert disability_pension({"age": 30, "annual_family_income": 150000}).status == ELIGIBLE


def test_the_age_is_worked_out_from_a_date_of_birth():
    answers = {"annual_family_income": 100000, "category": "general"}
    adult = disability_pension({**answers, "date_of_birth": born_years_ago(30)})
    child = disability_pension({**answers, "date_of_birth": born_years_ago(12)})
    assert [r.mark for r in adult.reasons] == ["✓", "✓"] and adult.status == ELIGIBLE
    assert [r.mark for r in child.reasons] == ["✗", "✓"] and child.status == NOT_ELIGIBLE
    # The date of birth decides over an age typed beside it.
    assert disability_pension(
        {**answers, "age": 40, "date_of_birth": born_years_ago(12)}
    ).status == (NOT_ELIGIBLE)


def test_a_condition_rule_reads_the_derived_age_too():
    result = next(
        r
        for r in eligibility_results(
            {
                "date_of_birth": born_years_ago(70),
                "annual_family_income": 100000,
                "years_resident": 20,
            },
            "en",
        )
        if r.entry.code == "old-age-pension"
    )
    assert result.status == ELIGIBLE


def test_the_questions_follow_the_facts_file():
    questions = eligibility_questions("en")
    names = [q.name for q in questions]
    assert names[:2] == ["date_of_birth", "age"] and names[-1] == "district"
    by_name = {q.name: q for q in questions}
    assert by_name["date_of_birth"].answer_type == "date"
    assert ("bc_a", "Backward Class (Block A)") in by_name["category"].choices
    assert by_name["occupation"].answer_type == "choice"


def test_the_finder_page_takes_a_date_of_birth(client):
    response = client.get(
        "/eligibility/",
        {"date_of_birth": born_years_ago(30), "annual_family_income": "2,50,000", "category": "sc"},
    )
    assert response.status_code == 200
    eligible = next(g for g in response.context["groups"] if g["status"] == ELIGIBLE)
    assert "disability-pension" in [r.entry.code for r in eligible["results"]]
    assert 'type="date"' in response.content.decode()


def test_a_date_that_is_not_one_is_explained(client):
    response = client.get("/eligibility/", {"date_of_birth": "yesterday"})
    assert response.context["groups"] == []
    assert 'id="id_date_of_birth_error"' in response.content.decode()


def test_the_service_page_states_the_expression_rules_in_words():
    detail = service_detail(code="disability-pension", language="en")
    assert detail.eligibility_rules[0] == "You are 18 years old or more"
    assert "Rs 3,00,000 for Scheduled Castes" in detail.eligibility_rules[1]
