"""Reads for the service-centre counter. Everything an operator may see starts from
`centre_of_operator`: their drafts, and the filings of their own centre. A reference filed
at another centre answers exactly as one that does not exist."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone

from seva.applications.documents import document_fields
from seva.applications.errors import DraftAlreadySent
from seva.applications.models import Application, Document
from seva.applications.presenters import public_status
from seva.applications.selectors import rts_days_of
from seva.core.errors import ActionNotAllowed, NotFound
from seva.definitions.models import Service, ServiceKind, ServiceVersion
from seva.definitions.selectors import (
    fee_amount_paise,
    fee_of_draft,
    form_schema_for,
    service_list,
    workflow_for,
)
from seva.documents.models import DocumentFile
from seva.documents.selectors import document_file, documents_of
from seva.formschemas.conditions import prune_hidden
from seva.formschemas.rules import with_computed
from seva.payments.models import Payment
from seva.queues.issued import LANGUAGE_NAMES, IssuedFileLink, status_label, status_of

from .models import (
    AssistedDraft,
    AssistedFiling,
    CentreOperator,
    HelplineAgent,
    HelplineCall,
    HelplineCallKind,
    ServiceCentre,
)

LANGUAGE = "en"  # the workspace's; the citizen's answers are shown as given
# A caller's status query names at most this many applications, the newest; the reference
# finds an older one.
STATUS_ANSWER_LIMIT = 20


def centre_of_operator(user) -> ServiceCentre:
    """The centre whose counter `user` works now. ActionNotAllowed for anybody who is not an
    active operator: officers, citizens, and an operator whose link was made inactive."""
    if not getattr(user, "is_authenticated", False):
        raise ActionNotAllowed("Assisted filing is for service-centre operators.")
    link = (
        CentreOperator.objects.select_related("centre", "centre__jurisdiction")
        .filter(user=user, active=True)
        .first()
    )
    if link is None:
        raise ActionNotAllowed("Assisted filing is for service-centre operators.")
    return link.centre


def is_centre_operator(user) -> bool:
    try:
        centre_of_operator(user)
    except ActionNotAllowed:
        return False
    return True


# ------------------------------------------------------------------------------
# Drafts at the counter: the operator's own, at their current centre
# ------------------------------------------------------------------------------
def _drafts_of(operator) -> QuerySet[AssistedDraft]:
    centre = centre_of_operator(operator)
    return AssistedDraft.objects.filter(centre=centre, operator=operator).select_related(
        "service", "service_version", "citizen", "centre"
    )


def assisted_draft_get(*, operator, draft_id) -> AssistedDraft:
    """The operator's filing in progress. One filed already at their centre (a second press
    of "File" arriving after the first was done) raises DraftAlreadySent; any other,
    NotFound."""
    try:
        return _drafts_of(operator).get(pk=draft_id)
    except AssistedDraft.DoesNotExist:
        filed = (
            AssistedFiling.objects.filter(
                centre=centre_of_operator(operator), application__draft_id=draft_id
            )
            .select_related("application")
            .first()
        )
        if filed is not None:
            raise DraftAlreadySent(filed.application.reference) from None
        raise NotFound("No such filing in progress at your counter.") from None


def assisted_drafts_in_progress(*, operator) -> list[AssistedDraft]:
    """The operator's filings begun and not sent, newest first."""
    return list(_drafts_of(operator).order_by("-updated_at")[:50])


def services_for_filing() -> QuerySet[Service]:
    """Every service open for applications, as the portal offers them."""
    return service_list()


def draft_document_names(*, draft: AssistedDraft) -> dict[str, dict]:
    """Name and size of the scans the operator uploaded for this draft's answers."""
    if draft.service_version is None:
        return {}
    schema = draft.service_version.form_schema
    tokens = [token for _path, token, _schema in document_fields(schema, draft.data)]
    documents = Document.objects.filter(token__in=tokens, owner=draft.operator)
    return {d.token: {"name": d.original_name, "size": d.size} for d in documents}


