"""check_definitions: each kind of mistake a department admin can make in a definition file
is reported against the right file, at the right place (JSON pointer and line), in words
that name what is wrong. Each test breaks one thing in a copy of the income certificate's
definitions under a temporary root; the repository itself must stay clean."""

from __future__ import annotations

import copy
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command

from seva.definitions.lint import load_definitions
from seva.definitions.sources import DefinitionProblem

REPO = Path(__file__).resolve().parents[2]

SERVICE = f"{settings.SEVA_SERVICE_DIR}/revenue/income-certificate.yaml"
FORM = f"{settings.SEVA_FORM_DIR}/revenue/income_certificate.json"
WORKFLOW = f"{settings.SEVA_WORKFLOW_DIR}/certificate_verification.yaml"
ORG = f"{settings.SEVA_SERVICE_DIR}/_org"
ROLES_FILE = "service_definitions/_org/roles.yaml"  # as the messages spell it

# The language every text must also be given in, besides English.
SECOND_LANGUAGE = settings.SEVA_LANGUAGES[-1]


# ------------------------------------------------------------------------------
# A temporary definitions root holding one service, its form and its workflow
# ------------------------------------------------------------------------------
class DefinitionsRoot:
    def __init__(self, path: Path) -> None:
        self.path = path

    def file(self, rel: str) -> Path:
        return self.path / rel

    def read_text(self, rel: str) -> str:
        return self.file(rel).read_text(encoding="utf-8")

    def write_text(self, rel: str, text: str) -> Path:
        """Write raw text: for mistakes that are not valid YAML or JSON at all."""
        target = self.file(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target

    def replace_text(self, rel: str, old: str, new: str) -> Path:
        text = self.read_text(rel)
        assert text.count(old) == 1, f"{old!r} should occur once in {rel}"
        return self.write_text(rel, text.replace(old, new))

    def load(self, rel: str) -> Any:
        text = self.read_text(rel)
        return json.loads(text) if rel.endswith(".json") else yaml.safe_load(text)

    def dump(self, rel: str, data: Any) -> Path:
        if rel.endswith(".json"):
            text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        else:
            text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
        return self.write_text(rel, text)

    def edit(self, rel: str, mutate: Callable[[Any], Any]) -> Path:
        """Load a YAML or JSON file, let `mutate` change the data in place, write it back."""
        data = self.load(rel)
        mutate(data)
        return self.dump(rel, data)

    def copy(self, rel: str, new_rel: str, mutate: Callable[[Any], Any] | None = None) -> Path:
        data = self.load(rel)
        if mutate:
            mutate(data)
        return self.dump(new_rel, data)

    def remove(self, rel: str) -> None:
        self.file(rel).unlink()

    def line(self, rel: str, *patterns: str) -> int:
        """The 1-based line matching the last pattern, each searched after the previous match."""
        lines = self.read_text(rel).splitlines()
        index = -1
        for pattern in patterns:
            index = next(
                (i for i in range(index + 1, len(lines)) if re.search(pattern, lines[i])), None
            )
            assert index is not None, f"no line matching {pattern!r} in {rel}"
        return index + 1

    def problems(self) -> list[DefinitionProblem]:
        return load_definitions(self.path)[1]


@pytest.fixture
def root(tmp_path: Path) -> DefinitionsRoot:
    shutil.copytree(REPO / ORG, tmp_path / ORG)
    for rel in (SERVICE, FORM, WORKFLOW):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, tmp_path / rel)
    return DefinitionsRoot(tmp_path)


def listing(problems: Iterable[DefinitionProblem]) -> str:
    return "\n".join(f"  {p}" for p in problems) or "  (none)"


def expect(
    problems: list[DefinitionProblem], file: str, pointer: str, *words: str
) -> DefinitionProblem:
    """The problem reported in `file` at `pointer` whose message contains every one of `words`."""
    assert problems, "the broken definition was accepted"
    here = [p for p in problems if p.file == file and p.pointer == pointer]
    assert here, f"nothing reported in {file} at {pointer!r}; reported:\n{listing(problems)}"
    for problem in here:
        if all(word in problem.message for word in words):
            return problem
    raise AssertionError(f"no message with {words} in {file} at {pointer!r}:\n{listing(here)}")


# ------------------------------------------------------------------------------
# Clean definitions
# ------------------------------------------------------------------------------
def test_languages_are_english_and_hindi():
    assert list(settings.SEVA_LANGUAGES) == ["en", "hi"]


def test_the_untouched_copy_has_no_problems(root):
    dset, problems = load_definitions(root.path)
    assert problems == [], listing(problems)
    assert set(dset.services) == {"income-certificate"}
    assert set(dset.forms) == {"revenue/income_certificate.json"}
    assert set(dset.workflows) == {"certificate_verification"}


def test_the_whole_repository_has_no_problems():
    dset, problems = load_definitions()
    assert problems == [], listing(problems)
    assert dset.root == Path(settings.SEVA_DEFINITIONS_ROOT).resolve()
    assert "income-certificate" in dset.services


def test_the_command_passes_on_the_repository():
    out = io.StringIO()
    call_command("check_definitions", stdout=out, stderr=io.StringIO())
    assert out.getvalue().startswith("OK:")


def test_the_command_passes_on_a_clean_file(root):
    out = io.StringIO()
    call_command("check_definitions", str(root.file(SERVICE)), stdout=out)
    assert "OK:" in out.getvalue()


