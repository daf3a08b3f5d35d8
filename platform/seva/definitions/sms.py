"""The SMS templates of a service file, as registered on TRAI's DLT platform.

A registered template writes each value as `{#var#}`; the definition lists, in order, which
named value fills each one. The names are `SMS_VARIABLES`'s: the notifications app registers
how each is filled from an application; the definitions' checks need only the names.

Rules that only the sending side knows (DLT's, from the SMS settings an administrator keeps)
are registered in `SMS_TEMPLATE_CHECKS` by that side, so a service file is checked against
them without this floor importing it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from seva.core.registry import Registry

VAR_TOKEN = "{#var#}"
VAR_RE = re.compile(re.escape(VAR_TOKEN))

# (application, language) -> the value's text
SmsValue = Callable[[Any, str], str]
SMS_VARIABLES: Registry[SmsValue] = Registry("SMS variable")

# (template, service document, language) -> the problems found, as sentences
SmsTemplateCheck = Callable[..., list[str]]
SMS_TEMPLATE_CHECKS: Registry[SmsTemplateCheck] = Registry("SMS template check")


# At most this many characters fill one {#var#} (TRAI's DLT rule).
MAX_VALUE_CHARS = 30

_NAME = re.compile(r"[a-z_][a-z0-9_]*")


def is_expression(variable: str) -> bool:
    """Whether a template's variable is an expression over the form's answers (CEL, as
    `data.fee_due` or `string(data.area_sq_m)`) rather than a registered name; a bare
    word is always a name, so a misspelt one is reported as unknown."""
    return not _NAME.fullmatch(variable)


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


def template_problems(template: dict, *, service: dict, language: str) -> list[str]:
    """Every registered check's problems with `template` of `service` in `language`."""
    problems: list[str] = []
    for name in SMS_TEMPLATE_CHECKS:
        problems += SMS_TEMPLATE_CHECKS.get(name)(template, service=service, language=language)
    return problems
