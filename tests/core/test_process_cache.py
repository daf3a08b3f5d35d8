"""The per-process caches of the place tree, the holidays and the sites (issue 20): a change
is seen at once by the process that made it, and by every other process within the check
interval, through the generation number in the shared cache."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import override_settings

from seva.core.process_cache import GENERATION_KEY, ProcessCache, process_caches_changed
from seva.org.models import Holiday, Jurisdiction, JurisdictionLevel
from seva.org.selectors import place_chain, working_calendar_for


@pytest.mark.django_db
def test_a_place_is_read_once_and_then_from_the_process_cache(django_assert_num_queries):
    tehsil = Jurisdiction.objects.filter(level=JurisdictionLevel.TEHSIL).first()
    first = place_chain(tehsil.code)
    assert first[-1].code == tehsil.code
    assert first[0].level == JurisdictionLevel.STATE
    with django_assert_num_queries(0):
        again = place_chain(tehsil.code)
    assert [j.pk for j in again] == [j.pk for j in first]
    assert again[-1] is not first[-1]  # a fresh instance each time: nobody shares one
    assert place_chain("NO-SUCH-PLACE") == []


@pytest.mark.django_db
def test_a_holiday_added_here_moves_the_calendar_at_once():
    tehsil = Jurisdiction.objects.filter(level=JurisdictionLevel.TEHSIL).first()
    day = dt.date(2031, 3, 4)
    assert working_calendar_for(tehsil).is_working_day(day)
    Holiday.objects.create(date=day, name_en="A new holiday", name_hi="नई छुट्टी")
    assert not working_calendar_for(tehsil).is_working_day(day)


@pytest.mark.django_db
@override_settings(SEVA_PROCESS_CACHE_CHECK_SECONDS=0)
def test_a_change_made_by_another_process_is_seen_once_the_generation_moves():
    tehsil = Jurisdiction.objects.filter(level=JurisdictionLevel.TEHSIL).first()
    assert place_chain(tehsil.code)[-1].name_en == tehsil.name_en
    # Another process renames it: this process saw no signal, and still has the old name.
    Jurisdiction.objects.filter(pk=tehsil.pk).update(name_en="Renamed elsewhere")
    assert place_chain(tehsil.code)[-1].name_en == tehsil.name_en
    # That process moved the shared generation: the next read here drops the old copy.
    cache.set(GENERATION_KEY, (cache.get(GENERATION_KEY) or 0) + 1, timeout=None)
    assert place_chain(tehsil.code)[-1].name_en == "Renamed elsewhere"


@pytest.mark.django_db
@override_settings(SEVA_PROCESS_CACHE_CHECK_SECONDS=3600)
def test_between_checks_a_process_keeps_its_copy_and_a_local_change_drops_it():
    kept: ProcessCache[int] = ProcessCache("test values")
    calls = []
    assert kept.get("k", lambda: calls.append(1) or len(calls)) == 1
    cache.set(GENERATION_KEY, 12345, timeout=None)  # another process, not yet checked
    assert kept.get("k", lambda: calls.append(1) or len(calls)) == 1
    process_caches_changed()  # a change made here
    assert kept.get("k", lambda: calls.append(1) or len(calls)) == 2


def test_a_cache_keeps_at_most_its_size():
    kept: ProcessCache[int] = ProcessCache("bounded", maxsize=3)
    for n in range(10):
        kept.get(n, lambda n=n: n)
    assert len(kept) == 3