def test_the_command_fails_on_a_broken_file_and_names_it(root):
    broken = root.edit(WORKFLOW, lambda w: w["states"]["decision"].update(role="naib_tehsildar"))
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"1 problem\(s\) found"):
        call_command("check_definitions", str(broken), stdout=io.StringIO(), stderr=err)
    line = root.line(WORKFLOW, r"^    role: naib_tehsildar$")
    assert f"{WORKFLOW}:{line}: at /states/decision/role" in err.getvalue()
    assert "role 'naib_tehsildar' is not defined" in err.getvalue()


def test_the_command_checks_only_the_files_it_is_given(root):
    root.edit(WORKFLOW, lambda w: w["states"]["decision"].update(role="naib_tehsildar"))
    out = io.StringIO()
    call_command("check_definitions", str(root.file(FORM)), stdout=out, stderr=io.StringIO())
    assert "OK:" in out.getvalue()


def test_the_command_refuses_a_path_that_does_not_exist(root):
    with pytest.raises(CommandError, match="no such file or folder"):
        call_command("check_definitions", str(root.file("workflows_yaml/nope.yaml")))


# ------------------------------------------------------------------------------
# Files that do not parse
# ------------------------------------------------------------------------------
def test_yaml_syntax_error_gives_the_line(root):
    root.replace_text(SERVICE, "  day_type: working\n", "  day_type: working: yes\n")
    problem = expect(root.problems(), SERVICE, "", "is not valid YAML", "mapping values")
    assert problem.line == root.line(SERVICE, r"day_type: working: yes") == 38


def test_colon_inside_a_flow_mapping_gets_the_quoting_hint(root):
    root.replace_text(
        WORKFLOW,
        "label: {en: Documents being checked,",
        "label: {en: Note: documents being checked,",
    )
    problem = expect(root.problems(), WORKFLOW, "", "is not valid YAML", "inside double quotes")
    assert problem.line == root.line(WORKFLOW, r"label: {en: Note: documents being checked,")


def test_invalid_json_in_a_form_gives_the_line(root):
    root.replace_text(
        FORM,
        '"title": "Income certificate application",\n',
        '"title": "Income certificate application"\n',
    )
    problem = expect(root.problems(), FORM, "", "is not valid JSON", "delimiter")
    assert problem.line == 4  # where the missing comma is noticed: the next key


def test_duplicate_key_in_yaml(root):
    root.replace_text(SERVICE, "kind: service\n", "kind: service\nkind: scheme\n")
    problem = expect(
        root.problems(), SERVICE, "", "is not valid YAML", "'kind' appears twice", "line 5"
    )
    assert problem.line == 6


def test_a_comma_inside_a_flow_mapping_gets_the_quoting_hint(root):
    root.replace_text(
        SERVICE,
        "    en: Haryana Right to Service Act, 2014\n    hi: हरियाणा सेवा का अधिकार अधिनियम, 2014\n",
        "    {en: Haryana Right to Service Act, 2014, hi: हरियाणा सेवा का अधिकार अधिनियम, 2014}\n",
    )
    problem = expect(root.problems(), SERVICE, "", "'2014' appears twice", "double quotes")
    assert problem.line == root.line(SERVICE, r"\{en: Haryana Right")


def test_a_broken_form_is_reported_once_and_the_service_says_why(root):
    root.write_text(FORM, "{")
    problems = root.problems()
    expect(problems, FORM, "", "is not valid JSON")
    expect(problems, SERVICE, "/form", "has problems of its own")


# ------------------------------------------------------------------------------
# Service files
# ------------------------------------------------------------------------------
def test_service_missing_a_required_key(root):
    root.edit(SERVICE, lambda s: s.pop("rts"))
    problem = expect(root.problems(), SERVICE, "", "is missing 'rts'")
    assert problem.line == 1


def test_unknown_key_in_a_service_suggests_the_right_one(root):
    root.edit(SERVICE, lambda s: s["rts"].update(dayz=s["rts"].pop("days")) and None)
    problems = root.problems()
    problem = expect(problems, SERVICE, "/rts/dayz", "unknown key 'dayz'", "did you mean 'days'?")
    assert problem.line == root.line(SERVICE, r"^  dayz: 15$")
    # The missing 'days' is reported too, at the rts mapping.
    expect(problems, SERVICE, "/rts", "is missing 'days'")


def test_service_code_must_match_the_file_name(root):
    root.edit(SERVICE, lambda s: s.update(code="income-cert"))
    problem = expect(
        root.problems(),
        SERVICE,
        "/code",
        "code 'income-cert'",
        "must match the file name 'income-certificate'",
    )
    assert problem.line == root.line(SERVICE, r"^code: income-cert$") == 1


def test_department_must_match_the_folder(root):
    root.edit(SERVICE, lambda s: s.update(department="social_justice"))
    problem = expect(
        root.problems(),
        SERVICE,
        "/department",
        "department 'social_justice'",
        "must match the folder 'revenue'",
    )
    assert problem.line == root.line(SERVICE, r"^department: social_justice$")


def test_unknown_department(root):
    moved = f"{settings.SEVA_SERVICE_DIR}/tourism/income-certificate.yaml"
    root.copy(SERVICE, moved, lambda s: s.update(department="tourism"))
    root.remove(SERVICE)
    problem = expect(
        root.problems(),
        moved,
        "/department",
        "department 'tourism' is not defined",
        "departments.yaml",
    )
    assert problem.line == root.line(moved, r"^department: tourism$")


