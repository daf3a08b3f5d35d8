"""A document's words: the service's template (spec.IssueSpec) filled from one application.

Each `{{ expression }}` is evaluated like a workflow's condition, over the form's answers, the
application's facts, the officers' inputs and the consultations' answers, the service's fees
(`fees.<code>.amount`, definitions.fees.FEE_PLACEHOLDERS), and the facts of the document and
its decision (definitions.issued.DOCUMENT_FACTS). Values are printed for
the document's language: a date as 07/12/2026, a number with Indian grouping (1,80,000), a
choice as its label, yes/no in words; a value nobody gave as a dash."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from seva.applications.models import Application, ApplicationEvent
from seva.applications.selectors import expression_values
from seva.definitions.fees import fee_placeholder_variables
from seva.definitions.issued import DOCUMENT_FACTS, fill
from seva.definitions.selectors import form_schema_for, workflow_for
from seva.definitions.spec import IssueSpec
from seva.expressions.language import ExpressionError, NotAnswered
from seva.formschemas.paths import schema_at
from seva.formschemas.rules import expression_value
from seva.org.models import Role
from seva.workflows.engine import Workflow
from seva.workflows.names import INPUTS, input_field, workflow_variables

from .pdf import Block, Fact, Layout

MISSING = "—"
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_WORDS = {
    "en": {
        True: "Yes",
        False: "No",
        "number": "No.",
        "date": "Date of issue",
        "signed": "Digitally signed by",
        "verify": "Verification code {code}. Scan the QR code, or open {url} and enter the code.",
        "footer": "Issued through Seva under the {act}. Application {reference}.",
    },
    "hi": {
        True: "हाँ",
        False: "नहीं",
        "number": "क्रमांक",
        "date": "जारी करने की तिथि",
        "signed": "डिजिटल हस्ताक्षरकर्ता",
        "verify": "सत्यापन कोड {code}। QR कोड स्कैन करें, या {url} खोलकर कोड डालें।",
        "footer": "सेवा के माध्यम से {act} के अंतर्गत जारी। आवेदन {reference}।",
    },
}


def _words(language: str) -> Mapping[Any, str]:
    return _WORDS.get(language, _WORDS["en"])


def _texts(texts: Mapping[str, str], language: str) -> str:
    return texts.get(language) or texts.get("en") or next(iter(texts.values()), "")


def _named(record: Any, language: str) -> str:
    if record is None:
        return ""
    return getattr(record, f"name_{language}", "") or record.name_en


def indian_number(value: int) -> str:
    """1,80,000: the last three digits, then pairs."""
    sign, digits = ("-", str(-value)) if value < 0 else ("", str(value))
    head, tail = digits[:-3], digits[-3:]
    pairs: list[str] = []
    while len(head) > 2:
        pairs.insert(0, head[-2:])
        head = head[:-2]
    if head:
        pairs.insert(0, head)
    return sign + ",".join([*pairs, tail])


def spaced(code: str) -> str:
    """ABCDEFGHIJKLMNOP -> ABCD-EFGH-IJKL-MNOP: easier to read out and type."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def show_date(value: dt.date | str | None) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return value.strftime("%d/%m/%Y")


@dataclass(frozen=True)
class Decision:
    """The facts of the document being issued and the decision it records."""

    number: str
    issued_on: dt.date
    valid_until: dt.date | None
    officer_name: str
    cause: ApplicationEvent | None


def document_facts(
    application: Application, issue: IssueSpec, decision: Decision, language: str
) -> dict[str, object]:
    """`document.*`, `decision.*` and the other DOCUMENT_FACTS, in `language`."""
    spec = application.service_version.spec
    cause = decision.cause
    decided_on = timezone.localdate(cause.at) if cause is not None else decision.issued_on
    role = Role.objects.filter(code=cause.actor_role).first() if cause is not None else None
    appeal_days = settings.SEVA_APPEAL_DAYS
    appellate = Role.objects.filter(code=spec.rts.first_appellate_authority).first()
    return {
        "appeal.authority": _named(appellate, language),
        "appeal.days": appeal_days,
        "appeal.last_day": (decided_on + dt.timedelta(days=appeal_days)).isoformat(),
        "applicant.name": application.applicant_name,
        "application.reference": application.reference,
        "decision.officer": decision.officer_name,
        "decision.on": decided_on.isoformat(),
        "decision.remarks": cause.remarks if cause is not None else "",
        "decision.role": _named(role, language),
        "document.issued_on": decision.issued_on.isoformat(),
        "document.number": decision.number,
        "document.valid_until": decision.valid_until.isoformat() if decision.valid_until else "",
        "office.name": _named(application.office, language),
        "service.act": _texts(spec.rts.act, language),
        "service.name": _texts(spec.name, language),
    }


