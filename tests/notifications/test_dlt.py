"""The DLT rules for SMS templates, as check_definitions applies them, each refusal naming
the template and the rule; the cost of a message in parts, GSM-7 and Hindi; and every
sample template, filled from a real application, matching its registered form."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import override_settings

from seva.applications.services import application_submit
from seva.definitions.models import Service
from seva.definitions.sms import VAR_TOKEN
from seva.notifications.dlt import sms_cost, template_problems
from seva.notifications.sms import render_sms
from tests.applications.walk import sample_services
from tests.definitions.test_check_definitions import SERVICE, expect, root  # noqa: F401
from tests.helpers import example_with_documents


def _edit_received(root, **changes):  # noqa: F811
    def mutate(service):
        service["sms"]["received"]["en"].update(changes)

    root.edit(SERVICE, mutate)
    return root.problems()


AT = "/sms/received/en"


def test_more_variables_than_allowed_are_refused(root, settings):  # noqa: F811
    settings.SEVA_SMS_MAX_VARIABLES = 2
    problems = root.problems()
    expect(problems, SERVICE, AT, "'received' (en)", "variables per template", "3 variables")


def test_two_variables_side_by_side_are_refused(root):  # noqa: F811
    problems = _edit_received(
        root,
        text="Application {#var#} {#var#} received; decided by {#var#}. -HRSEVA",
    )
    expect(problems, SERVICE, AT, "'received' (en)", "no adjacent variables")


def test_a_value_longer_than_thirty_characters_is_refused(root):  # noqa: F811
    # A service file cannot name a short name over 30 characters (the meta-schema stops it
    # at /short_name); the rule itself is checked on the template with such a service.
    root.edit(SERVICE, lambda s: s["short_name"].update(en="Certificate of annual family income"))
    expect(root.problems(), SERVICE, "/short_name/en", "is too long")
    service = root.load(SERVICE)
    service["short_name"]["en"] = "Certificate of annual family income"
    template = service["sms"]["received"]["en"]
    assert template_problems(template, service=service, language="en") == [
        "DLT rule 'value length': 'service_name' can be 35 characters here, at most 30"
    ]


@pytest.mark.parametrize(
    ("link", "rule"),
    [
        ("https://bit.ly/3xYz", "no public URL shortener"),
        ("https://example.com/track", "whitelisted links"),
    ],
)
def test_links_only_from_the_whitelist_and_never_a_shortener(root, link, rule):  # noqa: F811
    problems = _edit_received(
        root, text=f"Application {{#var#}} for {{#var#}} received, due {{#var#}}. {link} -HRSEVA"
    )
    expect(problems, SERVICE, AT, "'received' (en)", rule, link)


def test_a_whitelisted_link_is_accepted(root):  # noqa: F811
    problems = _edit_received(
        root,
        text="Application {#var#} for {#var#} received, due {#var#}. "
        "https://seva.haryana.gov.in/track/ -HRSEVA",
    )
    assert not [p for p in problems if p.pointer == AT], problems


def test_a_template_too_long_for_the_parts_allowed_is_refused(root, settings):  # noqa: F811
    settings.SEVA_SMS_MAX_PARTS = 1
    problems = root.problems()
    hindi = [p for p in problems if p.pointer == "/sms/received/hi"]
    assert hindi and "UCS-2" in hindi[0].message and "at most 1" in hindi[0].message


def test_gsm7_and_hindi_are_counted_as_operators_bill_them():
    assert sms_cost("A" * 160) == sms_cost("A" * 160).__class__("GSM-7", 160, 1)
    assert sms_cost("A" * 161).parts == 2 and sms_cost("A" * 306).parts == 2
    assert sms_cost("A" * 307).parts == 3
    assert sms_cost("Rs [100]").characters == 10  # [ and ] cost two each
    hindi = "आपका आवेदन प्राप्त हुआ"
    assert sms_cost(hindi).encoding == "UCS-2" and sms_cost(hindi).characters == len(hindi)
    assert sms_cost("क" * 70).parts == 1
    assert sms_cost("क" * 71).parts == 2 and sms_cost("क" * 134).parts == 2
    assert sms_cost("क" * 135).parts == 3


def _registered_pattern(text: str) -> re.Pattern:
    """The registered text as operators match it: each {#var#} stands for 1 to 30 characters."""
    pieces = [re.escape(piece) for piece in text.split(VAR_TOKEN)]
    return re.compile("^" + "(.{1,30})".join(pieces) + "$", re.DOTALL)


@pytest.mark.django_db
@pytest.mark.parametrize("code", sorted(sample_services()))
def test_every_template_renders_to_exactly_its_registered_form(user, code):
    service = Service.objects.select_related("current_version").get(code=code)
    application = application_submit(
        service=service,
        data=example_with_documents(service, user("citizen")),
        applicant=user("citizen"),
    )
    for event, per_language in service.current_version.spec.sms.items():
        for language, template in per_language.items():
            text = render_sms(
                application, text=template.text, variables=template.variables, language=language
            )
            match = _registered_pattern(template.text).match(text)
            assert match, (code, event, language, text)
            assert len(match.groups()) == len(template.variables)


def test_the_platforms_own_templates_pass_the_dlt_rules_and_a_broken_one_fails_the_check():
    from seva.notifications.checks import settings_sms_follow_dlt_rules

    assert settings_sms_follow_dlt_rules() == []
    broken = {
        **settings.SEVA_ALERT_SMS,
        "daily_digest": {
            **settings.SEVA_ALERT_SMS["daily_digest"],
            "en": {
                "dlt_template_id": "1107161234500009021",
                "text": "Received {#var#}, disposed {#var#}, pending {#var#}{#var#} -HRSEVA",
                "variables": ["received", "disposed", "pending_beyond_rts", "new_count"],
            },
        },
    }
    with override_settings(SEVA_ALERT_SMS=broken):
        messages = [error.msg for error in settings_sms_follow_dlt_rules()]
    assert messages == [
        "SEVA_ALERT_SMS['daily_digest']['en']: DLT rule 'variables per template': 4 "
        "variables, at most 3 (SEVA_SMS_MAX_VARIABLES)",
        "SEVA_ALERT_SMS['daily_digest']['en']: DLT rule 'no adjacent variables': two {#var#} "
        "slots side by side; put words between them",
    ]


def test_the_digest_is_scheduled_at_the_time_in_settings():
    schedule = settings.CELERY_BEAT_SCHEDULE["daily-digests"]["schedule"]
    assert schedule.hour == {settings.SEVA_DIGEST_TIME.hour}
    assert schedule.minute == {settings.SEVA_DIGEST_TIME.minute}