def test_designated_officer_role_unknown(root):
    root.edit(SERVICE, lambda s: s["rts"].update(designated_officer="naib_tehsildar"))
    problem = expect(
        root.problems(),
        SERVICE,
        "/rts/designated_officer",
        "role 'naib_tehsildar' is not defined",
        ROLES_FILE,
    )
    assert problem.line == root.line(SERVICE, r"^  designated_officer: naib_tehsildar$")


def test_form_referenced_but_missing(root):
    root.remove(FORM)
    problem = expect(
        root.problems(),
        SERVICE,
        "/form",
        "form 'revenue/income_certificate.json' does not exist",
        FORM,
    )
    assert problem.line == 46


def test_workflow_referenced_but_missing(root):
    root.remove(WORKFLOW)
    problem = expect(
        root.problems(),
        SERVICE,
        "/workflow",
        "workflow 'certificate_verification' does not exist",
        WORKFLOW,
    )
    assert problem.line == 47


def test_sms_event_fired_by_the_workflow_without_a_template(root):
    root.edit(SERVICE, lambda s: s["sms"].pop("returned"))
    problem = expect(
        root.problems(),
        SERVICE,
        "/sms",
        "workflow 'certificate_verification' sends SMS 'returned'",
        "no template",
    )
    assert problem.line == root.line(SERVICE, r"^sms:$")


def test_sms_variable_unknown(root):
    def rename(service):
        service["sms"]["received"]["en"]["variables"][2] = "due_date"

    root.edit(SERVICE, rename)
    problem = expect(
        root.problems(),
        SERVICE,
        "/sms/received/en/variables/2",
        "SMS variable 'due_date' does not exist",
        "rts_due_date",  # the list of variables it might have meant
    )
    assert problem.line == root.line(SERVICE, r"^      - due_date$")


def test_sms_slot_count_differs_from_variables(root):
    def drop_slot(service):
        template = service["sms"]["approved"][SECOND_LANGUAGE]
        template["text"] = template["text"].replace("{#var#}", "", 1)

    root.edit(SERVICE, drop_slot)
    problem = expect(
        root.problems(),
        SERVICE,
        f"/sms/approved/{SECOND_LANGUAGE}",
        "the text has 2 {#var#} slots but 3 variables are listed",
    )
    assert problem.line == root.line(SERVICE, r"^  approved:$", rf"^    {SECOND_LANGUAGE}:$")


def test_service_name_missing_hindi(root):
    root.edit(SERVICE, lambda s: s["name"].pop(SECOND_LANGUAGE))
    problem = expect(root.problems(), SERVICE, "/name", "has no Hindi (hi) text")
    assert problem.line == root.line(SERVICE, r"^name:$")


def test_sms_template_missing_hindi(root):
    root.edit(SERVICE, lambda s: s["sms"]["rejected"].pop(SECOND_LANGUAGE))
    problem = expect(root.problems(), SERVICE, "/sms/rejected", "has no Hindi (hi) text")
    assert problem.line == root.line(SERVICE, r"^  rejected:$")


def test_dlt_template_id_malformed(root):
    def shorten(service):
        service["sms"]["received"]["en"]["dlt_template_id"] = "110716123450000010"

    root.edit(SERVICE, shorten)
    problem = expect(
        root.problems(),
        SERVICE,
        "/sms/received/en/dlt_template_id",
        "'110716123450000010' is not in the expected form",
        "19-digit",
    )
    assert problem.line == root.line(SERVICE, r"dlt_template_id: '110716123450000010'")


def test_dlt_template_id_without_quotes_is_a_number(root):
    root.replace_text(
        SERVICE, 'dlt_template_id: "1107161234500001209"', "dlt_template_id: 1107161234500001209"
    )
    problem = expect(root.problems(), SERVICE, "/sms/approved/en/dlt_template_id", "should be text")
    assert problem.line == 73


def test_eligibility_fact_unknown(root):
    root.edit(SERVICE, lambda s: s["eligibility"]["rules"][0].update(fact="residence_years"))
    problem = expect(
        root.problems(),
        SERVICE,
        "/eligibility/rules/0/fact",
        "eligibility question 'residence_years' is not known",
        "years_resident",
    )
    assert problem.line == root.line(SERVICE, r"fact: residence_years$")


def test_eligibility_condition_with_a_refused_keyword(root):
    root.edit(
        SERVICE,
        lambda s: s["eligibility"]["rules"][0].update(condition={"not": {"maximum": 0}}),
    )
    problem = expect(
        root.problems(),
        SERVICE,
        "/eligibility/rules/0/condition/not",
        "keyword 'not' is not supported",
    )
    assert problem.line == root.line(SERVICE, r"^      not:$")


def test_mobile_field_must_have_format_mobile(root):
    root.edit(SERVICE, lambda s: s["applicant"].update(mobile_field="applicant.aadhaar"))
    problem = expect(
        root.problems(),
        SERVICE,
        "/applicant/mobile_field",
        "field 'applicant.aadhaar' must have format 'mobile'",
    )
    assert problem.line == root.line(SERVICE, r"^  mobile_field: applicant.aadhaar$")


def test_applicant_name_field_not_in_the_form(root):
    root.edit(SERVICE, lambda s: s["applicant"].update(name_field="applicant.name"))
    problem = expect(
        root.problems(),
        SERVICE,
        "/applicant/name_field",
        "field 'applicant.name' is not in form 'revenue/income_certificate.json'",
    )
    assert problem.line == root.line(SERVICE, r"^  name_field: applicant.name$")


