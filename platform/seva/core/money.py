"""Money as Seva keeps it and shows it.

Amounts are whole paise in integers everywhere (`amount_paise`), never floats: a float
cannot hold 0.10 exactly, and a fee worked out as 1,250.1 + 0.2 must not become 1,250.29.
Definition files write rupees (at most two decimals); `paise_from_rupees` converts once.
People read rupees with Indian grouping (`rupees`)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

PAISE_PER_RUPEE = 100


def paise_from_rupees(value: int | float | str | Decimal) -> int:
    """Rupees (a number, as a definition writes it or an expression gives it) as whole
    paise, rounded half up to the paisa: 1250.5 -> 125050, 0.005 -> 1. Through the number's
    shortest text, so that a float such as 0.1 + 0.2 counts as the 0.3 it was meant to be.
    Raises ValueError for what is not a finite number (True and False are not numbers)."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not an amount of rupees")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount of rupees") from None
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not an amount of rupees")
    return int(amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * PAISE_PER_RUPEE)


def has_at_most_two_decimals(value: int | float | str | Decimal) -> bool:
    """Whether rupees written as `value` are a whole number of paise (1250.50, not 12.505)."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return False
    return amount.is_finite() and amount == amount.quantize(Decimal("0.01"))


def _grouped(digits: str) -> str:
    """1,25,000: the last three digits, then pairs (the Indian system of lakhs and crores)."""
    head, tail = digits[:-3], digits[-3:]
    pairs: list[str] = []
    while len(head) > 2:
        pairs.insert(0, head[-2:])
        head = head[:-2]
    if head:
        pairs.insert(0, head)
    return ",".join([*pairs, tail])


def rupees(paise: int) -> str:
    """Paise as rupees for people, with Indian grouping and no currency sign (the words
    around it say "Rs" or "₹"): 125000 -> "1,250", 125050 -> "1,250.50", 12500000 ->
    "1,25,000", 5 -> "0.05", -125050 -> "-1,250.50". Whole rupees are written without
    ".00", as a receipt or an SMS reads them; any paise are written as two digits."""
    if isinstance(paise, bool) or not isinstance(paise, int):
        raise TypeError(f"an amount in paise is a whole number, not {paise!r}")
    sign = "-" if paise < 0 else ""
    whole, part = divmod(abs(paise), PAISE_PER_RUPEE)
    text = _grouped(str(whole))
    return f"{sign}{text}.{part:02d}" if part else f"{sign}{text}"
