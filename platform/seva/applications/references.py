"""Reference numbers a citizen can read out on the phone: HR-REV-INC-2026-000123."""

from django.conf import settings
from django.db import connection

from .models import ReferenceCounter


def reference_prefix(*, department_short_code: str, service_reference_code: str) -> str:
    return f"{settings.SEVA_STATE_CODE}-{department_short_code}-{service_reference_code}"


def next_reference(*, prefix: str, year: int) -> str:
    """The next number for this prefix and year, in one statement that creates the counter on
    first use (INSERT … ON CONFLICT DO UPDATE … RETURNING).

    Called before the submission's transaction (docs/adr/0022): the counter's row, which
    every submission to the service shares, is then locked for this one statement instead of
    the whole submission. Numbers are unique and increase in the order submissions reach
    the counter; a submission that fails after taking its number (two tabs sending one draft
    at the same moment, a database error) leaves that number unused. Inside a caller's
    transaction the lock lasts until that commits, and a rollback gives the number back.
    """
    table = connection.ops.quote_name(ReferenceCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (prefix, year, last_number) VALUES (%s, %s, 1) "
            f"ON CONFLICT (prefix, year) DO UPDATE SET last_number = {table}.last_number + 1 "
            "RETURNING last_number",
            [prefix, year],
        )
        (number,) = cursor.fetchone()
    return f"{prefix}-{year}-{number:06d}"
