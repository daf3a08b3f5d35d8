"""Reads of services and their versions, with the compiled objects cached per version."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from django.db.models import QuerySet
from jsonschema import Draft202012Validator

from seva.core.errors import ActionNotAllowed, NotFound, SevaError
from seva.core.money import paise_from_rupees
from seva.core.process_cache import ProcessCache
from seva.expressions.language import ExpressionError, NotAnswered
from seva.formschemas.rules import expression_value, with_computed
from seva.formschemas.validation import build_validator
from seva.org.models import Department
from seva.org.selectors import posting_sees_everything, postings_active
from seva.workflows.engine import Workflow, compile_workflow

from .fees import amount_variables
from .models import OPEN_DRAFT_STATUSES, Service, ServiceDraft, ServiceVersion
from .spec import FeeSpec


def service_list() -> QuerySet[Service]:
    return (
        Service.objects.filter(current_version__isnull=False)
        .select_related("department", "current_version")
        .order_by("department__name_en", "code")
    )


# Published versions never change: each process keeps the ones it has read (their form,
# workflow and service file are tens of kilobytes of JSON to fetch and parse a request).
_versions: ProcessCache[ServiceVersion] = ProcessCache("published service versions", maxsize=512)


def service_get(*, code: str) -> Service:
    """The open service `code`, with its department and current version (the version from the
    process's cache: only the service's own small row is read)."""
    try:
        service = Service.objects.select_related("department").get(
            code=code, current_version__isnull=False
        )
    except Service.DoesNotExist:
        raise NotFound(f"No service with code '{code}'.") from None
    version_id = service.current_version_id
    assert version_id is not None  # filtered above
    service.current_version = _versions.get(
        version_id, lambda: ServiceVersion.objects.get(pk=version_id)
    )
    return service


# Versions never change, so what is compiled from one can be kept for the process's life.
# The content hash is part of the key so that a reused id (SQLite after a rollback) can
# never be served another version's compiled form.
@lru_cache(maxsize=2048)
def _validator(version_id: int, content_hash: str) -> Draft202012Validator:
    return build_validator(
        ServiceVersion.objects.values_list("form_schema", flat=True).get(pk=version_id)
    )


@lru_cache(maxsize=2048)
def _workflow(version_id: int, content_hash: str) -> Workflow:
    return compile_workflow(
        ServiceVersion.objects.values_list("workflow_doc", flat=True).get(pk=version_id)
    )


def form_validator_for(version: ServiceVersion) -> Draft202012Validator:
    return _validator(version.pk, version.content_hash)


def workflow_for(version: ServiceVersion) -> Workflow:
    return _workflow(version.pk, version.content_hash)


def form_schema_for(version: ServiceVersion) -> dict:
    """The version's form as one object for the process's life (the one its cached validator
    holds), so that what the form layer derives from a form and keeps by its identity (the
    names its expressions read, seva.formschemas.rules) is derived once per version, not
    for every request that loads the version afresh. Read it; never change it."""
    return form_validator_for(version).schema


# ------------------------------------------------------------------------------
# The fee on an application's answers
# ------------------------------------------------------------------------------
class FeeUnknown(SevaError):
    """A fee written as an expression could not be worked out from the answers (and, for a
    fee paid through Seva, the officers' inputs) given; the message says why."""


def fee_of(*, version: ServiceVersion, data: Any) -> int:
    """The fee in rupees on `data` as the version states it: its fixed amount (0 without a
    fee), or its expression's value on the answers as they are (an application's, whose
    computed answers were fixed when it was submitted). Raises FeeUnknown, saying why, when
    the expression cannot give a whole number of rupees on them."""
    fee = version.spec.fee
    if fee is None or fee.expression is None:
        return fee.amount if fee else 0
    try:
        value = expression_value(form_schema_for(version), fee.expression, data)
    except NotAnswered as exc:
        raise FeeUnknown(
            f"The fee depends on an answer not given yet ({exc.message}). "
            "Complete the answers, then the fee is worked out."
        ) from None
    except ExpressionError as exc:
        raise FeeUnknown(
            f"The fee cannot be worked out from these answers: {exc.message}."
        ) from None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise FeeUnknown(
            f"The fee worked out from these answers is {value!r}, not a whole number of rupees "
            "(0 or more); the service's fee needs correcting by its department."
        )
    return value


def fee_amount_paise(
    *, version: ServiceVersion, fee: FeeSpec, data: Any, inputs: Mapping[str, Any]
) -> int:
    """The paise of `fee` (one of the version's `fees`) on an application's answers `data`
    and the values `inputs` of the other names its amount may read, `inputs.<action>.<field>`
    and `application.<fact>` (as applications.selectors.expression_values gives them): its
    fixed amount, or its expression's rupees converted once (core.money.paise_from_rupees).
    Raises FeeUnknown, saying why, when the expression cannot give rupees (0 or more) on them:
    an answer or input it reads was not given, or it gives something else."""
    if fee.expression is None:
        return fee.amount_paise or 0
    name = _text(fee.name)
    try:
        value = expression_value(
            form_schema_for(version),
            fee.expression,
            data,
            extra_variables=amount_variables(form_schema_for(version), workflow_for(version)),
            extra_values=inputs,
        )
    except NotAnswered as exc:
        raise FeeUnknown(
            f"The {name} cannot be worked out yet: it depends on a value not given "
            f"({exc.message}). Give it first, then the fee is worked out."
        ) from None
    except ExpressionError as exc:
        raise FeeUnknown(f"The {name} cannot be worked out: {exc.message}.") from None
    try:
        paise = paise_from_rupees(value)
    except ValueError:
        paise = -1
    if not isinstance(value, int | float) or paise < 0:
        raise FeeUnknown(
            f"The {name} worked out is {value!r}, not an amount of rupees (0 or more); the "
            "service's fee needs correcting by its department."
        )
    return paise


def _text(texts: Mapping[str, str]) -> str:
    return texts.get("en") or next(iter(texts.values()), "fee")


def fee_of_draft(*, version: ServiceVersion, data: Any) -> int:
    """The fee on answers not yet submitted: their computed answers are computed first, as
    submission will compute them (see fee_of)."""
    if isinstance(data, dict):
        data = with_computed(form_schema_for(version), data)
    return fee_of(version=version, data=data)


# Roles that manage a department's services in the admin (see roles.yaml).
SERVICE_ROLES = ("service_admin", "service_approver")


def departments_seen_by(user) -> set[int] | None:
    """The departments whose services `user` may see in the admin: None for every one (the
    state admin and the CMO: a posting with no department over the state); their own for a
    service administrator or approver. Raises ActionNotAllowed for anybody else."""

    if getattr(user, "is_superuser", False):
        return None
    departments: set[int] = set()
    manages_services = False
    for posting in postings_active(user):
        if posting_sees_everything(posting):
            return None
        if posting.role.code in SERVICE_ROLES:
            manages_services = True
            # A service role with no department below the state: no department's services.
            if posting.department_id is not None:
                departments.add(posting.department_id)
    if not manages_services:
        raise ActionNotAllowed("Services are managed by each department's service administrator.")
    return departments


def services_managed_by(user) -> QuerySet[Service]:
    """The services `user` may see in the admin (see `departments_seen_by`)."""
    services = Service.objects.select_related("department", "current_version").order_by(
        "department__name_en", "code"
    )
    departments = departments_seen_by(user)
    return services if departments is None else services.filter(department_id__in=departments)


def _service_roles(user, department_id: int) -> set[str]:

    return {
        p.role.code
        for p in postings_active(user)
        if p.role.code in SERVICE_ROLES and p.department_id == department_id
    }


def can_edit_services(user, department) -> bool:
    """The department's service administrators (and the state admin) change its services."""
    if getattr(user, "is_superuser", False):
        return True
    return "service_admin" in _service_roles(user, department.pk)


def can_publish_services(user, department) -> bool:
    """The department's approver (and the state admin) publishes what its admins prepared."""
    if getattr(user, "is_superuser", False):
        return True
    return "service_approver" in _service_roles(user, department.pk)


def departments_editable_by(user):

    departments = Department.objects.order_by("name_en")
    if getattr(user, "is_superuser", False):
        return departments

    ids = {p.department_id for p in postings_active(user) if p.role.code == "service_admin"}
    return departments.filter(pk__in=ids)


def drafts_visible_to(user) -> QuerySet:
    """Open drafts of the departments `user` sees in the admin (see `departments_seen_by`)."""

    drafts = ServiceDraft.objects.select_related("department", "service").filter(
        status__in=OPEN_DRAFT_STATUSES
    )
    departments = departments_seen_by(user)
    return drafts if departments is None else drafts.filter(department_id__in=departments)
