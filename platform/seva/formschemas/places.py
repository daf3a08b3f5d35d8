"""The places a place picker (format "jurisdiction") offers, and their names for the
answers page. The organisation's tree registers where they come from ("jurisdictions")
when Django starts (seva.org.places); a form only names a level."""

from __future__ import annotations

from collections.abc import Callable

from seva.core.registry import Registry

PlaceGroups = list[tuple[str, list[tuple[str, str]]]]
PLACE_SOURCES: Registry[Callable[[str, str], PlaceGroups]] = Registry("place source")

_PLACE_CHOICES: dict[tuple[str, str], PlaceGroups] = {}
_PLACE_NAMES: dict[tuple[str, str], dict[str, str]] = {}


def jurisdiction_choices(level: str, language: str) -> PlaceGroups:
    """[(district name, [(code, place name)])] for every place at `level`, by name.

    Above the district level there is one group with an empty name. Read once per
    (level, language) for the life of the process: restart after changing the tree
    (or call `clear_jurisdiction_choices`).
    """
    key = (level, language)
    if key not in _PLACE_CHOICES:
        _PLACE_CHOICES[key] = PLACE_SOURCES.get("jurisdictions")(level, language)
    return _PLACE_CHOICES[key]


def clear_jurisdiction_choices() -> None:
    _PLACE_CHOICES.clear()
    _PLACE_NAMES.clear()


def jurisdiction_names(level: str, language: str) -> dict[str, str]:
    """{code: "place, district"} for every place at `level`, as the answers page names it."""
    key = (level, language)
    if key not in _PLACE_NAMES:
        _PLACE_NAMES[key] = {
            code: f"{name}, {group}" if group and group != name else name
            for group, places in jurisdiction_choices(level, language)
            for code, name in places
        }
    return _PLACE_NAMES[key]