class Filler:
    """Evaluates and prints the placeholders of one document in one language: over a form's
    answers `data`, the values besides them that `names(source)` gives for an expression
    (an application's facts, officers' inputs, consultations, the fees of `fee_codes`), and
    the document's facts."""

    def __init__(
        self,
        *,
        schema: dict,
        workflow: Workflow,
        data: dict,
        facts: Mapping[str, object],
        language: str,
        names: Callable[[str], Mapping[str, object]] = lambda source: {},
        fee_codes: tuple[str, ...] = (),
    ) -> None:
        self.schema = schema
        self.workflow = workflow
        self.data = data
        self.variables = (
            *workflow_variables(workflow),
            *DOCUMENT_FACTS,
            *fee_placeholder_variables(fee_codes),
        )
        self.facts = facts
        self.language = language
        self.names = names

    @classmethod
    def for_application(
        cls, application: Application, facts: Mapping[str, object], language: str
    ) -> Filler:
        workflow = workflow_for(application.service_version)
        return cls(
            schema=form_schema_for(application.service_version),
            workflow=workflow,
            data=application.data,
            facts=facts,
            language=language,
            names=lambda source: expression_values(application, workflow, source),
            fee_codes=tuple(fee.code for fee in application.service_version.spec.fees),
        )

    def value(self, source: str) -> Any:
        """The raw value (None when not answered). Raises ExpressionError if it fails."""
        extra = dict(self.names(source))
        extra.update(self.facts)
        try:
            return expression_value(
                self.schema,
                source,
                self.data,
                extra_variables=self.variables,
                extra_values=extra,
            )
        except NotAnswered:
            return None

    def text(self, source: str) -> str:
        try:
            value = self.value(source)
        except ExpressionError:
            return MISSING
        return self.show(source, value)

    def show(self, source: str, value: Any) -> str:
        if value is None or value == "":
            return MISSING
        if isinstance(value, bool):
            return _words(self.language)[value]
        if isinstance(value, int):
            return indian_number(value)
        if isinstance(value, float):
            return f"{value:,.2f}"
        if isinstance(value, str):
            label = self._choice_label(source, value)
            if label:
                return label
            if _DATE.fullmatch(value):
                return show_date(value)
            return value
        if isinstance(value, list):
            return ", ".join(self.show("", item) for item in value)
        return str(value)

    def _choice_label(self, source: str, value: str) -> str | None:
        """A bare name of a choice field prints the choice's label (its x-enum-labels)."""
        if source.startswith("data."):
            schema = schema_at(self.schema, source.removeprefix("data."))
        elif source.startswith(INPUTS):
            schema = input_field(self.workflow, source)
        else:
            return None
        if not isinstance(schema, dict):
            return None
        labels = schema.get("x-enum-labels") or {}
        label = labels.get(value)
        if isinstance(label, dict):
            return _texts(label, self.language)
        return None

    def fill(self, text: str) -> str:
        return fill(text, self.text)


@dataclass(frozen=True)
class Heading:
    """What the page says around the template's words, in the document's language."""

    authority: str  # the state and the department
    office: str
    number: str
    issued_on: dt.date
    act: str
    reference: str


def compose(
    issue: IssueSpec,
    filler: Filler,
    heading: Heading,
    *,
    qr_text: str | None,
    verify_page: str,
    verify_code: str,
) -> Layout:
    """The template filled by `filler`, in its language, ready for pdf.render."""
    language = filler.language
    words = _words(language)
    blocks: list[Block] = []
    for block in issue.body.get(language) or issue.body["en"]:
        if "heading" in block:
            blocks.append(Block(kind="heading", text=filler.fill(block["heading"])))
        elif "paragraph" in block:
            blocks.append(
                Block(kind="paragraph", text=" ".join(filler.fill(block["paragraph"]).split()))
            )
        else:
            blocks.append(
                Block(
                    kind="facts",
                    facts=tuple(
                        Fact(label=filler.fill(f["label"]), value=filler.fill(f["value"]))
                        for f in block["facts"]
                    ),
                )
            )
    return Layout(
        language=language,
        authority=heading.authority,
        office=heading.office,
        title=filler.fill(_texts(issue.title, language)),
        number_label=words["number"],
        number=heading.number,
        date_label=words["date"],
        date=show_date(heading.issued_on),
        blocks=tuple(blocks),
        qr_text=qr_text,
        verify_note=words["verify"].format(url=verify_page, code=spaced(verify_code)),
        signature_label=words["signed"],
        footer=words["footer"].format(act=heading.act, reference=heading.reference),
    )


def authority_line(department: Any, language: str) -> str:
    return f"{_texts(settings.SEVA_DOCUMENT_AUTHORITY, language)} · {_named(department, language)}"


def layout_for(
    application: Application,
    issue: IssueSpec,
    decision: Decision,
    *,
    language: str,
    qr_text: str | None,
    verify_page: str,
    verify_code: str,
) -> Layout:
    """The document of `application` in `language`, ready for pdf.render."""
    facts = document_facts(application, issue, decision, language)
    heading = Heading(
        authority=authority_line(application.department, language),
        office=_named(application.office, language),
        number=decision.number,
        issued_on=decision.issued_on,
        act=_texts(application.service_version.spec.rts.act, language),
        reference=application.reference,
    )
    return compose(
        issue,
        Filler.for_application(application, facts, language),
        heading,
        qr_text=qr_text,
        verify_page=verify_page,
        verify_code=verify_code,
    )


def holder_name(application: Application, issue: IssueSpec) -> str:
    """Whom the document names (the verification page shows it): the `holder` expression's
    value, or the applicant's name."""
    if not issue.holder:
        return application.applicant_name
    decision = Decision("", timezone.localdate(), None, "", None)
    facts = document_facts(application, issue, decision, "en")
    value = Filler.for_application(application, facts, "en").text(issue.holder)
    return application.applicant_name if value == MISSING else value
