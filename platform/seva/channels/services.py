"""Writes for the channels other than the citizen's own phone.

At a service centre's counter: the citizen's consent by the code sent to their mobile, the
draft filled in on their behalf, and the filing itself, which submits through
`applications.services.application_submit` (channel `service_centre`, filed by the
operator) and records the centre, the operator, the fee and the consent in the same
transaction. On the helpline: a grievance registered from a call (channel `helpline`,
filed by the agent) and status queries, each recorded as a `HelplineCall`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import IntegrityError, transaction
from django.utils import timezone

from seva.applications.errors import DraftAlreadySent
from seva.applications.models import Application, Channel, FeeDue
from seva.applications.selectors import fees_of
from seva.applications.services import application_submit
from seva.citizens.services import citizen_for_mobile, otp_request, otp_verify
from seva.core.errors import ActionNotAllowed, NotFound, ValidationFailed
from seva.definitions.models import Service, ServiceKind
from seva.definitions.selectors import FeeUnknown, form_validator_for
from seva.formschemas.conditions import prune_hidden
from seva.formschemas.formats import is_mobile
from seva.formschemas.paths import get_path, set_path
from seva.formschemas.validation import validate_form_data
from seva.notifications.dlt import MAX_VALUE_CHARS
from seva.payments.services import payment_record_at_counter

from .models import (
    AssistedDraft,
    AssistedFiling,
    CentreOperator,
    HelplineAgent,
    HelplineCall,
    HelplineCallKind,
)
from .selectors import (
    centre_of_operator,
    fee_due,
    helpline_agent_check,
    masked_mobile,
    status_for_caller,
)

OPERATORS_GROUP = "Centre operators"
AGENTS_GROUP = "Helpline agents"


# ------------------------------------------------------------------------------
# Access to the staff workspace
# ------------------------------------------------------------------------------
def _workspace_group_sync(*, user, name: str, member: bool) -> None:
    """Operators and agents reach the staff workspace (the Wagtail admin) through a group
    of their own, which grants that and nothing else; what they see there is decided by
    their centre, or their being an agent, never by the group."""
    group, _created = Group.objects.get_or_create(name=name)
    group.permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    if member:
        user.groups.add(group)
    else:
        user.groups.remove(group)


def operator_access_sync(*, user) -> None:
    """In the operators' group while (and only while) the user has an active centre."""
    _workspace_group_sync(
        user=user,
        name=OPERATORS_GROUP,
        member=CentreOperator.objects.filter(user=user, active=True).exists(),
    )


def helpline_agent_access_sync(*, user) -> None:
    """In the agents' group while (and only while) the user is an active agent."""
    _workspace_group_sync(
        user=user,
        name=AGENTS_GROUP,
        member=HelplineAgent.objects.filter(user=user, active=True).exists(),
    )


# ------------------------------------------------------------------------------
# The citizen's consent
# ------------------------------------------------------------------------------
def _consent_code(*, draft: AssistedDraft, at: dt.datetime | None) -> None:
    """Send the code that is the citizen's consent: it names the operator, the centre and the
    service, and tells the citizen to give it only in person (SEVA_CONSENT_SMS), in the
    language they chose. The limits per number are the portal sign-in's."""
    operator = draft.operator
    who = operator.get_full_name() or operator.get_username()
    filer = f"{who}, {draft.centre.name}"[:MAX_VALUE_CHARS]
    names = draft.service_version.spec.short_name
    service_name = (names.get(draft.language) or names.get("en") or draft.service.code)[
        :MAX_VALUE_CHARS
    ]
    otp_request(
        mobile=draft.mobile,
        language=draft.language,
        sms=settings.SEVA_CONSENT_SMS,
        values=[filer, service_name],
        at=at,
    )


def consent_code_send(
    *,
    operator,
    mobile: str,
    service: Service,
    language: str,
    at: dt.datetime | None = None,
) -> AssistedDraft:
    """Begin a filing at the operator's counter for `service`, and send the citizen the code
    that is their consent to it. Raises ValidationFailed (`mobile`, `service`, `language`) or
    SignInRefused (the number's limits)."""
    now = at or timezone.now()
    centre = centre_of_operator(operator)
    mobile = (mobile or "").strip()
    if language not in dict(settings.LANGUAGES):
        raise ValidationFailed({"language": ["Choose English or Hindi."]})
    with transaction.atomic():
        draft = AssistedDraft(
            centre=centre,
            operator=operator,
            mobile=mobile,
            language=language,
            created_at=now,
            updated_at=now,
        )
        _service_set(draft, service)
        _consent_code(draft=draft, at=now)
        draft.save()
    return draft


