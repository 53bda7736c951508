"""Daily yield, chained (cumulative) yield, monthly returns and total return.

The help centre defines the daily yield of an account as
    (assets_end − assets_start − deposits + withdrawals) ÷ (assets_start + deposits)
so money moved in or out is not mistaken for profit, and chains the days as
    Y = (Y_prev + 1)(daily + 1) − 1.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

from core.money import ZERO

ONE = Decimal(1)
#: Working precision for ratios; far above what money needs, so chaining hundreds of days loses nothing visible.
PRECISION = 40


@dataclass(frozen=True, slots=True)
class EquityPoint:
    """One UTC day of an account: total assets at the end of the day and the money moved that day."""

    day: date
    equity: Decimal
    deposits: Decimal = ZERO
    withdrawals: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class DailyReturn:
    """The outcome of one day: `pnl` in account currency and `value` as a fraction (0.01 = +1 %)."""

    day: date
    pnl: Decimal
    value: Decimal


@dataclass(frozen=True, slots=True)
class MonthlyReturn:
    """The days of one calendar month chained into one fraction."""

    year: int
    month: int
    value: Decimal

    @property
    def label(self) -> str:
        """Language-neutral label for chart axes (month names would need translating)."""
        return f"{self.year:04d}-{self.month:02d}"


def daily_yield(start: Decimal, end: Decimal, deposits: Decimal = ZERO, withdrawals: Decimal = ZERO) -> Decimal | None:
    """The spec's daily yield; None when there was no capital at work (nothing to divide by)."""
    base = start + deposits
    if base <= 0:
        return None
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return (end - start - deposits + withdrawals) / base


def daily_returns(points: Iterable[EquityPoint], opening_equity: Decimal = ZERO) -> list[DailyReturn]:
    """Turn end-of-day equity points into daily returns.

    Each day starts with the previous point's equity (the first with `opening_equity`). A day without
    capital at work (start + deposits ≤ 0) has no yield and is left out rather than counted as 0 %,
    so a history that begins with a bare snapshot just uses it as the baseline. Missing calendar days
    fold into the next point's period. Points must not repeat a day.
    """
    ordered = sorted(points, key=lambda p: p.day)
    out: list[DailyReturn] = []
    start = opening_equity
    previous: date | None = None
    for point in ordered:
        if point.day == previous:
            raise ValueError(f"two equity points for {point.day.isoformat()}")
        value = daily_yield(start, point.equity, point.deposits, point.withdrawals)
        if value is not None:
            pnl = point.equity - start - point.deposits + point.withdrawals
            out.append(DailyReturn(point.day, pnl, value))
        start = point.equity
        previous = point.day
    return out


def chain(values: Iterable[Decimal]) -> Decimal:
    """Compound fractions: Y = (Y_prev + 1)(r + 1) − 1, starting from Y = 0."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        growth = ONE
        for value in values:
            growth *= ONE + value
        return growth - ONE


def cumulative_yields(returns: Sequence[DailyReturn]) -> list[tuple[date, Decimal]]:
    """The chained yield after each day: the yield curve the strategy card draws."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        growth = ONE
        curve: list[tuple[date, Decimal]] = []
        for r in returns:
            growth *= ONE + r.value
            curve.append((r.day, growth - ONE))
        return curve


def total_yield(returns: Sequence[DailyReturn]) -> Decimal:
    """Chained yield over the whole history (0 when there is none)."""
    return chain(r.value for r in returns)


def total_return(returns: Sequence[DailyReturn]) -> Decimal:
    """All-time profit in account currency: the sum of the daily P&L, deposits and withdrawals excluded."""
    return sum((r.pnl for r in returns), ZERO)


def monthly_returns(returns: Sequence[DailyReturn]) -> list[MonthlyReturn]:
    """Chain the daily yields inside each calendar month (days are UTC dates), oldest month first."""
    months: dict[tuple[int, int], list[Decimal]] = {}
    for r in sorted(returns, key=lambda r: r.day):
        months.setdefault((r.day.year, r.day.month), []).append(r.value)
    return [MonthlyReturn(year, month, chain(values)) for (year, month), values in months.items()]
