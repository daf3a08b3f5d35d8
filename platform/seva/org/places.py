"""The places a form's place picker offers, from the jurisdiction tree: registered with the
form layer (`seva.formschemas.places.PLACE_SOURCES`) when Django starts."""

from __future__ import annotations

from seva.formschemas.places import PLACE_SOURCES, PlaceGroups

from .models import Jurisdiction, JurisdictionLevel

# Below this level a place list is grouped by district.
_GROUPED_LEVELS = frozenset(
    {JurisdictionLevel.SUBDIVISION, JurisdictionLevel.TEHSIL, JurisdictionLevel.VILLAGE}
)


@PLACE_SOURCES.register("jurisdictions")
def places_at(level: str, language: str) -> PlaceGroups:
    """[(district name, [(code, place name)])] for every place at `level`, by name."""

    def name(name_en: str, name_hi: str) -> str:
        return (name_hi if language == "hi" else "") or name_en

    places = Jurisdiction.objects.filter(level=level).values_list(
        "code", "name_en", "name_hi", "path"
    )
    if level not in _GROUPED_LEVELS:
        return [("", sorted(((c, name(en, hi)) for c, en, hi, _p in places), key=_by_name))]
    districts = {
        code: name(en, hi)
        for code, en, hi in Jurisdiction.objects.filter(
            level=JurisdictionLevel.DISTRICT
        ).values_list("code", "name_en", "name_hi")
    }
    groups: dict[str, list[tuple[str, str]]] = {}
    for code, en, hi, path in places:
        district = next((c for c in path.strip("/").split("/") if c in districts), "")
        groups.setdefault(districts.get(district, ""), []).append((code, name(en, hi)))
    return [
        (group, sorted(options, key=_by_name))
        for group, options in sorted(groups.items(), key=lambda item: item[0].casefold())
    ]


def _by_name(option: tuple[str, str]) -> str:
    return option[1].casefold()