def consent_code_resend(*, draft: AssistedDraft, at: dt.datetime | None = None) -> None:
    if draft.has_consent:
        raise ActionNotAllowed("The citizen has already confirmed with their code.")
    _consent_code(draft=draft, at=at)


def consent_verify(*, draft: AssistedDraft, code: str, at: dt.datetime | None = None):
    """Check the code the citizen read out. Right: the draft is the citizen's (found, or
    registered, by the mobile) and their consent is recorded. Wrong: ValidationFailed
    (`code`), counted toward the number's lock-out exactly as a sign-in is."""
    if draft.has_consent:
        return draft
    now = at or timezone.now()
    # Not inside a transaction: a wrong code's count must stay even though this raises.
    citizen = otp_verify(mobile=draft.mobile, code=code, at=now)
    draft.citizen = citizen
    draft.consent_verified_at = now
    draft.updated_at = now
    draft.save(update_fields=["citizen", "consent_verified_at", "updated_at"])
    return draft


def _require_consent(draft: AssistedDraft) -> None:
    if not draft.has_consent:
        raise ActionNotAllowed(
            "The citizen has not confirmed with the code sent to their mobile: nothing can be "
            "filed for them until they do."
        )


# ------------------------------------------------------------------------------
# The draft
# ------------------------------------------------------------------------------
def _service_set(draft: AssistedDraft, service: Service) -> None:
    """Point the draft at `service`'s current version, its form begun afresh with the
    applicant's mobile filled in with the number that gives consent. No save."""
    version = service.current_version
    if version is None:
        raise ValidationFailed({"service": ["This service is not open for applications."]})
    data: dict[str, Any] = {}
    set_path(data, version.spec.applicant.mobile_field, draft.mobile)
    draft.service, draft.service_version, draft.data = service, version, data


def assisted_service_choose(
    *, draft: AssistedDraft, service: Service, at: dt.datetime | None = None
) -> AssistedDraft:
    """Another service than the one the citizen consented to: its form starts afresh, and the
    citizen's consent is asked again with a code that names it (the consent was for the
    other one). The same service again changes nothing."""
    if draft.service_id == service.pk:
        return draft
    now = at or timezone.now()
    with transaction.atomic():
        _service_set(draft, service)
        draft.consent_verified_at = None
        draft.updated_at = now
        _consent_code(draft=draft, at=now)
        draft.save(
            update_fields=[
                "service",
                "service_version",
                "data",
                "consent_verified_at",
                "updated_at",
            ]
        )
    return draft


def assisted_draft_save(*, draft: AssistedDraft, data: dict, at: dt.datetime | None = None) -> None:
    _require_consent(draft)
    draft.data = data
    draft.updated_at = at or timezone.now()
    draft.save(update_fields=["data", "updated_at"])


def assisted_draft_discard(*, draft: AssistedDraft) -> None:
    draft.delete()


def assisted_draft_errors(
    *, draft: AssistedDraft, data: dict | None = None
) -> dict[str, list[str]]:
    """What is wrong with the answers, checked as submission will check them."""
    schema = draft.service_version.form_schema
    answers = prune_hidden(schema, draft.data if data is None else data)
    return validate_form_data(form_validator_for(draft.service_version), answers)


