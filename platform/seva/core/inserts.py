"""One INSERT that skips a row already there, in one statement and without a savepoint.

`get_or_create` costs a SELECT, a SAVEPOINT, the INSERT and a RELEASE: four round trips, on
the path of every submission (the SMS outbox row). Where the caller only needs to know
whether its row is new, `insert_unless_exists` does it in one: INSERT … ON CONFLICT (key)
DO NOTHING RETURNING the primary key (PostgreSQL and SQLite alike)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, router
from django.db.models import Model


def insert_unless_exists(obj: Model, *, conflict: Sequence[str]) -> bool:
    """Insert `obj` unless a row with the same values of the `conflict` fields (a unique key)
    exists. True, with `obj.pk` set, when it was inserted; False when the row was there."""
    model = type(obj)
    using = router.db_for_write(model, instance=obj)
    connection = connections[using]
    quote = connection.ops.quote_name
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]
    placeholders = []
    for field, value in zip(fields, values, strict=True):
        placeholder = "%s"
        if hasattr(field, "get_placeholder"):
            placeholder = field.get_placeholder(value, None, connection)
        placeholders.append(placeholder)
    by_name = {f.name: f for f in fields}
    key = ", ".join(quote(str(by_name[name].column)) for name in conflict)
    columns = ", ".join(quote(str(f.column)) for f in fields)
    assert meta.pk is not None
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) "
        f"VALUES ({', '.join(placeholders)}) ON CONFLICT ({key}) DO NOTHING "
        f"RETURNING {quote(str(meta.pk.column))}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = using
    return True
