"""A draft's document as a PDF before anything is issued: the builder's "Preview" links.

The template is filled as on a real application (content.Filler and content.compose), from
the form's first example, each officer action's example inputs and sample facts, and marked
on every page as a preview: its title and footer say it is not valid, it carries no QR code
and no signature, and its number is the series written out after "PREVIEW/". Registered in
definitions.previews.DOCUMENT_PREVIEW, which the builder calls (it may not import this app)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils import timezone

from seva.applications.selectors import flattened
from seva.core.money import paise_from_rupees, rupees
from seva.definitions.fees import amount_variables
from seva.definitions.previews import DOCUMENT_PREVIEW, PDF
from seva.definitions.spec import IssueSpec, ServiceSpec
from seva.expressions.language import ExpressionError
from seva.formschemas.builder import example_for
from seva.formschemas.paths import get_path
from seva.formschemas.rules import expression_value, typed_values, with_computed
from seva.org.models import Department, Jurisdiction, Role
from seva.org.selectors import district_of, jurisdiction_ancestor_at
from seva.workflows.engine import CITIZEN, Workflow
from seva.workflows.names import APPLICATION_FACTS, INPUTS, input_variables

from . import pdf
from .content import Filler, Heading, authority_line, compose
from .services import add_months

_WORDS = {
    "en": {
        "preview": "PREVIEW — NOT VALID",
        "stop": ".",
        "officer": "Officer's name",
        "remarks": "The officer's remarks with the decision",
        "office": "Office",
        "signature": "Not signed: a preview",
        "note": (
            "A preview of the template, filled with the form's example and sample values. "
            "It is not a document and cannot be verified."
        ),
    },
    "hi": {
        "preview": "पूर्वावलोकन — मान्य नहीं",
        "stop": "।",
        "officer": "अधिकारी का नाम",
        "remarks": "निर्णय के साथ अधिकारी की टिप्पणी",
        "office": "कार्यालय",
        "signature": "हस्ताक्षरित नहीं: पूर्वावलोकन",
        "note": (
            "फ़ॉर्म के उदाहरण और नमूना मानों से भरा टेम्पलेट का पूर्वावलोकन। "
            "यह दस्तावेज़ नहीं है और इसका सत्यापन नहीं हो सकता।"
        ),
    },
}
PREVIEW_REFERENCE = "PREVIEW"


@DOCUMENT_PREVIEW.register(PDF)
def document_preview_pdf(
    *,
    service: ServiceSpec,
    issue: IssueSpec,
    form_schema: dict[str, Any],
    workflow: Workflow,
    language: str,
) -> bytes:
    words = _WORDS.get(language, _WORDS["en"])
    examples = form_schema.get("examples") or [example_for(form_schema)]
    data = with_computed(form_schema, examples[0] if isinstance(examples[0], dict) else {})
    place = _place(get_path(data, service.applicant.jurisdiction_field))
    office = jurisdiction_ancestor_at(place, service.processing_level) if place else None
    district = district_of(place) if place else None
    department = Department.objects.filter(code=service.department).first()
    today = timezone.localdate()
    number = PREVIEW_REFERENCE + "/" + _series(service, issue, department, office, district, today)
    office_name = _named(office, language) or words["office"]
    facts = {
        "appeal.authority": _named(_role(service.rts.first_appellate_authority), language),
        "appeal.days": settings.SEVA_APPEAL_DAYS,
        "appeal.last_day": (today + dt.timedelta(days=settings.SEVA_APPEAL_DAYS)).isoformat(),
        "applicant.name": str(get_path(data, service.applicant.name_field) or ""),
        "application.reference": PREVIEW_REFERENCE,
        "decision.officer": words["officer"],
        "decision.on": today.isoformat(),
        "decision.remarks": words["remarks"],
        "decision.role": _named(_role(_deciding_role(service, issue, workflow)), language),
        "document.issued_on": today.isoformat(),
        "document.number": number,
        "document.valid_until": "",
        "office.name": office_name,
        "service.act": _in(service.rts.act, language),
        "service.name": _in(service.name, language),
    }
    names = {
        **_application_facts(service, place, district, today),
        **typed_values(input_variables(workflow), _example_inputs(workflow)),
    }
    names.update(_sample_fees(service, form_schema, workflow, data, names, today))

    def filler_with(facts: Mapping[str, object]) -> Filler:
        return Filler(
            schema=form_schema,
            workflow=workflow,
            data=data,
            facts=facts,
            language=language,
            names=lambda source: names,
            fee_codes=tuple(fee.code for fee in service.fees),
        )

    valid_until = _valid_until(issue, today, filler_with(facts))
    facts["document.valid_until"] = valid_until.isoformat() if valid_until else ""
    act = _in(service.rts.act, language)
    layout = compose(
        issue,
        filler_with(facts),
        Heading(
            authority=authority_line(department, language),
            office=office_name,
            number=number,
            issued_on=today,
            act=act,
            reference=PREVIEW_REFERENCE,
        ),
        qr_text=None,
        verify_page="",
        verify_code="",
    )
    layout = dataclasses.replace(
        layout,
        title=f"{words['preview']}: {layout.title}",
        verify_note=words["note"],
        signature_label=words["signature"],
        footer=f"{words['preview']}{words['stop']} {layout.footer}",
    )
    return pdf.render(layout).pdf


def _in(texts: Mapping[str, str], language: str) -> str:
    return texts.get(language) or texts.get("en") or ""


def _named(record: Any, language: str) -> str:
    if record is None:
        return ""
    return getattr(record, f"name_{language}", "") or record.name_en


def _role(code: str | None) -> Role | None:
    return Role.objects.filter(code=code).first() if code else None


def _place(code: Any) -> Jurisdiction | None:
    return Jurisdiction.objects.filter(code=code).first() if isinstance(code, str) else None


def _deciding_role(service: ServiceSpec, issue: IssueSpec, workflow: Workflow) -> str:
    """An officer role whose action enters the document's state: the designated officer's if
    theirs does, as for most decisions."""
    roles = {
        role
        for transition in workflow.transitions
        if transition.target == issue.state
        for role in transition.roles
        if role != CITIZEN
    }
    if not roles or service.rts.designated_officer in roles:
        return service.rts.designated_officer
    return sorted(roles)[0]


def _series(
    service: ServiceSpec,
    issue: IssueSpec,
    department: Department | None,
    office: Jurisdiction | None,
    district: Jurisdiction | None,
    today: dt.date,
) -> str:
    """The number's prefix as the series gives it for the example's place, with the running
    number written as zeros."""
    values = {
        "state": settings.SEVA_STATE_CODE,
        "department": department.short_code if department else "DEPT",
        "service": service.reference_code,
        "district": _short(district.code) if district else "DIST",
        "office": _short(office.code) if office else "OFFICE",
        "year": str(today.year),
    }
    try:
        prefix = issue.series.format_map(values)
    except (KeyError, ValueError, IndexError):
        prefix = issue.series
    return f"{prefix}/000000"


def _short(code: str) -> str:
    return code.rsplit("-", 1)[-1]


def _application_facts(
    service: ServiceSpec,
    place: Jurisdiction | None,
    district: Jurisdiction | None,
    today: dt.date,
) -> dict[str, object]:
    given = {
        "application.channel": "online",
        "application.district": district.code if district else "",
        "application.place": place.code if place else "",
        "application.service": service.code,
        "application.submitted_on": today.isoformat(),
    }
    return typed_values(APPLICATION_FACTS, given)


def _example_inputs(workflow: Workflow) -> dict[str, object]:
    """`inputs.<action>.<field>` from each action's first example input."""
    given: dict[str, object] = {}
    for transition in workflow.transitions:
        schema = transition.input_schema
        examples = schema.get("examples") if isinstance(schema, dict) else None
        if not examples or not isinstance(examples[0], dict):
            continue
        for path, value in flattened(examples[0]):
            given[f"{INPUTS}{transition.action}.{path}"] = value
    return given