def test_jurisdiction_field_too_coarse_for_the_processing_level(root):
    def district_level(form):
        form["properties"]["address"]["properties"]["tehsil"]["x-jurisdiction-level"] = "district"

    root.edit(FORM, district_level)
    problems = root.problems()
    problem = expect(
        problems,
        SERVICE,
        "/applicant/jurisdiction_field",
        "field 'address.tehsil' picks a district",
        "too coarse",
        "tehsil",
    )
    assert problem.line == root.line(SERVICE, r"^  jurisdiction_field: address.tehsil$")
    assert not [p for p in problems if p.file == FORM], listing(problems)


def test_document_field_that_is_not_an_upload(root):
    root.edit(SERVICE, lambda s: s["documents"][0].update(field="applicant.full_name"))
    problem = expect(
        root.problems(),
        SERVICE,
        "/documents/0/field",
        "field 'applicant.full_name' is not a file upload",
    )
    assert problem.line == root.line(SERVICE, r"field: applicant.full_name$")


def test_duplicate_service_code_in_two_files(root):
    twin = f"{settings.SEVA_SERVICE_DIR}/social_justice/income-certificate.yaml"
    root.copy(SERVICE, twin, lambda s: s.update(department="social_justice", reference_code="INS"))
    problem = expect(
        root.problems(),
        twin,
        "/code",
        "service code 'income-certificate' is already used by",
        SERVICE,
    )
    assert problem.line == 1


def test_duplicate_reference_code(root):
    other = f"{settings.SEVA_SERVICE_DIR}/revenue/residence-certificate.yaml"
    root.copy(SERVICE, other, lambda s: s.update(code="residence-certificate"))
    problem = expect(
        root.problems(),
        other,
        "/reference_code",
        "reference code 'INC' is already used by",
        SERVICE,
    )
    assert problem.line == root.line(other, r"^reference_code: INC$") == 2


# ------------------------------------------------------------------------------
# Workflow files
# ------------------------------------------------------------------------------
def test_workflow_unknown_key_suggests_the_right_one(root):
    def misspell(workflow):
        state = workflow["states"]["scrutiny"]
        workflow["states"]["scrutiny"] = {
            ("sla_dayz" if k == "sla_days" else k): v for k, v in state.items()
        }

    root.edit(WORKFLOW, misspell)
    problems = root.problems()
    problem = expect(
        problems,
        WORKFLOW,
        "/states/scrutiny/sla_dayz",
        "unknown key 'sla_dayz'",
        "did you mean 'sla_days'?",
    )
    assert problem.line == root.line(WORKFLOW, r"^    sla_dayz: 3$")
    # The service does not pile on problems of its own about a workflow that is broken.
    expect(problems, SERVICE, "/workflow", "has problems of its own")


def test_workflow_code_must_match_the_file_name(root):
    root.edit(WORKFLOW, lambda w: w.update(code="certificate_verify"))
    problem = expect(
        root.problems(),
        WORKFLOW,
        "/code",
        "code 'certificate_verify' must match the file name 'certificate_verification'",
    )
    assert problem.line == 1


def test_unknown_role_in_a_workflow_state(root):
    root.edit(WORKFLOW, lambda w: w["states"]["field_verification"].update(role="kanungo"))
    problem = expect(
        root.problems(),
        WORKFLOW,
        "/states/field_verification/role",
        "role 'kanungo' is not defined",
        ROLES_FILE,
    )
    assert problem.line == root.line(WORKFLOW, r"^    role: kanungo$")


def test_unknown_escalation_role(root):
    root.edit(WORKFLOW, lambda w: w["states"]["decision"].update(escalate_to=["sdm", "dm"]))
    problem = expect(
        root.problems(),
        WORKFLOW,
        "/states/decision/escalate_to/1",
        "role 'dm' is not defined",
    )
    assert problem.line == root.line(WORKFLOW, r"^  decision:$", r"^    - dm$")


def test_unknown_role_in_a_transition(root):
    root.edit(
        WORKFLOW, lambda w: w["transitions"][0].update(roles=["revenue_clerk", "naib_tehsildar"])
    )
    problem = expect(
        root.problems(),
        WORKFLOW,
        "/transitions/0/roles/1",
        "role 'naib_tehsildar' is not defined",
        "or write 'citizen'",
    )
    assert problem.line == root.line(WORKFLOW, r"^  - naib_tehsildar$")


def test_unreachable_state(root):
    def add_orphan(workflow):
        workflow["states"]["on_hold"] = {
            "label": {"en": "On hold", "hi": "रोका गया"},
            "role": "tehsildar",
            "sla_days": 5,
        }
        workflow["transitions"].append(
            {
                "action": "resume",
                "label": {"en": "Resume", "hi": "फिर से शुरू करें"},
                "from": "on_hold",
                "to": "decision",
                "roles": ["tehsildar"],
            }
        )

    root.edit(WORKFLOW, add_orphan)
    problem = expect(
        root.problems(),
        WORKFLOW,
        "/states/on_hold",
        "state 'on_hold' cannot be reached from the initial state 'scrutiny'",
    )
    assert problem.line == root.line(WORKFLOW, r"^  on_hold:$")


def test_dead_end_state_that_is_not_terminal(root):
    def add_dead_end(workflow):
        workflow["states"]["on_hold"] = {
            "label": {"en": "On hold", "hi": "रोका गया"},
            "role": "tehsildar",
            "sla_days": 5,
        }
        workflow["transitions"].append(
            {
                "action": "hold",
                "label": {"en": "Put on hold", "hi": "रोकें"},
                "from": "decision",
                "to": "on_hold",
                "roles": ["tehsildar"],
            }
        )

    root.edit(WORKFLOW, add_dead_end)
    problem = expect(
        root.problems(),
        WORKFLOW,
        "/states/on_hold",
        "state 'on_hold' is a dead end",
        "not terminal",
    )
    assert problem.line == root.line(WORKFLOW, r"^  on_hold:$")


