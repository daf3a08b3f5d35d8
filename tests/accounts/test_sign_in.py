"""Signing in to the staff workspace: the password is the first step, and for an officer who
needs a second factor nothing is signed in until the code from their authenticator app or
their SMS is given. Wrong codes are limited per officer in the database, SMS are limited,
an officer with no device enrols on the spot, and the Django admin's sign-in is no way
round it."""

from __future__ import annotations

import base64
import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from seva.notifications.models import OutboxMessage
from seva.org.models import OfficerProfile

from .flow import (
    CODE,
    ENROL,
    SIGN_IN,
    SMS_EVENT,
    a_wrong_code,
    app_code,
    is_signed_in,
    newest_code_sent,
    password_given,
    secret_shown,
)

pytestmark = pytest.mark.django_db

DECIDER = "tehsildar.ambala"  # approves and rejects income certificates; demo mobile 9000000102
DECIDER_MOBILE = "9000000102"
CLERK = "patwari.ambala"  # verifies on the ground; decides nothing


def sms_devices(user):
    from seva.accounts.models import SmsDevice

    return SmsDevice.objects.filter(user=user)


def app_device_for(user) -> TOTPDevice:
    """An authenticator app enrolled earlier; the SMS device seeded for the demo is removed,
    so the app is the officer's only factor."""
    sms_devices(user).delete()
    return TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)


# ------------------------------------------------------------------------------
# The password alone
# ------------------------------------------------------------------------------
def test_the_password_alone_gives_no_session(client):
    response = password_given(client, DECIDER)
    assert response.status_code == 302
    assert response["Location"].startswith(CODE), response["Location"]
    # The workspace still sends the officer to sign in...
    workspace = client.get("/admin/queue/")
    assert workspace.status_code == 302
    assert workspace["Location"].startswith(f"{SIGN_IN}?next="), workspace["Location"]
    assert not is_signed_in(client)
    # ... and the API, which accepts a browser session, does not take this one.
    api = APIClient()
    api.cookies = client.cookies
    assert api.get("/api/v1/queue/").status_code in (401, 403)


def test_an_officer_who_decides_nothing_signs_in_with_the_password(client):
    response = password_given(client, CLERK)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert is_signed_in(client)


def test_a_wrong_password_is_refused_on_the_same_page(client):
    response = password_given(client, DECIDER, password="not-the-password")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_username"' in page and 'id="id_password"' in page
    assert "enter a correct username and password" in page
    assert not OutboxMessage.objects.filter(event=SMS_EVENT).exists()


def test_the_session_key_changes_when_the_password_is_accepted(client):
    # A session someone planted before the password is given is worth nothing after.
    planted = SessionStore()
    planted["planted"] = True
    planted.create()
    before = planted.session_key
    client.cookies[settings.SESSION_COOKIE_NAME] = before
    password_given(client, DECIDER)
    pending = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert pending != before
    client.post(CODE, {"code": newest_code_sent(DECIDER_MOBILE)})
    assert client.cookies[settings.SESSION_COOKIE_NAME].value not in (before, pending)


def test_a_pending_sign_in_expires(client):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        password_given(client, DECIDER)
        code = newest_code_sent(DECIDER_MOBILE)
        clock.shift(dt.timedelta(seconds=settings.SEVA_SECOND_FACTOR_PENDING_SECONDS + 1))
        response = client.post(CODE, {"code": code})
        assert response.status_code == 302 and response["Location"].startswith(SIGN_IN)
        assert not is_signed_in(client)


# ------------------------------------------------------------------------------
# SMS codes, through the outbox
# ------------------------------------------------------------------------------
def test_the_sms_code_arrives_as_an_outbox_message_with_the_dlt_template_and_signs_in(client, user):
    password_given(client, DECIDER, next_url="/admin/queue/")
    message = OutboxMessage.objects.get(event=SMS_EVENT, user=user(DECIDER))
    template = settings.SEVA_SECOND_FACTOR_SMS["en"]
    assert message.recipient == DECIDER_MOBILE
    assert message.dlt_template_id == template["dlt_template_id"]
    assert message.user == user(DECIDER)
    code = newest_code_sent(DECIDER_MOBILE)
    assert message.body == template["text"].replace("{#var#}", code)
    assert message.body.endswith("-HRSEVA")
    # The device keeps only a salted hash of the code.
    device = sms_devices(user(DECIDER)).get()
    assert code not in device.code_hash and device.code_hash

    page = client.get(CODE).content.decode()
    assert "XXXXXX02" in page and DECIDER_MOBILE not in page
    response = client.post(CODE, {"code": code})
    assert response.status_code == 302 and response["Location"] == "/admin/queue/"
    assert is_signed_in(client)
    # A code works once.
    device.refresh_from_db()
    assert device.code_hash == ""
    # The state admin's SMS log shows the message, the code masked.
    client.force_login(user("admin"))
    log = client.get(f"/admin/sms/{message.pk}/").content.decode()
    assert "is your code to sign in to the Seva staff workspace" in log and code not in log


