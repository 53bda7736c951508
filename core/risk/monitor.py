"""Applies the risk rules: called by the scheduler's intraday job and by the engine's failure events.

Each trigger changes state once and tells the follower (and the admin chat where it matters):
- stop-loss / take-profit: the subscription is stopped and its positions are closed;
- drawdown: warnings at 50 % and 80 % of the limit, then pause or stop as the subscription chose;
- insufficient funds on a copy order: the subscription is paused with that reason;
- a trader whose equity fell more than the platform threshold within the rolling window is
  suspended (new copy orders stop for every follower; positions stay open) until resumed.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal

from core.bus import EventBus
from core.config import Limits
from core.db.models import EquitySnapshot, Strategy, StrategyStatus, Subscription, SubscriptionStatus
from core.events import (
    CopyFailed,
    DrawdownWarning,
    Event,
    StopLossHit,
    TakeProfitHit,
    TraderResumed,
    TraderSuspended,
    about,
    utcnow,
)
from core.logging import correlate
from core.risk.equity import PriceOf, subscription_equity
from core.risk.rules import check_drawdown, stop_loss_hit, take_profit_hit, window_drawdown
from core.services.subscriptions import SubscriptionControl

log = logging.getLogger(__name__)
Stopper = Callable[[Subscription, str], Awaitable[object]]  # close positions and end the subscription
PAUSE_ON_FAILURE = {"insufficient_funds": "insufficient_funds", "stop_out": "stop_out"}


class RiskMonitor:
    def __init__(self, bus: EventBus, control: SubscriptionControl, stop: Stopper, limits: Limits) -> None:
        self.bus = bus
        self.control = control
        self.stop = stop
        self.limits = limits
        bus.subscribe(self.on_copy_failed, CopyFailed)

    async def check_subscription(self, sub: Subscription, price_of: PriceOf) -> Decimal:
        """Evaluate one live subscription against its own limits; returns its equity."""
        with correlate(subscription=sub.id):
            equity = await subscription_equity(sub, price_of)
            start = Decimal(sub.start_equity)
            ids = about(sub)
            threshold = stop_loss_hit(start, equity, sub.stop_loss_pct)
            if threshold is not None:
                self.bus.publish(StopLossHit(**ids, equity=equity, threshold=threshold))
                await self.stop(sub, "stop_loss")
                return equity
            threshold = take_profit_hit(start, equity, sub.take_profit_pct)
            if threshold is not None:
                self.bus.publish(TakeProfitHit(**ids, equity=equity, threshold=threshold))
                await self.stop(sub, "take_profit")
                return equity
            peak = max(Decimal(sub.peak_equity), start)
            dd = check_drawdown(peak, equity, sub.max_drawdown_pct, sub.drawdown_warned)
            if (dd.peak, dd.warned) != (Decimal(sub.peak_equity), sub.drawdown_warned):
                sub.peak_equity, sub.drawdown_warned = dd.peak, dd.warned
                await sub.save(update_fields=["peak_equity", "drawdown_warned"])
            if dd.breached and sub.status == SubscriptionStatus.ACTIVE:
                self.bus.publish(DrawdownWarning(**ids, drawdown_pct=dd.drawdown_pct,
                                                 limit_pct=Decimal(sub.max_drawdown_pct), level=100))
                if sub.drawdown_action == "stop":
                    await self.stop(sub, "drawdown_limit")
                else:
                    await self.control.pause(sub, "drawdown_limit")
            elif dd.warn_level:
                self.bus.publish(DrawdownWarning(**ids, drawdown_pct=dd.drawdown_pct,
                                                 limit_pct=Decimal(sub.max_drawdown_pct), level=dd.warn_level))
            return equity

    async def check_all(self, price_of: PriceOf) -> int:
        subs = await Subscription.filter(status__in=(SubscriptionStatus.ACTIVE, SubscriptionStatus.PAUSED))
        for sub in subs:
            await self.check_subscription(sub, price_of)
        return len(subs)

    async def on_copy_failed(self, event: Event) -> None:
        assert isinstance(event, CopyFailed)
        reason = PAUSE_ON_FAILURE.get(event.reason)
        if reason:
            sub = await Subscription.get_or_none(id=event.subscription_id)
            if sub is not None:
                await self.control.pause(sub, reason)

    async def check_trader(self, strategy: Strategy) -> bool:
        """Suspend an approved strategy whose drawdown in the rolling window passes the threshold."""
        if strategy.status != StrategyStatus.APPROVED:
            return False
        since = utcnow() - timedelta(days=self.limits.trader_drawdown_window_days)
        equities = [Decimal(e) for e in await EquitySnapshot.filter(
            strategy_id=strategy.id, subscription_id=None, taken_at__gte=since
        ).order_by("taken_at").values_list("equity", flat=True)]
        dd = window_drawdown(equities)
        if dd <= self.limits.trader_drawdown_suspend_pct:
            return False
        updated = await Strategy.filter(id=strategy.id, status=StrategyStatus.APPROVED).update(
            status=StrategyStatus.SUSPENDED, status_reason="drawdown"
        )
        if updated:
            strategy.status = StrategyStatus.SUSPENDED
            self.control.invalidate(strategy.id)
            log.warning("strategy %s suspended: drawdown %.2f%% in %d days", strategy.id, dd,
                        self.limits.trader_drawdown_window_days)
            self.bus.publish(TraderSuspended(strategy_id=strategy.id, trader_user_id=strategy.trader_id,  # type: ignore[attr-defined]
                                             reason="drawdown", drawdown_pct=dd, admin=True))
        return bool(updated)

    async def resume_trader(self, strategy: Strategy) -> bool:
        """Lift a suspension (the admin's and the trader's commands call this)."""
        updated = await Strategy.filter(id=strategy.id, status=StrategyStatus.SUSPENDED).update(
            status=StrategyStatus.APPROVED, status_reason=None
        )
        if updated:
            strategy.status = StrategyStatus.APPROVED
            self.control.invalidate(strategy.id)
            self.bus.publish(TraderResumed(strategy_id=strategy.id, trader_user_id=strategy.trader_id, admin=True))  # type: ignore[attr-defined]
        return bool(updated)