def _sample_fees(
    service: ServiceSpec,
    form_schema: dict[str, Any],
    workflow: Workflow,
    data: dict,
    names: Mapping[str, object],
    today: dt.date,
) -> dict[str, object]:
    """`fees.<code>.*` as on the example: each amount worked out on the example's answers and
    inputs (blank when it cannot be), paid today with a receipt marked as a preview, and due
    by the end of its state's timer counted in calendar days."""
    values: dict[str, object] = {"fees.unpaid": 0}
    for fee in service.fees:
        paise = fee.amount_paise
        if fee.expression is not None:
            try:
                paise = paise_from_rupees(
                    expression_value(
                        form_schema,
                        fee.expression,
                        data,
                        extra_variables=amount_variables(form_schema, workflow),
                        extra_values=names,
                    )
                )
            except (ExpressionError, ValueError):
                paise = None
        timer = workflow.timer_from(fee.due) if fee.due in workflow.states else None
        after = timer.after_days if timer is not None else None
        prefix = f"fees.{fee.code}."
        values[prefix + "amount"] = rupees(paise) if paise is not None else ""
        values[prefix + "head"] = fee.head
        values[prefix + "receipt"] = PREVIEW_REFERENCE
        values[prefix + "paid_on"] = today.isoformat()
        values[prefix + "pay_by"] = (today + dt.timedelta(days=after)).isoformat() if after else ""
    return values


def _valid_until(issue: IssueSpec, today: dt.date, filler: Filler) -> dt.date | None:
    validity = issue.validity
    if validity is None:
        return None
    if validity.unit == "until":
        try:
            value = filler.value(validity.until or "")
            return dt.date.fromisoformat(str(value)) if value else None
        except (ExpressionError, ValueError):  # not computable, or not a date
            return None
    if validity.unit == "days":
        return today + dt.timedelta(days=validity.amount - 1)
    months = validity.amount * (12 if validity.unit == "years" else 1)
    return add_months(today, months) - dt.timedelta(days=1)
