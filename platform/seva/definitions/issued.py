"""The documents a service issues (its `issues`): what they read, and their checks.

A document's title and body are text in each language with `{{ expression }}` placeholders.
A placeholder is an expression (docs/definitions/expressions.md) over the names a workflow's
conditions read (the form's `data.*`, `application.*`, `inputs.*`, `consultations.*`), the
service's fees (`fees.<code>.amount`, definitions.fees.FEE_PLACEHOLDERS) and the facts of the
document and its decision below, so that `check_definitions` refuses a name that
does not exist with the file and the place, as for every other rule. Filling them on a real
application is the documents app's work (documents.content)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from seva.expressions.language import ExpressionError, Variables, compile_expression

from .fees import fee_codes_read

# The facts of the document being issued and of the decision it records. Text in the
# document's language (an office's or a role's name in Hindi on the Hindi document).
DOCUMENT_FACTS: Variables = (
    ("appeal.authority", "string"),  # the first appellate authority (a role's name)
    ("appeal.days", "int"),  # the days allowed to appeal (settings, or the Act's)
    ("appeal.last_day", "string"),  # YYYY-MM-DD: the last day to file the appeal
    ("applicant.name", "string"),  # the applicant's name, as the service file says where
    ("application.reference", "string"),  # HR-REV-INC-2026-000123
    ("decision.officer", "string"),  # the name of the officer who decided (who signs)
    ("decision.on", "string"),  # YYYY-MM-DD: the day of the decision
    ("decision.remarks", "string"),  # the officer's remarks with the decision (the reasons)
    ("decision.role", "string"),  # the officer's designation (a role's name)
    ("document.issued_on", "string"),  # YYYY-MM-DD
    ("document.number", "string"),  # HR/INC/AMB/2026/000123
    ("document.valid_until", "string"),  # YYYY-MM-DD, or "" when it does not expire
    ("office.name", "string"),  # the office that processed the file: "Tehsil Ambala"
    ("service.act", "string"),  # the Right to Service Act the service is notified under
    ("service.name", "string"),  # the service's name
)

PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
SERIES_TOKEN = re.compile(r"\{([^{}]*)\}")
# What a series may hold besides letters: the state's code, the department's short code, the
# service's reference code, the district's and the office's short codes, and the year.
SERIES_TOKENS = ("state", "department", "service", "district", "office", "year")
KINDS = (
    "certificate",
    "sanction_order",
    "permit",
    "licence",
    "registration",
    "no_objection_certificate",
    "rejection_order",
    "demand_note",
    "action_taken_report",
    "order",
)


def placeholders(text: str) -> list[str]:
    """The expressions in `text`'s `{{ ... }}` placeholders, in order."""
    return [match.strip() for match in PLACEHOLDER.findall(text)]


def fill(text: str, value_of) -> str:
    """`text` with each placeholder replaced by `value_of(expression)` (a str)."""
    return PLACEHOLDER.sub(lambda match: value_of(match.group(1).strip()), text)


def block_texts(block: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(pointer under the block, text) of every text in one body block."""
    if "heading" in block:
        yield "/heading", block["heading"]
    if "paragraph" in block:
        yield "/paragraph", block["paragraph"]
    for index, fact in enumerate(block.get("facts") or ()):
        yield f"/facts/{index}/label", fact["label"]
        yield f"/facts/{index}/value", fact["value"]


def issue_texts(issue: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(pointer under the issue, text) of every text with placeholders in one document."""
    for language, title in (issue.get("title") or {}).items():
        yield f"/title/{language}", title
    for language, blocks in (issue.get("body") or {}).items():
        for index, block in enumerate(blocks):
            for pointer, text in block_texts(block):
                yield f"/body/{language}/{index}{pointer}", text


def series_problem(series: str) -> str | None:
    for token in SERIES_TOKEN.findall(series):
        if token not in SERIES_TOKENS:
            return f"series '{series}' names '{{{token}}}', which is not one of " + ", ".join(
                f"{{{name}}}" for name in SERIES_TOKENS
            )
    if series.count("{") != series.count("}"):
        return f"series '{series}' has an unmatched brace"
    return None


def issue_problems(
    issue: Mapping[str, Any],
    *,
    variables: Variables | None,
    states: Mapping[str, Any] | None,
    sms_events: set[str],
    roles: set[str] | None,
    fee_codes: tuple[str, ...] = (),
) -> list[tuple[str, str]]:
    """(pointer under the issue, message) for one document of a service. `variables` is None
    when the form or workflow has problems of its own (the placeholders are not tried);
    `states` maps the workflow's state codes to its states (None: unknown)."""
    found: list[tuple[str, str]] = []
    if states is not None and issue["state"] not in states:
        found.append(
            (
                "/state",
                f"state '{issue['state']}' is not a state of the workflow; "
                f"its states are {', '.join(sorted(states))}",
            )
        )
    problem = series_problem(issue["series"])
    if problem:
        found.append(("/series", problem))
    if "sms" in issue and issue["sms"] not in sms_events:
        found.append(("/sms", f"SMS '{issue['sms']}' has no template in this service's sms"))
    for index, role in enumerate(issue.get("revoked_by") or ()):
        if roles is not None and role not in roles:
            found.append(
                (
                    f"/revoked_by/{index}",
                    f"role '{role}' is not defined in service_definitions/_org/roles.yaml",
                )
            )
    if variables is None:
        return found
    for pointer, text in issue_texts(issue):
        if text.count("{{") != text.count("}}"):
            found.append((pointer, "a placeholder is not closed: write {{ expression }}"))
            continue
        for expression in placeholders(text):
            message = _undeclared_fee(expression, fee_codes) or _expression_problem(
                expression, variables, wanted=None
            )
            if message:
                found.append((pointer, message))
    for key, wanted in (("holder", "string"), ("until", "string")):
        source = issue.get(key) if key == "holder" else (issue.get("validity") or {}).get(key)
        if source is None:
            continue
        message = _expression_problem(source, variables, wanted=wanted)
        if message:
            found.append(("/holder" if key == "holder" else "/validity/until", message))
    return found


def _undeclared_fee(source: str, fee_codes: tuple[str, ...]) -> str | None:
    unknown = sorted(fee_codes_read(source) - set(fee_codes))
    if not unknown:
        return None
    declared = f"; its fees are {', '.join(fee_codes)}" if fee_codes else ""
    return (
        f"'{source}' reads fee '{unknown[0]}', which this service does not declare in its "
        f"fees{declared}"
    )


def _expression_problem(source: str, variables: Variables, *, wanted: str | None) -> str | None:
    if not source:
        return "an empty placeholder: write {{ expression }}, such as {{ data.applicant.name }}"
    try:
        program = compile_expression(source, variables)
    except ExpressionError as exc:
        return f"'{source}' does not compile: {exc.message}"
    if wanted is not None and program.returns not in (wanted, "dyn"):
        return f"'{source}' gives {program.returns}, but a {wanted} is needed here"
    return None