def test_no_path_to_a_terminal_state(root):
    def add_loop(workflow):
        for code in ("on_hold", "parked"):
            workflow["states"][code] = {
                "label": {"en": code, "hi": code},
                "role": "tehsildar",
                "sla_days": 5,
            }
        for action, source, target in (
            ("hold", "decision", "on_hold"),
            ("park", "on_hold", "parked"),
            ("unpark", "parked", "on_hold"),
        ):
            workflow["transitions"].append(
                {
                    "action": action,
                    "label": {"en": action, "hi": action},
                    "from": source,
                    "to": target,
                    "roles": ["tehsildar"],
                }
            )

    root.edit(WORKFLOW, add_loop)
    problem = expect(
        root.problems(),
        WORKFLOW,
        "/states/on_hold",
        "from state 'on_hold' no path leads to a terminal state",
    )
    assert problem.line == root.line(WORKFLOW, r"^  on_hold:$")


def test_terminal_state_without_outcome(root):
    root.edit(WORKFLOW, lambda w: w["states"]["withdrawn"].pop("outcome"))
    problem = expect(
        root.problems(),
        WORKFLOW,
        "/states/withdrawn",
        "terminal state 'withdrawn' has no outcome",
        "outcome: approved, rejected, closed or withdrawn",
    )
    assert problem.line == root.line(WORKFLOW, r"^  withdrawn:$")


def test_transition_to_an_unknown_state(root):
    root.edit(WORKFLOW, lambda w: w["transitions"][4].update(to="aproved"))
    problem = expect(
        root.problems(),
        WORKFLOW,
        "/transitions/4/to",
        "action 'approve' leads to 'aproved', which is not a state",
    )
    assert problem.line == root.line(WORKFLOW, r"^  to: aproved$")


def test_transition_from_an_unknown_state(root):
    root.edit(WORKFLOW, lambda w: w["transitions"][2].update({"from": "retuned"}))
    problem = expect(
        root.problems(),
        WORKFLOW,
        "/transitions/2/from",
        "action 'resubmit' starts from 'retuned', which is not a state",
    )
    assert problem.line == root.line(WORKFLOW, r"^  from: retuned$")


def test_duplicate_action_from_the_same_state(root):
    def duplicate(workflow):
        again = copy.deepcopy(workflow["transitions"][4])  # approve, from decision
        again["to"] = "rejected"
        workflow["transitions"].append(again)

    root.edit(WORKFLOW, duplicate)
    problem = expect(
        root.problems(),
        WORKFLOW,
        "/transitions/7/action",
        "action 'approve' from 'decision' is already defined at transition 5",
    )
    assert problem.line == root.line(WORKFLOW, r"^- action: withdraw$", r"^- action: approve$")


def test_with_citizen_state_without_a_citizen_action(root):
    def take_away_from_citizen(workflow):
        resubmit, withdraw = workflow["transitions"][2], workflow["transitions"][6]
        assert (resubmit["action"], withdraw["action"]) == ("resubmit", "withdraw")
        resubmit["roles"] = ["revenue_clerk"]
        withdraw["from"].remove("returned")

    root.edit(WORKFLOW, take_away_from_citizen)
    problem = expect(
        root.problems(),
        WORKFLOW,
        "/states/returned",
        "state 'returned' waits for the citizen",
        "no action out of it is for 'citizen'",
    )
    assert problem.line == root.line(WORKFLOW, r"^  returned:$")


def test_holder_role_without_an_action_out_of_its_state(root):
    root.edit(
        WORKFLOW,
        lambda w: w["states"]["decision"].update(escalate_to=["sdm", "deputy_commissioner"]),
    )
    problem = expect(
        root.problems(),
        WORKFLOW,
        "/states/decision",
        "role 'deputy_commissioner' can hold state 'decision' but has no action out of it",
    )
    assert problem.line == root.line(WORKFLOW, r"^  decision:$")


def test_state_held_by_nobody(root):
    root.edit(WORKFLOW, lambda w: w["states"]["decision"].pop("role"))
    problem = expect(
        root.problems(), WORKFLOW, "/states/decision", "state 'decision' says nobody holds"
    )
    assert problem.line == root.line(WORKFLOW, r"^  decision:$")


def test_unknown_guard(root):
    root.edit(WORKFLOW, lambda w: w["transitions"][4].update(guards=["not_own_aplication"]))
    problem = expect(
        root.problems(),
        WORKFLOW,
        "/transitions/4/guards/0",
        "guard 'not_own_aplication' is not registered",
        "not_own_application",
    )
    assert problem.line == root.line(WORKFLOW, r"^  - not_own_aplication$")