def test_an_officer_in_hindi_gets_the_code_in_hindi(client, user):
    OfficerProfile.objects.filter(user=user(DECIDER)).update(language="hi")
    password_given(client, DECIDER)
    message = OutboxMessage.objects.get(event=SMS_EVENT, user=user(DECIDER))
    assert message.language == "hi"
    assert message.dlt_template_id == settings.SEVA_SECOND_FACTOR_SMS["hi"]["dlt_template_id"]


def test_a_new_sms_code_waits_a_minute_and_only_a_few_go_out_an_hour(client):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        password_given(client, DECIDER)
        again = client.post(f"{CODE}sms/", follow=True)
        assert "You can ask for another in" in again.content.decode()
        assert OutboxMessage.objects.filter(event=SMS_EVENT).count() == 1
        for _ in range(settings.SEVA_SECOND_FACTOR_SMS_PER_HOUR - 1):
            clock.shift(dt.timedelta(seconds=settings.SEVA_SECOND_FACTOR_SMS_RESEND_SECONDS + 1))
            client.post(f"{CODE}sms/")
        assert (
            OutboxMessage.objects.filter(event=SMS_EVENT).count()
            == settings.SEVA_SECOND_FACTOR_SMS_PER_HOUR
        )
        clock.shift(dt.timedelta(seconds=settings.SEVA_SECOND_FACTOR_SMS_RESEND_SECONDS + 1))
        refused = client.post(f"{CODE}sms/", follow=True)
        assert "too many codes" in refused.content.decode()
        assert (
            OutboxMessage.objects.filter(event=SMS_EVENT).count()
            == settings.SEVA_SECOND_FACTOR_SMS_PER_HOUR
        )
        # The newest code sent still works.
        client.post(CODE, {"code": newest_code_sent(DECIDER_MOBILE)})
        assert is_signed_in(client)


def test_signing_in_again_within_the_minute_gets_a_new_code(client):
    """The minute's wait is for a code still unused: an officer who signed in with it, signed
    out and signs in again at once is sent a fresh one, not kept waiting."""
    with time_machine.travel(timezone.now(), tick=False) as clock:
        password_given(client, DECIDER)
        client.post(CODE, {"code": newest_code_sent(DECIDER_MOBILE)})
        assert is_signed_in(client)
        client.logout()
        clock.shift(dt.timedelta(seconds=10))
        password_given(client, DECIDER)
        assert OutboxMessage.objects.filter(event=SMS_EVENT).count() == 2
        client.post(CODE, {"code": newest_code_sent(DECIDER_MOBILE)})
        assert is_signed_in(client)


# ------------------------------------------------------------------------------
# Authenticator apps (TOTP)
# ------------------------------------------------------------------------------
def test_the_right_app_code_signs_in_and_a_wrong_one_does_not(client, user):
    device = app_device_for(user(DECIDER))
    password_given(client, DECIDER)
    assert not OutboxMessage.objects.filter(event=SMS_EVENT).exists()  # the app is the default
    right = app_code(device)
    wrong = client.post(CODE, {"code": a_wrong_code(right)})
    assert wrong.status_code == 400
    assert "That code is not right" in wrong.content.decode()
    assert not is_signed_in(client)
    response = client.post(CODE, {"code": right})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert is_signed_in(client)


def test_an_app_code_cannot_be_used_twice(client, user):
    device = app_device_for(user(DECIDER))
    code = app_code(device)
    password_given(client, DECIDER)
    client.post(CODE, {"code": code})
    assert is_signed_in(client)
    other = type(client)()
    password_given(other, DECIDER)
    assert other.post(CODE, {"code": code}).status_code == 400
    assert not is_signed_in(other)


