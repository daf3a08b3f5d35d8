"""The eligibility facts file (service_definitions/_org/eligibility.yaml) and the rules that
read it: check_definitions reports a broken fact or rule against the right file, at the right
place; a fact added to the file needs no change in code."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from seva.definitions.eligibility import eligibility_facts
from seva.definitions.lint import load_definitions
from seva.portal.catalogue import eligibility_questions

from .test_check_definitions import ORG, REPO, SERVICE, DefinitionsRoot, expect
from .test_check_definitions import root as root  # the fixture, re-exported

FACTS = f"{ORG}/eligibility.yaml"


def _fact(root: DefinitionsRoot, name: str) -> dict:
    return next(f for f in root.load(FACTS)["facts"] if f["name"] == name)


def _edit_fact(root: DefinitionsRoot, name: str, change) -> None:
    def mutate(doc: dict) -> None:
        change(next(f for f in doc["facts"] if f["name"] == name))

    root.edit(FACTS, mutate)


def _index(root: DefinitionsRoot, name: str) -> int:
    return [f["name"] for f in root.load(FACTS)["facts"]].index(name)


def _add_rule(root: DefinitionsRoot, rule: dict) -> None:
    root.edit(SERVICE, lambda s: s["eligibility"]["rules"].append(rule))


RULE_TEXT = {"en": "A rule", "hi": "एक नियम"}


# ------------------------------------------------------------------------------
# The facts file
# ------------------------------------------------------------------------------
def test_the_repository_facts_file_is_clean_and_read_in_its_order():
    facts = eligibility_facts()
    assert list(facts)[:2] == ["date_of_birth", "age"]
    assert facts["age"].derived == "age(facts.date_of_birth)"
    assert facts["date_of_birth"].prefills == "applicant.date_of_birth"
    assert [c.value for c in facts["category"].choices] == ["general", "sc", "st", "bc_a", "bc_b"]
    assert facts["annual_family_income"].hint["en"].startswith("In whole rupees")


def test_a_question_without_hindi_is_refused(root):
    _edit_fact(root, "gender", lambda f: f["question"].pop("hi"))
    problem = expect(
        root.problems(), FACTS, f"/facts/{_index(root, 'gender')}/question", "has no Hindi (hi)"
    )
    assert problem.line == root.line(FACTS, r"name: gender", r"question:")


def test_a_choice_fact_without_choices_is_refused(root):
    _edit_fact(root, "category", lambda f: f.pop("choices"))
    problem = expect(
        root.problems(),
        FACTS,
        f"/facts/{_index(root, 'category')}",
        "'category' is a choice but has no choices",
    )
    assert problem.line == root.line(FACTS, r"name: category")


def test_a_derived_fact_reading_an_unknown_fact_is_refused(root):
    _edit_fact(root, "age", lambda f: f.update(derived="age(facts.birth_date)"))
    problem = expect(
        root.problems(),
        FACTS,
        f"/facts/{_index(root, 'age')}/derived",
        "reads fact 'birth_date', which is not defined here",
        "date_of_birth",
    )
    assert problem.line == root.line(FACTS, r"name: age", r"derived:")


def test_a_derived_fact_of_the_wrong_type_is_refused(root):
    _edit_fact(root, "age", lambda f: f.update(derived="facts.date_of_birth"))
    expect(
        root.problems(),
        FACTS,
        f"/facts/{_index(root, 'age')}/derived",
        "gives a string, but 'age' is integer",
    )


def test_a_broken_facts_file_does_not_also_fail_every_rule(root):
    _edit_fact(root, "years_resident", lambda f: f.update(type="years"))
    problems = root.problems()
    expect(
        problems, FACTS, f"/facts/{_index(root, 'years_resident')}/type", "'years' is not allowed"
    )
    assert not [p for p in problems if p.file == SERVICE]


# ------------------------------------------------------------------------------
# A service's rules
# ------------------------------------------------------------------------------
def test_an_expression_rule_over_several_facts_is_accepted(root):
    _add_rule(
        root,
        {
            "id": "income_by_category",
            "if": 'facts.annual_family_income <= (facts.category == "sc" ? 300000 : 200000)',
            "text": RULE_TEXT,
        },
    )
    assert root.problems() == []


def test_an_expression_rule_reading_an_unknown_fact_is_refused(root):
    _add_rule(root, {"id": "caste", "if": 'facts.caste == "sc"', "text": RULE_TEXT})
    problem = expect(
        root.problems(),
        SERVICE,
        "/eligibility/rules/1/if",
        "reads fact 'caste', which is not in service_definitions/_org/eligibility.yaml",
        "category",
    )
    assert problem.line == root.line(SERVICE, r"id: caste", r"if:")


def test_an_expression_rule_comparing_the_wrong_types_is_refused(root):
    _add_rule(root, {"id": "rich", "if": "facts.category > 100000", "text": RULE_TEXT})
    expect(
        root.problems(),
        SERVICE,
        "/eligibility/rules/1/if",
        "does not compile",
        "no matching overload",
    )


def test_an_expression_rule_that_is_not_true_or_false_is_refused(root):
    _add_rule(root, {"id": "years", "if": "facts.age + 1", "text": RULE_TEXT})
    expect(root.problems(), SERVICE, "/eligibility/rules/1/if", "gives a int, not true or false")


def test_a_rule_with_both_forms_is_refused(root):
    _add_rule(
        root,
        {"id": "both", "if": "facts.age >= 18", "fact": "age", "condition": {}, "text": RULE_TEXT},
    )
    expect(root.problems(), SERVICE, "/eligibility/rules/1", "either 'if' or 'fact'")


def test_a_condition_rule_still_names_its_fact_from_the_file(root):
    root.edit(FACTS, lambda doc: doc["facts"].append({**_fact(root, "age"), "name": "age_2"}))
    root.edit(SERVICE, lambda s: s["eligibility"]["rules"][0].update(fact="age_3"))
    expect(
        root.problems(),
        SERVICE,
        "/eligibility/rules/0/fact",
        "eligibility question 'age_3' is not known",
        "age_2",
    )


# ------------------------------------------------------------------------------
# A new fact is data only
# ------------------------------------------------------------------------------
@pytest.fixture
def whole_root(tmp_path: Path) -> Path:
    for folder in (settings.SEVA_SERVICE_DIR, settings.SEVA_FORM_DIR, settings.SEVA_WORKFLOW_DIR):
        shutil.copytree(REPO / folder, tmp_path / folder)
    return tmp_path


def test_a_fact_added_to_the_file_is_asked_and_read_by_rules_without_code(whole_root, db):
    definitions = DefinitionsRoot(whole_root)
    definitions.edit(
        FACTS,
        lambda doc: doc["facts"].append(
            {
                "name": "is_widow",
                "type": "boolean",
                "question": {"en": "Are you a widow?", "hi": "क्या आप विधवा हैं?"},
            }
        ),
    )
    definitions.edit(
        "service_definitions/social_justice/old-age-pension.yaml",
        lambda s: s["eligibility"]["rules"].append(
            {"id": "widow", "if": "facts.is_widow || facts.age >= 60", "text": RULE_TEXT}
        ),
    )
    assert load_definitions(whole_root)[1] == []
    facts = eligibility_facts(whole_root)
    assert list(facts)[-1] == "is_widow" and facts["is_widow"].expression_type == "bool"
    with override_settings(SEVA_DEFINITIONS_ROOT=whole_root):
        questions = {q.name: q for q in eligibility_questions("hi")}
    assert questions["is_widow"].label == "क्या आप विधवा हैं?"
    assert questions["is_widow"].answer_type == "boolean"
