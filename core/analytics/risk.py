"""Risk metrics on daily returns, in Decimal, with empyrical-reloaded's definitions.

Each function mirrors the empyrical function of the same name called with `period='daily'`,
`annualization=365` (crypto trades every calendar day) and a zero risk-free / required return,
so the figures agree with the reference library (tests/test_analytics_empyrical.py checks it)
without the product depending on numpy or pandas.

Where empyrical answers NaN or ±inf (too few days, no dispersion, no losing day) these return None:
the card shows a dash instead of a number nobody can act on.
"""
from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, localcontext

from core.analytics.returns import ONE, PRECISION
from core.money import ZERO

#: Days per year: crypto markets never close.
ANNUALIZATION = 365


def _mean(values: Sequence[Decimal]) -> Decimal:
    return sum(values, ZERO) / len(values)


def _sample_std(values: Sequence[Decimal]) -> Decimal:
    """Standard deviation with ddof=1, as empyrical's nanstd(ddof=1); exactly 0 for identical values."""
    mean = _mean(values)
    return (sum(((v - mean) ** 2 for v in values), ZERO) / (len(values) - 1)).sqrt()


def sharpe_ratio(returns: Sequence[Decimal]) -> Decimal | None:
    """mean(r) ÷ std(r, ddof=1) × √365; None with fewer than 2 days or when every day is the same."""
    if len(returns) < 2:
        return None
    with localcontext() as ctx:
        ctx.prec = PRECISION
        std = _sample_std(returns)
        if std == 0:
            return None
        return _mean(returns) / std * Decimal(ANNUALIZATION).sqrt()


def downside_risk(returns: Sequence[Decimal]) -> Decimal | None:
    """√(mean(min(r, 0)²)) × √365, the mean taken over all days (empyrical's downside deviation)."""
    if not returns:
        return None
    with localcontext() as ctx:
        ctx.prec = PRECISION
        squares = [min(r, ZERO) ** 2 for r in returns]
        return _mean(squares).sqrt() * Decimal(ANNUALIZATION).sqrt()


def sortino_ratio(returns: Sequence[Decimal]) -> Decimal | None:
    """mean(r) × 365 ÷ downside risk; None with fewer than 2 days or no losing day."""
    if len(returns) < 2:
        return None
    with localcontext() as ctx:
        ctx.prec = PRECISION
        risk = downside_risk(returns)
        if risk is None or risk == 0:
            return None
        return _mean(returns) * ANNUALIZATION / risk


def max_drawdown(returns: Sequence[Decimal]) -> Decimal | None:
    """Deepest fall of the chained-yield curve from its running peak, as a fraction ≤ 0.

    Empyrical's sign convention: −0.25 means the account once stood 25 % below its best value.
    The curve starts at 1 (before the first day), so a loss on day one counts. 0 if it never fell.
    """
    if not returns:
        return None
    with localcontext() as ctx:
        ctx.prec = PRECISION
        wealth = peak = ONE
        worst = ZERO
        for r in returns:
            wealth *= ONE + r
            peak = max(peak, wealth)
            worst = min(worst, (wealth - peak) / peak)
        return worst


def annual_return(returns: Sequence[Decimal]) -> Decimal | None:
    """Compound annual growth rate: (∏(1 + r))^(365 / days) − 1; −1 once everything was lost."""
    if not returns:
        return None
    with localcontext() as ctx:
        ctx.prec = PRECISION
        growth = ONE
        for r in returns:
            growth *= ONE + r
        if growth <= 0:
            return -ONE
        return growth ** (Decimal(ANNUALIZATION) / len(returns)) - ONE


def annual_volatility(returns: Sequence[Decimal]) -> Decimal | None:
    """std(r, ddof=1) × √365; None with fewer than 2 days."""
    if len(returns) < 2:
        return None
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return _sample_std(returns) * Decimal(ANNUALIZATION).sqrt()
