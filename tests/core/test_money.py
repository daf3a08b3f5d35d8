"""Money in whole paise, shown as rupees with Indian grouping."""

from __future__ import annotations

from decimal import Decimal

import pytest

from seva.core.money import has_at_most_two_decimals, paise_from_rupees, rupees


@pytest.mark.parametrize(
    ("paise", "shown"),
    [
        (0, "0"),
        (5, "0.05"),
        (50, "0.50"),
        (100, "1"),
        (125_000, "1,250"),
        (125_050, "1,250.50"),
        (100_000_00, "1,00,000"),
        (125_000_00, "1,25,000"),
        (1_00_00_000_00, "1,00,00,000"),
        (12_34_56_789_01, "12,34,56,789.01"),
        (-125_050, "-1,250.50"),
    ],
)
def test_rupees_are_grouped_in_lakhs_and_crores_and_whole_rupees_have_no_paise(paise, shown):
    assert rupees(paise) == shown


def test_rupees_take_whole_paise_only():
    with pytest.raises(TypeError):
        rupees(12.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        rupees(True)


@pytest.mark.parametrize(
    ("value", "paise"),
    [
        (500, 50_000),
        (1250.5, 125_050),
        ("1250.50", 125_050),
        (Decimal("0.005"), 1),  # half a paisa rounds up
        (0.1 + 0.2, 30),  # the float's shortest text, 0.30000000000000004, is 30 paise
        (12.344, 1234),
    ],
)
def test_rupees_from_a_definition_become_whole_paise_once(value, paise):
    assert paise_from_rupees(value) == paise


@pytest.mark.parametrize("value", [True, "ten", float("nan"), float("inf")])
def test_what_is_not_an_amount_is_refused(value):
    with pytest.raises(ValueError):
        paise_from_rupees(value)


def test_at_most_two_decimals():
    assert has_at_most_two_decimals(1250.5) and has_at_most_two_decimals(7)
    assert not has_at_most_two_decimals(12.505)
    assert not has_at_most_two_decimals("abc")
