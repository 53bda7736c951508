"""Trading statistics over closed trades: win rate, activity and holding time.

A trade here is a whole position, from the first order that opened it to the last that closed it.
Timestamps are bucketed into UTC days; naive datetimes are taken as UTC already.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, localcontext

from core.analytics.returns import PRECISION
from core.money import ZERO

WEEK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class ClosedTrade:
    opened_at: datetime
    closed_at: datetime
    profit: Decimal


def utc_day(moment: datetime) -> date:
    """The UTC calendar day of a timestamp (naive ones are already UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.date()


def is_win(trade: ClosedTrade) -> bool:
    """The help centre counts a break-even trade (profit = 0) as a win."""
    return trade.profit >= ZERO


def win_rate(trades: Sequence[ClosedTrade]) -> Decimal | None:
    """Winning trades ÷ all trades, as a fraction; None before the first trade."""
    if not trades:
        return None
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return Decimal(sum(1 for t in trades if is_win(t))) / len(trades)


def trade_days(trades: Sequence[ClosedTrade]) -> set[date]:
    """UTC days on which a position was opened or closed: the days the trader actually acted."""
    return {utc_day(t.opened_at) for t in trades} | {utc_day(t.closed_at) for t in trades}


def trading_days(trades: Sequence[ClosedTrade]) -> int:
    """How many days had at least one trade (an opening or a closing)."""
    return len(trade_days(trades))


def weekly_trade_frequency(trades: Sequence[ClosedTrade], now: datetime) -> Decimal:
    """Trades per week from the first opening until `now`; a history shorter than a week counts as one week.

    Measuring up to `now` (not to the last trade) lets the figure fall while a trader sits idle.
    """
    if not trades:
        return ZERO
    first = min(t.opened_at for t in trades)
    span = max(now - first, WEEK)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        weeks = Decimal(span // timedelta(microseconds=1)) / Decimal(WEEK // timedelta(microseconds=1))
        return Decimal(len(trades)) / weeks


def average_holding_period(trades: Sequence[ClosedTrade]) -> timedelta | None:
    """Mean time from opening to closing a position; None before the first trade."""
    if not trades:
        return None
    return sum((t.closed_at - t.opened_at for t in trades), timedelta()) / len(trades)


def last_trade_at(trades: Sequence[ClosedTrade]) -> datetime | None:
    """When the most recent position was closed."""
    return max((t.closed_at for t in trades), default=None)
