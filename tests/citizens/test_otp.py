"""Sign-in by mobile OTP: 6 digits, valid 5 minutes, stored hashed, five wrong tries lock the
number out, resends throttled, and the SMS goes through the outbox."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest
import time_machine
from django.db.models import Sum

from seva.citizens.models import CitizenProfile, OtpChallenge, OtpLockout
from seva.citizens.services import SignInRefused, otp_request, otp_verify
from seva.core.errors import ValidationFailed
from seva.notifications.models import OutboxMessage
from tests.helpers import ist
from tests.threads import committed, needs_postgres, run_together

MOBILE = "9812345678"  # the demo citizen's


def sent_code(mobile: str = MOBILE) -> str:
    message = OutboxMessage.objects.filter(recipient=mobile, event="otp").order_by("-id").first()
    return re.search(r"\b(\d{6})\b", message.body).group(1)


@pytest.mark.django_db
def test_the_code_goes_out_by_sms_and_is_stored_only_as_a_hash():
    challenge = otp_request(mobile=MOBILE, language="hi")
    code = sent_code()
    message = OutboxMessage.objects.get(idempotency_key=f"otp:{challenge.pk}")
    assert message.language == "hi" and message.dlt_template_id == "1107161234500009002"
    assert "ओटीपी" in message.body
    assert len(code) == 6
    assert code not in challenge.code_hash
    assert challenge.expires_at - challenge.created_at == dt.timedelta(minutes=5)


@pytest.mark.django_db
def test_the_right_code_signs_in_the_citizen_with_that_mobile(user):
    otp_request(mobile=MOBILE)
    assert otp_verify(mobile=MOBILE, code=sent_code()) == user("citizen")
    # A code works once.
    with pytest.raises(ValidationFailed):
        otp_verify(mobile=MOBILE, code=sent_code())


@pytest.mark.django_db
def test_a_new_mobile_number_becomes_a_new_citizen():
    otp_request(mobile="7000000001")
    citizen = otp_verify(mobile="7000000001", code=sent_code("7000000001"))
    assert CitizenProfile.objects.get(user=citizen).mobile == "7000000001"
    assert not citizen.has_usable_password()


@pytest.mark.django_db
def test_a_code_expires_after_five_minutes():
    with time_machine.travel(ist(2026, 5, 4, 10, 0), tick=False):
        otp_request(mobile=MOBILE)
    with (
        time_machine.travel(ist(2026, 5, 4, 10, 5, 1), tick=False),
        pytest.raises(ValidationFailed),
    ):
        otp_verify(mobile=MOBILE, code=sent_code())


@pytest.mark.django_db
def test_five_wrong_codes_lock_the_number_out_even_with_the_right_code():
    with time_machine.travel(ist(2026, 5, 4, 10, 0), tick=False):
        otp_request(mobile=MOBILE)
        right = sent_code()
        wrong = "000000" if right != "000000" else "111111"
        for tries_left in (4, 3, 2, 1):
            with pytest.raises(ValidationFailed) as excinfo:
                otp_verify(mobile=MOBILE, code=wrong)
            assert f"{tries_left} more" in excinfo.value.errors["code"][0]
        with pytest.raises(SignInRefused, match="Too many wrong codes"):
            otp_verify(mobile=MOBILE, code=wrong)
        with pytest.raises(SignInRefused):
            otp_verify(mobile=MOBILE, code=right)
        with pytest.raises(SignInRefused):
            otp_request(mobile=MOBILE)
    assert OtpLockout.objects.filter(mobile=MOBILE).exists()
    # After the lock-out a new code works again.
    with time_machine.travel(ist(2026, 5, 4, 10, 31), tick=False):
        otp_request(mobile=MOBILE)
        assert otp_verify(mobile=MOBILE, code=sent_code())


@pytest.mark.django_db
def test_asking_for_new_codes_again_and_again_creates_no_way_round_the_lockout():
    """Wrong tries count across codes: asking for a fresh code does not reset them."""
    with time_machine.travel(ist(2026, 5, 4, 9, 0), tick=False) as clock:
        for _ in range(5):
            otp_request(mobile=MOBILE)
            code = sent_code()
            with pytest.raises((ValidationFailed, SignInRefused)):
                otp_verify(mobile=MOBILE, code="999999" if code != "999999" else "888888")
            clock.shift(dt.timedelta(seconds=61))
    assert OtpLockout.objects.filter(mobile=MOBILE).exists()


@pytest.mark.django_db
def test_resending_is_throttled():
    with time_machine.travel(ist(2026, 5, 4, 9, 0), tick=False) as clock:
        otp_request(mobile=MOBILE)
        with pytest.raises(SignInRefused, match="seconds"):
            otp_request(mobile=MOBILE)
        for _ in range(4):
            clock.shift(dt.timedelta(seconds=61))
            otp_request(mobile=MOBILE)
        clock.shift(dt.timedelta(seconds=61))
        with pytest.raises(SignInRefused, match="too many codes"):
            otp_request(mobile=MOBILE)
    assert OtpChallenge.objects.filter(mobile=MOBILE).count() == 5


@pytest.mark.django_db
@pytest.mark.parametrize("mobile", ["12345", "5812345678", "९८१२३४५६७८", ""])
def test_a_mobile_number_that_is_not_one_is_refused(mobile):
    with pytest.raises(ValidationFailed) as excinfo:
        otp_request(mobile=mobile)
    assert "mobile" in excinfo.value.errors


@pytest.mark.django_db
def test_a_language_chosen_before_signing_in_is_kept_and_remembered_for_sms(client):
    client.post("/language/", {"language": "hi", "next": "/login/"})
    client.post("/login/", {"mobile": "9812300099", "next": "/my/"})
    response = client.post("/login/code/", {"code": sent_code("9812300099"), "next": "/my/"})
    assert response.status_code == 302
    assert '<html lang="hi"' in client.get("/my/").content.decode()
    assert CitizenProfile.objects.get(mobile="9812300099").language == "hi"


@pytest.mark.django_db
def test_a_returning_citizen_on_a_new_device_gets_the_language_they_chose_before(client):
    CitizenProfile.objects.filter(mobile=MOBILE).update(language="hi")
    client.post("/login/", {"mobile": MOBILE, "next": "/my/"})
    client.post("/login/code/", {"code": sent_code(), "next": "/my/"})
    assert '<html lang="hi"' in client.get("/my/").content.decode()


# ------------------------------------------------------------------------------
# Guesses at the same moment, on separate connections (PostgreSQL row locks)
# ------------------------------------------------------------------------------
RACE_MOBILE = "9000033333"
GUESSERS = 40


@needs_postgres
@pytest.mark.postgres
@pytest.mark.django_db
def test_forty_guesses_at_once_count_exactly_five_and_lock_the_number_out():
    """Each guess is counted before it is compared, under the challenge's row lock: the
    first five are counted (four told how many tries are left, the fifth locks the number),
    the other thirty-five are refused without being checked, and even the right code is
    refused afterwards."""
    committed(lambda: otp_request(mobile=RACE_MOBILE))
    right = sent_code(RACE_MOBILE)
    wrong = [f"{n:06d}" for n in range(GUESSERS + 1) if f"{n:06d}" != right][:GUESSERS]
    try:
        results = run_together(
            [lambda code=code: otp_verify(mobile=RACE_MOBILE, code=code) for code in wrong]
        )
        kinds = Counter(type(result).__name__ for result in results)
        assert kinds == {"ValidationFailed": 4, "SignInRefused": 36}, results
        counted = OtpChallenge.objects.filter(mobile=RACE_MOBILE).aggregate(
            n=Sum("failed_attempts")
        )["n"]
        assert counted == 5
        assert OtpLockout.objects.filter(mobile=RACE_MOBILE).exists()
        with pytest.raises(SignInRefused):
            committed(lambda: otp_verify(mobile=RACE_MOBILE, code=right))
    finally:

        def remove() -> None:
            OtpChallenge.objects.filter(mobile=RACE_MOBILE).delete()
            OtpLockout.objects.filter(mobile=RACE_MOBILE).delete()
            OutboxMessage.objects.filter(recipient=RACE_MOBILE).delete()

        committed(remove)
