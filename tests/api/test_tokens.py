"""API tokens: one per device, shown once and kept only as a digest, good for a configured
number of days, dead once the password changes, listed and revoked by their owner, ended by
signing out, and revoked by the state admin in the workspace."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from seva.api.models import ApiToken
from tests.accounts.flow import a_wrong_code, newest_code_sent

TOKEN = "/api/v1/auth/token/"
TOKENS = "/api/v1/auth/tokens/"
LOGOUT = "/api/v1/auth/logout/"
MINE = "/api/v1/applications/"
ADMIN_PAGE = "/admin/api-tokens/"
PASSWORD = "seva-demo"
NOW = timezone.make_aware(dt.datetime(2026, 3, 10, 11, 0))


def issue(username: str, device: str = "", password: str = PASSWORD) -> dict:
    body = {"username": username, "password": password}
    if device:
        body["device"] = device
    response = APIClient().post(TOKEN, body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def calling_with(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def works(token: str) -> bool:
    answer = calling_with(token).get(MINE)
    assert answer.status_code in (200, 401), answer.content
    return answer.status_code == 200


@pytest.mark.django_db
def test_a_token_is_shown_once_with_its_expiry_and_only_its_digest_is_kept(settings):
    settings.SEVA_API_TOKEN_DAYS = 30
    with time_machine.travel(NOW, tick=False):
        issued = issue("citizen", device="Field tablet")
    assert issued["device"] == "Field tablet"
    assert dt.datetime.fromisoformat(issued["expires_at"]) == NOW + dt.timedelta(days=30)
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        assert works(issued["token"])

    row = ApiToken.objects.get(pk=issued["id"])
    secret = issued["token"].split(".", 1)[1]
    stored = [str(getattr(row, f.attname)) for f in ApiToken._meta.concrete_fields]
    assert not [value for value in stored if secret in value or issued["token"] in value]
    assert len(row.digest) == 64


@pytest.mark.django_db
def test_a_token_stops_working_when_it_expires(settings):
    settings.SEVA_API_TOKEN_DAYS = 7
    with time_machine.travel(NOW, tick=False):
        token = issue("citizen")["token"]
    with time_machine.travel(NOW + dt.timedelta(days=6, hours=23), tick=False):
        assert works(token)
    with time_machine.travel(NOW + dt.timedelta(days=7, minutes=1), tick=False):
        answer = calling_with(token).get(MINE)
    assert answer.status_code == 401
    assert "expired" in answer.json()["detail"]


@pytest.mark.django_db
def test_a_password_change_ends_every_token_issued_before_it(user):
    phone, laptop = issue("citizen", "phone")["token"], issue("citizen", "laptop")["token"]
    citizen = user("citizen")
    citizen.set_password("a-new-password-2026")
    citizen.save()

    for token in (phone, laptop):
        answer = calling_with(token).get(MINE)
        assert answer.status_code == 401
        assert "password" in answer.json()["detail"]
    assert works(issue("citizen", "phone", password="a-new-password-2026")["token"])


@pytest.mark.django_db
def test_the_owner_lists_their_tokens_without_secrets_and_revokes_one():
    phone, laptop = issue("citizen", "phone"), issue("citizen", "laptop")
    someone_elses = issue("citizen2", "phone")

    listed = calling_with(phone["token"]).get(TOKENS)
    assert listed.status_code == 200
    rows = listed.json()["results"]
    assert {(r["id"], r["device"], r["current"]) for r in rows} == {
        (phone["id"], "phone", True),
        (laptop["id"], "laptop", False),
    }
    assert {"id", "device", "created_at", "expires_at", "last_used_at", "current"} == set(rows[0])
    for secret in (phone["token"], laptop["token"]):
        assert secret.split(".", 1)[1] not in listed.content.decode()

    assert calling_with(phone["token"]).delete(f"{TOKENS}{laptop['id']}/").status_code == 204
    assert not works(laptop["token"]) and works(phone["token"])
    # Another person's token is not the caller's to see or end.
    gone = calling_with(phone["token"]).delete(f"{TOKENS}{someone_elses['id']}/")
    assert gone.status_code == 404
    assert works(someone_elses["token"])


@pytest.mark.django_db
def test_signing_out_ends_the_token_used_and_no_other():
    phone, laptop = issue("citizen", "phone")["token"], issue("citizen", "laptop")["token"]
    assert calling_with(phone).post(LOGOUT).status_code == 204
    assert not works(phone) and works(laptop)
    assert calling_with(phone).post(LOGOUT).status_code == 401


@pytest.mark.django_db
def test_one_token_per_device_and_several_devices():
    first = issue("clerk.ambala", "office desktop")["token"]
    again = issue("clerk.ambala", "office desktop")["token"]
    other = issue("clerk.ambala", "phone")["token"]
    unnamed = [issue("clerk.ambala")["token"] for _ in range(2)]
    assert not works(first)  # the same device signed in again: its old token is replaced
    assert all(works(token) for token in (again, other, *unnamed))
    assert len(calling_with(again).get(TOKENS).json()["results"]) == 4


@pytest.mark.django_db
def test_bad_requests_for_a_token_name_the_field():
    client = APIClient()
    missing = client.post(TOKEN, {"username": "citizen"}, format="json")
    assert missing.status_code == 400 and "password" in missing.json()["errors"]
    long_name = client.post(
        TOKEN, {"username": "citizen", "password": PASSWORD, "device": "x" * 101}, format="json"
    )
    assert long_name.status_code == 400 and "device" in long_name.json()["errors"]
    wrong = client.post(TOKEN, {"username": "citizen", "password": "nope"}, format="json")
    assert wrong.status_code == 400 and "non_field_errors" in wrong.json()["errors"]
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_last_use_is_written_at_most_once_a_minute():
    with time_machine.travel(NOW, tick=False):
        issued = issue("citizen")
        assert ApiToken.objects.get(pk=issued["id"]).last_used_at is None
        assert works(issued["token"])
    first_use = ApiToken.objects.get(pk=issued["id"]).last_used_at
    assert first_use == NOW
    with time_machine.travel(NOW + dt.timedelta(seconds=50), tick=False):
        assert works(issued["token"])
    assert ApiToken.objects.get(pk=issued["id"]).last_used_at == first_use
    with time_machine.travel(NOW + dt.timedelta(seconds=70), tick=False):
        assert works(issued["token"])
    assert ApiToken.objects.get(pk=issued["id"]).last_used_at == NOW + dt.timedelta(seconds=70)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    ["Token", "Token ", "Token abc", "Token a b", "Token 0123456789ab.", "Token zz\x00zz.secret"],
)
def test_a_malformed_token_answers_401(header):
    answer = APIClient().get(MINE, HTTP_AUTHORIZATION=header)
    assert answer.status_code == 401 and answer.json()["detail"]


@pytest.mark.django_db
def test_a_deactivated_account_s_tokens_stop_working(user):
    token = issue("clerk.ambala")["token"]
    get_user_model().objects.filter(username="clerk.ambala").update(is_active=False)
    assert not works(token)


# ------------------------------------------------------------------------------
# The state admin, in the workspace
# ------------------------------------------------------------------------------
def signed_in(user, username: str) -> Client:
    client = Client()
    client.force_login(user(username))
    return client


@pytest.mark.django_db
def test_the_state_admin_revokes_one_token_or_all_of_an_officers(user):
    # The patwari needs no second factor: the password alone issues the tokens.
    desk = issue("patwari.ambala", "desk")
    phone = issue("patwari.ambala", "phone")
    clerks = issue("clerk.ambala", "desk")
    admin = signed_in(user, "admin")

    page = admin.get(ADMIN_PAGE, {"q": "patwari.ambala"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "patwari.ambala" in text and "desk" in text and "phone" in text
    assert "clerk.ambala" not in text
    assert f'data-token="{desk["id"]}"' in text and f'data-token="{phone["id"]}"' in text
    assert desk["token"].split(".", 1)[1] not in text

    revoked = admin.post(f"{ADMIN_PAGE}{desk['id']}/revoke/")
    assert revoked.status_code == 302
    assert not works(desk["token"]) and works(phone["token"])

    officer = user("patwari.ambala")
    assert admin.post(f"{ADMIN_PAGE}people/{officer.pk}/revoke/").status_code == 302
    assert not works(phone["token"])
    assert works(clerks["token"])
    listed = admin.get(ADMIN_PAGE).content.decode()
    assert f'data-token="{phone["id"]}"' not in listed
    assert f'data-token="{clerks["id"]}"' in listed


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["tehsildar.ambala", "cmo", "admin.revenue"])
def test_officers_cannot_see_or_revoke_others_tokens_in_the_workspace(user, username):
    desk = issue("clerk.ambala", "desk")
    client = signed_in(user, username)
    for response in (
        client.get(ADMIN_PAGE),
        client.post(f"{ADMIN_PAGE}{desk['id']}/revoke/"),
        client.post(f"{ADMIN_PAGE}people/{user('clerk.ambala').pk}/revoke/"),
    ):
        assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert works(desk["token"])
    assert "API tokens" not in client.get("/admin/").content.decode()


# ------------------------------------------------------------------------------
# Officers who need a second factor give it to get a token too
# ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_an_officer_who_needs_a_second_factor_gets_a_token_only_with_the_code():
    """The password alone is not a token for a tehsildar (who approves): the endpoint asks
    for the code, sends one by SMS on request, refuses a wrong one (counted), and issues
    the token for the right one."""
    body = {"username": "tehsildar.ambala", "password": PASSWORD, "device": "Laptop"}
    client = APIClient()
    asked = client.post(TOKEN, body, format="json")
    assert asked.status_code == 400, asked.content
    assert list(asked.json()["errors"]) == ["code"]
    assert "token" not in asked.json()
    sent = client.post(TOKEN, {**body, "send_code": True}, format="json")
    assert sent.status_code == 400 and "XXXXXX02" in sent.json()["errors"]["code"][0]
    code = newest_code_sent("9000000102")
    wrong = client.post(TOKEN, {**body, "code": a_wrong_code(code)}, format="json")
    assert wrong.status_code == 400 and "code" in wrong.json()["errors"]
    assert not ApiToken.objects.filter(user__username="tehsildar.ambala").exists()
    right = client.post(TOKEN, {**body, "code": code}, format="json")
    assert right.status_code == 200, right.content
    assert works(right.json()["token"])


@pytest.mark.django_db
def test_an_officer_locked_out_of_codes_gets_403_and_no_token():
    body = {"username": "tehsildar.ambala", "password": PASSWORD}
    client = APIClient()
    client.post(TOKEN, {**body, "send_code": True}, format="json")
    code = newest_code_sent("9000000102")
    for _ in range(5):
        client.post(TOKEN, {**body, "code": a_wrong_code(code)}, format="json")
    locked = client.post(TOKEN, {**body, "code": code}, format="json")
    assert locked.status_code == 403, locked.content
    assert "token" not in locked.json()
    assert not ApiToken.objects.filter(user__username="tehsildar.ambala").exists()