# ------------------------------------------------------------------------------
# Filings of the operator's centre
# ------------------------------------------------------------------------------
def filings_at_centre_of(*, operator) -> QuerySet[AssistedFiling]:
    """The applications filed at the operator's centre, by any of its operators, newest first."""
    centre = centre_of_operator(operator)
    return (
        AssistedFiling.objects.filter(centre=centre)
        .select_related(
            "application",
            "application__service_version",
            "application__office",
            "application__holder_role",
            "operator",
            "centre",
        )
        .order_by("-filed_at", "-pk")
    )


def filings_listed_at_centre_of(*, operator) -> QuerySet[AssistedFiling]:
    """The filings of the operator's centre as the list shows them, newest first: only its
    columns, and each service version on a page read once (its service document alone),
    never the answers or the forms."""
    centre = centre_of_operator(operator)
    return (
        AssistedFiling.objects.filter(centre=centre)
        .select_related("application", "operator")
        .only(
            "filed_at",
            "fee_amount",
            "fee_receipt_number",
            "application__reference",
            "application__service_version_id",
            "application__state",
            "application__applicant_name",
            "application__applicant_mobile",
            "operator__username",
            "operator__first_name",
            "operator__last_name",
        )
        .prefetch_related(
            Prefetch(
                "application__service_version",
                queryset=ServiceVersion.objects.only("id", "content_hash", "service_doc"),
            )
        )
        .order_by("-filed_at", "-pk")
    )


def filing_at_centre_of(*, operator, reference: str) -> AssistedFiling:
    try:
        return filings_at_centre_of(operator=operator).get(application__reference=reference)
    except AssistedFiling.DoesNotExist:
        raise NotFound(f"No application {reference} filed at your centre.") from None


# ------------------------------------------------------------------------------
# Presenters: plain values for the templates
# ------------------------------------------------------------------------------
def _text(texts, language: str = LANGUAGE) -> str:
    if not isinstance(texts, dict):
        return ""
    return texts.get(language) or texts.get("en") or ""


def person_name(user) -> str:
    return user.get_full_name() or user.username


def masked_mobile(mobile: str) -> str:
    return f"{mobile[:2]}XXXXXX{mobile[-2:]}" if len(mobile) == 10 else mobile


def _state_label(application: Application) -> str:
    state = workflow_for(application.service_version).state(application.state)
    return _text(state.label)


def _holder(application: Application) -> str:
    if application.is_closed:
        return "Decided"
    role = application.holder_role
    if role is None:
        return "With the applicant"
    return f"{role.name_en}, {application.office.name_en}"


@dataclass(frozen=True)
class FiledRow:
    reference: str
    service_name: str
    applicant_name: str
    mobile: str
    filed_at: object
    operator: str
    fee_amount: int
    fee_receipt_number: str
    state_label: str


def filed_rows(filings) -> list[FiledRow]:
    return [
        FiledRow(
            reference=f.application.reference,
            service_name=_text(f.application.service_version.spec.name),
            applicant_name=f.application.applicant_name,
            mobile=masked_mobile(f.application.applicant_mobile),
            filed_at=timezone.localtime(f.filed_at),
            operator=person_name(f.operator),
            fee_amount=f.fee_amount,
            fee_receipt_number=f.fee_receipt_number,
            state_label=_state_label(f.application),
        )
        for f in filings
    ]


@dataclass(frozen=True)
class Acknowledgement:
    reference: str
    service_name: str
    applicant_name: str
    applicant_mobile: str
    centre_name: str
    centre_code: str
    operator: str
    fee_amount: int
    fee_receipt_number: str
    filed_at: object
    consent_verified_at: object
    rts_due_at: object
    rts_days: int
    rts_day_type: str
    rts_act: str
    state_label: str
    holder: str