# ------------------------------------------------------------------------------
# Filing
# ------------------------------------------------------------------------------
def _fee_errors(
    *, draft: AssistedDraft, fee_amount: int | None, receipt: str
) -> dict[str, list[str]]:
    if draft.service_version is not None and draft.service_version.spec.fees:
        return _fees_errors(draft=draft, fee_amount=fee_amount, receipt=receipt)
    errors: dict[str, list[str]] = {}
    try:
        due = fee_due(draft)
    except FeeUnknown as exc:  # a fee that depends on answers not given, or not valid
        errors["fee_amount"] = [str(exc.message)]
        due = 0
    if fee_amount is None or fee_amount < 0:
        errors["fee_amount"] = ["Enter the fee collected in whole rupees: 0 if none was taken."]
    if not receipt and (due > 0 or (fee_amount or 0) > 0):
        errors["fee_receipt_number"] = [
            f"Enter the number of the receipt given for the fee (this service's fee is Rs {due})."
            if due > 0
            else "Enter the number of the receipt given for the money collected."
        ]
    elif receipt:
        earlier = (
            AssistedFiling.objects.filter(centre=draft.centre, fee_receipt_number=receipt)
            .select_related("application")
            .first()
        )
        if earlier is not None:
            errors["fee_receipt_number"] = [
                f"Receipt {receipt} was already recorded for {earlier.application.reference}. "
                "Enter the number of this citizen's receipt."
            ]
    return errors


def _fees_errors(
    *, draft: AssistedDraft, fee_amount: int | None, receipt: str
) -> dict[str, list[str]]:
    """A service whose `fees` fall due with the application: the counter takes them in full
    (recorded in the payments ledger with the receipt), or none, and the citizen pays later
    online, by challan or at a counter, while the file waits."""
    errors: dict[str, list[str]] = {}
    try:
        due = fee_due(draft)
    except FeeUnknown as exc:
        return {"fee_amount": [str(exc.message)]}
    if fee_amount is None or fee_amount < 0:
        errors["fee_amount"] = ["Enter the fee collected in whole rupees: 0 if none was taken."]
    elif fee_amount and fee_amount != due:
        errors["fee_amount"] = [
            f"This application's fee is Rs {due}: collect it in full, or enter 0 and the "
            "citizen pays it later (online, by challan or at a counter)."
        ]
    elif fee_amount and not receipt:
        errors["fee_receipt_number"] = ["Enter the number of the receipt given for the fee."]
    return errors


def _take_fees_at_counter(
    application: Application, *, draft: AssistedDraft, method: str, receipt: str
) -> None:
    """The fees that fell due on submission, paid here: one ledger row each (the same
    ledger as online payments), and the file moves on as the workflow says once paid."""
    for fee in fees_of(application):
        if fee.status == FeeDue.Status.DUE:
            payment_record_at_counter(
                fee=fee,
                method=method,
                receipt=receipt,
                operator=draft.operator,
                centre_code=draft.centre.code,
            )


def _lock_draft(draft: AssistedDraft) -> None:
    """Lock the draft's row for the filing's transaction. A second press of "File" waits
    here for the first, then finds the draft gone: DraftAlreadySent, with what was filed."""
    if AssistedDraft.objects.select_for_update().filter(pk=draft.pk).values("pk"):
        return
    sent = Application.objects.filter(draft_id=draft.pk).first()
    if sent is None:
        raise NotFound("This filing was deleted.")
    raise DraftAlreadySent(sent.reference)


def _check_filing(draft: AssistedDraft, *, fee_amount: int | None, receipt: str) -> None:
    _require_consent(draft)
    if centre_of_operator(draft.operator).pk != draft.centre_id:
        raise ActionNotAllowed("You no longer work at the centre where this filing was begun.")
    if draft.service is None:
        raise ValidationFailed({"service": ["Choose the service the citizen applies for."]})
    errors = _fee_errors(draft=draft, fee_amount=fee_amount, receipt=receipt)
    mobile_field = draft.service.current_version.spec.applicant.mobile_field
    given = get_path(draft.data, mobile_field)
    if given is not None and given != draft.mobile:
        errors[f"data.{mobile_field}"] = [
            f"Give the mobile number the citizen confirmed with their code "
            f"({masked_mobile(draft.mobile)}), or begin again with the new number."
        ]
    if errors:
        raise ValidationFailed(errors)


