"""A filing in progress at the counter names the documents uploaded for it before any
application claims them: the clean-up of unclaimed uploads keeps those while the draft lives,
and the operator's quota counts them (seva.applications.documents)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from seva.applications.documents import DRAFT_ANSWERS

from .models import AssistedDraft


@DRAFT_ANSWERS.register("counter")
def counter_draft_answers(owner_ids: Collection[int]) -> Iterable[Any]:
    # The operator uploads at the counter, so the operator owns the documents.
    return AssistedDraft.objects.filter(operator_id__in=owner_ids).values_list("data", flat=True)
