"""TRAI DLT rules for transactional SMS templates, and what a message costs.

Operators drop a message that does not match a template registered on the DLT platform.
`template_problems` checks a template as the service file writes it (the registered text
with `{#var#}` slots and the named value for each) against the rules in force: the state
admin's SMS settings, else the environment's (seva.notifications.selectors.sms_settings).
`sms_cost` counts characters and parts the way operators bill them: GSM-7 (160 characters,
or 153 a part when split) or, for anything outside GSM-7 such as Hindi, UCS-2 (70, or 67 a
part).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError

from seva.definitions.sms import SMS_TEMPLATE_CHECKS, VAR_TOKEN

from .models import SmsSettings
from .selectors import SmsSettingsInForce, sms_settings, sms_settings_from

MAX_VALUE_CHARS = 30  # a DLT variable holds at most 30 characters

# GSM 03.38: the basic set costs one character; the extension set two (escape + char).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

URL_RE = re.compile(r"(?:https?://|www\.)[^\s]+", re.IGNORECASE)
SHORTENERS = ("bit.ly", "tinyurl.com", "goo.gl", "t.co", "ow.ly", "is.gd", "cutt.ly", "rb.gy")


@dataclass(frozen=True)
class SmsCost:
    encoding: str  # "GSM-7" or "UCS-2"
    characters: int
    parts: int


def sms_cost(text: str) -> SmsCost:
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text):
        length = sum(2 if c in GSM7_EXTENSION else 1 for c in text)
        single, per_part, encoding = 160, 153, "GSM-7"
    else:
        # UCS-2 counts UTF-16 code units; Devanagari is one unit a character.
        length = len(text.encode("utf-16-le")) // 2
        single, per_part, encoding = 70, 67, "UCS-2"
    parts = 1 if length <= single else math.ceil(length / per_part)
    return SmsCost(encoding=encoding, characters=length, parts=parts)


# The longest value each named SMS variable can take, given the service file and language.
def _reference_chars(service: dict, language: str) -> int:
    # <state>-<department short code, up to 6>-<service code>-<year>-<6 digits>
    return len(settings.SEVA_STATE_CODE) + 1 + 6 + 1 + len(service.get("reference_code", "")) + 12


def _service_name_chars(service: dict, language: str) -> int:
    if not service:  # a template in settings, filled for any service: cut to 30 when filled
        return MAX_VALUE_CHARS
    names = service.get("short_name") or {}
    return len(names.get(language) or names.get("en") or "")


def _fee_chars(service: dict, language: str) -> int:
    if service.get("fees"):  # rupees and paise, Indian grouping, below a crore: 99,99,999.99
        return 12
    amount = (service.get("fee") or {}).get("amount", 0)
    if isinstance(amount, str):  # an expression over the answers: rupees, up to a crore
        return 8
    return len(str(amount))


VALUE_CHARS: dict[str, Callable[[dict, str], int]] = {
    "reference": _reference_chars,
    "service_name": _service_name_chars,
    "rts_due_date": lambda service, language: 10,  # dd-mm-yyyy
    "stage_due_date": lambda service, language: 10,
    "applicant_name": lambda service, language: MAX_VALUE_CHARS,  # cut to 30 when filled
    "fee_amount": _fee_chars,
    # Officers' alerts and digests (settings.SEVA_ALERT_SMS): counts, up to a crore.
    "new_count": lambda service, language: 8,
    "reminder_count": lambda service, language: 8,
    "breach_count": lambda service, language: 8,
    "received": lambda service, language: 8,
    "disposed": lambda service, language: 8,
    # "40 (3 beyond RTS)", or its Hindi, with counts up to a crore.
    "pending_beyond_rts": lambda service, language: 30,
    # The consent code at a service centre (settings.SEVA_CONSENT_SMS): who files, cut to 30.
    "filer": lambda service, language: MAX_VALUE_CHARS,
}


def longest_text(template: dict, service: dict, language: str) -> str:
    """The template filled with the longest value each variable can take."""
    parts = template["text"].split(VAR_TOKEN)
    filled = [parts[0]]
    for name, rest in zip(template["variables"], parts[1:], strict=False):
        width = VALUE_CHARS.get(name, lambda s, lang: MAX_VALUE_CHARS)(service, language)
        filled += ["X" * width if language == "en" else "क" * width, rest]
    return "".join(filled)


def _rules_in_force() -> SmsSettingsInForce:
    try:
        return sms_settings()
    except (DatabaseError, RuntimeError):
        # Templates are also checked where there is no database to read the state admin's
        # settings from: on a build machine, in system checks before `migrate`, in tests
        # that use none (pytest-django refuses those with RuntimeError). There the
        # environment's rules are the rules.
        return sms_settings_from(SmsSettings())


def link_allowed(url: str, prefixes: tuple[str, ...]) -> bool:
    return url.lower().startswith(tuple(prefix.lower() for prefix in prefixes))


@SMS_TEMPLATE_CHECKS.register("dlt")
def template_problems(template: dict, *, service: dict, language: str) -> list[str]:
    """Each DLT rule the template breaks, in words naming the rule."""
    text, names = template["text"], template["variables"]
    problems = []
    rules = _rules_in_force()
    limit = rules.max_variables
    if len(names) > limit:
        source = (
            "SEVA_SMS_MAX_VARIABLES"
            if limit == settings.SEVA_SMS_MAX_VARIABLES
            else "the state's SMS settings in the admin"
        )
        problems.append(
            f"DLT rule 'variables per template': {len(names)} variables, at most {limit} ({source})"
        )
    if re.search(re.escape(VAR_TOKEN) + r"\s*" + re.escape(VAR_TOKEN), text):
        problems.append(
            "DLT rule 'no adjacent variables': two {#var#} slots side by side; put words "
            "between them"
        )
    for name in names:
        width = VALUE_CHARS.get(name)
        if width is not None and width(service, language) > MAX_VALUE_CHARS:
            problems.append(
                f"DLT rule 'value length': '{name}' can be {width(service, language)} "
                f"characters here, at most {MAX_VALUE_CHARS}"
            )
    for url in URL_RE.findall(text):
        host = re.sub(r"^(?:https?://)?(?:www\.)?", "", url, flags=re.IGNORECASE)
        if host.lower().startswith(SHORTENERS):
            problems.append(f"DLT rule 'no public URL shortener': {url}")
        elif not link_allowed(url, rules.link_prefixes):
            allowed = ", ".join(rules.link_prefixes) or "none"
            problems.append(
                f"DLT rule 'whitelisted links': {url} is not under an allowed prefix ({allowed})"
            )
    cost = sms_cost(longest_text(template, service, language))
    if cost.parts > settings.SEVA_SMS_MAX_PARTS:
        problems.append(
            f"SMS length: up to {cost.characters} {cost.encoding} characters, "
            f"{cost.parts} parts, at most {settings.SEVA_SMS_MAX_PARTS} (SEVA_SMS_MAX_PARTS)"
        )
    return problems


def settings_templates() -> Iterator[dict]:
    """The SMS templates kept in settings rather than in service files, in every language:
    officers' alerts, the daily digest, the request to rate a service, the sign-in code, the
    consent code at a service centre."""
    for per_language in settings.SEVA_ALERT_SMS.values():
        yield from per_language.values()
    for template in settings.SEVA_OTP_SMS.values():
        yield {**template, "variables": ["otp"]}
    yield from settings.SEVA_CONSENT_SMS.values()
