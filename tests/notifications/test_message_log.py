"""The SMS log in the admin: the state admin finds messages by reference, mobile, status
and date, reads one as sent (template id, parts, attempts, the provider's reply; sign-in
codes masked) and sends a failed one again. Officers and citizens cannot open it."""

from __future__ import annotations

import pytest

from seva.citizens.services import otp_request
from seva.notifications.models import OutboxMessage, OutboxStatus
from tests.queues.test_workspace import signed_in

from .test_delivery import _received_sms, _submit

LOG = "/admin/sms/"


@pytest.mark.django_db
def test_the_admin_finds_a_message_and_reads_it_as_sent(user):
    application = _submit(user)
    message = _received_sms(application)
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxStatus.FAILED, attempts=2, last_error="Gateway refused the message (400)"
    )
    admin = signed_in(user, "admin")
    by_reference = admin.get(LOG, {"q": application.reference}).content.decode()
    assert f'href="{LOG}{message.pk}/"' in by_reference
    assert admin.get(LOG, {"q": "98123 45678"}).content.decode().count('data-status="') >= 1
    none_sent = admin.get(LOG, {"q": application.reference, "status": "sent"}).content.decode()
    assert "No message matches." in none_sent
    assert "No message matches." in admin.get(LOG, {"sent_to": "2001-01-01"}).content.decode()

    page = admin.get(f"{LOG}{message.pk}/").content.decode()
    assert message.body in page and "1107161234500000101" in page
    assert "1 part" in page and "GSM-7" in page
    assert "Gateway refused the message (400)" in page and "Send it again" in page


@pytest.mark.django_db
def test_a_failed_message_is_sent_again(user, django_capture_on_commit_callbacks):
    message = _received_sms(_submit(user))
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxStatus.FAILED, attempts=6)
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(user, "admin").post(f"{LOG}{message.pk}/resend/")
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == "sent" and message.attempts == 1  # the demo box took it


@pytest.mark.django_db
def test_a_sign_in_code_is_never_shown_to_staff(user):
    challenge = otp_request(mobile="9812345678")
    message = OutboxMessage.objects.get(idempotency_key=f"otp:{challenge.pk}")
    page = signed_in(user, "admin").get(f"{LOG}{message.pk}/").content.decode()
    assert "XXXXXX is your OTP" in page
    assert message.body.split()[0] not in page


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["clerk.ambala", "dc.ambala", "cmo"])
def test_officers_cannot_open_the_sms_log(user, username):
    message = _received_sms(_submit(user))
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxStatus.FAILED)
    client = signed_in(user, username)
    # Wagtail answers a refused admin page by sending the person back to the dashboard.
    for response in (
        client.get(LOG, {"q": message.recipient}),
        client.get(f"{LOG}{message.pk}/"),
        client.post(f"{LOG}{message.pk}/resend/"),
    ):
        assert (response.status_code, response["Location"]) == (302, "/admin/")
    message.refresh_from_db()
    assert message.status == "failed"
    assert "SMS log" not in client.get("/admin/queue/").content.decode()
