"""Leaderboard score and risk level: how the bot ranks traders and labels their risk.

Both are product choices, not spec formulas; docs/analytics.md explains them with examples.
The leaderboard ranks by return per unit of drawdown, not raw profit, so a steady trader beats
a gambler who got lucky once.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal, localcontext

from core.analytics.returns import ONE, PRECISION, DailyReturn, chain
from core.analytics.risk import annual_volatility, max_drawdown
from core.analytics.trades import ClosedTrade, trade_days
from core.money import ZERO

#: Upper bounds (inclusive) of annualized volatility for risk levels 1..9; above the last is level 10.
VOLATILITY_BOUNDS: tuple[Decimal, ...] = tuple(
    Decimal(v) for v in ("0.05", "0.10", "0.15", "0.20", "0.30", "0.40", "0.55", "0.75", "1.00")
)
#: Upper bounds (inclusive) of the maximum drawdown's depth for risk levels 1..9; deeper is level 10.
DRAWDOWN_BOUNDS: tuple[Decimal, ...] = tuple(
    Decimal(v) for v in ("0.02", "0.05", "0.08", "0.12", "0.16", "0.22", "0.30", "0.40", "0.55")
)

SHORT_WINDOW_DAYS = 30
LONG_WINDOW_DAYS = 90
SHORT_WEIGHT = Decimal("0.4")
LONG_WEIGHT = Decimal("0.6")
#: A drawdown shallower than this counts as this deep, so a few lucky flat days cannot score near infinity.
DRAWDOWN_FLOOR = Decimal("0.02")
#: Trading days within the long window needed for a positive score to count in full.
FULL_ACTIVITY_DAYS = 20
MONTH_DAYS = 30


def _level(value: Decimal, bounds: Sequence[Decimal]) -> int:
    return 1 + sum(1 for bound in bounds if value > bound)


def risk_level_from(volatility: Decimal, drawdown: Decimal) -> int:
    """Risk level 1..10: the higher of the volatility level and the drawdown level.

    `drawdown` may be given with either sign (empyrical reports it ≤ 0); only its depth matters.
    """
    return max(_level(volatility, VOLATILITY_BOUNDS), _level(abs(drawdown), DRAWDOWN_BOUNDS))


def risk_level(returns: Sequence[Decimal]) -> int | None:
    """Risk level of a daily-return history; None until there are two days to measure."""
    volatility = annual_volatility(returns)
    drawdown = max_drawdown(returns)
    if volatility is None or drawdown is None:
        return None
    return risk_level_from(volatility, drawdown)


def _window(returns: Sequence[DailyReturn], as_of: date, days: int) -> list[Decimal]:
    start = as_of - timedelta(days=days)
    return [r.value for r in sorted(returns, key=lambda r: r.day) if start < r.day <= as_of]


def window_ratio(values: Sequence[Decimal], days: int) -> Decimal:
    """Average monthly yield over a `days`-long window divided by the window's drawdown depth (floored).

    The yield is spread over the full window even when the history is shorter, so a newcomer's
    first good week does not outrank a quarter of steady work.
    """
    if not values:
        return ZERO
    with localcontext() as ctx:
        ctx.prec = PRECISION
        growth = ONE + chain(values)
        monthly = growth ** (Decimal(MONTH_DAYS) / days) - ONE if growth > 0 else -ONE
        depth = -(max_drawdown(values) or ZERO)
        return monthly / max(depth, DRAWDOWN_FLOOR)


def leaderboard_score(returns: Sequence[DailyReturn], trades: Sequence[ClosedTrade], as_of: date) -> Decimal:
    """0.4 × ratio(last 30 days) + 0.6 × ratio(last 90 days), a positive result scaled by activity.

    Activity = min(1, trading days in the last 90 days ÷ 20): a trader who barely trades cannot
    top the board on a handful of days. Negative scores are left unscaled, so inactivity never
    lifts a losing trader.
    """
    with localcontext() as ctx:
        ctx.prec = PRECISION
        score = SHORT_WEIGHT * window_ratio(_window(returns, as_of, SHORT_WINDOW_DAYS), SHORT_WINDOW_DAYS) + (
            LONG_WEIGHT * window_ratio(_window(returns, as_of, LONG_WINDOW_DAYS), LONG_WINDOW_DAYS)
        )
        if score <= 0:
            return score
        start = as_of - timedelta(days=LONG_WINDOW_DAYS)
        active = sum(1 for day in trade_days(trades) if start < day <= as_of)
        return score * min(ONE, Decimal(active) / FULL_ACTIVITY_DAYS)
