"""Exact numbers for scoring: Decimal in, plain JSON numbers out, rounding as score manuals do."""

from decimal import ROUND_HALF_UP, Decimal


def number(value: Decimal) -> int | float:
    """A Decimal as the plainest JSON number: an int when it is integral."""
    return int(value) if value == value.to_integral_value() else float(value)


def round_half_up(value: Decimal, digits: int) -> Decimal:
    """Round as score manuals do (2.5 -> 3), never Python's banker's rounding (round(2.5) == 2)."""
    return value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
