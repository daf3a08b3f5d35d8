"""Devices after signing in: an officer sees, adds and removes their own from their account
in the workspace; the state admin resets an officer's; the demo officers who need a second
factor are enrolled with SMS so that the demo SMS box shows their codes; and the services
the API's token endpoint calls."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from seva.accounts.models import SmsDevice
from seva.accounts.selectors import devices_of, second_factor_required
from seva.accounts.services import (
    SecondFactorRefused,
    second_factor_for_token,
    second_factor_sms_send,
    second_factor_verify,
)
from seva.core.errors import ValidationFailed
from seva.demo.accounts import DEMO_SECOND_FACTOR_MOBILE
from seva.org.models import OfficerProfile

from .flow import a_wrong_code, app_code, newest_code_sent, password_given

pytestmark = pytest.mark.django_db

ACCOUNT = "/admin/second-factor/"


def test_an_officer_sees_their_devices_from_their_account(client, user):
    client.force_login(user("tehsildar.ambala"))
    account = client.get("/admin/account/").content.decode()
    assert ACCOUNT in account
    page = client.get(ACCOUNT).content.decode()
    assert "XXXXXX02" in page  # the SMS device seeded for the demo
    assert "Add an authenticator app" in page


def test_an_officer_adds_an_app_then_removes_the_sms_device(client, user):
    officer = user("tehsildar.ambala")
    client.force_login(officer)
    client.post(f"{ACCOUNT}app/")
    device = TOTPDevice.objects.get(user=officer)
    assert client.post(f"{ACCOUNT}app/", {"code": app_code(device)}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    sms = SmsDevice.objects.get(user=officer)
    client.post(f"{ACCOUNT}remove/", {"device": sms.persistent_id})
    assert not SmsDevice.objects.filter(user=officer).exists()
    # The last one stays: this officer must give a second factor.
    refused = client.post(f"{ACCOUNT}remove/", {"device": device.persistent_id}, follow=True)
    assert "add another device before you remove" in refused.content.decode()
    assert TOTPDevice.objects.filter(user=officer).exists()


def test_an_officer_cannot_remove_someone_elses_device(client, user):
    client.force_login(user("tehsildar.ambala"))
    theirs = SmsDevice.objects.get(user=user("tehsildar.hisar"))
    client.post(f"{ACCOUNT}remove/", {"device": theirs.persistent_id})
    assert SmsDevice.objects.filter(pk=theirs.pk).exists()


def test_the_state_admin_resets_an_officers_devices_and_they_enrol_again(client, user):
    officer = user("tehsildar.ambala")
    TOTPDevice.objects.create(user=officer, name="Lost phone", confirmed=True)
    client.force_login(user("admin"))
    users_list = client.get("/admin/users/", {"q": "tehsildar.ambala"}).content.decode()
    assert f"{ACCOUNT}officers/{officer.pk}/" in users_list
    page = client.get(f"{ACCOUNT}officers/{officer.pk}/").content.decode()
    assert "Lost phone" in page
    response = client.post(f"{ACCOUNT}officers/{officer.pk}/reset/")
    assert response.status_code == 302
    assert devices_of(officer) == []
    signing_in = type(client)()
    assert password_given(signing_in, "tehsildar.ambala")["Location"].startswith(
        "/admin/login/enrol/"
    )


def test_only_the_state_admin_resets(client, user):
    client.force_login(user("tehsildar.hisar"))
    officer = user("tehsildar.ambala")
    # Wagtail turns the refusal into a redirect to the dashboard with a message.
    refused = client.post(f"{ACCOUNT}officers/{officer.pk}/reset/")
    assert refused.status_code in (302, 403)
    assert refused.status_code == 403 or refused["Location"] == "/admin/"
    assert client.get(f"{ACCOUNT}officers/{officer.pk}/").status_code in (302, 403)
    assert devices_of(officer)


# ------------------------------------------------------------------------------
# The demo
# ------------------------------------------------------------------------------
def test_seed_demo_enrols_the_demo_officers_who_need_a_second_factor_by_sms(user):
    tehsildar = SmsDevice.objects.get(user=user("tehsildar.ambala"))
    assert tehsildar.confirmed and tehsildar.mobile == "9000000102"  # their officer mobile
    assert SmsDevice.objects.get(user=user("sdm.ambala")).mobile == DEMO_SECOND_FACTOR_MOBILE
    assert SmsDevice.objects.get(user=user("admin")).mobile == DEMO_SECOND_FACTOR_MOBILE
    rostered = SmsDevice.objects.get(user=user("tehsildar.hr-kkr-thn-thn"))
    assert rostered.mobile == DEMO_SECOND_FACTOR_MOBILE
    assert not SmsDevice.objects.filter(user=user("patwari.ambala")).exists()
    assert not SmsDevice.objects.filter(user=user("cmo")).exists()
    before = SmsDevice.objects.count()
    call_command("seed_demo", "--quiet")
    assert SmsDevice.objects.count() == before


# ------------------------------------------------------------------------------
# What the API's token endpoint calls
# ------------------------------------------------------------------------------
def test_the_services_the_token_endpoint_calls(user):
    officer = user("tehsildar.ambala")
    assert second_factor_required(officer)
    message = second_factor_sms_send(user=officer)
    assert message.recipient == "9000000102"
    code = newest_code_sent("9000000102")
    # While that code is unused, another waits a minute.
    with pytest.raises(SecondFactorRefused, match="You can ask for another"):
        second_factor_sms_send(user=officer)
    with pytest.raises(ValidationFailed) as refused:
        second_factor_verify(user=officer, code=a_wrong_code(code))
    assert refused.value.errors["code"]
    assert second_factor_verify(user=officer, code=code).persistent_id.startswith(
        "accounts.smsdevice/"
    )


def test_an_officer_without_a_mobile_gets_no_sms_from_the_api(user):
    officer = user("sdm.ambala")
    SmsDevice.objects.filter(user=officer).delete()
    OfficerProfile.objects.filter(user=officer).update(mobile="")
    with pytest.raises(SecondFactorRefused):
        second_factor_sms_send(user=officer)


def test_the_token_endpoints_one_call_asks_sends_and_checks(user):
    # Nobody is asked who needs no second factor.
    assert second_factor_for_token(user=user("patwari.ambala"), code=None) is None
    officer = user("tehsildar.ambala")
    with pytest.raises(ValidationFailed) as missing:
        second_factor_for_token(user=officer, code="")
    assert "code" in missing.value.errors
    with pytest.raises(ValidationFailed) as sent:
        second_factor_for_token(user=officer, code=None, send_sms=True)
    assert "XXXXXX02" in sent.value.errors["code"][0]
    code = newest_code_sent("9000000102")
    with pytest.raises(ValidationFailed, match="not valid"):
        second_factor_for_token(user=officer, code=a_wrong_code(code))
    assert second_factor_for_token(user=officer, code=code).user == officer
    # An officer who must give one but has set up nothing is sent to the workspace first.
    sdm = user("sdm.ambala")
    SmsDevice.objects.filter(user=sdm).delete()
    with pytest.raises(SecondFactorRefused, match="/admin/login/"):
        second_factor_for_token(user=sdm, code="123456")
