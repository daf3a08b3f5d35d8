"""Fees paid through Seva (a service's `fees`) and the treasury heads they are credited to.

The heads of account are data: service_definitions/_org/budget_heads.yaml names each head
the state's treasury keeps, in every language, and the department whose fees it takes (or
none: any department's). A service's fee names one by its code; check_definitions checks the
file and every fee against it, with the file and the place, like the other `_org` files.

A fee falls due when a file enters a state of the workflow and is fixed then: a number of
rupees, or an expression (docs/definitions/expressions.md) over the form's answers
(`data.*`), the application's facts (`application.*`) and what officers entered with their
actions (`inputs.<action>.<field>`). The file waits in that state until the fee is paid: an
automatic action out of it reads `fees.unpaid` (workflows.names). A document of the service
may print a fee's amount, receipt and dates (`fees.<code>.amount`, see FEE_PLACEHOLDERS).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

from seva.core.money import has_at_most_two_decimals
from seva.expressions.language import ExpressionError, Variables, compile_expression, result_fits
from seva.formschemas.rules import form_variables
from seva.workflows.engine import Outcome, Workflow
from seva.workflows.names import APPLICATION_FACTS, FEE_COUNTS, FEES, input_variables

from .spec import Texts

# Where the heads are, under the service definitions folder (settings.SEVA_SERVICE_DIR).
BUDGET_HEADS_FILE = "_org/budget_heads.yaml"
HEADS_WHERE = f"service_definitions/{BUDGET_HEADS_FILE}"

# What a document of the service may print about each of its fees, `fees.<code>.<name>`:
# all text, "" until there is something to print (a receipt before the payment).
FEE_PLACEHOLDERS: tuple[tuple[str, str], ...] = (
    ("amount", "string"),  # the rupees due, Indian grouping: "1,250" or "1,250.50"
    ("head", "string"),  # the head of account it is credited to: 0215-01-102-01
    ("receipt", "string"),  # the receipt number of the payment that paid it
    ("paid_on", "string"),  # YYYY-MM-DD, printed as a date (07/12/2026)
    ("pay_by", "string"),  # YYYY-MM-DD: the last day to pay before the demand lapses
)
# A code a fee may not have: the name of the count (fees.unpaid).
RESERVED_CODES = frozenset(name.removeprefix(FEES) for name, _kind in FEE_COUNTS)
_FEE_NAME = re.compile(r"\bfees\.([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class BudgetHead:
    code: str  # as the treasury writes it: 0215-01-102-01
    name: Texts
    department: str | None = None  # None: any department's fees may be credited to it


def budget_heads_from_document(doc: Mapping[str, Any]) -> dict[str, BudgetHead]:
    """code -> BudgetHead, in the file's order, from a document that passed its meta-schema."""
    return {
        str(item["code"]): BudgetHead(
            code=str(item["code"]), name=dict(item["name"]), department=item.get("department")
        )
        for item in doc["heads"]
    }


def budget_heads(root: Path | str | None = None) -> dict[str, BudgetHead]:
    """code -> BudgetHead from the definitions under `root` (settings.SEVA_DEFINITIONS_ROOT).
    Read once per process and root: the file changes with a deploy, which restarts the
    processes (and a deploy runs check_definitions first)."""
    base = settings.SEVA_DEFINITIONS_ROOT if root is None else root
    return _heads_in(str(Path(base) / settings.SEVA_SERVICE_DIR / BUDGET_HEADS_FILE))


