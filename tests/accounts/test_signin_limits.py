"""Failed sign-ins are counted in the shared cache per account and per address, each against a
limit of its own. Past either limit every password endpoint refuses, the right password
too, until the cool-off ends: the workspace's and the Django admin's sign-in pages with a
page that says when to try again, the API with 429 and its JSON error body. The refusal
sits in authenticate() itself, so any sign-in view that checks a password with it is held
the same way."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.test import Client, RequestFactory
from django.utils import timezone
from rest_framework.test import APIClient

WORKSPACE_LOGIN = "/admin/login/"
DJANGO_ADMIN_LOGIN = "/django-admin/login/"
TOKEN = "/api/v1/auth/token/"
PASSWORD = "seva-demo"
NOW = timezone.make_aware(dt.datetime(2026, 3, 10, 11, 0))


@pytest.fixture(autouse=True)
def limits(settings):
    settings.SEVA_LOGIN_FAILURES_PER_ACCOUNT = 3
    settings.SEVA_LOGIN_FAILURES_PER_ADDRESS = 5
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)


def workspace_login(username: str, password: str, address: str):
    return Client().post(
        WORKSPACE_LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address
    )


def django_admin_login(username: str, password: str, address: str):
    return Client().post(
        DJANGO_ADMIN_LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address
    )


def api_login(username: str, password: str, address: str):
    return APIClient().post(
        TOKEN, {"username": username, "password": password}, format="json", REMOTE_ADDR=address
    )


def signed_in(response) -> bool:
    """The workspace's sign-in page sends a person it let in on to the dashboard."""
    return response.status_code == 302 and response["Location"] == "/admin/"


@pytest.mark.django_db
def test_wrong_passwords_on_one_account_from_many_addresses_lock_the_account():
    with time_machine.travel(NOW, tick=False):
        for attempt in range(2):
            refused = workspace_login("tehsildar.ambala", f"guess-{attempt}", f"10.0.0.{attempt}")
            assert refused.status_code == 200  # the form again, with its error
        # The third failure reaches the limit, and is told so.
        assert workspace_login("tehsildar.ambala", "guess-2", "10.0.0.2").status_code == 429

        page = workspace_login("tehsildar.ambala", PASSWORD, "10.0.0.99")
        assert page.status_code == 429
        text = page.content.decode()
        assert "Too many failed sign-ins" in text
        assert "Try again after 11:15" in text  # the cool-off, in India's time

        answer = api_login("tehsildar.ambala", PASSWORD, "10.0.0.100")
        assert answer.status_code == 429
        assert "Try again after 11:15" in answer.json()["detail"]
        assert set(answer.json()) == {"detail"}
        assert int(answer["Retry-After"]) == 15 * 60

        # Other people signing in from the same addresses are not held.
        assert signed_in(workspace_login("clerk.ambala", PASSWORD, "10.0.0.1"))


@pytest.mark.django_db
def test_many_accounts_tried_from_one_address_lock_the_address():
    for name in ["clerk.ambala", "patwari.ambala", "sdm.ambala", "dc.ambala"]:
        refused = api_login(name, "password123", "10.1.1.1")
        assert refused.status_code == 400  # one wrong password each: no account is held
    assert api_login("je.ambala", "password123", "10.1.1.1").status_code == 429  # the fifth

    assert api_login("citizen", PASSWORD, "10.1.1.1").status_code == 429
    assert workspace_login("tehsildar.ambala", PASSWORD, "10.1.1.1").status_code == 429
    # The same people from elsewhere sign in as usual.
    assert api_login("citizen", PASSWORD, "10.1.1.2").status_code == 200
    assert signed_in(workspace_login("clerk.ambala", PASSWORD, "10.1.1.2"))


@pytest.mark.django_db
def test_the_django_admin_sign_in_checks_no_password_and_sends_to_the_workspaces():
    """The Django admin's sign-in is no second door: it checks nothing and sends the person
    to the workspace's, where the lock-outs (and the second factor) hold."""
    for attempt in range(3):
        page = django_admin_login("admin", f"guess-{attempt}", "10.3.3.3")
        assert page.status_code == 302 and page["Location"].startswith(WORKSPACE_LOGIN)
    for attempt in range(3):
        workspace_login("admin", f"guess-{attempt}", "10.3.3.3")
    page = workspace_login("admin", PASSWORD, "10.3.3.4")
    assert page.status_code == 429
    assert "Too many failed sign-ins" in page.content.decode()


@pytest.mark.django_db
def test_the_lock_out_holds_in_authenticate_whichever_view_asks():
    """A sign-in view of its own (the coming second-factor page) checks the password with
    authenticate(request=...): a lock-out earned on the API holds there, and its guesses
    count like any other."""
    for attempt in range(3):
        api_login("sdm.ambala", f"guess-{attempt}", "10.4.4.4")

    request = RequestFactory().post("/another-sign-in/", REMOTE_ADDR="10.4.4.5")
    assert authenticate(request=request, username="sdm.ambala", password=PASSWORD) is None
    assert request.axes_locked_out

    # ...and a view of its own counts towards the limits the other pages apply.
    for attempt in range(3):
        request = RequestFactory().post("/another-sign-in/", REMOTE_ADDR="10.4.4.6")
        assert authenticate(request=request, username="dc.ambala", password=f"x{attempt}") is None
    assert workspace_login("dc.ambala", PASSWORD, "10.4.4.7").status_code == 429


@pytest.mark.django_db
def test_after_the_cool_off_the_right_password_works_again():
    with time_machine.travel(NOW, tick=False):
        for attempt in range(3):
            workspace_login("clerk.ambala", f"guess-{attempt}", "10.5.5.5")
        assert workspace_login("clerk.ambala", PASSWORD, "10.5.5.5").status_code == 429
    with time_machine.travel(NOW + dt.timedelta(minutes=14), tick=False):
        # Each refused try starts the cool-off again: the last one was at 11:00.
        assert workspace_login("clerk.ambala", PASSWORD, "10.5.5.6").status_code == 429
    with time_machine.travel(NOW + dt.timedelta(minutes=30), tick=False):
        assert signed_in(workspace_login("clerk.ambala", PASSWORD, "10.5.5.5"))


@pytest.mark.django_db
def test_signing_in_clears_the_accounts_count_but_not_the_addresses():
    address = "10.6.6.6"
    for attempt in range(2):
        workspace_login("patwari.ambala", f"guess-{attempt}", address)
    assert signed_in(workspace_login("patwari.ambala", PASSWORD, address))
    for attempt in range(2):
        workspace_login("patwari.ambala", f"again-{attempt}", address)
    # Two failures since the sign-in: the account is below its limit of three.
    assert signed_in(workspace_login("patwari.ambala", PASSWORD, address))

    # The address has counted all four, and a fifth locks it, whatever account is tried.
    workspace_login("clerk.hisar", "guess", address)
    assert workspace_login("tehsildar.hisar", PASSWORD, address).status_code == 429


@pytest.mark.django_db
def test_demo_logins_still_sign_in_with_the_demo_password():
    assert signed_in(workspace_login("patwari.ambala", PASSWORD, "10.7.7.7"))
    # The tehsildar decides: the password takes them on to their second factor.
    decider = workspace_login("tehsildar.ambala", PASSWORD, "10.7.7.7")
    assert decider.status_code == 302 and decider["Location"] == "/admin/login/code/"
    assert api_login("citizen", PASSWORD, "10.7.7.7").status_code == 200
