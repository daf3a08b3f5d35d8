"""The eligibility finder: answers checked against each service's rules, with why."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from seva.portal.catalogue import (
    ELIGIBLE,
    MAYBE,
    NOT_ELIGIBLE,
    OPEN,
    STATUS_ORDER,
    eligibility_questions,
    eligibility_results,
)
from seva.portal.pages import portal_pages_sync

SENIOR = {"age": 65, "annual_family_income": 100000, "years_resident": 20}


@pytest.fixture(autouse=True)
def pages(db):
    portal_pages_sync()


def result_for(code: str, answers: dict, language: str = "en"):
    return next(r for r in eligibility_results(answers, language) if r.entry.code == code)


def client_in(language: str) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def test_a_resident_senior_on_a_low_income_is_eligible_for_the_old_age_pension():
    result = result_for("old-age-pension", SENIOR)
    assert result.status == ELIGIBLE
    assert [(r.mark, r.text) for r in result.reasons] == [
        ("✓", "You are 60 years old or more"),
        ("✓", "Your and your spouse's yearly income is not more than Rs 3,00,000"),
        ("✓", "You have lived in Haryana for at least 15 years"),
    ]
    assert result.entry.url == "/social-justice/old-age-pension/"
    assert result.entry.apply_url == "/apply/old-age-pension/"


def test_a_forty_year_old_is_not_eligible_and_is_told_why():
    result = result_for("old-age-pension", {**SENIOR, "age": 40})
    assert result.status == NOT_ELIGIBLE
    assert [r.mark for r in result.reasons] == ["✗", "✓", "✓"]


def test_an_unanswered_question_makes_it_a_maybe():
    result = result_for("old-age-pension", {"age": 65})
    assert result.status == MAYBE
    assert [r.mark for r in result.reasons] == ["✓", "?", "?"]
    # A failed rule decides, whatever was left unanswered.
    assert result_for("old-age-pension", {"age": 40}).status == NOT_ELIGIBLE


def test_a_service_without_rules_is_open_to_all():
    result = result_for("public-grievance", SENIOR)
    assert result.status == OPEN and result.reasons == []


def test_reasons_come_in_the_citizens_language():
    result = result_for("old-age-pension", SENIOR, language="hi")
    assert result.reasons[0].text == "आपकी आयु 60 वर्ष या अधिक है"
    assert result.entry.name == "वृद्धावस्था सम्मान भत्ता"


def test_results_are_sorted_eligible_first_and_not_eligible_last():
    results = eligibility_results({**SENIOR, "category": "general"}, "en")
    ranks = [STATUS_ORDER.index(r.status) for r in results]
    assert ranks == sorted(ranks)
    assert results[0].status == ELIGIBLE
    assert result_for("caste-certificate", {"category": "general"}).status == NOT_ELIGIBLE
    assert results[-1].status == NOT_ELIGIBLE


def test_the_questions_cover_every_fact_plus_district_and_occupation():
    questions = {q.name: q for q in eligibility_questions("hi")}
    assert {"age", "gender", "annual_family_income", "category", "district", "occupation"} <= set(
        questions
    )
    assert questions["age"].answer_type == "integer" and questions["age"].maximum == 130
    assert ("HR-AMB", "अंबाला") in questions["district"].choices
    assert len(questions["district"].choices) == 22  # every district of the demo state
    assert ("farmer", "किसान") in questions["occupation"].choices


# ------------------------------------------------------------------------------
# The finder page
# ------------------------------------------------------------------------------
def test_the_finder_shows_results_grouped_by_status_with_links(client):
    response = client.get("/eligibility/", SENIOR)
    assert response.status_code == 200
    html = response.content.decode()
    statuses = [group["status"] for group in response.context["groups"]]
    assert statuses == [s for s in STATUS_ORDER if s in statuses] and statuses[0] == ELIGIBLE
    eligible = response.context["groups"][0]["results"]
    assert "old-age-pension" in [r.entry.code for r in eligible]
    assert "You are eligible" in html
    assert 'href="/social-justice/old-age-pension/"' in html
    assert 'href="/apply/old-age-pension/"' in html
    assert "You have lived in Haryana for at least 15 years" in html


def test_amounts_may_be_written_with_commas(client):
    response = client.get("/eligibility/", {**SENIOR, "annual_family_income": "1,00,000"})
    assert response.context["form"].is_valid()
    assert response.context["form"].cleaned_data["annual_family_income"] == 100000


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"age": "sixty"}, "age"),
        ({"age": "200"}, "age"),
        ({"age": "65.5"}, "age"),
        ({"annual_family_income": "lots"}, "annual_family_income"),
        ({"gender": "robot"}, "gender"),
    ],
)
def test_bad_answers_are_explained_next_to_their_question(client, answers, field):
    response = client.get("/eligibility/", answers)
    assert response.status_code == 200
    assert response.context["groups"] == []
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert 'aria-invalid="true"' in html
    assert f'href="#id_{field}"' in html  # the error summary links to the question
    error_at = html.index(f'id="id_{field}_error"')
    assert html.index(f'for="id_{field}"') < error_at < html.index(f'id="id_{field}"', error_at)


def test_the_age_error_says_what_to_write(client):
    response = client.get("/eligibility/", {"age": "abc"})
    assert "Enter a whole number from 0 to 130" in response.content.decode()


def test_nothing_answered_shows_every_service_as_maybe_or_open(client):
    response = client.get("/eligibility/", {"age": "", "gender": ""})
    statuses = {group["status"] for group in response.context["groups"]}
    assert statuses <= {MAYBE, OPEN} and statuses


@pytest.mark.parametrize(
    ("language", "question"),
    [("en", "Your age in years"), ("hi", "आपकी आयु (वर्षों में)")],
)
def test_the_finder_renders_in_both_languages(language, question):
    response = client_in(language).get("/eligibility/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}"' in html
    assert question in html
    assert html.count("<h1") == 1
    assert 'method="get"' in html
    assert response.context["groups"] == []

    results = client_in(language).get("/eligibility/", SENIOR).content.decode()
    name = "वृद्धावस्था सम्मान भत्ता" if language == "hi" else "Old Age Samman Allowance"
    assert name in results
