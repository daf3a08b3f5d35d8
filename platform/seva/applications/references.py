"""Reference numbers a citizen can read out on the phone: HR-REV-INC-2026-000123."""

from django.conf import settings
from django.db import transaction
from django.db.models import F

from .models import ReferenceCounter


def reference_prefix(*, department_short_code: str, service_reference_code: str) -> str:
    return f"{settings.SEVA_STATE_CODE}-{department_short_code}-{service_reference_code}"


def next_reference(*, prefix: str, year: int) -> str:
    """The next number for this prefix and year.

    Must run inside the transaction that creates the application: the UPDATE holds the
    counter's row lock until commit, so concurrent submissions queue for it, and a
    rolled-back submission gives its number back.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_reference must be called inside a transaction")
    ReferenceCounter.objects.get_or_create(prefix=prefix, year=year)
    ReferenceCounter.objects.filter(prefix=prefix, year=year).update(
        last_number=F("last_number") + 1
    )
    number = ReferenceCounter.objects.values_list("last_number", flat=True).get(
        prefix=prefix, year=year
    )
    return f"{prefix}-{year}-{number:06d}"
