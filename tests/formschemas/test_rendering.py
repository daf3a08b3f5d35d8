"""The server-side form: every field drawn with a label, answers and errors in place, in the
citizen's language; the POSTed form read back into the same JSON the examples hold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.http import QueryDict

from seva.formschemas.answers import answers, error_summary
from seva.formschemas.drawing import render_fields
from seva.formschemas.keywords import DRAFT_2020_12
from seva.formschemas.parsing import (
    apply_row_commands,
    document_field,
    parse_submission,
    prune_hidden,
    replace_step_answers,
)
from seva.formschemas.steps import Step, form_declaration, form_steps, form_title
from seva.formschemas.validation import build_validator, validate_form_data
from seva.formschemas.widgets import WIDGETS

FORM_DIR = Path(__file__).resolve().parents[2] / "form_schemas"
FORM_FILES = sorted(FORM_DIR.glob("*/*.json"))


def load(relative: str) -> dict:
    return json.loads((FORM_DIR / relative).read_text(encoding="utf-8"))


def soup(html) -> BeautifulSoup:
    return BeautifulSoup(str(html), "html.parser")


def browser_post(html, *, press: tuple[str, str] | None = None) -> QueryDict:
    """What a browser would POST for this HTML (file inputs and unpressed buttons left out)."""
    post = QueryDict(mutable=True)
    for element in soup(html).find_all(["input", "select", "textarea"]):
        name = element.get("name")
        if not name or element.has_attr("disabled"):
            continue
        if element.name == "textarea":
            post.appendlist(name, element.get_text())
        elif element.name == "select":
            options = element.find_all("option")
            chosen = [o for o in options if o.has_attr("selected")] or options[:1]
            for option in chosen:
                post.appendlist(name, option.get("value", option.get_text()))
        elif element.get("type") in ("checkbox", "radio"):
            if element.has_attr("checked"):
                post.appendlist(name, element.get("value", "on"))
        elif element.get("type") not in ("file", "submit", "button", "reset", "image"):
            post.appendlist(name, element.get("value", ""))
    if press:
        post.appendlist(*press)
    return post


def label(html: BeautifulSoup, html_id: str) -> str:
    return html.find("label", attrs={"for": html_id}).get_text()


def post_of(pairs: dict) -> QueryDict:
    post = QueryDict(mutable=True)
    for key, value in pairs.items():
        for item in value if isinstance(value, list) else [value]:
            post.appendlist(key, item)
    return post


def documents_of(example: dict) -> dict[str, dict]:
    """{token: {"name", "size"}} for every document token in an example."""
    found: dict[str, dict] = {}

    def walk(value):
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str) and value.startswith("doc_"):
            found[value] = {"name": f"{value[4:10]}.pdf", "size": 123456}

    walk(example)
    return found


def leaf_paths(
    schema: dict, data: dict, prefix: str, names: list[str], *, computed: bool = False
) -> list[str]:
    """Dotted paths of the inputs a step should draw for `data` (rows as in the data); with
    `computed`, those of its computed answers (x-compute), which are shown, not asked."""
    paths = []
    for name in names:
        sub = schema["properties"][name]
        path = f"{prefix}.{name}" if prefix else name
        value = data.get(name) if isinstance(data, dict) else None
        if sub.get("type") == "object":
            paths += leaf_paths(sub, value or {}, path, list(sub["properties"]), computed=computed)
        elif sub.get("type") == "array" and sub["items"].get("type") == "object":
            rows = value if isinstance(value, list) else [{}] * max(sub.get("minItems", 0), 1)
            for index, row in enumerate(rows):
                paths += leaf_paths(
                    sub["items"],
                    row,
                    f"{path}.{index}",
                    list(sub["items"]["properties"]),
                    computed=computed,
                )
        elif ("x-compute" in sub) == computed:
            paths.append(path)
    return paths


# A small form with a field of each kind, for the cases the repository's forms lack.
KINDS = {
    "$schema": DRAFT_2020_12,
    "type": "object",
    "additionalProperties": False,
    "required": ["age", "members"],
    "properties": {
        "age": {"type": "integer", "minimum": 0, "x-label": {"en": "Age", "hi": "आयु"}},
        "acres": {"type": "number", "x-label": {"en": "Acres", "hi": "एकड़"}},
        "subscribe": {"type": "boolean", "x-label": {"en": "Send me news", "hi": "समाचार भेजें"}},
        "married": {
            "type": "boolean",
            "x-widget": "radio",
            "x-label": {"en": "Married?", "hi": "विवाहित?"},
        },
        "cylinders": {
            "type": "integer",
            "enum": [1, 2, 3, 4, 5],
            "x-label": {"en": "Cylinders", "hi": "सिलेंडर"},
            "x-enum-labels": {str(n): {"en": str(n), "hi": str(n)} for n in range(1, 6)},
        },
        "needs": {
            "type": "array",
            "uniqueItems": True,
            "items": {"type": "string", "enum": ["water", "sewer", "power"]},
            "x-label": {"en": "Connections needed", "hi": "आवश्यक कनेक्शन"},
            "x-enum-labels": {
                "water": {"en": "Water", "hi": "पानी"},
                "sewer": {"en": "Sewer", "hi": "सीवर"},
                "power": {"en": "Power", "hi": "बिजली"},
            },
        },
        "note": {
            "type": "string",
            "x-widget": "textarea",
            "x-label": {"en": "Note", "hi": "टिप्पणी"},
        },
        "aadhaar": {
            "type": "string",
            "format": "aadhaar",
            "x-label": {"en": "Aadhaar", "hi": "आधार"},
        },
        "members": {
            "type": "array",
            "minItems": 1,
            "maxItems": 3,
            "x-label": {"en": "Members", "hi": "सदस्य"},
            "x-item-label": {"en": "Member", "hi": "सदस्य"},
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "x-label": {"en": "Name", "hi": "नाम"}},
                    "age": {"type": "integer", "x-label": {"en": "Age", "hi": "आयु"}},
                    "student": {"type": "boolean", "x-label": {"en": "Student", "hi": "छात्र"}},
                },
            },
        },
        "proof": {
            "type": "string",
            "format": "document",
            "x-file": {"accept": ["application/pdf", "image/png"], "max_bytes": 1048576},
            "x-label": {"en": "Proof", "hi": "प्रमाण"},
        },
    },
    "examples": [{"age": 3, "members": [{"name": "Asha"}]}],
}
KIND_FIELDS = list(KINDS["properties"])


# ------------------------------------------------------------------------------
# Steps, title, declaration
# ------------------------------------------------------------------------------
def test_steps_come_from_x_steps_in_the_language_asked_for():
    schema = load("revenue/income_certificate.json")
    steps = form_steps(schema, "hi")
    assert steps[0] == Step(id="applicant", title="आपके बारे में", fields=["applicant"])
    assert [s.id for s in steps][-1] == "declaration"
    assert form_title(schema, "en") == "Apply for an income certificate"
    assert form_declaration(schema, "hi").startswith("मैं घोषणा")


def test_a_form_without_steps_is_one_step_with_every_field():
    steps = form_steps(KINDS, "en")
    assert steps == [Step(id="main", title="", fields=KIND_FIELDS)]
    assert form_title({"title": "Plain"}, "hi") == "Plain"
    assert form_declaration(KINDS, "en") == ""


def test_every_registered_widget_can_be_drawn():
    assert all(callable(WIDGETS.get(name).draw) for name in WIDGETS.names())


# ------------------------------------------------------------------------------
# Every field of the repository's forms is drawn with a label
# ------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("form_file", FORM_FILES, ids=lambda p: p.stem)
def test_every_field_of_every_step_has_an_input_with_a_label(form_file):
    schema = json.loads(form_file.read_text(encoding="utf-8"))
    example = schema["examples"][0]
    for step in form_steps(schema, "en"):
        html = soup(render_fields(schema, example, {}, fields=step.fields, language="en"))
        labelled = {label["for"] for label in html.find_all("label") if label.get("for")}
        controls = html.find_all(["input", "select", "textarea"])
        for control in controls:
            if control.get("type") not in ("hidden", "submit"):
                assert control.get("id") in labelled, f"{step.id}: {control} has no label"
        drawn = {c["id"]: c for c in controls if c.get("id")}
        for path in leaf_paths(schema, example, "", step.fields):
            html_id = "f-" + path.replace(".", "-")
            assert html_id in drawn, f"{form_file.stem}/{step.id}: no input for {path}"
            assert drawn[html_id]["name"] == path
            assert drawn[html_id].name in ("input", "select", "textarea")
        for path in leaf_paths(schema, example, "", step.fields, computed=True):
            shown = html.find("output", id="f-" + path.replace(".", "-"))
            assert shown is not None, f"{form_file.stem}/{step.id}: {path} is not shown"
            label = html.find(id=shown["aria-labelledby"])
            assert label is not None and label.get_text().strip()


@pytest.mark.django_db
def test_labels_options_and_legends_are_in_hindi_when_asked():
    schema = load("revenue/income_certificate.json")
    html = soup(render_fields(schema, {}, {}, fields=["applicant"], language="hi"))
    assert html.find("label", attrs={"for": "f-applicant-full_name"}).get_text() == "पूरा नाम"
    assert html.find("label", attrs={"for": "f-applicant-gender"}).get_text() == "महिला"
    assert html.find("legend").get_text() == "आवेदक"
    assert html.find(id="f-applicant-full_name-hint").get_text() == "जैसा आपके आधार कार्ड पर लिखा है"


@pytest.mark.django_db
def test_a_place_field_lists_the_places_of_its_level_grouped_by_district():
    schema = load("revenue/income_certificate.json")
    data = {"address": {"tehsil": "HR-AMB-NRG-SZP"}}
    html = soup(render_fields(schema, data, {}, fields=["address"], language="en"))
    select = html.find("select", id="f-address-tehsil")
    assert select.find("option")["value"] == ""
    ambala = select.find("optgroup", label="Ambala")
    assert ("HR-AMB-NRG-SZP", "Shahzadpur") in [
        (o["value"], o.get_text()) for o in ambala.find_all("option")
    ]
    assert select.find("option", selected=True)["value"] == "HR-AMB-NRG-SZP"
    assert all(o["value"].count("-") == 3 for o in select.find_all("option") if o["value"])

    hindi = soup(render_fields(schema, data, {}, fields=["address"], language="hi"))
    assert (
        hindi.find("optgroup", label="अंबाला").find("option", selected=True).get_text() == "शहजादपुर"
    )


# ------------------------------------------------------------------------------
# Widgets
# ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_text_inputs_ask_for_the_right_keyboard_and_autofill():
    schema = load("revenue/income_certificate.json")
    html = soup(render_fields(schema, {}, {}, fields=["applicant", "address"], language="en"))
    mobile = html.find(id="f-applicant-mobile")
    assert (mobile["type"], mobile["inputmode"], mobile["autocomplete"]) == (
        "tel",
        "numeric",
        "tel-national",
    )
    assert html.find(id="f-applicant-aadhaar")["inputmode"] == "numeric"
    assert html.find(id="f-address-pincode")["inputmode"] == "numeric"
    assert html.find(id="f-address-pincode")["autocomplete"] == "postal-code"
    assert html.find(id="f-applicant-date_of_birth")["type"] == "date"
    assert html.find(id="f-applicant-email")["type"] == "email"
    years = html.find(id="f-address-years_at_address")
    assert (years["type"], years["inputmode"]) == ("text", "numeric")


def test_numbers_choices_and_rows_are_drawn_with_their_widgets():
    html = soup(
        render_fields(
            KINDS, {"acres": 2.3, "needs": ["sewer"]}, {}, fields=KIND_FIELDS, language="en"
        )
    )
    acres = html.find(id="f-acres")
    assert (acres["type"], acres["inputmode"], acres["value"]) == ("text", "decimal", "2.3")
    assert html.find(id="f-subscribe")["type"] == "checkbox"
    assert [r["value"] for r in html.find_all("input", attrs={"name": "married"})] == [
        "true",
        "false",
    ]
    assert [lab.get_text() for lab in html.select("[name=married] + label")] == ["Yes", "No"]
    select = html.find("select", id="f-cylinders")
    assert [o["value"] for o in select.find_all("option")] == ["", "1", "2", "3", "4", "5"]
    assert select.find("option").get_text() == "Choose…"
    needs = html.find_all("input", attrs={"name": "needs"})
    assert [(n["type"], n["value"], n.has_attr("checked")) for n in needs] == [
        ("checkbox", "water", False),
        ("checkbox", "sewer", True),
        ("checkbox", "power", False),
    ]
    assert needs[0].find_parent("fieldset").legend.get_text() == "Connections needed (optional)"
    assert html.find(id="f-note").name == "textarea"


def test_a_file_field_keeps_its_token_in_a_hidden_input_and_names_the_uploaded_file():
    token = "doc_0b6c1f8e2d4a4c7e9f3b5a1d2c4e6f80"
    html = soup(
        render_fields(
            KINDS,
            {"proof": token},
            {},
            fields=["proof"],
            language="en",
            documents={token: {"name": "ration-card.pdf", "size": 204800}},
        )
    )
    upload = html.find(id="f-proof")
    assert upload["type"] == "file" and upload["name"] == "proof"
    assert upload["accept"].split(",")[:2] == ["application/pdf", "image/png"]
    assert upload["data-max-bytes"] == "1048576" and "1.0" in upload["data-too-large"]
    assert html.find("input", type="hidden", attrs={"name": "proof"})["value"] == token
    shown = html.find(id="f-proof-uploaded")
    assert "Already uploaded:" in shown.get_text() and "ration-card.pdf" in shown.get_text()
    assert "f-proof-uploaded" in upload["aria-describedby"]


def test_hidden_inputs_carry_nothing_but_document_tokens():
    data = {
        "age": 30,
        "aadhaar": "234567890124",
        "members": [{"name": "Asha"}],
        "proof": "doc_" + "a" * 32,
    }
    html = soup(render_fields(KINDS, data, {}, fields=KIND_FIELDS, language="en"))
    assert [h["value"] for h in html.find_all("input", type="hidden")] == ["doc_" + "a" * 32]


@pytest.mark.django_db
def test_the_declaration_is_a_single_checkbox():
    schema = load("revenue/income_certificate.json")
    html = soup(
        render_fields(schema, {"declaration": True}, {}, fields=["declaration"], language="en")
    )
    box = html.find(id="f-declaration")
    assert (box["type"], box["value"], box.has_attr("checked")) == ("checkbox", "true", True)
    assert (
        html.find("label", attrs={"for": "f-declaration"}).get_text()
        == "I confirm the declaration above"
    )


@pytest.mark.django_db
def test_optional_fields_say_so_once_and_conditional_ones_do_not():
    income = soup(
        render_fields(
            load("revenue/income_certificate.json"),
            {},
            {},
            fields=["applicant", "income_tax_payer", "pan", "documents"],
            language="en",
        )
    )
    assert label(income, "f-applicant-email") == "E-mail (optional)"
    assert label(income, "f-applicant-full_name") == "Full name"
    assert label(income, "f-pan") == "PAN of the tax payer"
    assert label(income, "f-documents-land_record").endswith("if you own land (optional)")
    water = soup(
        render_fields(
            load("public_health/water_connection.json"), {}, {}, fields=["documents"], language="hi"
        )
    )
    # Required for tenants by a condition at the top of the form.
    assert label(water, "f-documents-owner_consent") == "मालिक की हस्ताक्षरित सहमति"
    assert label(water, "f-documents-site_plan").count("वैकल्पिक") == 1


# ------------------------------------------------------------------------------
# Errors in place
# ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_each_error_is_shown_next_to_its_field_and_announced():
    schema = load("revenue/income_certificate.json")
    errors = {
        "applicant.mobile": ["Enter a 10-digit mobile number starting with 6, 7, 8 or 9."],
        "applicant.gender": ["This field is required."],
    }
    html = soup(render_fields(schema, {}, errors, fields=["applicant"], language="en"))

    mobile = html.find(id="f-applicant-mobile")
    assert mobile["aria-invalid"] == "true"
    assert mobile["aria-describedby"].split() == [
        "f-applicant-mobile-hint",
        "f-applicant-mobile-error",
    ]
    message = html.find(id="f-applicant-mobile-error")
    assert message.name == "p" and "field-error" in message["class"]
    assert "starting with 6, 7, 8 or 9" in message.get_text()
    assert "has-error" in mobile.find_parent("div", class_="field")["class"]
    assert message.find_parent("div", class_="field") is mobile.find_parent("div", class_="field")

    radios = html.find_all("input", attrs={"name": "applicant.gender"})
    assert all(r["aria-invalid"] == "true" for r in radios)
    assert "f-applicant-gender-error" in radios[0].find_parent("fieldset")["aria-describedby"]

    full_name = html.find(id="f-applicant-full_name")
    assert not full_name.has_attr("aria-invalid")
    assert "has-error" not in full_name.find_parent("div", class_="field")["class"]


@pytest.mark.django_db
def test_the_error_summary_follows_the_order_of_the_form():
    schema = load("revenue/income_certificate.json")
    errors = {
        "declaration": ["You must confirm this."],
        "pan": ["This field is required."],
        "applicant.mobile": ["Enter a 10-digit mobile number starting with 6, 7, 8 or 9."],
        "family_members.1.age": ["Enter a number at most 120."],
        "applicant.full_name": ["This field is required."],
        "income_tax_payer": ["Answer yes or no."],
        "non_field_errors": ["Something about the whole form."],
    }
    summary = error_summary(schema, errors, language="en")
    assert [e["path"] for e in summary] == [
        "non_field_errors",
        "applicant.full_name",
        "applicant.mobile",
        "family_members.1.age",
        "income_tax_payer",
        "pan",
        "declaration",
    ]
    by_path = {e["path"]: e for e in summary}
    assert by_path["applicant.mobile"]["label"] == "Mobile number"
    assert by_path["applicant.mobile"]["anchor"] == "f-applicant-mobile"
    assert by_path["family_members.1.age"]["label"] == "Family member 2: Age"
    assert by_path["pan"]["message"] == "This field is required."
    assert error_summary(schema, {"applicant.gender": ["x"]}, language="hi")[0]["label"] == "लिंग"

    data = {"family_members": [{}, {}]}
    html = soup(
        render_fields(schema, data, errors, fields=["applicant", "family_members"], language="en")
    )
    for path in ("applicant.mobile", "family_members.1.age", "applicant.full_name"):
        assert html.find(id=by_path[path]["anchor"]) is not None


# ------------------------------------------------------------------------------
# Reading the POST back
# ------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("form_file", FORM_FILES, ids=lambda p: p.stem)
def test_every_example_round_trips_through_the_html_form(form_file):
    schema = json.loads(form_file.read_text(encoding="utf-8"))
    example = schema["examples"][0]
    documents = documents_of(example)
    parsed: dict = {}
    for step in form_steps(schema, "en"):
        html = render_fields(
            schema, example, {}, fields=step.fields, language="en", documents=documents
        )
        parsed |= parse_submission(schema, browser_post(html), fields=step.fields)
    assert prune_hidden(schema, parsed) == example
    assert validate_form_data(build_validator(schema), prune_hidden(schema, parsed)) == {}


def test_answers_are_coerced_by_the_schema():
    post = post_of(
        {
            "age": " 42 ",
            "acres": "2.30",
            "married": "false",
            "cylinders": "2",
            "needs": ["power", "water"],
            "note": "Line one\r\nLine two\r\n",
            "aadhaar": "2345 6789 0124",
            "members.0.name": "Asha",
        }
    )
    parsed = parse_submission(KINDS, post, fields=KIND_FIELDS)
    assert parsed == {
        "age": 42,
        "acres": 2.3,
        "subscribe": False,
        "married": False,
        "cylinders": 2,
        "needs": ["water", "power"],
        "note": "Line one\nLine two",
        "aadhaar": "234567890124",
        "members": [{"name": "Asha", "student": False}],
    }
    assert isinstance(parsed["acres"], float) and isinstance(parsed["cylinders"], int)


@pytest.mark.parametrize(
    "field,raw,expected",
    [
        ("age", "7", 7),
        ("age", "१२", 12),
        ("age", "12.0", 12),
        ("age", "12.5", "12.5"),
        ("age", "abc", "abc"),
        ("age", "1e999999", "1e999999"),
        ("acres", "2.30", 2.3),
        ("acres", "3", 3),
        ("acres", "0.07", 0.07),
        ("married", "true", True),
        ("subscribe", "true", True),
    ],
)
def test_one_answer_is_coerced(field, raw, expected):
    assert parse_submission(KINDS, post_of({field: raw}), fields=[field]) == {field: expected}


@pytest.mark.parametrize("field", ["age", "acres", "married", "note", "aadhaar", "needs", "proof"])
@pytest.mark.parametrize("raw", ["", "   "])
def test_an_empty_input_is_no_answer(field, raw):
    assert parse_submission(KINDS, post_of({field: raw}), fields=[field]) == {}


def test_an_unticked_checkbox_is_false():
    assert parse_submission(KINDS, post_of({}), fields=["subscribe"]) == {"subscribe": False}


def test_a_value_that_is_not_a_number_is_reported_on_its_field():
    parsed = parse_submission(
        KINDS, post_of({"age": "abc", "members.0.name": "Asha"}), fields=KIND_FIELDS
    )
    assert validate_form_data(build_validator(KINDS), parsed) == {"age": ["Enter a whole number."]}


def test_rows_are_renumbered_and_empty_rows_dropped():
    post = post_of(
        {
            "members.0.name": "",
            "members.0.age": "",
            "members.2.name": "Asha",
            "members.2.age": "30",
            "members.5.name": "Ravi",
            "members.5.student": "true",
        }
    )
    assert parse_submission(KINDS, post, fields=["members"]) == {
        "members": [
            {"name": "Asha", "age": 30, "student": False},
            {"name": "Ravi", "student": True},
        ]
    }
    assert parse_submission(KINDS, post_of({"members.0.name": ""}), fields=["members"]) == {
        "members": []
    }


@pytest.mark.django_db
def test_a_group_left_empty_is_kept_when_it_must_be_answered():
    schema = load("food_supplies/ration_card.json")
    empty = post_of(
        {"lpg.consumer_number": "", "lpg.distributor": "", "has_lpg_connection": "true"}
    )
    parsed = parse_submission(schema, empty, fields=["has_lpg_connection", "lpg"])
    assert parsed == {"has_lpg_connection": True, "lpg": {}}
    errors = validate_form_data(build_validator(schema), prune_hidden(schema, parsed))
    assert errors["lpg.consumer_number"] == ["This field is required."]


def test_a_file_field_reads_the_token_not_a_file_name():
    token = "doc_0b6c1f8e2d4a4c7e9f3b5a1d2c4e6f80"
    post = post_of({"proof": [token, "scan.pdf"]})
    assert parse_submission(KINDS, post, fields=["proof"]) == {"proof": token}
    assert document_field(KINDS, "proof")["x-file"]["max_bytes"] == 1048576
    assert document_field(KINDS, "note") is None
    assert document_field(KINDS, "members.0.name") is None


def test_only_the_fields_asked_for_are_read():
    post = post_of({"age": "4", "note": "hello"})
    assert parse_submission(KINDS, post, fields=["note"]) == {"note": "hello"}


# ------------------------------------------------------------------------------
# Rows: add and remove without JavaScript
# ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_add_another_appends_an_empty_row_and_draws_it():
    schema = load("revenue/income_certificate.json")
    example = schema["examples"][0]
    html = render_fields(schema, example, {}, fields=["income_sources"], language="en")
    add = soup(html).find("button", attrs={"name": "_add"})
    assert add["value"] == "income_sources" and add.has_attr("formnovalidate")
    assert add.get_text() == "Add another income source"

    post = browser_post(html, press=("_add", "income_sources"))
    data = example | parse_submission(schema, post, fields=["income_sources"])
    data, ran = apply_row_commands(schema, data, post)
    assert ran and data["income_sources"][-1] == {} and len(data["income_sources"]) == 3
    redrawn = soup(render_fields(schema, data, {}, fields=["income_sources"], language="en"))
    assert redrawn.find(id="f-income_sources-2-source").find("option", selected=True) is None
    assert redrawn.find(id="f-income_sources-2").legend.get_text() == "Income source 3"


@pytest.mark.django_db
def test_remove_takes_out_the_row_whose_button_was_pressed():
    schema = load("revenue/income_certificate.json")
    example = schema["examples"][0]
    html = render_fields(schema, example, {}, fields=["family_members"], language="en")
    removes = soup(html).find_all("button", attrs={"name": "_remove"})
    assert [b["value"] for b in removes] == [
        "family_members.0",
        "family_members.1",
        "family_members.2",
    ]
    assert all(b.has_attr("formnovalidate") for b in removes)

    post = browser_post(html, press=("_remove", "family_members.1"))
    data = parse_submission(schema, post, fields=["family_members"])
    data, ran = apply_row_commands(schema, data, post)
    assert ran
    assert [m["name"] for m in data["family_members"]] == ["Sunita Devi", "Pooja"]


def test_remove_counts_rows_as_posted_when_an_empty_row_was_dropped():
    post = post_of(
        {
            "members.0.name": "",
            "members.1.name": "Asha",
            "members.2.name": "Ravi",
            "_remove": "members.2",
        }
    )
    data = parse_submission(KINDS, post, fields=["members"])
    assert apply_row_commands(KINDS, data, post) == (
        {"members": [{"name": "Asha", "student": False}]},
        True,
    )


def test_row_commands_leave_the_data_alone_otherwise():
    data = {"members": [{"name": "Asha"}]}
    assert apply_row_commands(KINDS, data, post_of({"members.0.name": "Asha"})) == (data, False)
    # A made-up path, or a group already full, changes nothing (but the step is shown again).
    assert apply_row_commands(KINDS, data, post_of({"_add": "nonsense.3"})) == (data, True)
    full = {"members": [{"name": "A"}, {"name": "B"}, {"name": "C"}]}
    assert apply_row_commands(KINDS, full, post_of({"_add": "members"})) == (full, True)
    assert apply_row_commands(KINDS, {}, post_of({"_add": "members"})) == ({"members": [{}]}, True)


def test_a_repeatable_group_starts_with_its_minimum_rows_and_stops_at_its_maximum():
    html = soup(render_fields(KINDS, {}, {}, fields=["members"], language="en"))
    assert html.find(id="f-members-0-name") is not None and html.find(id="f-members-1") is None
    # The only row of a group that needs one cannot be removed.
    assert html.find("button", attrs={"name": "_remove"}) is None
    # Enter in a text box continues rather than pressing a row's button.
    first_button = html.find("button")
    assert first_button.get("name") is None and first_button["type"] == "submit"

    full = {"members": [{"name": "A"}, {"name": "B"}, {"name": "C"}]}
    html = soup(render_fields(KINDS, full, {}, fields=["members"], language="en"))
    assert html.find("button", attrs={"name": "_add"}) is None
    assert len(html.find_all("button", attrs={"name": "_remove"})) == 3


@pytest.mark.django_db
def test_a_group_that_may_be_empty_shows_no_row_once_emptied():
    schema = load("revenue/domicile_certificate.json")
    html = soup(render_fields(schema, {}, {}, fields=["previous_addresses"], language="en"))
    assert html.find(id="f-previous_addresses-0-address") is not None
    emptied = soup(
        render_fields(
            schema, {"previous_addresses": []}, {}, fields=["previous_addresses"], language="en"
        )
    )
    assert emptied.find(id="f-previous_addresses-0") is None
    assert emptied.find("button", attrs={"name": "_add"})["value"] == "previous_addresses"


# ------------------------------------------------------------------------------
# Conditional fields
# ------------------------------------------------------------------------------
def test_the_answer_to_a_question_that_does_not_apply_is_dropped():
    schema = load("revenue/income_certificate.json")
    assert "pan" not in prune_hidden(schema, {"income_tax_payer": False, "pan": "ABCDE1234F"})
    assert (
        prune_hidden(schema, {"income_tax_payer": True, "pan": "ABCDE1234F"})["pan"] == "ABCDE1234F"
    )
    rows = {
        "income_sources": [
            {"source": "salary", "description": "Shop", "annual_amount": 5},
            {"source": "other", "description": "Tailoring", "annual_amount": 6},
        ]
    }
    pruned = prune_hidden(schema, rows)["income_sources"]
    assert "description" not in pruned[0] and pruned[1]["description"] == "Tailoring"


@pytest.mark.django_db
def test_a_conditional_field_names_the_answer_that_shows_it():
    def show_when(html, html_id):
        wrapper = soup(html).find(id=html_id).find_parent(attrs={"data-show-when": True})
        return json.loads(wrapper["data-show-when"]) if wrapper else None

    water = load("public_health/water_connection.json")
    html = render_fields(
        water, {}, {}, fields=["premises", "occupancy", "owner_name"], language="en"
    )
    assert show_when(html, "f-owner_name") == {"field": "occupancy", "const": "tenant"}
    assert show_when(html, "f-occupancy") is None

    birth = load("health/birth_registration.json")
    html = render_fields(birth, {}, {}, fields=["report_delay", "delay_reason"], language="en")
    assert show_when(html, "f-delay_reason") == {
        "field": "report_delay",
        "enum": ["within_30_days", "within_1_year", "over_1_year"],
    }
    html = render_fields(birth, {}, {}, fields=["place_of_birth"], language="en")
    assert show_when(html, "f-place_of_birth-hospital_name") == {
        "field": "place_of_birth.place_type",
        "const": "hospital",
    }

    income = load("revenue/income_certificate.json")
    html = render_fields(
        income, income["examples"][0], {}, fields=["income_sources"], language="en"
    )
    assert show_when(html, "f-income_sources-1-description") == {
        "field": "income_sources.1.source",
        "const": "other",
    }


CONDITIONAL = {
    "$schema": DRAFT_2020_12,
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "pan": {"type": "string", "x-label": {"en": "PAN", "hi": "पैन"}},
        "name": {"type": "string", "x-label": {"en": "Name", "hi": "नाम"}},
        "taxed": {"type": "boolean", "x-widget": "radio", "x-label": {"en": "Taxed?", "hi": "कर?"}},
    },
    "allOf": [
        {
            "if": {"properties": {"taxed": {"const": True}}, "required": ["taxed"]},
            "then": {"required": ["pan"]},
        }
    ],
}


def test_a_conditional_field_is_drawn_right_after_its_question():
    html = soup(render_fields(CONDITIONAL, {}, {}, fields=["pan", "name", "taxed"], language="en"))
    names = [c["name"] for c in html.find_all("input") if c.get("name")]
    assert names == ["name", "taxed", "taxed", "pan"]


def test_a_conditional_field_whose_question_was_on_another_page_is_drawn_only_if_it_applies():
    html = render_fields(CONDITIONAL, {"taxed": False}, {}, fields=["pan"], language="en")
    assert soup(html).find(id="f-pan") is None
    html = render_fields(CONDITIONAL, {"taxed": True}, {}, fields=["pan"], language="en")
    assert soup(html).find(id="f-pan") is not None


# ------------------------------------------------------------------------------
# Check your answers
# ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_answers_are_shown_as_the_citizen_chose_them():
    schema = load("revenue/income_certificate.json")
    example = schema["examples"][0]
    documents = {example["documents"]["photo"]: {"name": "me.jpg", "size": 1000}}
    pages = answers(schema, example, language="en", documents=documents)
    assert [p["step"].id for p in pages] == [s.id for s in form_steps(schema, "en")]
    rows = {row["path"]: row for page in pages for row in page["rows"]}
    assert rows["applicant.gender"]["value"] == "Female"
    assert rows["applicant.gender"]["label"] == "Gender"
    assert rows["applicant.date_of_birth"]["value"] == "12-04-1986"
    assert rows["applicant.aadhaar"]["value"] == "XXXXXXXX0124"
    assert rows["address.tehsil"]["value"].startswith("Ambala")
    assert rows["owns_agricultural_land"]["value"] == "No"
    assert rows["declaration"]["value"] == "Yes"
    assert rows["documents.photo"]["value"] == "me.jpg"
    assert rows["family_members.1.relation"] == {
        "label": "Family member 2: Relation to you",
        "value": "Spouse",
        "path": "family_members.1.relation",
        "anchor": "f-family_members-1-relation",
    }
    family = next(p for p in pages if p["step"].id == "family")["rows"]
    assert [r["label"] for r in family[:2]] == [
        "Family member 1: Name",
        "Family member 1: Relation to you",
    ]
    assert "pan" not in rows and "land_area_acres" not in rows

    hindi = {
        row["path"]: row for page in answers(schema, example, language="hi") for row in page["rows"]
    }
    assert hindi["applicant.gender"]["value"] == "महिला"
    assert hindi["income_tax_payer"]["value"] == "नहीं"
    assert hindi["address.tehsil"]["value"].startswith("अंबाला")


def test_answers_list_choices_and_numbers_plainly():
    data = {
        "age": 4,
        "acres": 2.3,
        "needs": ["water", "power"],
        "subscribe": False,
        "members": [{"name": "Asha"}],
    }
    rows = {row["path"]: row["value"] for row in answers(KINDS, data, language="en")[0]["rows"]}
    assert rows == {
        "age": "4",
        "acres": "2.3",
        "subscribe": "No",
        "needs": "Water, Power",
        "members.0.name": "Asha",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("form_file", FORM_FILES, ids=lambda p: p.stem)
def test_every_error_of_an_empty_submission_is_drawn_at_its_field(form_file):
    schema = json.loads(form_file.read_text(encoding="utf-8"))
    steps = form_steps(schema, "en")
    parsed: dict = {}
    for step in steps:
        html = render_fields(schema, {}, {}, fields=step.fields, language="en")
        parsed |= parse_submission(schema, browser_post(html), fields=step.fields)
    errors = validate_form_data(build_validator(schema), prune_hidden(schema, parsed))
    assert errors
    drawn = set()
    for step in steps:
        html = soup(render_fields(schema, parsed, errors, fields=step.fields, language="en"))
        for path in errors:
            message = html.find(id="f-" + path.replace(".", "-") + "-error")
            if message is not None:
                drawn.add(path)
                assert errors[path][0] in message.get_text()
    assert drawn == set(errors)
    summary = error_summary(schema, errors, language="en")
    assert {entry["path"] for entry in summary} == set(errors)
    assert all(entry["label"] and entry["anchor"] for entry in summary)


def test_fields_defined_once_and_referenced_are_drawn_read_and_pruned():
    place = {
        "type": "object",
        "additionalProperties": False,
        "x-label": {"en": "Place", "hi": "स्थान"},
        "required": ["kind"],
        "properties": {
            "kind": {
                "type": "string",
                "enum": ["home", "other"],
                "x-label": {"en": "Kind", "hi": "प्रकार"},
                "x-enum-labels": {
                    "home": {"en": "Home", "hi": "घर"},
                    "other": {"en": "Other", "hi": "अन्य"},
                },
            },
            "detail": {"type": "string", "x-label": {"en": "Detail", "hi": "विवरण"}},
        },
        "allOf": [
            {
                "if": {"properties": {"kind": {"const": "other"}}, "required": ["kind"]},
                "then": {"required": ["detail"]},
            }
        ],
    }
    schema = {
        "$schema": DRAFT_2020_12,
        "$defs": {"place": place},
        "type": "object",
        "additionalProperties": False,
        "required": ["birth"],
        "properties": {
            "birth": {"$ref": "#/$defs/place", "x-label": {"en": "Birth place", "hi": "जन्म स्थान"}}
        },
    }
    html = render_fields(schema, {}, {}, fields=["birth"], language="en")
    drawn = soup(html)
    assert drawn.find("legend").get_text() == "Birth place"
    assert json.loads(drawn.find(id="f-birth-detail").find_parent("div")["data-show-when"]) == {
        "field": "birth.kind",
        "const": "other",
    }
    parsed = parse_submission(
        schema, post_of({"birth.kind": "home", "birth.detail": "Hut"}), fields=["birth"]
    )
    assert prune_hidden(schema, parsed) == {"birth": {"kind": "home"}}


def test_a_field_emptied_on_its_step_loses_its_earlier_answer():
    saved = {"age": 4, "note": "old", "acres": 2}
    step_data = parse_submission(
        KINDS, post_of({"note": "", "acres": "3"}), fields=["note", "acres"]
    )
    assert replace_step_answers(saved, step_data, fields=["note", "acres"]) == {
        "age": 4,
        "acres": 3,
    }
