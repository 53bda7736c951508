"""Decimal helpers. Money never passes through float."""
from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal, InvalidOperation

ZERO = Decimal(0)


def to_decimal(value: object) -> Decimal | None:
    """Exchange numbers arrive as str, int, float or None; go through str so floats keep their digits."""
    if value is None or value.__class__ is Decimal:
        return value  # type: ignore[return-value]
    if value.__class__ is not str:
        value = str(value)  # an int, a float (its shortest repr keeps the digits), a Decimal subclass
    elif not value:
        return None
    try:
        return Decimal(value)  # type: ignore[arg-type]
    except InvalidOperation:
        return None


def floor_to_step(value: Decimal, step: Decimal) -> Decimal:
    """Largest multiple of `step` not above `value` (how exchanges truncate amounts)."""
    if step <= 0:
        return value
    return (value / step).to_integral_value(rounding=ROUND_DOWN) * step


def ceil_to_step(value: Decimal, step: Decimal) -> Decimal:
    if step <= 0:
        return value
    return (value / step).to_integral_value(rounding=ROUND_UP) * step


def round_to_step(value: Decimal, step: Decimal) -> Decimal:
    """The nearest multiple of `step`, halves up (how ccxt rounds a price to the tick)."""
    if step <= 0:
        return value
    return (value / step).to_integral_value(rounding=ROUND_HALF_UP) * step


def plain(value: Decimal) -> str:
    """A Decimal without exponent or trailing zeros (60000.00000000 → 60000, 1E+2 → 100), as exchanges read it."""
    return f"{value.normalize():f}"


def fmt(value: Decimal, places: int = 2) -> str:
    """Fixed-point text for messages, never scientific notation."""
    return f"{value.quantize(Decimal(1).scaleb(-places)):f}"
