"""Wrong codes given at the same moment are counted one by one: the officer's guard row is
locked while a code is compared, so twenty concurrent guesses are five wrong codes and
fifteen refusals, never twenty wrong codes each seeing the count before the others."""

from __future__ import annotations

import pytest
from django.conf import settings

from seva.accounts.models import SecondFactorGuard
from seva.accounts.services import SecondFactorRefused, second_factor_verify
from seva.core.errors import ValidationFailed
from tests.threads import committed, needs_postgres, run_together

GUESSES = 20


@needs_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=False)
def test_concurrent_wrong_codes_are_counted_one_by_one(user):
    officer = user("tehsildar.ambala")  # an SMS device, and no code outstanding: all are wrong
    try:
        results = run_together(
            [
                lambda n=n: second_factor_verify(user=officer, code=f"{n:06d}")
                for n in range(GUESSES)
            ]
        )
        wrong = [r for r in results if isinstance(r, ValidationFailed)]
        refused = [r for r in results if isinstance(r, SecondFactorRefused)]
        assert len(wrong) == settings.SEVA_SECOND_FACTOR_MAX_WRONG_CODES - 1, results
        assert len(refused) == GUESSES - len(wrong), results
        assert all("Too many wrong codes" in r.message for r in refused)
        guard = committed(lambda: SecondFactorGuard.objects.get(user=officer))
        assert guard.locked_until is not None
    finally:
        committed(lambda: SecondFactorGuard.objects.filter(user=officer).delete())
