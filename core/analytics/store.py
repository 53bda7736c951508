"""Reports from the database: equity snapshots and trades in, `StrategyReport` out.

A strategy's trades are the master's round trips, rebuilt from its fill events (a trade opens when
the position leaves zero and closes when it returns to zero, partial exits included); a
subscription's trades are its closed copied positions, net of fees.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from core.analytics.report import StrategyReport, performance_report
from core.analytics.returns import EquityPoint
from core.analytics.trades import ClosedTrade
from core.db.models import AccountTransfer, EquitySnapshot, MasterEvent, Position, Strategy, Subscription
from core.money import ZERO


def daily_points(snapshots: Iterable[EquitySnapshot]) -> list[EquityPoint]:
    """One point per UTC day: the day's last snapshot, with that day's transfers summed."""
    days: dict = {}
    for snap in sorted(snapshots, key=lambda s: s.taken_at):
        day = snap.taken_at.date()
        previous = days.get(day)
        deposits = Decimal(snap.deposits) + (previous.deposits if previous else ZERO)
        withdrawals = Decimal(snap.withdrawals) + (previous.withdrawals if previous else ZERO)
        days[day] = EquityPoint(day, Decimal(snap.equity), deposits, withdrawals)
    return list(days.values())


def round_trips(fills: Sequence[MasterEvent]) -> list[ClosedTrade]:
    """The master's closed trades from its fills in order (signed position, cash flow per trip)."""
    trades: list[ClosedTrade] = []
    position, cash, opened = ZERO, ZERO, None
    for fill in fills:
        quantity = Decimal(fill.amount) if fill.side == "buy" else -Decimal(fill.amount)
        if position == 0:
            opened, cash = fill.occurred_at, ZERO
        cash -= quantity * Decimal(fill.price or 0)
        position += quantity
        if position == 0 and opened is not None:
            trades.append(ClosedTrade(opened, fill.occurred_at, cash))
            opened = None
    return trades


async def strategy_report(strategy: Strategy, now: datetime) -> StrategyReport:
    snaps = await EquitySnapshot.filter(strategy_id=strategy.id, subscription_id=None, period="daily")
    fills = await MasterEvent.filter(strategy_id=strategy.id, kind="fill").order_by("occurred_at", "id")
    return performance_report(daily_points(snaps), round_trips(fills), now)


async def net_transfers(subscription: Subscription) -> Decimal:
    """Deposits less withdrawals that changed the subscription's capital (core/transfers.py)."""
    total = ZERO
    for kind, value in await AccountTransfer.filter(subscription_id=subscription.id).values_list("kind", "value"):
        total += Decimal(value) if kind == "deposit" else -Decimal(value)
    return total


async def subscription_report(subscription: Subscription, now: datetime) -> StrategyReport:
    snaps = await EquitySnapshot.filter(subscription_id=subscription.id, period="daily")
    closed = await Position.filter(subscription_id=subscription.id, closed_at__not_isnull=True)
    trades = [ClosedTrade(p.opened_at, p.closed_at, Decimal(p.realized_pnl) - Decimal(p.fees)) for p in closed]  # type: ignore[arg-type]
    # start_equity moves with each transfer; the first day starts from what the subscription began with
    opening = Decimal(subscription.start_equity) - await net_transfers(subscription)
    return performance_report(daily_points(snaps), trades, now, opening_equity=opening)
