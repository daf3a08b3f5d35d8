"""check_definitions: every definition file against its meta-schema, then across files.

The result is a list of problems, each naming the file, the place in it and what to do.
`load_definitions` returns the checked documents too, so sync loads exactly what was checked.
"""

from __future__ import annotations

import contextlib
import difflib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from jsonschema import Draft202012Validator, ValidationError, validators

from seva.core.levels import LEVELS
from seva.expressions.language import ExpressionError, compile_expression, result_fits
from seva.formschemas.lint import LANGUAGE_NAMES, lint_form_schema
from seva.formschemas.paths import schema_at
from seva.formschemas.rules import form_variables
from seva.formschemas.validation import UnsupportedSchema, build_validator
from seva.workflows.branches import Stuck, explore_branches
from seva.workflows.engine import Workflow, compile_workflow
from seva.workflows.lint import lint_workflow
from seva.workflows.names import INPUTS, input_field, workflow_variables

from .eligibility import Fact, facts_file_problems, facts_from_document, rule_problems
from .fees import (
    BUDGET_HEADS_FILE,
    BudgetHead,
    budget_heads_from_document,
    fee_placeholder_variables,
    fee_problems,
    fee_reads_problems,
    heads_file_problems,
)
from .issued import DOCUMENT_FACTS, issue_problems
from .sms import (
    MAX_VALUE_CHARS,
    SMS_VARIABLES,
    VAR_TOKEN,
    is_expression,
    template_problems,
    variable_count,
)
from .sources import DefinitionProblem, Kind, SourceFile, pointer_join, read_source

METASCHEMA_DIR = Path(__file__).parent / "metaschemas"
ORG_DIR = "_org"


# ------------------------------------------------------------------------------
# Meta-schemas, with one extra keyword: `x-translated` (every configured language present)
# ------------------------------------------------------------------------------
def _translated(validator, enabled, instance, schema):
    if not enabled or not isinstance(instance, dict):
        return
    languages = list(settings.SEVA_LANGUAGES)
    missing = [lang for lang in languages if lang not in instance]
    if missing:
        names = ", ".join(f"{LANGUAGE_NAMES.get(m, m)} ({m})" for m in missing)
        yield ValidationError(
            f"has no {names} text; every text is needed in {', '.join(languages)}"
        )
    for key, text in instance.items():
        if key not in languages:
            yield ValidationError(f"'{key}' is not a configured language ({', '.join(languages)})")
        elif isinstance(text, str) and not text.strip():
            yield ValidationError(f"the {LANGUAGE_NAMES.get(key, key)} ({key}) text is blank")


MetaValidator = validators.extend(Draft202012Validator, {"x-translated": _translated})


@cache
def meta_validator(kind: Kind) -> Draft202012Validator:
    schema = json.loads((METASCHEMA_DIR / f"{kind.value}.schema.json").read_text())
    return MetaValidator(schema)


_TYPE_WORDS = {
    "object": "a mapping (key: value)",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
}