def test_the_command_reports_an_unregistered_name_with_its_place_not_a_system_check_error(root):
    # As a department runs it: manage.py, with Django's system checks, on a folder whose
    # workflow names a guard that does not exist.
    root.edit(WORKFLOW, lambda w: w["transitions"][4].update(guards=["not_own_aplication"]))
    env = {**os.environ, "SEVA_DEFINITIONS_ROOT": str(root.path)}
    run = subprocess.run(
        [sys.executable, str(REPO / "manage.py"), "check_definitions"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1, run.stderr
    assert "SystemCheckError" not in run.stderr
    line = root.line(WORKFLOW, r"^  - not_own_aplication$")
    assert f"{WORKFLOW}:{line}: at /transitions/4/guards/0" in run.stderr, run.stderr


def test_officer_input_schema_without_examples(root):
    root.edit(WORKFLOW, lambda w: w["transitions"][1]["input_schema"].pop("examples"))
    problem = expect(
        root.problems(),
        WORKFLOW,
        "/transitions/1/input_schema/examples",
        "officer input",
        '"examples"',
    )
    # The examples are gone, so the line is that of the input_schema that lacks them.
    assert problem.line == root.line(
        WORKFLOW, r"^- action: return_for_correction$", r"^  input_schema:$"
    )


def test_officer_input_example_invalid(root):
    def too_short(workflow):
        workflow["transitions"][1]["input_schema"]["examples"] = [{"correction_needed": "x"}]

    root.edit(WORKFLOW, too_short)
    problem = expect(
        root.problems(),
        WORKFLOW,
        "/transitions/1/input_schema/examples/0",
        "officer input: example 1 is not valid",
        "'correction_needed'",
    )
    assert problem.line == root.line(WORKFLOW, r"correction_needed: x$")


def test_workflow_label_missing_hindi(root):
    root.edit(WORKFLOW, lambda w: w["transitions"][3]["label"].pop(SECOND_LANGUAGE))
    problem = expect(root.problems(), WORKFLOW, "/transitions/3/label", "has no Hindi (hi) text")
    assert problem.line == root.line(
        WORKFLOW, r"^- action: submit_verification_report$", r"^  label:$"
    )


# ------------------------------------------------------------------------------
# Form files
# ------------------------------------------------------------------------------
def test_form_schema_must_be_draft_2020_12(root):
    root.edit(FORM, lambda f: f.update({"$schema": "http://json-schema.org/draft-07/schema#"}))
    problem = expect(
        root.problems(),
        FORM,
        "/$schema",
        "https://json-schema.org/draft/2020-12/schema",
        "draft 2020-12",
    )
    assert problem.line == 2


def test_form_with_draft_07_dependencies(root):
    root.edit(FORM, lambda f: f.update(dependencies={"income_tax_payer": ["pan"]}))
    problem = expect(root.problems(), FORM, "/dependencies", "'dependencies'", "dependentRequired")
    assert problem.line == root.line(FORM, r'^  "dependencies": \{$')


def test_form_with_oneof(root):
    def alternatives(form):
        form["properties"]["pan"]["oneOf"] = [{"minLength": 10}, {"maxLength": 0}]

    root.edit(FORM, alternatives)
    problem = expect(root.problems(), FORM, "/properties/pan/oneOf", "'oneOf'", "if`/`then")
    assert problem.line == root.line(FORM, r'^    "pan": \{$', r'"oneOf": \[$')


def test_pattern_using_backslash_d(root):
    root.edit(FORM, lambda f: f["properties"]["pan"].update(pattern=r"^[A-Z]{5}\d{4}[A-Z]$"))
    problem = expect(
        root.problems(),
        FORM,
        "/properties/pan/pattern",
        r"uses \d",
        "Devanagari",
        "[0-9]",
    )
    assert problem.line == root.line(FORM, r'"pattern": "\^\[A-Z\]\{5\}\\\\d')


def test_pattern_that_does_not_compile(root):
    root.edit(FORM, lambda f: f["properties"]["pan"].update(pattern="^([A-Z]{5}[0-9]{4}[A-Z]$"))
    problem = expect(
        root.problems(), FORM, "/properties/pan/pattern", "does not compile", "^([A-Z]{5}"
    )
    assert problem.line == root.line(FORM, r'^    "pan": \{$', r'"pattern":')


def test_unknown_format(root):
    def dob(form):
        form["properties"]["applicant"]["properties"]["date_of_birth"]["format"] = "dob"

    root.edit(FORM, dob)
    problem = expect(
        root.problems(),
        FORM,
        "/properties/applicant/properties/date_of_birth/format",
        "format 'dob' is not known",
        "date",
    )
    assert problem.line == root.line(FORM, r'"format": "dob"')


def test_form_without_examples(root):
    root.edit(FORM, lambda f: f.pop("examples"))
    problem = expect(root.problems(), FORM, "/examples", 'a form needs "examples"')
    assert problem.line == 1  # nothing to point at: the form itself


def test_form_example_invalid_names_the_field(root):
    root.edit(FORM, lambda f: f["examples"][0]["applicant"].update(mobile="12345"))
    problem = expect(
        root.problems(),
        FORM,
        "/examples/0",
        "example 1 is not valid",
        "'applicant.mobile'",
        "10-digit mobile number",
    )
    assert problem.line == root.line(FORM, r'^  "examples": \[$') + 1


def test_file_field_without_x_file(root):
    root.edit(FORM, lambda f: f["properties"]["documents"]["properties"]["photo"].pop("x-file"))
    problem = expect(
        root.problems(),
        FORM,
        "/properties/documents/properties/photo",
        "field 'photo' is a file upload and needs x-file",
        "accept",
        "max_bytes",
    )
    assert problem.line == root.line(FORM, r'^        "photo": \{$')


def test_file_field_accepting_a_word_document(root):
    def accept_doc(form):
        spec = form["properties"]["documents"]["properties"]["photo"]["x-file"]
        spec["accept"] = ["image/jpeg", "application/msword"]

    root.edit(FORM, accept_doc)
    problem = expect(
        root.problems(),
        FORM,
        "/properties/documents/properties/photo/x-file/accept",
        "field 'photo' accepts application/msword",
    )
    assert problem.line == root.line(FORM, r'^        "photo": \{$', r'"accept": \[$')


def test_enum_without_x_enum_labels(root):
    root.edit(
        FORM, lambda f: f["properties"]["applicant"]["properties"]["gender"].pop("x-enum-labels")
    )
    problem = expect(
        root.problems(),
        FORM,
        "/properties/applicant/properties/gender",
        "field 'gender' has choices but no x-enum-labels",
    )
    assert problem.line == root.line(FORM, r'^        "gender": \{$')


def test_object_without_additional_properties_false(root):
    root.edit(FORM, lambda f: f["properties"]["address"].pop("additionalProperties"))
    problem = expect(root.problems(), FORM, "/properties/address", '"additionalProperties": false')
    assert problem.line == root.line(FORM, r'^    "address": \{$')


def test_field_missing_from_x_steps(root):
    root.edit(FORM, lambda f: f["x-steps"][3]["fields"].remove("pan"))
    problem = expect(root.problems(), FORM, "/x-steps", "field 'pan' is in no step", "never see it")
    assert problem.line == root.line(FORM, r'^  "x-steps": \[$')


def test_required_names_a_field_that_does_not_exist(root):
    root.edit(FORM, lambda f: f["properties"]["address"]["required"].append("district"))
    problem = expect(
        root.problems(),
        FORM,
        "/properties/address/required",
        "'district' is required but is not a field here",
    )
    assert problem.line == root.line(FORM, r'^    "address": \{$', r'"required": \[$')


def test_form_field_label_missing_hindi(root):
    def english_only(form):
        form["properties"]["applicant"]["properties"]["full_name"]["x-label"].pop(SECOND_LANGUAGE)

    root.edit(FORM, english_only)
    problem = expect(
        root.problems(),
        FORM,
        "/properties/applicant/properties/full_name/x-label",
        "'full_name'",
        "label",
        "has no Hindi (hi) text",
    )
    assert problem.line == root.line(FORM, r'^        "full_name": \{$', r'"x-label": \{$')


def test_unknown_widget(root):
    def slider(form):
        form["properties"]["address"]["properties"]["years_at_address"]["x-widget"] = "slider"

    root.edit(FORM, slider)
    problem = expect(
        root.problems(),
        FORM,
        "/properties/address/properties/years_at_address/x-widget",
        "widget 'slider', which does not exist",
    )
    assert problem.line == root.line(FORM, r'"x-widget": "slider"')


# ------------------------------------------------------------------------------
# Sync is all or nothing
# ------------------------------------------------------------------------------
def _add_second_service(root: DefinitionsRoot) -> None:
    root.copy(
        SERVICE,
        f"{settings.SEVA_SERVICE_DIR}/revenue/residence-proof.yaml",
        lambda s: s.update(code="residence-proof", reference_code="RSP"),
    )


@pytest.mark.django_db
def test_a_clean_root_syncs_the_new_service(root):
    """The control for the test below: without the broken file the new service is loaded."""
    from seva.definitions.models import Service
    from seva.definitions.services import definitions_sync

    _add_second_service(root)
    report = definitions_sync(root=root.path)
    assert report.created == ["residence-proof v1"]
    assert Service.objects.filter(code="residence-proof").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("broken_file", "break_it"),
    [
        pytest.param(WORKFLOW, lambda r: r.write_text(WORKFLOW, "code: [\n"), id="yaml-syntax"),
        pytest.param(
            WORKFLOW,
            lambda r: r.edit(WORKFLOW, lambda w: w["states"]["decision"].update(role="dm")),
            id="unknown-role",
        ),
        pytest.param(FORM, lambda r: r.edit(FORM, lambda f: f.pop("examples")), id="form-lint"),
    ],
)
def test_a_broken_definition_is_never_half_loaded(root, broken_file, break_it):
    from seva.definitions.models import Service, ServiceVersion
    from seva.definitions.services import DefinitionsInvalid, definitions_sync
    from seva.org.models import Department, Role

    _add_second_service(root)
    break_it(root)
    models = (Service, ServiceVersion, Department, Role)
    before = {model: model.objects.count() for model in models}

    with pytest.raises(DefinitionsInvalid, match="nothing was loaded") as caught:
        definitions_sync(root=root.path)

    assert broken_file in {p.file for p in caught.value.problems}
    assert {model: model.objects.count() for model in models} == before
    assert not Service.objects.filter(code="residence-proof").exists()


# ------------------------------------------------------------------------------
# Mistakes the linter once let through
# ------------------------------------------------------------------------------
def test_duplicate_key_in_a_form_json(root):
    root.replace_text(
        FORM,
        '"type": "object",\n  "additionalProperties": false,\n',
        '"type": "object",\n  "additionalProperties": false,\n  "type": "array",\n',
    )
    problem = expect(root.problems(), FORM, "", "'type' appears twice")
    assert problem.line == 11


def test_invalid_state_name_says_what_a_name_may_contain(root):
    root.replace_text(WORKFLOW, "  field_verification:\n", "  Field-Verification:\n")
    expect(
        root.problems(),
        WORKFLOW,
        "/states",
        "'Field-Verification' is not a valid name",
        "lower-case letters",
    )


# ------------------------------------------------------------------------------
# SMS values written as expressions over the form's answers
# ------------------------------------------------------------------------------
def _sms_value(expression: str):
    return lambda s: s["sms"]["received"]["en"]["variables"].__setitem__(1, expression)


def test_an_sms_value_may_be_an_expression_over_the_form(root):
    root.edit(SERVICE, _sms_value("data.total_annual_income"))
    assert [p for p in root.problems() if "/sms/" in p.pointer] == []


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("data.total_income", "does not compile against the form: at character 5: unknown name"),
        ("data.applicant.full_name", "can be longer than 30 characters"),
        ('data.applicant.full_name + " ji"', "can be longer than 30 characters"),
        ("lenght(data.purpose)", "unknown name or function 'lenght'"),
    ],
)
def test_an_sms_expression_that_cannot_work_is_refused_with_its_place(root, expression, says):
    root.edit(SERVICE, _sms_value(expression))
    expect(root.problems(), SERVICE, "/sms/received/en/variables/1", says)