def acknowledgement_for(filing: AssistedFiling) -> Acknowledgement:
    application = filing.application
    spec = application.service_version.spec
    centre = filing.centre
    return Acknowledgement(
        reference=application.reference,
        service_name=_text(spec.name),
        applicant_name=application.applicant_name,
        applicant_mobile=masked_mobile(application.applicant_mobile),
        centre_name=centre.name,
        centre_code=centre.code,
        operator=person_name(filing.operator),
        fee_amount=filing.fee_amount,
        fee_receipt_number=filing.fee_receipt_number,
        filed_at=timezone.localtime(filing.filed_at),
        consent_verified_at=timezone.localtime(filing.consent_verified_at),
        rts_due_at=timezone.localtime(application.rts_due_at),
        rts_days=rts_days_of(application),
        rts_day_type=spec.rts.day_type,
        rts_act=_text(spec.rts.act),
        state_label=_state_label(application),
        holder=_holder(application),
    )


@dataclass(frozen=True)
class CounterDocument:
    """A document issued on a file filed at the counter, with its PDFs to print."""

    name: str
    number: str
    status: str
    status_label: str
    valid_until: object
    files: list[IssuedFileLink]


def counter_documents(filing: AssistedFiling) -> list[CounterDocument]:
    """The documents issued on the filing's application, oldest first: the operator prints
    them for the citizen at the counter."""
    application = filing.application
    spec = application.service_version.spec
    rows = []
    for document in documents_of(application):
        issue = spec.issue(document.code)
        status = status_of(document)
        rows.append(
            CounterDocument(
                name=_text(issue.name) if issue else document.kind,
                number=document.number or "",
                status=status,
                status_label=status_label(status),
                valid_until=document.valid_until,
                files=[]
                if status == "pending"
                else [
                    IssuedFileLink(
                        language=f.language,
                        label=LANGUAGE_NAMES.get(f.language, f.language),
                        url=reverse(
                            "channels:issued-file",
                            args=[application.reference, document.public_id, f.language],
                        ),
                    )
                    for f in document.files.all()
                ],
            )
        )
    return rows


def counter_document_file(
    *, operator, reference: str, public_id: str, language: str
) -> DocumentFile:
    """A signed PDF of a document issued on an application filed at the operator's centre;
    NotFound for any other, as for a reference that does not exist."""
    filing = filing_at_centre_of(operator=operator, reference=reference)
    return document_file(filing.application, public_id=public_id, language=language)


def fee_due(draft: AssistedDraft) -> int:
    """The fee in rupees the draft's answers owe, as the definition it is filled on states
    it: its fixed fee, or its fee expression worked out on the answers. Raises FeeUnknown
    when the expression cannot be worked out on them (an answer it needs is missing)."""
    version = draft.service_version
    if version is None:
        return 0
    data = prune_hidden(version.form_schema, draft.data)
    if version.spec.fees:
        paise = fees_due_on_submission_paise(version=version, data=data)
        return paise // 100 if paise % 100 == 0 else paise / 100
    return fee_of_draft(version=version, data=data)


def fees_due_on_submission_paise(*, version: ServiceVersion, data: dict) -> int:
    """The paise of the version's `fees` that fall due in its workflow's first state: what
    the counter collects with the application. Raises FeeUnknown as fee_amount_paise does."""
    initial = workflow_for(version).initial
    computed = with_computed(form_schema_for(version), data)
    return sum(
        fee_amount_paise(version=version, fee=fee, data=computed, inputs={})
        for fee in version.spec.fees
        if fee.due == initial
    )


def fee_depends_on_answers(draft: AssistedDraft) -> bool:
    spec = draft.service_version.spec if draft.service_version else None
    if spec is not None and spec.fees:
        return any(fee.expression for fee in spec.fees)
    return bool(spec and spec.fee and spec.fee.depends_on_answers)


def fee_note(draft: AssistedDraft) -> str:
    version = draft.service_version
    if version is not None and version.spec.fees:
        return " ".join(_text(fee.note) for fee in version.spec.fees if fee.note)
    fee = version.spec.fee if version else None
    return _text(fee.note) if fee else ""


def service_name(version) -> str:
    return _text(version.spec.name) if version is not None else ""


def service_choices() -> list[tuple[str, str]]:
    return [
        (s.code, f"{_text(s.current_version.spec.name)} ({s.department.name_en})")
        for s in services_for_filing()
    ]