def _meta_messages(error: ValidationError) -> list[tuple[list[str | int], str]]:
    """Turn a meta-schema error into (path, words for a department admin) pairs."""
    path = list(error.absolute_path)
    keyword, value, instance = error.validator, error.validator_value, error.instance
    if "propertyNames" in error.absolute_schema_path:
        return [
            (
                path,
                f"'{instance}' is not a valid name: use lower-case letters, digits and _, starting with a letter",
            )
        ]
    if keyword == "required":
        missing = [k for k in value if isinstance(instance, dict) and k not in instance]
        return [(path, f"is missing {', '.join(repr(k) for k in missing)}")]
    if keyword == "additionalProperties" and isinstance(instance, dict):
        allowed = sorted((error.schema.get("properties") or {}).keys())
        if allowed:
            found = []
            for key in (k for k in instance if k not in allowed):
                guess = difflib.get_close_matches(str(key), allowed, n=1)
                hint = (
                    f"; did you mean '{guess[0]}'?"
                    if guess
                    else f"; allowed keys: {', '.join(allowed)}"
                )
                found.append(([*path, key], f"unknown key '{key}'{hint}"))
            return found
    if keyword == "type" and path[-2:] == ["fee", "amount"]:
        return [
            (path, "should be a whole number of rupees, or an expression (in quotes) giving it")
        ]
    if keyword == "type" and len(path) == 3 and path[0] == "fees" and path[2] == "amount":
        return [
            (
                path,
                "should be rupees (a number, at most two decimals), or an expression (in "
                "quotes) giving them",
            )
        ]
    if keyword == "type":
        expected: list[str] = value if isinstance(value, list) else [value]
        words = f"should be {' or '.join(_TYPE_WORDS.get(t, t) for t in expected)}"
        if "string" in expected and isinstance(instance, int | float):
            words += f'; write it in quotes ("{instance}") so that it is read as text'
        return [(path, words)]
    if keyword == "enum":
        return [(path, f"'{instance}' is not allowed; use one of: {', '.join(map(str, value))}")]
    if keyword == "pattern":
        described = error.schema.get("description")
        return [
            (
                path,
                f"'{instance}' is not in the expected form{f' ({described})' if described else ''}",
            )
        ]
    if keyword == "oneOf" and error.schema.get("oneOf"):
        return [(path, "should be one state code or a list of state codes")]
    return [(path, error.message)]


def meta_problems(source: SourceFile) -> list[DefinitionProblem]:
    problems = []
    errors = meta_validator(source.kind).iter_errors(source.data)
    for error in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
        for path, message in _meta_messages(error):
            problems.append(source.problem(pointer_join("", *path), message))
    return problems


# ------------------------------------------------------------------------------
# The set of definitions under one root
# ------------------------------------------------------------------------------
@dataclass
class DefinitionSet:
    root: Path
    departments: dict[str, dict] = field(default_factory=dict)
    roles: dict[str, dict] = field(default_factory=dict)
    facts: dict[str, Fact] = field(default_factory=dict)  # the eligibility questions, by name
    budget_heads: dict[str, BudgetHead] = field(default_factory=dict)  # by code
    services: dict[str, SourceFile] = field(default_factory=dict)  # by service code
    forms: dict[str, SourceFile] = field(default_factory=dict)  # by path under form_schemas/
    workflows: dict[str, SourceFile] = field(default_factory=dict)  # by workflow code
    files: list[SourceFile] = field(default_factory=list)
    broken: set[str] = field(default_factory=set)  # files with problems of their own

    def bundle(self, code: str) -> dict[str, Any]:
        """The three documents of one service, as a ServiceVersion stores them."""
        service = self.services[code].data
        return {
            "service": service,
            "form": self.forms[service["form"]].data,
            "workflow": self.workflows[service["workflow"]].data,
        }