def test_a_misspelt_sms_variable_is_still_an_unknown_name(root):
    root.edit(SERVICE, _sms_value("servce_name"))
    expect(root.problems(), SERVICE, "/sms/received/en/variables/1", "SMS variable 'servce_name'")


# ------------------------------------------------------------------------------
# The documents a service issues (`issues`)
# ------------------------------------------------------------------------------
def test_a_placeholder_naming_a_field_that_does_not_exist_is_refused_at_its_place(root):
    root.replace_text(
        SERVICE,
        '- {label: Name, value: "{{ data.applicant.full_name }}"}',
        '- {label: Name, value: "{{ data.applicant.ful_name }}"}',
    )
    problem = expect(
        root.problems(),
        SERVICE,
        "/issues/0/body/en/1/facts/0/value",
        "'data.applicant.ful_name' does not compile",
    )
    assert problem.line == root.line(SERVICE, r"label: Name, value:")


def test_a_placeholder_naming_an_officer_input_that_does_not_exist_is_refused(root):
    def misspell(service):
        service["issues"][1]["body"]["en"][1]["facts"][0]["value"] = "{{ inputs.reject.reasons }}"

    root.edit(SERVICE, misspell)
    expect(
        root.problems(),
        SERVICE,
        "/issues/1/body/en/1/facts/0/value",
        "'inputs.reject.reasons' does not compile",
    )


