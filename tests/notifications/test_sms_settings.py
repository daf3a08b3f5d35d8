"""The state's SMS settings in the admin (Settings > SMS settings): with nothing saved the
environment's settings are in force; what the state admin saves goes with the next SMS and
applies to the next template check, without a restart; a value DLT would not accept, or one
the platform's own messages would break, is refused beside its field; officers cannot open
the page."""

from __future__ import annotations

import html
import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from seva.notifications.dlt import template_problems
from seva.notifications.models import SmsSettings
from seva.notifications.selectors import SmsSettingsInForce, sms_settings
from seva.notifications.services import outbox_deliver
from tests.definitions.test_check_definitions import SERVICE, expect, root  # noqa: F401

from .gateway import FakeGateway
from .test_delivery import _gateway_settings, _received_sms, _submit

SETTINGS_PAGE = reverse("wagtailsettings:edit", args=["notifications", "smssettings"])
NOTHING_SAVED = {"sender_header": "", "dlt_entity_id": "", "max_variables": "", "link_prefixes": ""}


def _environment() -> SmsSettingsInForce:
    return SmsSettingsInForce(
        sender_header=settings.SEVA_SMS_SENDER_HEADER,
        dlt_entity_id=settings.SEVA_SMS_DLT_ENTITY_ID,
        max_variables=settings.SEVA_SMS_MAX_VARIABLES,
        link_prefixes=tuple(settings.SEVA_SMS_LINK_PREFIXES),
    )


def _signed_in(user, username: str) -> Client:
    client = Client()
    client.force_login(user(username))
    return client


def _edit_page(client: Client) -> str:
    """Where the settings page sends one: the edit page of the one SmsSettings row."""
    response = client.get(SETTINGS_PAGE)
    assert response.status_code == 302
    return response["Location"]


def _save(client: Client, **values: str):
    return client.post(_edit_page(client), {**NOTHING_SAVED, **values})


def _errors_beside(page: str, field: str) -> str:
    """The messages in the error box of the field's own wrapper on the edit page."""
    box = re.search(
        rf'data-contentpath="{field}">\s*<div class="w-field__errors"[^>]*>(.*?)</div>',
        page,
        re.DOTALL,
    )
    return html.unescape(box.group(1)) if box else ""


@pytest.mark.django_db
def test_with_nothing_saved_the_environment_settings_are_in_force(settings):
    assert sms_settings() == _environment()
    SmsSettings.objects.create()  # the page was opened, and saved with every field blank
    settings.SEVA_SMS_SENDER_HEADER = "HRTEST"
    settings.SEVA_SMS_LINK_PREFIXES = ["https://a.gov.in/", "https://b.gov.in/"]
    assert sms_settings() == _environment()
    assert sms_settings().sender_header == "HRTEST"


@pytest.mark.django_db
def test_a_sender_header_saved_by_the_state_admin_goes_with_the_next_sms(user):
    admin = _signed_in(user, "admin")
    page = admin.get(_edit_page(admin))
    assert page.status_code == 200
    assert "Distributed Ledger Technology" in page.content.decode()

    response = _save(admin, sender_header="HRSVDP")
    assert response.status_code == 302, response.context["form"].errors

    message = _received_sms(_submit(user))
    with FakeGateway() as gateway, _gateway_settings(gateway):
        assert outbox_deliver(message_id=message.pk) == "sent"
    sent = gateway.received[0]
    assert sent["sender"] == "HRSVDP"
    assert sent["entity_id"] == "1101000000000000001"  # left blank: the environment's


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("sender_header", "hrseva", "exactly 6 capital letters"),
        ("sender_header", "HRSEV", "exactly 6 capital letters"),
        ("sender_header", "HR5EVA", "exactly 6 capital letters"),
        ("dlt_entity_id", "110100000000000000", "exactly 19 digits"),
        ("max_variables", "11", "less than or equal to 10"),
        ("max_variables", "0", "greater than or equal to 1"),
        ("link_prefixes", "https://seva.haryana.gov.in/\nhttp://x.gov.in/", "http://x.gov.in/"),
        ("link_prefixes", "https://seva.haryana.gov.in", "with a / after the site's name"),
    ],
)
def test_a_value_dlt_would_not_accept_is_refused_beside_its_field(user, field, value, message):
    admin = _signed_in(user, "admin")
    response = _save(admin, **{field: value})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in errors[field][0]
    assert message in _errors_beside(response.content.decode(), field)
    assert sms_settings() == _environment()


@pytest.mark.django_db
def test_rules_the_platforms_own_messages_would_break_are_refused(user):
    # Officers' queue alerts have 3 variables and link to https://seva.haryana.gov.in/admin/.
    admin = _signed_in(user, "admin")
    errors = (
        _save(admin, max_variables="2", link_prefixes="https://seva.haryana.gov.in/my/")
        .context["form"]
        .errors
    )
    assert "have up to 3 variables" in errors["max_variables"][0]
    assert "https://seva.haryana.gov.in/admin/" in errors["link_prefixes"][0]
    assert _save(admin, max_variables="4").status_code == 302
    assert sms_settings().max_variables == 4


@pytest.mark.django_db
def test_allowed_links_saved_by_the_state_admin_apply_to_the_next_template_check(
    user,
    root,  # noqa: F811
):
    def with_link(service):
        service["sms"]["received"]["en"]["text"] = (
            "Application {#var#} for {#var#} received, due {#var#}. "
            "https://edistrict.haryana.gov.in/track/ -HRSEVA"
        )

    root.edit(SERVICE, with_link)
    expect(root.problems(), SERVICE, "/sms/received/en", "whitelisted links", "edistrict")

    admin = _signed_in(user, "admin")
    prefixes = "https://seva.haryana.gov.in/\r\n\r\n  https://edistrict.haryana.gov.in/  \r\n"
    assert _save(admin, link_prefixes=prefixes).status_code == 302
    assert sms_settings().link_prefixes == (
        "https://seva.haryana.gov.in/",
        "https://edistrict.haryana.gov.in/",
    )
    assert not [p for p in root.problems() if p.pointer == "/sms/received/en"]


def test_without_a_database_templates_are_checked_against_the_environment(settings):
    settings.SEVA_SMS_LINK_PREFIXES = ["https://edistrict.haryana.gov.in/"]
    template = {"text": "Track it at https://seva.haryana.gov.in/my/ -HRSEVA", "variables": []}
    assert template_problems(template, service={}, language="en") == [
        "DLT rule 'whitelisted links': https://seva.haryana.gov.in/my/ is not under an allowed "
        "prefix (https://edistrict.haryana.gov.in/)"
    ]


@pytest.mark.django_db
def test_a_department_officer_cannot_open_the_sms_settings(user):
    assert "SMS settings" in _signed_in(user, "admin").get("/admin/").content.decode()

    officer = _signed_in(user, "tehsildar.ambala")
    edit_page = _edit_page(officer)
    # Wagtail answers a refused admin page by sending the person back to the dashboard.
    for response in (officer.get(edit_page), _save(officer, sender_header="HRFAKE")):
        assert response.status_code in (302, 403)
        assert response.status_code == 403 or response["Location"] == "/admin/"
    assert sms_settings().sender_header == "HRSEVA"
    assert "SMS settings" not in officer.get("/admin/").content.decode()