def _rel(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _discover(root: Path) -> list[tuple[Path, Kind]]:
    found: list[tuple[Path, Kind]] = []
    service_dir = root / settings.SEVA_SERVICE_DIR
    org = service_dir / ORG_DIR
    for name, kind in (
        ("departments.yaml", Kind.DEPARTMENTS),
        ("roles.yaml", Kind.ROLES),
        ("eligibility.yaml", Kind.ELIGIBILITY),
        ("budget_heads.yaml", Kind.BUDGET_HEADS),
    ):
        found.append((org / name, kind))
    if service_dir.is_dir():
        for path in sorted(service_dir.glob("*/*.y*ml")):
            if path.parent.name != ORG_DIR:
                found.append((path, Kind.SERVICE))
    form_dir = root / settings.SEVA_FORM_DIR
    if form_dir.is_dir():
        found += [(p, Kind.FORM) for p in sorted(form_dir.rglob("*.json"))]
    workflow_dir = root / settings.SEVA_WORKFLOW_DIR
    if workflow_dir.is_dir():
        found += [(p, Kind.WORKFLOW) for p in sorted(workflow_dir.rglob("*.y*ml"))]
    return found


def load_definitions(root: Path | None = None) -> tuple[DefinitionSet, list[DefinitionProblem]]:
    """Parse and check every definition under `root`. Problems empty means all may be synced."""
    root = Path(root or settings.SEVA_DEFINITIONS_ROOT).resolve()
    dset = DefinitionSet(root=root)
    problems: list[DefinitionProblem] = []

    for path, kind in _discover(root):
        name = _rel(root, path)
        if not path.exists():
            problems.append(
                DefinitionProblem(
                    name, "", f"is missing; the {kind.value} of the state are defined here"
                )
            )
            continue
        source, parse_problems = read_source(path, name, kind)
        dset.files.append(source)
        problems += parse_problems
        if parse_problems:
            dset.broken.add(name)
            continue
        if kind is Kind.FORM:
            rel = _rel(root / settings.SEVA_FORM_DIR, path)
            dset.forms[rel] = source
            continue
        found = meta_problems(source)
        problems += found
        if found:
            dset.broken.add(name)
            continue
        if kind is Kind.DEPARTMENTS:
            problems += _collect_unique(source, "departments", "code", dset.departments)
            problems += _unique_values(source, "departments", "short_code")
        elif kind is Kind.ROLES:
            problems += _collect_unique(source, "roles", "code", dset.roles)
            if "citizen" in dset.roles:
                problems.append(
                    source.problem(
                        "/roles", "'citizen' is reserved for the applicant; choose another code"
                    )
                )
        elif kind is Kind.ELIGIBILITY:
            found = [source.problem(p, m) for p, m in facts_file_problems(source.data)]
            problems += found
            if found:
                dset.broken.add(name)
            else:
                dset.facts = facts_from_document(source.data)
        elif kind is Kind.BUDGET_HEADS:
            departments_file = f"{settings.SEVA_SERVICE_DIR}/{ORG_DIR}/departments.yaml"
            found = [
                source.problem(p, m)
                for p, m in heads_file_problems(
                    source.data,
                    departments=None if departments_file in dset.broken else dset.departments,
                )
            ]
            problems += found
            if found:
                dset.broken.add(name)
            else:
                dset.budget_heads = budget_heads_from_document(source.data)
        elif kind is Kind.WORKFLOW:
            code = _rel(root / settings.SEVA_WORKFLOW_DIR, path).rsplit(".", 1)[0]
            if source.data["code"] != code:
                problems.append(
                    source.problem(
                        "/code", f"code '{source.data['code']}' must match the file name '{code}'"
                    )
                )
            dset.workflows[code] = source
        elif kind is Kind.SERVICE:
            problems += _register_service(dset, source, path)

    languages = list(settings.SEVA_LANGUAGES)
    roles_file = f"{settings.SEVA_SERVICE_DIR}/{ORG_DIR}/roles.yaml"
    known_roles = None if roles_file in dset.broken else set(dset.roles)
    departments_file = f"{settings.SEVA_SERVICE_DIR}/{ORG_DIR}/departments.yaml"
    known_departments = None if departments_file in dset.broken else set(dset.departments)
    for form in dset.forms.values():
        problems += [
            form.problem(p, m) for p, m in lint_form_schema(form.data, languages=languages)
        ]
    for workflow in dset.workflows.values():
        problems += [
            workflow.problem(p, m)
            for p, m in lint_workflow(
                workflow.data,
                roles=known_roles,
                languages=languages,
                departments=known_departments,
            )
        ]
    for service in dset.services.values():
        problems += _service_cross_checks(dset, service)
    problems += _dlt_id_checks(dset)
    return dset, _dedupe(problems)


def _dlt_id_checks(dset: DefinitionSet) -> list[DefinitionProblem]:
    """A DLT template id names one registered text: two services may share a template, but
    an id given another text would be refused by the operator for one of them."""
    first: dict[str, tuple[str, str]] = {}  # id -> (text, where it was first seen)
    problems = []
    for code in sorted(dset.services):
        source = dset.services[code]
        for event, per_language in source.data["sms"].items():
            for language, template in per_language.items():
                dlt_id, text = template["dlt_template_id"], template["text"]
                where = f"{source.name} (sms/{event}/{language})"
                seen = first.setdefault(dlt_id, (text, where))
                if seen[0] != text:
                    problems.append(
                        source.problem(
                            pointer_join("/sms", event, language, "dlt_template_id"),
                            f"DLT template id {dlt_id} is registered for another text, in "
                            f"{seen[1]}: each text has its own id",
                        )
                    )
    return problems


def _dedupe(problems: Iterable[DefinitionProblem]) -> list[DefinitionProblem]:
    return list(dict.fromkeys(problems))


def _collect_unique(
    source: SourceFile, key: str, id_key: str, into: dict[str, dict]
) -> list[DefinitionProblem]:
    problems = []
    for index, item in enumerate(source.data[key]):
        if item[id_key] in into:
            problems.append(
                source.problem(
                    pointer_join("", key, index, id_key), f"'{item[id_key]}' is defined twice"
                )
            )
        into[item[id_key]] = item
    return problems


def _unique_values(source: SourceFile, key: str, value_key: str) -> list[DefinitionProblem]:
    seen: set[str] = set()
    problems = []
    for index, item in enumerate(source.data[key]):
        if item[value_key] in seen:
            problems.append(
                source.problem(
                    pointer_join("", key, index, value_key), f"'{item[value_key]}' is used twice"
                )
            )
        seen.add(item[value_key])
    return problems


def _register_service(
    dset: DefinitionSet, source: SourceFile, path: Path
) -> list[DefinitionProblem]:
    data = source.data
    problems = []
    if path.stem != data["code"]:
        problems.append(
            source.problem("/code", f"code '{data['code']}' must match the file name '{path.stem}'")
        )
    if path.parent.name != data["department"]:
        problems.append(
            source.problem(
                "/department",
                f"department '{data['department']}' must match the folder '{path.parent.name}'",
            )
        )
    if data["code"] in dset.services:
        other = dset.services[data["code"]].name
        problems.append(
            source.problem("/code", f"service code '{data['code']}' is already used by {other}")
        )
        return problems
    for registered in dset.services.values():
        if (registered.data["department"], registered.data["reference_code"]) == (
            data["department"],
            data["reference_code"],
        ):
            problems.append(
                source.problem(
                    "/reference_code",
                    f"reference code '{data['reference_code']}' is already used by {registered.name}",
                )
            )
    dset.services[data["code"]] = source
    return problems


def _service_cross_checks(dset: DefinitionSet, source: SourceFile) -> list[DefinitionProblem]:
    data = source.data
    problems: list[DefinitionProblem] = []
    org = f"{settings.SEVA_SERVICE_DIR}/{ORG_DIR}"
    departments_known = f"{org}/departments.yaml" not in dset.broken
    roles_known = f"{org}/roles.yaml" not in dset.broken
    if departments_known and data["department"] not in dset.departments:
        problems.append(
            source.problem(
                "/department",
                f"department '{data['department']}' is not defined in service_definitions/_org/departments.yaml",
            )
        )
    for key in ("designated_officer", "first_appellate_authority", "second_appellate_authority"):
        role = data["rts"][key]
        if roles_known and role not in dset.roles:
            problems.append(
                source.problem(
                    f"/rts/{key}",
                    f"role '{role}' is not defined in service_definitions/_org/roles.yaml",
                )
            )
    facts_known = f"{org}/eligibility.yaml" not in dset.broken
    for index, rule in enumerate((data.get("eligibility") or {}).get("rules", [])):
        at = pointer_join("/eligibility/rules", index)
        if facts_known:
            problems += [source.problem(at + p, m) for p, m in rule_problems(rule, dset.facts)]
        if "condition" not in rule:
            continue
        try:
            build_validator(
                {"$schema": "https://json-schema.org/draft/2020-12/schema", **rule["condition"]}
            )
        except UnsupportedSchema as exc:
            problems += [source.problem(at + "/condition" + p, m) for p, m in exc.problems]

    form_name = f"{settings.SEVA_FORM_DIR}/{data['form']}"
    form = dset.forms.get(data["form"])
    if form is None and form_name in dset.broken:
        problems.append(
            source.problem(
                "/form", f"form '{data['form']}' has problems of its own; fix those first"
            )
        )
    elif form is None:
        problems.append(
            source.problem("/form", f"form '{data['form']}' does not exist: expected {form_name}")
        )
    workflow_name = f"{settings.SEVA_WORKFLOW_DIR}/{data['workflow']}.yaml"
    workflow = dset.workflows.get(data["workflow"])
    if workflow is None and workflow_name in dset.broken:
        problems.append(
            source.problem(
                "/workflow",
                f"workflow '{data['workflow']}' has problems of its own; fix those first",
            )
        )
    elif workflow is None:
        problems.append(
            source.problem(
                "/workflow",
                f"workflow '{data['workflow']}' does not exist: expected {workflow_name}",
            )
        )

    if form is not None and isinstance(form.data, dict):
        problems += _form_field_checks(source, form.data)
        if workflow is not None and isinstance(workflow.data, dict):
            found = _condition_checks(source, form.data, workflow)
            problems += found or _branch_checks(source, form.data, workflow)
            problems += _place_from_checks(source, form.data, workflow)
        problems += _variant_checks(source, form.data)
        problems += _fee_checks(source, form.data)
    if workflow is not None:
        try:
            events = compile_workflow(workflow.data).sms_events()
        except (KeyError, TypeError, ValueError):
            events = set()  # the workflow's own problems are reported against its file
        for event in sorted(events - set(data["sms"])):
            problems.append(
                source.problem(
                    "/sms",
                    f"workflow '{data['workflow']}' sends SMS '{event}', but this service has no template for it",
                )
            )
    compiled = None
    if workflow is not None and isinstance(workflow.data, dict):
        with contextlib.suppress(KeyError, TypeError, ValueError):
            compiled = compile_workflow(workflow.data)
    problems += _sms_checks(
        source, form.data if form is not None and isinstance(form.data, dict) else None, compiled
    )
    problems += _issue_checks(
        source,
        form.data if form is not None and isinstance(form.data, dict) else None,
        compiled,
        roles=set(dset.roles) if roles_known else None,
    )
    problems += _fees_checks(
        dset,
        source,
        form.data if form is not None and isinstance(form.data, dict) else None,
        compiled,
    )
    if compiled is not None and workflow is not None:
        problems += [workflow.problem(p, m) for p, m in fee_reads_problems(data, workflow.data)]
    return problems


def _fees_checks(
    dset: DefinitionSet, source: SourceFile, form: dict | None, workflow: Workflow | None
) -> list[DefinitionProblem]:
    """The fees paid through Seva: their state, amount, head and refund (definitions.fees)."""
    heads_file = f"{settings.SEVA_SERVICE_DIR}/{BUDGET_HEADS_FILE}"
    found = fee_problems(
        source.data,
        form=form,
        workflow=workflow,
        heads=None if heads_file in dset.broken else dset.budget_heads,
    )
    return [source.problem(pointer, message) for pointer, message in found]


def _issue_checks(
    source: SourceFile, form: dict | None, workflow: Workflow | None, *, roles: set[str] | None
) -> list[DefinitionProblem]:
    """The documents the service issues: their state, series, SMS, roles and placeholders."""
    variables = None
    fee_codes = tuple(fee["code"] for fee in source.data.get("fees") or ())
    if form is not None and workflow is not None:
        with contextlib.suppress(KeyError, TypeError, ValueError):
            variables = (
                *form_variables(form),
                *workflow_variables(workflow),
                *DOCUMENT_FACTS,
                *fee_placeholder_variables(fee_codes),
            )
    states = dict(workflow.states) if workflow is not None else None
    problems = []
    seen: set[str] = set()
    for index, issue in enumerate(source.data.get("issues") or ()):
        at = pointer_join("/issues", index)
        if issue["code"] in seen:
            problems.append(source.problem(at + "/code", f"'{issue['code']}' is used twice"))
        seen.add(issue["code"])
        found = issue_problems(
            issue,
            variables=variables,
            states=states,
            sms_events=set(source.data["sms"]),
            roles=roles,
            fee_codes=fee_codes,
        )
        problems += [source.problem(at + pointer, message) for pointer, message in found]
        state = (states or {}).get(issue["state"])
        if state is not None and issue.get("sms") in state.sms_on_enter:
            problems.append(
                source.problem(
                    at + "/sms",
                    f"SMS '{issue['sms']}' is also sent on entering '{issue['state']}', before the "
                    "document is signed: take it out of the state's sms_on_enter",
                )
            )
    return problems


def _variant_checks(source: SourceFile, form: dict) -> list[DefinitionProblem]:
    """Each RTS variant's condition compiled against the service's form."""
    try:
        variables = form_variables(form)
    except (KeyError, TypeError, ValueError):
        return []
    problems = []
    for index, variant in enumerate(source.data["rts"].get("variants") or []):
        at = pointer_join("/rts/variants", index, "if")
        try:
            program = compile_expression(variant["if"], variables)
        except ExpressionError as exc:
            problems.append(
                source.problem(at, f"condition '{variant['if']}' does not compile: {exc.message}")
            )
            continue
        if program.returns not in ("bool", "dyn"):
            problems.append(
                source.problem(
                    at, f"condition '{variant['if']}' gives a {program.returns}, not true or false"
                )
            )
    return problems


def _fee_checks(source: SourceFile, form: dict) -> list[DefinitionProblem]:
    """A fee written as an expression, compiled against the service's form: it must give a
    number (of rupees)."""
    amount = (source.data.get("fee") or {}).get("amount")
    if not isinstance(amount, str):
        return []
    try:
        program = compile_expression(amount, form_variables(form))
    except ExpressionError as exc:
        return [
            source.problem(
                "/fee/amount", f"fee '{amount}' does not compile against the form: {exc.message}"
            )
        ]
    except (KeyError, TypeError, ValueError):
        return []  # the form's own problems are reported against its file
    if not result_fits(program.returns, "double"):
        return [
            source.problem(
                "/fee/amount",
                f"fee '{amount}' gives a {program.returns}, not a number of rupees",
            )
        ]
    return []


def _condition_checks(
    source: SourceFile, form: dict, workflow: SourceFile
) -> list[DefinitionProblem]:
    """Each workflow condition (`if`) compiled against this service's form: a workflow is
    shared, so a field one service's form lacks is reported naming that service."""
    try:
        variables = form_variables(form)
    except (KeyError, TypeError, ValueError):
        return []  # the form's own problems are reported against its file
    # An action's condition may also read the application's facts, the officers' inputs and
    # the consultations' answers; a stage deadline's variant reads the form only. The workflow's own problems are reported against its file.
    with_answers = variables
    with contextlib.suppress(KeyError, TypeError, ValueError):
        with_answers = (*variables, *workflow_variables(compile_workflow(workflow.data)))
    places = [
        (pointer_join("/transitions", index, "if"), spec.get("if"), with_answers)
        for index, spec in enumerate(workflow.data.get("transitions") or [])
        if isinstance(spec, dict)
    ]
    places += [
        (pointer_join("/states", code, "sla_variants", index, "if"), item.get("if"), variables)
        for code, state in (workflow.data.get("states") or {}).items()
        if isinstance(state, dict)
        for index, item in enumerate(state.get("sla_variants") or [])
        if isinstance(item, dict)
    ]
    problems = []
    for at, condition, names in places:
        if condition is None:
            continue
        try:
            program = compile_expression(condition, names)
        except ExpressionError as exc:
            problems.append(
                workflow.problem(
                    at,
                    f"condition '{condition}' does not compile against the form of "
                    f"{source.name}: {exc.message}",
                )
            )
            continue
        if program.returns not in ("bool", "dyn"):
            problems.append(
                workflow.problem(
                    at, f"condition '{condition}' gives a {program.returns}, not true or false"
                )
            )
    return problems


def _place_from_checks(
    source: SourceFile, form: dict, workflow: SourceFile
) -> list[DefinitionProblem]:
    """A state routed by another place than the applicant's names a place field of this
    service's form (format: jurisdiction)."""
    problems = []
    for code, state in (workflow.data.get("states") or {}).items():
        field = state.get("place_from") if isinstance(state, dict) else None
        if not isinstance(field, str):
            continue
        schema = schema_at(form, field)
        if not isinstance(schema, dict) or schema.get("format") != "jurisdiction":
            problems.append(
                workflow.problem(
                    pointer_join("/states", code, "place_from"),
                    f"place_from '{field}' is not a place field (format: jurisdiction) of the "
                    f"form of {source.name}",
                )
            )
    return problems


def _branch_checks(source: SourceFile, form: dict, workflow: SourceFile) -> list[DefinitionProblem]:
    """The workflow's conditions tried on synthetic applications of this service's form
    (workflows.branches): a state that some data leaves with no way out is refused, in the
    workflow file, naming the service and the data."""
    try:
        report = explore_branches(form, compile_workflow(workflow.data))
    except (KeyError, TypeError, ValueError):
        return []  # the workflow's or the form's own problems are reported against them
    first: dict[str, Stuck] = {}
    for stuck in report.stuck:
        first.setdefault(stuck.state, stuck)
    return [
        workflow.problem(
            pointer_join("/states", state),
            f"{stuck.describe()} (tried on the form of {source.name}): the file would wait "
            "for ever; give the state an action without a condition, or conditions that "
            "cover every case",
        )
        for state, stuck in first.items()
    ]


def _form_field_checks(source: SourceFile, form: dict) -> list[DefinitionProblem]:
    data = source.data
    problems = []
    expected = {"name_field": None, "mobile_field": "mobile", "jurisdiction_field": "jurisdiction"}
    for key, fmt in expected.items():
        path = data["applicant"][key]
        schema = schema_at(form, path)
        if schema is None:
            problems.append(
                source.problem(
                    f"/applicant/{key}", f"field '{path}' is not in form '{data['form']}'"
                )
            )
        elif fmt and schema.get("format") != fmt:
            problems.append(
                source.problem(f"/applicant/{key}", f"field '{path}' must have format '{fmt}'")
            )
        elif key == "jurisdiction_field":
            level = schema.get("x-jurisdiction-level")
            if level in LEVELS and LEVELS.index(level) < LEVELS.index(data["processing_level"]):
                problems.append(
                    source.problem(
                        f"/applicant/{key}",
                        f"field '{path}' picks a {level}, too coarse to find the {data['processing_level']} that processes the application",
                    )
                )
    for index, document in enumerate(data.get("documents") or []):
        if "field" in document:
            schema = schema_at(form, document["field"])
            if schema is None or schema.get("format") != "document":
                problems.append(
                    source.problem(
                        f"/documents/{index}/field",
                        f"field '{document['field']}' is not a file upload in form '{data['form']}'",
                    )
                )
    return problems


def _sms_expression_problem(
    expression: str, form: dict | None, workflow: Workflow | None = None
) -> str | None:
    """What is wrong with an SMS variable written as an expression, or None. It may read the
    form's answers, and the application's facts and the officers' inputs of its workflow."""
    if form is None:
        return None  # the form's own problems are reported against its file
    try:
        extra = workflow_variables(workflow) if workflow is not None else ()
        program = compile_expression(expression, (*form_variables(form), *extra))
    except ExpressionError as exc:
        return f"SMS value '{expression}' does not compile against the form: {exc.message}"
    except (KeyError, TypeError, ValueError):
        return None
    if program.returns in ("int", "double", "bool"):
        return None
    if expression.startswith(INPUTS) and workflow is not None:
        schema = input_field(workflow, expression)
    elif expression.startswith("data."):
        schema = schema_at(form, expression.removeprefix("data."))
    else:
        schema = None
    if program.returns == "string" and isinstance(schema, dict):
        longest = schema.get("maxLength")
        if isinstance(schema.get("enum"), list):
            longest = max((len(str(v)) for v in schema["enum"]), default=0)
        elif schema.get("format") == "date":
            longest = 10
        if isinstance(longest, int) and longest <= MAX_VALUE_CHARS:
            return None
    return (
        f"SMS value '{expression}' can be longer than {MAX_VALUE_CHARS} characters (DLT's "
        f"limit for one value): use a number, or a field with maxLength {MAX_VALUE_CHARS} or less"
    )


def _sms_checks(
    source: SourceFile, form: dict | None = None, workflow: Workflow | None = None
) -> list[DefinitionProblem]:
    problems = []
    for event, per_language in source.data["sms"].items():
        for language, template in per_language.items():
            at = pointer_join("/sms", event, language)
            slots = variable_count(template["text"])
            if slots != len(template["variables"]):
                problems.append(
                    source.problem(
                        at,
                        f"the text has {slots} {VAR_TOKEN} slots but {len(template['variables'])} variables are listed",
                    )
                )
            for index, name in enumerate(template["variables"]):
                if is_expression(name):
                    found = _sms_expression_problem(name, form, workflow)
                    if found:
                        problems.append(source.problem(pointer_join(at, "variables", index), found))
                elif name not in SMS_VARIABLES:
                    problems.append(
                        source.problem(
                            pointer_join(at, "variables", index),
                            f"SMS variable '{name}' does not exist; the variables are {', '.join(SMS_VARIABLES.names())}",
                        )
                    )
            for message in template_problems(template, service=source.data, language=language):
                problems.append(
                    source.problem(at, f"SMS template '{event}' ({language}): {message}")
                )
    return problems


def check_definitions(
    paths: Iterable[Path] = (),
) -> tuple[DefinitionSet | None, list[DefinitionProblem]]:
    """Check the definitions root, or the files and folders given (each within its own root)."""
    paths = [Path(p).resolve() for p in paths]
    if not paths:
        return load_definitions()
    all_problems: list[DefinitionProblem] = []
    dset = None
    for root, selected in _group_by_root(paths).items():
        dset, problems = load_definitions(root)
        for problem in problems:
            target = (root / problem.file).resolve()
            if any(target == s or s in target.parents for s in selected):
                all_problems.append(problem)
    return dset, all_problems


def _group_by_root(paths: list[Path]) -> dict[Path, list[Path]]:
    marker_dirs = (settings.SEVA_SERVICE_DIR, settings.SEVA_FORM_DIR, settings.SEVA_WORKFLOW_DIR)
    groups: dict[Path, list[Path]] = {}
    for path in paths:
        root = None
        for candidate in [path, *path.parents]:
            if any((candidate / d).is_dir() for d in marker_dirs):
                root = candidate
                break
        if root is None:
            raise FileNotFoundError(
                f"{path} is not inside a definitions folder (one holding {', '.join(marker_dirs)})"
            )
        groups.setdefault(root, []).append(path)
    return groups
