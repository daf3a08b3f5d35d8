"""The demo SMS box (/demo/sms/) shows every queued SMS, sign-in codes included: it opens only
in a demo (SEVA_DEMO_SMS_BOX on and DEBUG on, as `make run` has them), never where DEBUG is
off. Production settings refuse to start with it on (tests/config/test_deploy_checks.py)."""

from __future__ import annotations

import re

import pytest
from django.test import override_settings

from seva.citizens.services import otp_request

MOBILE = "9812345678"  # the demo citizen's


def codes_on_page(response) -> list[str]:
    return re.findall(r"\b\d{6}\b", response.content.decode())


@pytest.mark.django_db
@override_settings(SEVA_DEMO_SMS_BOX=True, DEBUG=True)
def test_the_demo_shows_the_sign_in_code(client):
    otp_request(mobile=MOBILE)
    response = client.get("/demo/sms/", {"mobile": MOBILE})
    assert response.status_code == 200
    assert codes_on_page(response)


@pytest.mark.django_db
@override_settings(SEVA_DEMO_SMS_BOX=True, DEBUG=False)
def test_the_box_stays_shut_where_debug_is_off_even_if_turned_on(client):
    otp_request(mobile=MOBILE)
    response = client.get("/demo/sms/", {"mobile": MOBILE})
    assert response.status_code == 404
    assert not codes_on_page(response)
    # Nor does the portal point to it.
    assert "/demo/sms/" not in client.get("/login/").content.decode()


@pytest.mark.django_db
@override_settings(SEVA_DEMO_SMS_BOX=False, DEBUG=True)
def test_the_box_stays_shut_when_turned_off(client):
    otp_request(mobile=MOBILE)
    assert client.get("/demo/sms/", {"mobile": MOBILE}).status_code == 404
