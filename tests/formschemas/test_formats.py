"""Formats for Indian data, checked the way a browser and a clerk would expect."""

import pytest

from seva.formschemas.formats import (
    is_aadhaar,
    is_date,
    is_mobile,
    is_pincode,
    mask_aadhaar,
    verhoeff_check_digit,
    verhoeff_valid,
)


@pytest.mark.parametrize("number", ["234567890124", "543210987652", "987654321012"])
def test_aadhaar_numbers_with_a_correct_verhoeff_digit_pass(number):
    assert is_aadhaar(number)


@pytest.mark.parametrize(
    "number,why",
    [
        ("234567890123", "wrong check digit"),
        ("234567890142", "two digits swapped"),
        ("134567890124", "Aadhaar never starts with 0 or 1"),
        ("23456789012", "too short"),
        ("2345 6789 0124", "spaces"),
        ("२३४५६७८९०१२४", "Devanagari digits"),
        ("234567890124\n", "trailing newline"),
    ],
)
def test_aadhaar_numbers_that_are_wrong_fail(number, why):
    assert not is_aadhaar(number), why


def test_the_verhoeff_check_digit_catches_every_single_digit_error():
    base = "23456789012"
    number = base + verhoeff_check_digit(base)
    assert verhoeff_valid(number)
    for position in range(len(number)):
        for digit in "0123456789":
            if digit != number[position]:
                changed = number[:position] + digit + number[position + 1 :]
                assert not verhoeff_valid(changed)


def test_only_the_last_four_aadhaar_digits_are_kept():
    assert mask_aadhaar("234567890124") == "XXXXXXXX0124"


@pytest.mark.parametrize(
    "value,ok",
    [
        ("9812345678", True),
        ("6000000000", True),
        ("5812345678", False),
        ("981234567", False),
        ("९८१२३४५६७८", False),
        ("+919812345678", False),
    ],
)
def test_mobile_numbers(value, ok):
    assert is_mobile(value) is ok


@pytest.mark.parametrize(
    "value,ok",
    [("133005", True), ("560001", True), ("5६0001", False), ("033005", False), ("13300", False)],
)
def test_pin_codes_take_ascii_digits_only(value, ok):
    assert is_pincode(value) is ok


@pytest.mark.parametrize(
    "value,ok",
    [
        ("2026-02-28", True),
        ("2024-02-29", True),
        ("2026-02-29", False),
        ("28-02-2026", False),
        ("2026-2-28", False),
    ],
)
def test_dates(value, ok):
    assert _safe_is_date(value) is ok


def _safe_is_date(value):
    try:
        return is_date(value)
    except ValueError:
        return False
