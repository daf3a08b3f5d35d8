"""The values that fill a service's SMS templates, registered by name in
`seva.definitions.sms.SMS_VARIABLES` (where the template language lives), and the text an
application's SMS reads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.utils import timezone

from seva.applications.selectors import expression_values, fees_of
from seva.core.money import rupees
from seva.definitions.selectors import FeeUnknown, fee_of, form_schema_for, workflow_for
from seva.definitions.sms import MAX_VALUE_CHARS, SMS_VARIABLES, fill_template, is_expression
from seva.expressions.language import ExpressionError
from seva.formschemas.rules import expression_value
from seva.workflows.names import workflow_variables

if TYPE_CHECKING:
    from seva.applications.models import Application


def _date(value) -> str:
    return timezone.localtime(value).strftime("%d-%m-%Y") if value else "-"


@SMS_VARIABLES.register("reference")
def _reference(application: Application, language: str) -> str:
    return application.reference


@SMS_VARIABLES.register("service_name")
def _service_name(application: Application, language: str) -> str:
    names = application.service_version.spec.short_name
    return names.get(language) or names["en"]


@SMS_VARIABLES.register("rts_due_date")
def _rts_due_date(application: Application, language: str) -> str:
    return _date(application.rts_due_at)


@SMS_VARIABLES.register("stage_due_date")
def _stage_due_date(application: Application, language: str) -> str:
    return _date(application.stage_due_at)


@SMS_VARIABLES.register("applicant_name")
def _applicant_name(application: Application, language: str) -> str:
    return application.applicant_name[:30]


@SMS_VARIABLES.register("fee_amount")
def _fee_amount(application: Application, language: str) -> str:
    """The fee in rupees. For a service whose fees are paid through Seva (`fees`): the fees
    due now, or when none is, those paid ("1,250.50"); "-" when none fell due. Otherwise the
    service's `fee`, worked out on the application's answers when it is an expression; "-"
    when it cannot be (as for an expression value)."""
    if application.service_version.spec.fees:
        fees = fees_of(application)
        due = [fee.amount_paise for fee in fees if fee.is_due]
        paid = [fee.amount_paise for fee in fees if fee.is_paid]
        return rupees(sum(due or paid)) if due or paid else "-"
    try:
        return str(fee_of(version=application.service_version, data=application.data))
    except FeeUnknown:
        return "-"


def render_sms(
    application: Application, *, text: str, variables: Sequence[str], language: str
) -> str:
    """A template's registered `text` with each {#var#} filled by its `variables`, in order:
    a registered name's value, or an expression's over the application's answers."""
    values = [
        _expression_text(application, name)
        if is_expression(name)
        else SMS_VARIABLES.get(name)(application, language)
        for name in variables
    ]
    return fill_template(text, values)


def _expression_text(application: Application, expression: str) -> str:
    """An SMS value written as an expression (check_definitions made sure it fits): "-" when
    an answer it reads is missing, as for a date not set."""
    workflow = workflow_for(application.service_version)
    try:
        value = expression_value(
            form_schema_for(application.service_version),
            expression,
            application.data,
            extra_variables=workflow_variables(workflow),
            extra_values=expression_values(application, workflow, expression),
        )
    except ExpressionError:
        return "-"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)[:MAX_VALUE_CHARS]