def test_a_document_without_its_hindi_body_or_title_is_refused(root):
    def drop_hindi(service):
        del service["issues"][0]["body"][SECOND_LANGUAGE]
        del service["issues"][0]["title"][SECOND_LANGUAGE]

    root.edit(SERVICE, drop_hindi)
    problems = root.problems()
    expect(problems, SERVICE, "/issues/0/body", SECOND_LANGUAGE)
    expect(problems, SERVICE, "/issues/0/title", SECOND_LANGUAGE)


def test_a_document_issued_on_a_state_the_workflow_lacks_is_refused(root):
    def wrong_state(service):
        service["issues"][0]["state"] = "aproved"

    root.edit(SERVICE, wrong_state)
    expect(root.problems(), SERVICE, "/issues/0/state", "'aproved'", "approved")


def test_a_series_token_that_does_not_exist_is_refused(root):
    def wrong_token(service):
        service["issues"][0]["series"] = "{state}/INC/{tehsil}/{year}"

    root.edit(SERVICE, wrong_token)
    expect(root.problems(), SERVICE, "/issues/0/series", "{tehsil}", "{district}")


def test_a_document_sms_the_service_has_no_template_for_is_refused(root):
    def wrong_sms(service):
        service["issues"][0]["sms"] = "certificate_ready"

    root.edit(SERVICE, wrong_sms)
    expect(root.problems(), SERVICE, "/issues/0/sms", "'certificate_ready'")


def test_a_document_sms_also_sent_on_entering_its_state_is_refused(root):
    def announce_early(workflow):
        workflow["states"]["approved"]["sms_on_enter"] = ["approved"]

    root.edit(WORKFLOW, announce_early)
    expect(root.problems(), SERVICE, "/issues/0/sms", "also sent on entering", "sms_on_enter")


def test_an_unclosed_placeholder_and_a_wrong_validity_type_are_refused(root):
    def break_them(service):
        service["issues"][0]["title"]["en"] = "Income {{ data.purpose"
        service["issues"][0]["validity"] = {"until": "data.total_annual_income"}

    root.edit(SERVICE, break_them)
    problems = root.problems()
    expect(problems, SERVICE, "/issues/0/title/en", "not closed")
    expect(problems, SERVICE, "/issues/0/validity/until", "gives int", "string")


def test_two_documents_with_one_code_are_refused(root):
    def twice(service):
        service["issues"][1]["code"] = service["issues"][0]["code"]

    root.edit(SERVICE, twice)
    expect(root.problems(), SERVICE, "/issues/1/code", "used twice")


def test_a_dlt_template_id_given_another_text_in_another_service_is_refused(root):
    other = f"{settings.SEVA_SERVICE_DIR}/revenue/residence-certificate.yaml"

    def reworded(service):
        service.update(code="residence-certificate", reference_code="RES")
        received = service["sms"]["received"]["en"]
        received["text"] = received["text"].replace("is received", "has arrived")

    root.copy(SERVICE, other, reworded)
    problem = expect(
        root.problems(),
        other,
        "/sms/received/en/dlt_template_id",
        "1107161234500000101",
        "registered for another text",
        SERVICE,
    )
    assert problem.line == root.line(other, r"^  received:$", r"dlt_template_id")
    # The same registered template in two services is one template, and is no problem.
    root.copy(
        SERVICE, other, lambda s: s.update(code="residence-certificate", reference_code="RES")
    )
    assert not [p for p in root.problems() if "registered for another text" in p.message]
