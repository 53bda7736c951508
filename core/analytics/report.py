"""One bundle with every figure the strategy card and the portfolio show, computed in one pass."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from core.analytics.returns import (
    DailyReturn,
    EquityPoint,
    MonthlyReturn,
    cumulative_yields,
    daily_returns,
    monthly_returns,
    total_return,
    total_yield,
)
from core.analytics.risk import annual_return, annual_volatility, max_drawdown, sharpe_ratio, sortino_ratio
from core.analytics.score import leaderboard_score, risk_level
from core.analytics.trades import (
    ClosedTrade,
    average_holding_period,
    is_win,
    last_trade_at,
    trading_days,
    utc_day,
    weekly_trade_frequency,
    win_rate,
)
from core.money import ZERO


@dataclass(frozen=True, slots=True)
class StrategyReport:
    """Fractions are plain (0.05 = 5 %); None means "not enough history yet" and renders as a dash."""

    total_return: Decimal
    total_yield: Decimal
    daily: tuple[DailyReturn, ...]
    yield_curve: tuple[tuple[date, Decimal], ...]
    monthly_returns: tuple[MonthlyReturn, ...]
    max_drawdown: Decimal | None
    sharpe: Decimal | None
    sortino: Decimal | None
    annual_return: Decimal | None
    annual_volatility: Decimal | None
    win_rate: Decimal | None
    trades: int
    winning_trades: int
    trading_days: int
    weekly_trade_frequency: Decimal
    average_holding: timedelta | None
    last_trade_at: datetime | None
    risk_level: int | None
    score: Decimal


def performance_report(
    points: Iterable[EquityPoint],
    trades: Sequence[ClosedTrade],
    now: datetime,
    opening_equity: Decimal = ZERO,
) -> StrategyReport:
    """Everything for one strategy or one subscription, from its equity history and closed trades."""
    daily = daily_returns(points, opening_equity)
    values = [r.value for r in daily]
    return StrategyReport(
        total_return=total_return(daily),
        total_yield=total_yield(daily),
        daily=tuple(daily),
        yield_curve=tuple(cumulative_yields(daily)),
        monthly_returns=tuple(monthly_returns(daily)),
        max_drawdown=max_drawdown(values),
        sharpe=sharpe_ratio(values),
        sortino=sortino_ratio(values),
        annual_return=annual_return(values),
        annual_volatility=annual_volatility(values),
        win_rate=win_rate(trades),
        trades=len(trades),
        winning_trades=sum(1 for t in trades if is_win(t)),
        trading_days=trading_days(trades),
        weekly_trade_frequency=weekly_trade_frequency(trades, now),
        average_holding=average_holding_period(trades),
        last_trade_at=last_trade_at(trades),
        risk_level=risk_level(values),
        score=leaderboard_score(daily, trades, utc_day(now)),
    )
