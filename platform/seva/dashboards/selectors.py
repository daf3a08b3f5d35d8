"""Reads of the RTS rollups."""

from __future__ import annotations

from .services import expected_rollups, stored_rollups


def rollups_differences(*, limit: int = 50) -> list[str]:
    """Each rollup row that differs from a direct count of the applications table, in words
    (at most `limit`); empty when the rollups are right."""
    expected_daily, expected_open = expected_rollups()
    stored_daily, stored_open = stored_rollups()
    differences = []
    for name, expected, stored, columns in (
        (
            "daily",
            expected_daily,
            stored_daily,
            ("received", "disposed", "disposed_within_rts", "rejected", "withdrawn"),
        ),
        ("open", expected_open, stored_open, ("open_count",)),
    ):
        for key in sorted(set(expected) | set(stored), key=str):
            want = {c: expected.get(key, {}).get(c, 0) for c in columns}
            have = {c: stored.get(key, {}).get(c, 0) for c in columns}
            if want != have:
                differences.append(f"{name} {key}: counted {want}, rollup has {have}")
    return differences[:limit]