def assisted_filing_submit(
    *,
    draft: AssistedDraft,
    fee_amount: int | None,
    fee_receipt_number: str,
    fee_method: str = "cash",
    language: str = "en",
    at: dt.datetime | None = None,
) -> AssistedFiling:
    """File the draft for the citizen who consented: the application (channel
    `service_centre`, filed by the operator, routed, deadlines set, SMS queued) and its
    assisted-filing record together, or neither. Raises ValidationFailed keyed
    `fee_amount`, `fee_receipt_number` or `data.<field>`; ActionNotAllowed without consent
    or when the operator no longer works at the draft's centre; DraftAlreadySent when the
    draft was filed by another request a moment ago."""
    now = at or timezone.now()
    receipt = (fee_receipt_number or "").strip()
    try:
        with transaction.atomic():
            _lock_draft(draft)
            _check_filing(draft, fee_amount=fee_amount, receipt=receipt)
            application = application_submit(
                service=draft.service,
                data=draft.data,
                applicant=draft.citizen,
                channel=Channel.SERVICE_CENTRE,
                filed_by=draft.operator,
                language=language,
                draft_id=draft.pk,
                at=now,
            )
            if fee_amount and draft.service_version.spec.fees:
                _take_fees_at_counter(application, draft=draft, method=fee_method, receipt=receipt)
            filing = AssistedFiling.objects.create(
                application=application,
                centre=draft.centre,
                operator=draft.operator,
                fee_amount=fee_amount,
                fee_receipt_number=receipt,
                consent_verified_at=draft.consent_verified_at,
                filed_at=now,
            )
            draft.delete()
    except IntegrityError as exc:
        if "receipt" not in str(exc):  # the constraint's name, or its column on SQLite
            raise
        # Another counter of the centre recorded the same receipt a moment ago.
        raise ValidationFailed(
            {
                "fee_receipt_number": [
                    f"Receipt {receipt} was already recorded at this centre. "
                    "Enter the number of this citizen's receipt."
                ]
            }
        ) from None
    return filing


# ------------------------------------------------------------------------------
# The helpline
# ------------------------------------------------------------------------------
def helpline_grievance_register(
    *,
    agent,
    service: Service,
    data: dict,
    language: str = "en",
    at: dt.datetime | None = None,
) -> HelplineCall:
    """Register a grievance from a call: the caller (found, or registered, by the mobile on
    the form) is the applicant, the agent files it (channel `helpline`), and the call is
    recorded, all in one transaction. Raises ValidationFailed keyed `data.<field>` (or
    `service`), ActionNotAllowed for anybody but an active agent."""
    now = at or timezone.now()
    helpline_agent_check(agent)
    version = service.current_version
    if service.kind != ServiceKind.GRIEVANCE or version is None:
        raise ValidationFailed({"service": ["The helpline registers grievances only."]})
    mobile_field = version.spec.applicant.mobile_field
    caller_mobile = get_path(data, mobile_field)
    if not (isinstance(caller_mobile, str) and is_mobile(caller_mobile)):
        # The form's own check says the same; the caller's account is not made without it.
        raise ValidationFailed(
            {f"data.{mobile_field}": ["Enter the caller's 10-digit mobile number."]}
        )
    with transaction.atomic():
        caller = citizen_for_mobile(mobile=caller_mobile)
        application = application_submit(
            service=service,
            data=data,
            applicant=caller,
            channel=Channel.HELPLINE,
            filed_by=agent,
            language=language,
            at=now,
        )
        return HelplineCall.objects.create(
            kind=HelplineCallKind.GRIEVANCE,
            agent=agent,
            caller_mobile=caller_mobile,
            application=application,
            at=now,
        )


def helpline_status_answer(
    *, agent, mobile: str, reference: str = "", at: dt.datetime | None = None
) -> list[dict]:
    """Answer a caller's status query (see `status_for_caller`) and record that the agent
    asked, what, and how many applications the answer named."""
    helpline_agent_check(agent)
    mobile = (mobile or "").strip()
    reference = (reference or "").strip().upper()
    if not is_mobile(mobile):
        raise ValidationFailed(
            {"mobile": ["Enter the caller's 10-digit mobile number starting with 6 to 9."]}
        )
    found = status_for_caller(mobile=mobile, reference=reference)
    HelplineCall.objects.create(
        kind=HelplineCallKind.STATUS_QUERY,
        agent=agent,
        caller_mobile=mobile,
        reference_asked=reference,
        applications_named=len(found),
        at=at or timezone.now(),
    )
    return found
