"""Reads of the RTS rollups."""

from __future__ import annotations

from django.utils import timezone

from .services import ROLLUPS, expected_rollups, fold_past_due, stored_rollups


def rollups_differences(*, limit: int = 50) -> list[str]:
    """Each rollup row that differs from a direct count of the applications table, in words
    (at most `limit`); empty when the rollups are right."""
    expected = expected_rollups()
    stored = stored_rollups()
    # Files due in the past count the same whether or not the nightly fold has run.
    today = timezone.localdate()
    for rollups in (expected, stored):
        rollups["area open"] = fold_past_due(rollups["area open"], today)
    differences = []
    for name, (_model, _key, columns) in ROLLUPS.items():
        for key in sorted(set(expected[name]) | set(stored[name]), key=str):
            want = {c: expected[name].get(key, {}).get(c, 0) for c in columns}
            have = {c: stored[name].get(key, {}).get(c, 0) for c in columns}
            if want != have:
                differences.append(f"{name} {key}: counted {want}, rollup has {have}")
    return differences[:limit]
