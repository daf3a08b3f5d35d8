"""SMS templates as registered on TRAI's DLT platform, and the values that fill them.

A registered template writes each value as `{#var#}`; the definition lists, in order,
which named value fills each one. The names are this registry's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.utils import timezone

from seva.core.registry import Registry

if TYPE_CHECKING:
    from seva.applications.models import Application

VAR_TOKEN = "{#var#}"
VAR_RE = re.compile(re.escape(VAR_TOKEN))

SmsValue = Callable[["Application", str], str]
SMS_VARIABLES: Registry[SmsValue] = Registry("SMS variable")


def _date(value) -> str:
    return timezone.localtime(value).strftime("%d-%m-%Y") if value else "-"


@SMS_VARIABLES.register("reference")
def _reference(application: Application, language: str) -> str:
    return application.reference


@SMS_VARIABLES.register("service_name")
def _service_name(application: Application, language: str) -> str:
    names = application.service_version.service_doc["short_name"]
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
    return str((application.service_version.service_doc.get("fee") or {}).get("amount", 0))


def variable_count(text: str) -> int:
    return len(VAR_RE.findall(text))


def fill_template(text: str, values: list[str]) -> str:
    """Put `values` into the `{#var#}` slots of `text`, in order."""
    parts = text.split(VAR_TOKEN)
    if len(parts) - 1 != len(values):
        raise ValueError(f"template has {len(parts) - 1} slots, got {len(values)} values")
    filled = [parts[0]]
    for value, rest in zip(values, parts[1:], strict=True):
        filled += [value, rest]
    return "".join(filled)


def render_sms(application: Application, template: dict, language: str) -> str:
    values = [SMS_VARIABLES.get(name)(application, language) for name in template["variables"]]
    return fill_template(template["text"], values)
