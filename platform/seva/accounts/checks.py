"""The second factor's SMS templates (settings.SEVA_SECOND_FACTOR_SMS) obey the DLT rules the
platform's other templates obey, in every language, with one {#var#} for the code."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.checks import Error, register

from seva.definitions.sms import variable_count
from seva.notifications.dlt import template_problems

# A DLT template ends with the sender's signature, e.g. "-HRSEVA".
SIGNATURE = re.compile(r"-[A-Z]{6}$")


@register("seva")
def second_factor_sms_follow_dlt_rules(app_configs=None, **kwargs) -> list[Error]:
    errors: list[Error] = []
    for language in settings.SEVA_LANGUAGES:
        where = f"SEVA_SECOND_FACTOR_SMS['{language}']"
        template = settings.SEVA_SECOND_FACTOR_SMS.get(language)
        if template is None:
            errors.append(Error(f"{where} is missing.", id="seva.E101"))
            continue
        problems = template_problems(
            {**template, "variables": ["otp"]}, service={}, language=language
        )
        if variable_count(template["text"]) != 1:
            problems.append("the text must have exactly one {#var#}, for the code")
        if not SIGNATURE.search(template["text"]):
            problems.append("the text must end with the sender's signature, e.g. -HRSEVA")
        if not re.fullmatch(r"\d{19}", template.get("dlt_template_id", "")):
            problems.append("dlt_template_id must be the 19-digit id DLT registered")
        errors += [Error(f"{where}: {problem}", id="seva.E101") for problem in problems]
    return errors
