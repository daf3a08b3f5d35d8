"""What the public catalogue, the portal's pages and the eligibility finder show: plain values
in the citizen's language, read from each service's current version (the definitions), so
that pages and templates stay simple.

Texts from the definitions come as {en, hi}; this module picks the language once. Fixed UI
words (kinds, statuses) go through gettext like every other label of the portal.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from seva.core.errors import NotFound
from seva.core.money import rupees
from seva.definitions.eligibility import (
    MET,
    NOT_CHECKED,
    NOT_MET,
    Fact,
    eligibility_facts,
    rule_outcome,
    with_derived,
)
from seva.definitions.models import Service, ServiceKind
from seva.definitions.selectors import workflow_for
from seva.org.models import Department, Jurisdiction, JurisdictionLevel, Role

from .models import DepartmentPage, ServicePage

KIND_LABELS = {
    ServiceKind.SERVICE: _("Service"),
    ServiceKind.SCHEME: _("Scheme"),
    ServiceKind.GRIEVANCE: _("Grievance"),
}
DAY_TYPE_LABELS = {"working": _("working days"), "calendar": _("calendar days")}


def _text(texts: Any, language: str) -> str:
    if not isinstance(texts, dict):
        return ""
    return texts.get(language) or texts.get("en") or ""


def apply_url(code: str) -> str:
    # Spelled out rather than reversed: the brief fixes it, and the apply view is not ours.
    return f"/apply/{code}/"


def _current_services() -> QuerySet[Service]:
    """Every service a citizen can see, with only what the catalogue reads (no form schema
    or workflow: those are the heavy part of a version)."""
    return (
        Service.objects.filter(current_version__isnull=False)
        .select_related("department", "current_version")
        .only(
            "code",
            "kind",
            "department",
            "current_version",
            "department__code",
            "department__name_en",
            "department__name_hi",
            "current_version__service_doc",
        )
    )


def _page_urls(service_ids: list[int] | None = None) -> dict[int, str]:
    """service id -> the URL of its live ServicePage."""
    pages = ServicePage.objects.live()
    if service_ids is not None:
        pages = pages.filter(service_id__in=service_ids)
    return {page.service_id: site_path(page) for page in pages.defer("extra_en", "extra_hi")}


def site_path(page) -> str:
    """A page's path from its site's root, "/revenue/income-certificate/": the same on every
    Wagtail Site that serves the portal's pages (each theme's host), so links stay on the
    host the citizen is on. "" for a page no site reaches."""
    parts = page.get_url_parts()
    return parts[2] if parts else ""


def _department_name(department: Department, language: str) -> str:
    return department.name_hi if language == "hi" else department.name_en


def _sort_key(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


# ------------------------------------------------------------------------------
# The catalogue
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class FeeShown:
    """A fee paid through Seva (`fees:`), as the service page tells it."""

    name: str
    amount: str  # rupees; "" when the answers (or an officer's inputs) decide it
    with_application: bool  # due on applying; else demanded later, at a stage
    note: str


@dataclass(frozen=True)
class CatalogueEntry:
    code: str
    name: str
    short_name: str
    description: str
    kind: str
    kind_label: str
    department_code: str
    department_name: str
    rts_days: int
    rts_day_type: str  # "working" or "calendar"
    rts_day_type_label: str
    fee_amount: int | None  # None: the service file says nothing about a fee, or see below
    fee_depends_on_answers: bool  # an expression gives the fee: the note says how
    fee_note: str
    url: str  # the service's page; "" until portal_pages_sync has made it
    apply_url: str
    fees: tuple[FeeShown, ...] = ()


def _search_text(service: Service) -> str:
    spec = service.current_version.spec
    parts = [
        *spec.name.values(),
        *spec.short_name.values(),
        *spec.description.values(),
        service.department.name_en,
        service.department.name_hi,
    ]
    return _sort_key(" ".join(parts))


def _entry(service: Service, url: str, language: str) -> CatalogueEntry:
    spec = service.current_version.spec
    day_type = spec.rts.day_type
    return CatalogueEntry(
        code=service.code,
        name=_text(spec.name, language),
        short_name=_text(spec.short_name, language),
        description=_text(spec.description, language),
        kind=service.kind,
        kind_label=str(KIND_LABELS.get(service.kind, service.kind)),
        department_code=service.department.code,
        department_name=_department_name(service.department, language),
        rts_days=spec.rts.days,
        rts_day_type=day_type,
        rts_day_type_label=str(DAY_TYPE_LABELS.get(day_type, day_type)),
        fee_amount=spec.fee_amount if spec.fee else None,
        fee_depends_on_answers=bool(spec.fee and spec.fee.depends_on_answers),
        fee_note=_text(spec.fee.note, language) if spec.fee else "",
        url=url,
        apply_url=apply_url(service.code),
        fees=_fees_shown(service, language),
    )


def _fees_shown(service: Service, language: str) -> tuple[FeeShown, ...]:
    version = service.current_version
    if not version.spec.fees:
        return ()
    initial = workflow_for(version).initial
    return tuple(
        FeeShown(
            name=_text(fee.name, language),
            amount="" if fee.amount_paise is None else rupees(fee.amount_paise),
            with_application=fee.due == initial,
            note=_text(fee.note, language) if fee.note else "",
        )
        for fee in version.spec.fees
    )


def catalogue(
    *, query: str = "", kind: str = "", department: str = "", language: str
) -> list[CatalogueEntry]:
    """Every service with a current version that matches: all words of `query` (in English
    or Hindi, any case) appear in its names, description or department's name; `kind` and
    `department` (a code) filter when given. Sorted by department, then name, in `language`."""
    services = _current_services()
    if kind:
        services = services.filter(kind=kind)
    if department:
        services = services.filter(department__code=department)
    words = _sort_key(query).split()
    # The search runs in Python over the documents: both languages live in JSON, and a few
    # hundred short documents are cheaper to scan than to index in two database dialects.
    matched = [s for s in services if all(w in _search_text(s) for w in words)]
    urls = _page_urls([s.pk for s in matched])
    entries = [_entry(s, urls.get(s.pk, ""), language) for s in matched]
    entries.sort(key=lambda e: (_sort_key(e.department_name), _sort_key(e.name), e.code))
    return entries


def kind_choices() -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in KIND_LABELS.items()]


@dataclass(frozen=True)
class DepartmentSummary:
    code: str
    name: str
    service_count: int
    url: str


def department_summaries(*, language: str) -> list[DepartmentSummary]:
    """The departments that offer at least one service, with how many, sorted by name."""
    counts = Counter(
        Service.objects.filter(current_version__isnull=False).values_list(
            "department_id", flat=True
        )
    )
    urls = {
        page.department_id: site_path(page)
        for page in DepartmentPage.objects.live().defer("intro_en", "intro_hi")
    }
    summaries = [
        DepartmentSummary(
            code=department.code,
            name=_department_name(department, language),
            service_count=counts[department.pk],
            url=urls.get(department.pk, ""),
        )
        for department in Department.objects.filter(pk__in=counts)
    ]
    summaries.sort(key=lambda d: _sort_key(d.name))
    return summaries


# ------------------------------------------------------------------------------
# One service, in full (the service page)
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class DocumentNeeded:
    name: str
    required: bool


@dataclass(frozen=True)
class ServiceDetail:
    entry: CatalogueEntry
    eligibility_summary: str
    eligibility_rules: list[str]
    documents: list[DocumentNeeded]
    act: str
    designated_officer: str
    first_appellate_authority: str
    second_appellate_authority: str

    @property
    def required_documents(self) -> list[DocumentNeeded]:
        return [d for d in self.documents if d.required]

    @property
    def optional_documents(self) -> list[DocumentNeeded]:
        return [d for d in self.documents if not d.required]


def service_detail(*, code: str, language: str) -> ServiceDetail:
    """Everything the service page says about a service, from its current version."""
    try:
        service = _current_services().get(code=code)
    except Service.DoesNotExist:
        raise NotFound(f"No service with code '{code}'.") from None
    spec = service.current_version.spec
    role_codes = [
        spec.rts.designated_officer,
        spec.rts.first_appellate_authority,
        spec.rts.second_appellate_authority,
    ]
    roles = {
        role.code: (role.name_hi if language == "hi" else role.name_en)
        for role in Role.objects.filter(code__in=[c for c in role_codes if c])
    }
    eligibility = spec.eligibility
    return ServiceDetail(
        entry=_entry(service, _page_urls([service.pk]).get(service.pk, ""), language),
        eligibility_summary=_text(eligibility.summary, language) if eligibility else "",
        eligibility_rules=[_text(rule.text, language) for rule in eligibility.rules]
        if eligibility
        else [],
        documents=[
            DocumentNeeded(name=_text(d.name, language), required=d.required)
            for d in spec.documents
        ],
        act=_text(spec.rts.act, language),
        designated_officer=roles.get(role_codes[0], role_codes[0] or ""),
        first_appellate_authority=roles.get(role_codes[1], role_codes[1] or ""),
        second_appellate_authority=roles.get(role_codes[2], role_codes[2] or ""),
    )


# ------------------------------------------------------------------------------
# The eligibility finder
# ------------------------------------------------------------------------------
YES_NO = {
    True: {"en": "Yes", "hi": "हाँ"},
    False: {"en": "No", "hi": "नहीं"},
}

# Asked by the finder but not an eligibility fact: its answers are the districts of the place
# tree, which the facts file cannot list. No rule reads it, so it never decides a result.
DISTRICT_QUESTION = {"en": "Your district", "hi": "आपका ज़िला"}


@dataclass(frozen=True)
class Question:
    """One question of the finder. `name` is the fact's name and the form field's."""

    name: str
    label: str
    hint: str
    answer_type: str  # "integer", "number", "choice", "boolean" or "date"
    choices: list[tuple[str, str]] = field(default_factory=list)
    minimum: int | float | None = None
    maximum: int | float | None = None


def _fact_question(fact: Fact, language: str) -> Question:
    label = _text(fact.question, language)
    hint = _text(fact.hint, language)
    if fact.type in ("integer", "number"):
        return Question(
            fact.name, label, hint, fact.type, minimum=fact.minimum, maximum=fact.maximum
        )
    if fact.type == "boolean":
        choices = [(str(value).lower(), _text(text, language)) for value, text in YES_NO.items()]
        return Question(fact.name, label, hint, "boolean", choices=choices)
    if fact.type == "date":
        return Question(fact.name, label, hint, "date")
    choices = [(c.value, _text(c.label, language) or c.value) for c in fact.choices]
    return Question(fact.name, label, hint, "choice", choices=choices)


def _district_choices(language: str) -> list[tuple[str, str]]:
    districts = Jurisdiction.objects.filter(level=JurisdictionLevel.DISTRICT)
    choices = [(d.code, d.name_hi if language == "hi" else d.name_en) for d in districts]
    return sorted(choices, key=lambda choice: _sort_key(choice[1]))


def eligibility_questions(language: str) -> list[Question]:
    """The questions the finder asks: every fact of the facts file, in its order, then the
    district. Every answer is optional."""
    questions = [_fact_question(fact, language) for fact in eligibility_facts().values()]
    questions.append(
        Question(
            "district",
            _text(DISTRICT_QUESTION, language),
            "",
            "choice",
            _district_choices(language),
        )
    )
    return questions


ELIGIBLE, MAYBE, OPEN, NOT_ELIGIBLE = "eligible", "maybe", "open", "not_eligible"
STATUS_ORDER = [ELIGIBLE, MAYBE, OPEN, NOT_ELIGIBLE]
STATUS_LABELS = {
    ELIGIBLE: _("You are eligible"),
    MAYBE: _("You may be eligible"),
    OPEN: _("Open to all"),
    NOT_ELIGIBLE: _("You are not eligible"),
}
REASON_MARKS = {MET: "✓", NOT_MET: "✗", NOT_CHECKED: "?"}


@dataclass(frozen=True)
class Reason:
    text: str
    outcome: str  # MET, NOT_MET or NOT_CHECKED

    @property
    def mark(self) -> str:
        return REASON_MARKS[self.outcome]


@dataclass(frozen=True)
class EligibilityResult:
    entry: CatalogueEntry
    status: str  # ELIGIBLE, MAYBE, OPEN or NOT_ELIGIBLE
    reasons: list[Reason]
    summary: str

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])


def _status(outcomes: list[str]) -> str:
    if not outcomes:
        return OPEN
    if NOT_MET in outcomes:
        return NOT_ELIGIBLE
    if NOT_CHECKED in outcomes:
        return MAYBE
    return ELIGIBLE


def eligibility_results(answers: dict[str, Any], language: str) -> list[EligibilityResult]:
    """Each service judged by its eligibility rules against `answers` (fact name -> value;
    a fact missing or None was not answered; a derived fact is worked out first): eligible, maybe (nothing failed, something
    not answered), open to all (no rules) or not eligible, with each rule as a reason."""
    facts = eligibility_facts()
    answers = with_derived(facts, answers)
    services = list(_current_services())
    urls = _page_urls([s.pk for s in services])
    results = []
    for service in services:
        eligibility = service.current_version.spec.eligibility
        reasons = []
        for rule in eligibility.rules if eligibility else ():
            outcome = rule_outcome(rule, answers, facts)
            reasons.append(Reason(_text(rule.text, language), outcome))
        results.append(
            EligibilityResult(
                entry=_entry(service, urls.get(service.pk, ""), language),
                status=_status([r.outcome for r in reasons]),
                reasons=reasons,
                summary=_text(eligibility.summary, language) if eligibility else "",
            )
        )
    results.sort(
        key=lambda r: (
            STATUS_ORDER.index(r.status),
            _sort_key(r.entry.department_name),
            _sort_key(r.entry.name),
        )
    )
    return results