def test_repeated_wrong_codes_are_refused_even_when_the_right_one_follows(client, user):
    device = app_device_for(user(DECIDER))
    password_given(client, DECIDER)
    right = app_code(device)
    for _ in range(settings.SEVA_SECOND_FACTOR_MAX_WRONG_CODES):
        client.post(CODE, {"code": a_wrong_code(right)})
    response = client.post(CODE, {"code": right})
    assert response.status_code == 400
    assert "Too many wrong codes" in response.content.decode()
    assert not is_signed_in(client)
    # The count is the officer's, in the database: a fresh session is refused as well.
    other = type(client)()
    password_given(other, DECIDER)
    assert other.post(CODE, {"code": app_code(device, steps_ahead=1)}).status_code == 400
    assert not is_signed_in(other)
    # After the lock-out the right code works again.
    later = timezone.now() + dt.timedelta(seconds=settings.SEVA_SECOND_FACTOR_LOCKOUT_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        third = type(client)()
        password_given(third, DECIDER)
        assert third.post(CODE, {"code": app_code(device)}).status_code == 302
        assert is_signed_in(third)


# ------------------------------------------------------------------------------
# Enrolment at the first sign-in
# ------------------------------------------------------------------------------
def test_an_officer_without_a_device_enrols_an_authenticator_app(client, user):
    officer = user(DECIDER)
    sms_devices(officer).delete()
    response = password_given(client, DECIDER)
    assert response["Location"].startswith(ENROL)
    assert not is_signed_in(client)
    choices = client.get(ENROL).content.decode()
    assert "XXXXXX02" in choices  # SMS to the mobile on the officer's contact is offered too

    started = client.post(f"{ENROL}app/")
    assert started.status_code == 302
    page = client.get(f"{ENROL}app/").content.decode()
    assert "<svg" in page and "style=" not in page and "<script>" not in page
    device = TOTPDevice.objects.get(user=officer)
    assert not device.confirmed
    assert base64.b32decode(secret_shown(page)) == device.bin_key

    refused = client.post(f"{ENROL}app/", {"code": a_wrong_code(app_code(device))})
    assert refused.status_code == 400 and not is_signed_in(client)
    response = client.post(f"{ENROL}app/", {"code": app_code(device)})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert is_signed_in(client)
    device.refresh_from_db()
    assert device.confirmed


def test_an_officer_without_a_device_enrols_their_mobile_by_sms(client, user):
    officer = user(DECIDER)
    sms_devices(officer).delete()
    password_given(client, DECIDER)
    assert client.post(f"{ENROL}sms/")["Location"].startswith(CODE)
    device = sms_devices(officer).get()
    assert device.mobile == DECIDER_MOBILE and not device.confirmed
    client.post(CODE, {"code": newest_code_sent(DECIDER_MOBILE)})
    assert is_signed_in(client)
    device.refresh_from_db()
    assert device.confirmed


def test_an_officer_who_has_a_device_cannot_enrol_another_with_the_password_alone(client, user):
    password_given(client, DECIDER)
    assert client.post(f"{ENROL}app/").status_code in (302, 403)
    assert not TOTPDevice.objects.filter(user=user(DECIDER)).exists()
    assert not is_signed_in(client)


def test_an_officer_without_a_mobile_is_offered_the_app_only(client, user):
    officer = user("sdm.ambala")  # decides; no mobile on the officer's contact
    sms_devices(officer).delete()
    password_given(client, "sdm.ambala")
    page = client.get(ENROL).content.decode()
    assert f'action="{ENROL}app/"' in page and f'action="{ENROL}sms/"' not in page
    assert client.post(f"{ENROL}sms/").status_code == 400
    assert not sms_devices(officer).exists()


# ------------------------------------------------------------------------------
# No way round it
# ------------------------------------------------------------------------------
def test_the_django_admin_sign_in_is_no_way_round(client):
    sent = client.get("/django-admin/login/?next=/django-admin/")
    assert sent.status_code == 302
    assert sent["Location"] == f"{SIGN_IN}?next=/django-admin/"
    # Posting a password to it signs nobody in either.
    client.post(
        "/django-admin/login/?next=/django-admin/",
        {"username": "admin", "password": "seva-demo", "next": "/django-admin/"},
    )
    assert client.get("/django-admin/").status_code == 302
    assert not is_signed_in(client)
    # The state admin signs in to the Django admin through the same two steps.
    response = password_given(client, "admin", next_url="/django-admin/")
    assert response["Location"].startswith(CODE)


def test_the_sign_in_page_is_drawn_in_the_admins_look_without_inline_script_or_style(client):
    page = client.get(SIGN_IN).content.decode()
    assert 'id="id_username"' in page and 'id="id_password"' in page
    assert "wagtailadmin/css/core.css" in page
    assert "style=" not in page
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)", page)
    assert "<style" not in page


def test_a_signed_in_officer_going_to_the_sign_in_page_goes_to_the_workspace(client):
    password_given(client, CLERK)
    response = client.get(SIGN_IN)
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_an_unsafe_next_address_is_not_followed(client):
    response = password_given(client, CLERK, next_url="https://evil.example/")
    assert response["Location"] == "/admin/"
