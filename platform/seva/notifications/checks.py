"""System checks of the SMS templates kept in settings."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register

from seva.definitions.sms import SMS_VARIABLES, variable_count

from .dlt import VALUE_CHARS, template_problems


@register("seva")
def settings_sms_follow_dlt_rules(app_configs=None, **kwargs) -> list[Error]:
    """The SMS templates kept in settings (alerts, digests, feedback requests, sign-in and
    consent codes) obey the same DLT rules as the services' own, in every language."""
    errors: list[Error] = []
    templates = {
        f"SEVA_ALERT_SMS['{event}']": per_language
        for event, per_language in settings.SEVA_ALERT_SMS.items()
    }
    templates["SEVA_OTP_SMS"] = {
        language: {**template, "variables": ["otp"]}
        for language, template in settings.SEVA_OTP_SMS.items()
    }
    templates["SEVA_CONSENT_SMS"] = settings.SEVA_CONSENT_SMS
    for name, per_language in templates.items():
        for language in settings.SEVA_LANGUAGES:
            template = per_language.get(language)
            where = f"{name}['{language}']"
            if template is None:
                errors.append(Error(f"{where} is missing.", id="seva.E002"))
                continue
            problems = template_problems(template, service={}, language=language)
            if variable_count(template["text"]) != len(template["variables"]):
                problems.append(
                    f"the text has {variable_count(template['text'])} {{#var#}} slots for "
                    f"{len(template['variables'])} variables"
                )
            for variable in template["variables"]:
                if variable not in VALUE_CHARS and variable not in {*SMS_VARIABLES, "otp"}:
                    problems.append(f"'{variable}' is not a value Seva can fill")
            errors += [Error(f"{where}: {problem}", id="seva.E002") for problem in problems]
    return errors
