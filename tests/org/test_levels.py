"""The place tree's levels are named once (seva.core.levels): the organisation's choices,
the definitions' checks and the builder's lists agree with them."""

from seva.core.levels import LEVELS, PROCESSING_LEVELS
from seva.org.models import JurisdictionLevel


def test_the_organisations_levels_are_the_named_ones_in_order():
    assert tuple(JurisdictionLevel.values) == LEVELS
    assert tuple(level for level in LEVELS if level != "village") == PROCESSING_LEVELS
