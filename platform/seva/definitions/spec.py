"""A published service file as typed, frozen values.

A version's service document passed `check_definitions` (its meta-schema and the checks
beside it) before it was stored, so it is compiled once into the dataclasses below and read
through them everywhere else: `version.spec.rts.days`, not `version.service_doc["rts"]["days"]`.
Like the compiled workflow (`selectors.workflow_for`), the spec is kept for the process's life,
keyed by the version's id and content hash, because a version never changes.

Drafts are not compiled: a draft may be half-written, and the builder edits its documents as
they are."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from seva.core.money import paise_from_rupees
from seva.workflows.clock import DayType

# Text in each language the file gives: {"en": ..., "hi": ...}. A plain dict, never changed.
Texts = Mapping[str, str]


@dataclass(frozen=True)
class EligibilityRule:
    """A rule over the eligibility facts (service_definitions/_org/eligibility.yaml): one
    fact's answer against a JSON Schema `condition`, or an `expression` over several."""

    id: str
    text: Texts
    fact: str | None = None  # the fact a condition tests
    condition: Mapping[str, Any] | None = None  # JSON Schema the answer must satisfy
    expression: str | None = None  # CEL over facts.<name>, true when the rule holds


@dataclass(frozen=True)
class Eligibility:
    summary: Texts
    rules: tuple[EligibilityRule, ...]


@dataclass(frozen=True)
class DocumentNeeded:
    code: str
    name: Texts
    required: bool
    field: str | None  # the form field (dotted path) where it is uploaded, if one is named


@dataclass(frozen=True)
class Fee:
    """The fee: a fixed `amount` of rupees, or an `expression` over the form's answers that
    gives it (docs/definitions/service.md#a-fee-paid-outside-seva-fee); the fee on an application's answers is
    `definitions.selectors.fee_of`."""

    amount: int  # rupees; 0 when the expression gives the fee
    note: Texts
    expression: str | None = None

    @property
    def depends_on_answers(self) -> bool:
        return self.expression is not None


@dataclass(frozen=True)
class RefundRule:
    """When a fee paid through Seva is given back, in full, by rule (the payments app applies
    it): on rejection (`before_processing`: only if no officer acted on the file after the
    payment; `always`), or on withdrawal within so many calendar days of the payment. None
    for either: never."""

    rejected: str | None  # "before_processing" | "always" | None
    withdrawn_within_days: int | None


@dataclass(frozen=True)
class FeeSpec:
    """A fee paid through Seva (docs/definitions/service.md#fees): due when the file enters
    the workflow state `due`, where it waits until the fee is paid; its amount fixed then, in
    paise, from `amount_paise` or worked out by `expression` (rupees, over data.*,
    application.* and inputs.<action>.<field>: `definitions.selectors.fee_amount_paise`);
    credited to the treasury head of account `head` (_org/budget_heads.yaml)."""

    code: str
    name: Texts
    due: str
    head: str
    amount_paise: int | None  # None when the expression gives it
    expression: str | None
    note: Texts
    refund: RefundRule | None


@dataclass(frozen=True)
class RtsVariant:
    """Another RTS period for the applications its condition holds on (a renewal)."""

    condition: str  # an expression over the form's answers (docs/definitions/expressions.md)
    days: int


@dataclass(frozen=True)
class Rts:
    days: int  # the period, unless one of the variants applies
    day_type: DayType
    act: Texts
    designated_officer: str  # role codes
    first_appellate_authority: str
    second_appellate_authority: str
    variants: tuple[RtsVariant, ...] = ()


@dataclass(frozen=True)
class Applicant:
    """Where in the form the applicant's name, mobile and place are (dotted paths)."""

    name_field: str
    mobile_field: str
    jurisdiction_field: str


@dataclass(frozen=True)
class SmsTemplate:
    dlt_template_id: str
    text: str  # as registered on DLT, each value written {#var#}
    variables: tuple[str, ...]  # what fills each {#var#}, in order (definitions.sms)


@dataclass(frozen=True)
class Validity:
    """How long a document is valid: a period from the day of issue (`unit` years, months or
    days), or `until`, an expression giving the last day."""

    unit: str  # years, months, days or until
    amount: int = 0
    until: str | None = None


@dataclass(frozen=True)
class IssueSpec:
    """A document the service issues when a file enters its `state` (docs/definitions/
    documents.md): its number's series, validity, SMS, and the template in each language."""

    code: str
    kind: str
    state: str
    name: Texts
    series: str
    validity: Validity | None
    holder: str | None  # an expression; the applicant's name when None
    sms: str | None
    revoked_by: tuple[str, ...]
    title: Texts
    # language -> blocks, each {"heading": text} or {"paragraph": text} or {"facts": [...]}
    body: Mapping[str, tuple[Mapping[str, Any], ...]]


@dataclass(frozen=True)
class ServiceSpec:
    code: str
    reference_code: str
    department: str
    kind: str
    name: Texts
    short_name: Texts
    description: Texts
    eligibility: Eligibility | None
    documents: tuple[DocumentNeeded, ...]
    fee: Fee | None
    rts: Rts
    processing_level: str
    form: str
    workflow: str
    applicant: Applicant
    # event -> language -> template
    sms: Mapping[str, Mapping[str, SmsTemplate]]
    issues: tuple[IssueSpec, ...] = ()
    fees: tuple[FeeSpec, ...] = ()

    def fees_due_in(self, state: str) -> tuple[FeeSpec, ...]:
        """The fees that fall due when a file enters `state`."""
        return tuple(fee for fee in self.fees if fee.due == state)

    def fee_spec(self, code: str) -> FeeSpec | None:
        return next((fee for fee in self.fees if fee.code == code), None)

    def issues_on(self, state: str) -> tuple[IssueSpec, ...]:
        """The documents issued when a file enters `state`."""
        return tuple(issue for issue in self.issues if issue.state == state)

    def issue(self, code: str) -> IssueSpec | None:
        return next((issue for issue in self.issues if issue.code == code), None)

    @property
    def fee_amount(self) -> int | None:
        """The fixed fee in rupees; 0 for a service that charges none; None when the fee
        depends on the answers (an expression: `definitions.selectors.fee_of` works it out)."""
        if self.fee is None:
            return 0
        return None if self.fee.depends_on_answers else self.fee.amount


