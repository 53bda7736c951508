"""The risk rules as pure functions, so each boundary is tested exactly.

All percentages are of the subscription's own equity: its starting amount plus the P&L of what it
copied (see equity.py). A rule fires AT its boundary, not only past it.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

HUNDRED = Decimal(100)
WARNING_LEVELS = (80, 50)  # % of the drawdown limit, highest first


def stop_loss_hit(start: Decimal, equity: Decimal, stop_loss_pct: Decimal | None) -> Decimal | None:
    """The threshold equity when the stop-loss fires, else None."""
    if not stop_loss_pct or start <= 0:
        return None
    threshold = start * (HUNDRED - stop_loss_pct) / HUNDRED
    return threshold if equity <= threshold else None


def take_profit_hit(start: Decimal, equity: Decimal, take_profit_pct: Decimal | None) -> Decimal | None:
    if not take_profit_pct or start <= 0:
        return None
    threshold = start * (HUNDRED + take_profit_pct) / HUNDRED
    return threshold if equity >= threshold else None


def drawdown_pct(peak: Decimal, equity: Decimal) -> Decimal:
    return max((peak - equity) / peak * HUNDRED, Decimal(0)) if peak > 0 else Decimal(0)


@dataclass(frozen=True, slots=True)
class DrawdownCheck:
    peak: Decimal  # the new peak (a new high resets the warnings)
    drawdown_pct: Decimal
    warn_level: int | None  # 50 or 80 when a warning is due now
    warned: int  # what to store as already warned
    breached: bool  # at or past the limit


def check_drawdown(peak: Decimal, equity: Decimal, limit_pct: Decimal | None, warned: int) -> DrawdownCheck:
    """Warnings at 50 % and 80 % of the limit, each once per peak; a breach at 100 %."""
    if equity > peak:
        return DrawdownCheck(equity, Decimal(0), None, 0, False)
    dd = drawdown_pct(peak, equity)
    if not limit_pct:
        return DrawdownCheck(peak, dd, None, warned, False)
    level = next((lvl for lvl in WARNING_LEVELS if dd >= limit_pct * lvl / HUNDRED), 0)
    return DrawdownCheck(
        peak, dd,
        warn_level=level if level > warned else None,
        warned=max(level, warned),
        breached=dd >= limit_pct,
    )


def window_drawdown(equities: list[Decimal]) -> Decimal:
    """Drawdown of the last equity from the highest one in the window (trader suspension)."""
    if not equities:
        return Decimal(0)
    return drawdown_pct(max(equities), equities[-1])
