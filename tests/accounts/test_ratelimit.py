"""Whose address a per-address limit counts: the connection's, unless the application is told
it sits behind reverse proxies (SEVA_TRUSTED_PROXY_COUNT); an X-Forwarded-For header the
client writes itself never buys it a fresh count, on any limit."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle

from seva.accounts.ratelimit import client_address


def _request(remote: str, forwarded: str | None = None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_without_proxies_the_connection_is_the_address(settings):
    settings.SEVA_TRUSTED_PROXY_COUNT = 0
    assert client_address(_request("10.0.0.1", "203.0.113.9")) == "10.0.0.1"


def test_behind_a_proxy_its_entry_is_the_address_and_the_clients_own_are_ignored(settings):
    settings.SEVA_TRUSTED_PROXY_COUNT = 1
    assert client_address(_request("10.0.0.1", "198.51.100.7, 203.0.113.9")) == "203.0.113.9"
    assert client_address(_request("10.0.0.1", "203.0.113.9")) == "203.0.113.9"
    assert client_address(_request("10.0.0.1")) == "10.0.0.1"
    settings.SEVA_TRUSTED_PROXY_COUNT = 2
    assert client_address(_request("10.0.0.1", "1.1.1.1, 198.51.100.7, 10.0.0.2")) == (
        "198.51.100.7"
    )


@pytest.mark.django_db
def test_a_forwarded_for_header_does_not_escape_the_apis_throttle(monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/hour", "user": None})
    client = APIClient()
    answers = [
        client.get(
            "/api/v1/services/", REMOTE_ADDR="10.8.8.8", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
        ).status_code
        for n in range(3)
    ]
    assert answers == [200, 200, 429]


@pytest.mark.django_db
def test_a_forwarded_for_header_does_not_escape_the_sign_in_lock_out(settings):
    settings.SEVA_LOGIN_FAILURES_PER_ADDRESS = 3
    client = APIClient()
    answers = [
        client.post(
            "/api/v1/auth/token/",
            {"username": name, "password": "wrong"},
            format="json",
            REMOTE_ADDR="10.9.9.9",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        ).status_code
        for n, name in enumerate(["clerk.ambala", "patwari.ambala", "sdm.ambala"])
    ]
    assert answers == [400, 400, 429]