def compile_service(doc: Mapping[str, Any]) -> ServiceSpec:
    """The spec of a service document that passed the checks (a KeyError otherwise)."""
    eligibility = doc.get("eligibility")
    fee = doc.get("fee")
    rts = doc["rts"]
    applicant = doc["applicant"]
    return ServiceSpec(
        code=doc["code"],
        reference_code=doc["reference_code"],
        department=doc["department"],
        kind=doc["kind"],
        name=dict(doc["name"]),
        short_name=dict(doc["short_name"]),
        description=dict(doc["description"]),
        eligibility=(
            Eligibility(
                summary=dict(eligibility["summary"]),
                rules=tuple(
                    EligibilityRule(
                        id=rule["id"],
                        text=dict(rule["text"]),
                        fact=rule.get("fact"),
                        condition=dict(rule["condition"]) if "condition" in rule else None,
                        expression=rule.get("if"),
                    )
                    for rule in eligibility.get("rules") or ()
                ),
            )
            if eligibility
            else None
        ),
        documents=tuple(
            DocumentNeeded(
                code=document["code"],
                name=dict(document["name"]),
                required=bool(document["required"]),
                field=document.get("field"),
            )
            for document in doc.get("documents") or ()
        ),
        fee=_fee(fee) if fee else None,
        rts=Rts(
            days=int(rts["days"]),
            day_type=DayType(rts["day_type"]),
            act=dict(rts["act"]),
            designated_officer=rts["designated_officer"],
            first_appellate_authority=rts["first_appellate_authority"],
            second_appellate_authority=rts["second_appellate_authority"],
            variants=tuple(
                RtsVariant(condition=variant["if"], days=int(variant["days"]))
                for variant in rts.get("variants") or ()
            ),
        ),
        processing_level=doc["processing_level"],
        form=doc["form"],
        workflow=doc["workflow"],
        applicant=Applicant(
            name_field=applicant["name_field"],
            mobile_field=applicant["mobile_field"],
            jurisdiction_field=applicant["jurisdiction_field"],
        ),
        sms={
            event: {
                language: SmsTemplate(
                    dlt_template_id=template["dlt_template_id"],
                    text=template["text"],
                    variables=tuple(template["variables"]),
                )
                for language, template in per_language.items()
            }
            for event, per_language in doc["sms"].items()
        },
        issues=tuple(_issue(issue) for issue in doc.get("issues") or ()),
        fees=tuple(_fee_spec(fee) for fee in doc.get("fees") or ()),
    )


def _fee_spec(fee: Mapping[str, Any]) -> FeeSpec:
    amount = fee["amount"]
    refund = fee.get("refund")
    return FeeSpec(
        code=fee["code"],
        name=dict(fee["name"]),
        due=fee["due"],
        head=str(fee["head"]),
        amount_paise=None if isinstance(amount, str) else paise_from_rupees(amount),
        expression=amount if isinstance(amount, str) else None,
        note=dict(fee.get("note") or {}),
        refund=(
            RefundRule(
                rejected=refund.get("rejected"),
                withdrawn_within_days=refund.get("withdrawn_within_days"),
            )
            if refund
            else None
        ),
    )


def _issue(issue: Mapping[str, Any]) -> IssueSpec:
    validity = issue.get("validity")
    if validity:
        ((unit, value),) = validity.items()
        validity = (
            Validity(unit="until", until=value)
            if unit == "until"
            else Validity(unit=unit, amount=int(value))
        )
    return IssueSpec(
        code=issue["code"],
        kind=issue["kind"],
        state=issue["state"],
        name=dict(issue["name"]),
        series=issue["series"],
        validity=validity or None,
        holder=issue.get("holder"),
        sms=issue.get("sms"),
        revoked_by=tuple(issue.get("revoked_by") or ()),
        title=dict(issue["title"]),
        body={language: tuple(blocks) for language, blocks in issue["body"].items()},
    )


def _fee(fee: Mapping[str, Any]) -> Fee:
    amount, note = fee["amount"], dict(fee.get("note") or {})
    if isinstance(amount, str):  # an expression over the form's answers
        return Fee(amount=0, note=note, expression=amount)
    return Fee(amount=int(amount), note=note)


# Versions never change: a spec is compiled once per version and process. The content hash is
# part of the key so that a reused id (SQLite after a rollback) never serves another version's.
_SPECS: dict[tuple[int, str], ServiceSpec] = {}
_MOST_KEPT = 4096


def spec_of(version_id: int, content_hash: str, service_doc: Mapping[str, Any]) -> ServiceSpec:
    key = (version_id, content_hash)
    spec = _SPECS.get(key)
    if spec is None:
        if len(_SPECS) >= _MOST_KEPT:
            _SPECS.clear()
        spec = _SPECS[key] = compile_service(service_doc)
    return spec
