"""An officer's hands on the sign-in pages, through Django's test client: the password, then
the code from the SMS in the outbox or from an authenticator app."""

from __future__ import annotations

import re

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from seva.notifications.models import OutboxMessage

PASSWORD = "seva-demo"
SIGN_IN = "/admin/login/"
CODE = "/admin/login/code/"
ENROL = "/admin/login/enrol/"
SMS_EVENT = "otp"  # sign-in codes, citizens' and officers'


def password_given(client, username: str, *, password: str = PASSWORD, next_url: str = ""):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(SIGN_IN, data)


def newest_code_sent(mobile: str) -> str:
    message = OutboxMessage.objects.filter(recipient=mobile, event=SMS_EVENT).order_by("-id")[0]
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def app_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows now (or `steps_ahead` time steps later)."""
    device.refresh_from_db()
    value = totp(device.bin_key, step=device.step, t0=device.t0 - steps_ahead * device.step)
    return f"{value:0{device.digits}d}"


def a_wrong_code(right: str) -> str:
    return "000000" if right != "000000" else "111111"


def is_signed_in(client) -> bool:
    """Whether the workspace opens: the dashboard answers 200 rather than sending the
    caller to sign in."""
    return client.get("/admin/").status_code == 200


def secret_shown(page: str) -> str:
    """The authenticator app's secret as the enrolment page prints it (base32, in groups)."""
    match = re.search(r'data-secret="([A-Z2-7 ]+)"', page)
    assert match, "the enrolment page shows no secret"
    return match.group(1).replace(" ", "")