@cache
def _heads_in(path: str) -> dict[str, BudgetHead]:
    try:
        return budget_heads_from_document(yaml.safe_load(Path(path).read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError):
        return {}  # check_definitions reports a missing or broken file


def heads_file_problems(
    doc: Mapping[str, Any], *, departments: Iterable[str] | None
) -> list[tuple[str, str]]:
    """(pointer, message) for what the meta-schema cannot see in the heads file: a code given
    twice, a department that is not defined (`departments` None: not known, not checked)."""
    problems: list[tuple[str, str]] = []
    known = set(departments) if departments is not None else None
    seen: set[str] = set()
    for index, item in enumerate(doc["heads"]):
        code = str(item["code"])
        if code in seen:
            problems.append((f"/heads/{index}/code", f"head '{code}' is defined twice"))
        seen.add(code)
        department = item.get("department")
        if department and known is not None and department not in known:
            problems.append(
                (
                    f"/heads/{index}/department",
                    f"department '{department}' is not defined in "
                    "service_definitions/_org/departments.yaml",
                )
            )
    return problems


# ------------------------------------------------------------------------------
# What a fee's amount and a document's placeholders read
# ------------------------------------------------------------------------------
def amount_variables(form: dict, workflow: Workflow) -> Variables:
    """The names a fee's amount may read: the form's answers, the application's facts and
    the officers' inputs of the workflow (not the fees themselves, nor consultations)."""
    return (*form_variables(form), *APPLICATION_FACTS, *input_variables(workflow))


def fee_placeholder_variables(codes: Iterable[str]) -> Variables:
    """`fees.<code>.<name>` for each fee of a service: what its documents may print."""
    return tuple(
        (f"{FEES}{code}.{name}", kind) for code in codes for name, kind in FEE_PLACEHOLDERS
    )


def fee_codes_read(source: str) -> set[str]:
    """The fee codes an expression reads (`fees.<code>.*`), the count aside."""
    return {name for name in _FEE_NAME.findall(source) if name not in RESERVED_CODES}


# ------------------------------------------------------------------------------
# Checks (check_definitions reports them with the file and the place)
# ------------------------------------------------------------------------------
def fee_problems(
    service: Mapping[str, Any],
    *,
    form: dict | None,
    workflow: Workflow | None,
    heads: Mapping[str, BudgetHead] | None,
) -> list[tuple[str, str]]:
    """(pointer, message) for a service's `fees` (a document that passed its meta-schema).
    `form` and `workflow` are None when they have problems of their own (reported against
    their files), `heads` None when the heads file has: what needs them is not checked."""
    fees = service.get("fees") or []
    problems: list[tuple[str, str]] = []
    if fees and "fee" in service:
        problems.append(
            (
                "/fee",
                "a service has either fee (a fee paid outside Seva, shown for information) or "
                "fees (fees paid through Seva), not both: remove one",
            )
        )
    variables: Variables | None = None
    if form is not None and workflow is not None:
        try:
            variables = amount_variables(form, workflow)
        except (KeyError, TypeError, ValueError):
            variables = None
    seen: set[str] = set()
    for index, fee in enumerate(fees):
        at = f"/fees/{index}"
        code = fee["code"]
        if code in seen:
            problems.append((f"{at}/code", f"fee '{code}' is given twice; each code once"))
        seen.add(code)
        if code in RESERVED_CODES:
            problems.append(
                (
                    f"{at}/code",
                    f"'{code}' is the name of a count (fees.{code}); choose another code",
                )
            )
        if workflow is not None:
            problems += [(at + p, m) for p, m in _due_problems(fee, workflow)]
            problems += [(at + p, m) for p, m in _refund_problems(fee, workflow)]
        problems += [(at + "/amount", m) for m in _amount_problems(fee["amount"], variables)]
        if heads is not None:
            problems += [(at + "/head", m) for m in _head_problems(fee, service, heads)]
    return problems


def _due_problems(fee: Mapping[str, Any], workflow: Workflow) -> list[tuple[str, str]]:
    due, code = fee["due"], fee["code"]
    state = workflow.states.get(due)
    if state is None:
        return [
            (
                "/due",
                f"state '{due}' is not a state of workflow '{workflow.code}'; its states are "
                f"{', '.join(sorted(workflow.states))}",
            )
        ]
    if state.terminal:
        return [
            (
                "/due",
                f"state '{due}' is terminal: a closed file pays nothing. Make fee '{code}' due "
                "in a state where the file waits for it (with the citizen, or with an officer)",
            )
        ]
    if not any("fees.unpaid" in (t.condition or "") for t in workflow.automatic_from(due)):
        return [
            (
                "/due",
                f"the file waits in state '{due}' until fee '{code}' is paid, but no automatic "
                f"action leaves '{due}' once it is: add one to workflow '{workflow.code}', "
                f"such as action: fee_paid, from: {due}, to: <the next state>, auto: true, "
                'if: "fees.unpaid == 0"',
            )
        ]
    return []


def _amount_problems(amount: Any, variables: Variables | None) -> list[str]:
    if not isinstance(amount, str):
        if not has_at_most_two_decimals(amount):
            return [
                f"{amount} rupees has more than two decimals: write rupees and paise, such as "
                "1250.50"
            ]
        return []
    if variables is None:
        return []  # the form's or the workflow's own problems are reported against them
    if _FEE_NAME.search(amount):
        return [f"amount '{amount}' reads fees.*: an amount reads the answers and inputs only"]
    try:
        program = compile_expression(amount, variables)
    except ExpressionError as exc:
        return [
            f"amount '{amount}' does not compile against the form and the officers' inputs: "
            f"{exc.message}"
        ]
    if not result_fits(program.returns, "double"):
        return [f"amount '{amount}' gives a {program.returns}, not a number of rupees"]
    return []


def _head_problems(
    fee: Mapping[str, Any], service: Mapping[str, Any], heads: Mapping[str, BudgetHead]
) -> list[str]:
    code = str(fee["head"])
    head = heads.get(code)
    department = service.get("department")
    if head is None:
        usable = [h.code for h in heads.values() if h.department in (None, department)]
        listed = f"; the heads {department} may use are {', '.join(usable)}" if usable else ""
        return [f"head '{code}' is not in {HEADS_WHERE}{listed}"]
    if head.department and head.department != department:
        return [
            f"head '{code}' takes the fees of department '{head.department}' only "
            f"({HEADS_WHERE}), and this service is '{department}''s"
        ]
    return []


def _refund_problems(fee: Mapping[str, Any], workflow: Workflow) -> list[tuple[str, str]]:
    """A refund rule for an outcome the workflow never reaches would never apply."""
    refund = fee.get("refund") or {}
    outcomes = {s.outcome for s in workflow.states.values() if s.terminal}
    problems = []
    if "rejected" in refund and Outcome.REJECTED not in outcomes:
        problems.append(
            (
                "/refund/rejected",
                f"workflow '{workflow.code}' never rejects a file (no terminal state with "
                "outcome: rejected), so this refund would never apply; remove it",
            )
        )
    if "withdrawn_within_days" in refund and Outcome.WITHDRAWN not in outcomes:
        problems.append(
            (
                "/refund/withdrawn_within_days",
                f"workflow '{workflow.code}' has no withdrawal (no terminal state with "
                "outcome: withdrawn), so this refund would never apply; remove it",
            )
        )
    return problems


def fee_reads_problems(
    service: Mapping[str, Any], workflow_doc: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """(pointer in the workflow, message) for a condition reading `fees.unpaid` out of a
    state where this service has no fee due: the file would pass through it at once."""
    due = {fee["due"] for fee in service.get("fees") or []}
    problems = []
    for index, spec in enumerate(workflow_doc.get("transitions") or []):
        if not isinstance(spec, dict) or "fees.unpaid" not in str(spec.get("if") or ""):
            continue
        sources = [spec["from"]] if isinstance(spec.get("from"), str) else spec.get("from") or []
        for source in sources:
            if source not in due:
                problems.append(
                    (
                        f"/transitions/{index}/if",
                        f"action '{spec.get('action')}' waits for the fees of state '{source}', "
                        f"but service {service['code']} has no fee due there: declare one in its "
                        f"fees (due: {source}), or take the condition out",
                    )
                )
    return problems
