"""Long lists for the paging tests: one real application copied many times over in one
INSERT, as a citizen with years of applications (or a busy counter) would have them."""

from __future__ import annotations

import datetime as dt

from seva.applications.models import Application


def applications_copied(application: Application, count: int) -> list[Application]:
    """`count` copies of `application`, each submitted a minute before the one after it
    (the first copy a minute before the original), with references REF-C1, REF-C2, ..."""
    fields = {
        field.attname: getattr(application, field.attname)
        for field in Application._meta.concrete_fields
        if not field.primary_key
    }
    copies = [
        Application(
            **{
                **fields,
                "reference": f"{application.reference}-C{number}",
                "draft_id": None,
                "submitted_at": application.submitted_at - dt.timedelta(minutes=number),
            }
        )
        for number in range(1, count + 1)
    ]
    return Application.objects.bulk_create(copies)