# ------------------------------------------------------------------------------
# The helpline
# ------------------------------------------------------------------------------
def helpline_agent_check(user) -> None:
    """ActionNotAllowed unless `user` is an active helpline agent."""
    if not (
        getattr(user, "is_authenticated", False)
        and HelplineAgent.objects.filter(user=user, active=True).exists()
    ):
        raise ActionNotAllowed("The helpline's pages are for helpline agents.")


def is_helpline_agent(user) -> bool:
    try:
        helpline_agent_check(user)
    except ActionNotAllowed:
        return False
    return True


def grievance_services() -> QuerySet[Service]:
    """The grievance types open for registration, as the portal offers them."""
    return services_for_filing().filter(kind=ServiceKind.GRIEVANCE)


def helpline_calls_of(*, agent) -> QuerySet[HelplineCall]:
    """The agent's own calls, the latest first: page them."""
    helpline_agent_check(agent)
    return (
        HelplineCall.objects.filter(agent=agent)
        .select_related("application")
        .only(
            "at",
            "kind",
            "caller_mobile",
            "applications_named",
            "reference_asked",
            "application__reference",
        )
        .order_by("-at", "-pk")
    )


def helpline_registration_of(*, agent, reference: str) -> HelplineCall:
    """A grievance this agent registered; another agent's answers as one that does not exist."""
    helpline_agent_check(agent)
    try:
        return HelplineCall.objects.select_related(
            "application",
            "application__service_version",
            "application__office",
            "application__holder_role",
        ).get(kind=HelplineCallKind.GRIEVANCE, agent=agent, application__reference=reference)
    except HelplineCall.DoesNotExist:
        raise NotFound(f"No grievance {reference} registered by you.") from None


def applications_made_with(*, mobile: str) -> int:
    """How many applications were made with this mobile number (counted by the database)."""
    return Application.objects.filter(applicant_mobile=mobile).count()


def status_for_caller(
    *, mobile: str, reference: str = "", limit: int = STATUS_ANSWER_LIMIT
) -> list[dict]:
    """What public tracking would show the caller: with a reference, that application if it
    was made with this mobile; without, every application made with this mobile, newest
    first. Never an application whose registered mobile is another."""
    if reference:
        references = [reference]
    else:
        references = list(
            Application.objects.filter(applicant_mobile=mobile)
            .order_by("-submitted_at")
            .values_list("reference", flat=True)[:limit]
        )
    found = (public_status(reference=r, mobile=mobile, language=LANGUAGE) for r in references)
    return [status for status in found if status is not None]


@dataclass(frozen=True)
class Registration:
    reference: str
    service_name: str
    caller_name: str
    caller_mobile: str
    registered_at: object
    rts_due_at: object
    holder: str
    state_label: str


def registration_for(call: HelplineCall) -> Registration:
    application = call.application
    return Registration(
        reference=application.reference,
        service_name=_text(application.service_version.spec.name),
        caller_name=application.applicant_name,
        caller_mobile=masked_mobile(call.caller_mobile),
        registered_at=timezone.localtime(call.at),
        rts_due_at=timezone.localtime(application.rts_due_at),
        holder=_holder(application),
        state_label=_state_label(application),
    )


def application_for_counter_fee(*, operator, reference: str, mobile: str) -> Application:
    """An application whose fee an operator may take: named by its reference AND the mobile it
    was made with (a fee is never taken on a mistyped reference). Any operator's counter
    takes it, as any counter files. NotFound, the same for both, when they do not match."""
    centre_of_operator(operator)
    application = (
        Application.objects.select_related("service_version", "service")
        .filter(reference=reference.strip().upper(), applicant_mobile=mobile)
        .first()
    )
    if application is None:
        raise NotFound("No application with that reference was made with that mobile number.")
    return application


def counter_payment_of(*, operator, order_id: str):
    """A payment taken at the operator's centre (to print its receipt); NotFound for any
    other."""
    centre = centre_of_operator(operator)
    payment = (
        Payment.objects.select_related("application", "fee", "service")
        .filter(order_id=order_id, centre_code=centre.code)
        .first()
    )
    if payment is None:
        raise NotFound("No payment taken at this centre with that number.")
    return payment
