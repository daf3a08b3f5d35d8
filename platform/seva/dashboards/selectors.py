"""Reads of the RTS rollups."""

from __future__ import annotations

from .services import ROLLUPS, expected_rollups, stored_rollups


def rollups_differences(*, limit: int = 50) -> list[str]:
    """Each rollup row that differs from a direct count of the applications table, in words
    (at most `limit`); empty when the rollups are right."""
    expected = expected_rollups()
    stored = stored_rollups()
    differences = []
    for name, (_model, _key, columns) in ROLLUPS.items():
        for key in sorted(set(expected[name]) | set(stored[name]), key=str):
            want = {c: expected[name].get(key, {}).get(c, 0) for c in columns}
            have = {c: stored[name].get(key, {}).get(c, 0) for c in columns}
            if want != have:
                differences.append(f"{name} {key}: counted {want}, rollup has {have}")
    return differences[:limit]
