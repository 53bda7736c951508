"""Subscribing, pausing, resuming: the rules from the product spec, in one place for the bot and the jobs.

Subscribing is two calls so the bot can show a confirm screen: `quote` validates the request and
computes the terms (amount, k, multiplier, fees) without writing anything; `subscribe` re-validates
and creates the subscription. k = subscription amount ÷ master equity (6 places); with a strategy
minimum and step, the amount is snapped onto the spec's grid (minimum + whole steps), and the
displayed multiplier is amount ÷ recommended deposit.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from tortoise.transactions import in_transaction

from core.bus import EventBus
from core.config import Limits
from core.db.models import (
    AccountStatus,
    ExchangeAccount,
    Position,
    SizingMode,
    Strategy,
    StrategyStatus,
    Subscription,
    SubscriptionStatus,
    User,
)
from core.engine.sizing import proportional_k, round_ratio
from core.errors import SubscriptionRefused
from core.events import SubscriptionPaused, SubscriptionResumed, about
from core.money import ZERO, floor_to_step

HUNDRED = Decimal(100)
BUSY = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAUSED, SubscriptionStatus.CANCELLING)
MAX_TAKE_PROFIT_PCT = Decimal(10_000)  # a 100x gain: a larger target is a typo (and would overflow its column)


@dataclass(frozen=True, slots=True)
class RiskLimits:
    max_drawdown_pct: Decimal | None = None
    stop_loss_pct: Decimal | None = None
    take_profit_pct: Decimal | None = None
    drawdown_action: str = "pause"  # or "stop": close positions and end the subscription

    def validate(self) -> None:
        for value in (self.max_drawdown_pct, self.stop_loss_pct):
            if value is not None and not (ZERO < value < HUNDRED):
                raise SubscriptionRefused("bad_limit", value=value)
        if self.take_profit_pct is not None and not (ZERO < self.take_profit_pct <= MAX_TAKE_PROFIT_PCT):
            raise SubscriptionRefused("bad_limit", value=self.take_profit_pct)
        if self.drawdown_action not in ("pause", "stop"):
            raise SubscriptionRefused("bad_limit", value=self.drawdown_action)


@dataclass(frozen=True, slots=True)
class Terms:
    """What the confirm screen shows, and what `subscribe` stores."""

    equity: Decimal  # the follower account's total assets now
    amount: Decimal  # the subscription amount, on the strategy's grid
    k: Decimal  # amount ÷ master equity
    multiplier: Decimal | None  # amount ÷ recommended deposit, when the strategy has one
    allocation_pct: Decimal  # amount as % of the account
    fee_fixed: Decimal
    fee_period_days: int
    profit_share_pct: Decimal


def requested_amount(equity: Decimal, *, amount: Decimal | None = None, percent: Decimal | None = None) -> Decimal:
    if (amount is None) == (percent is None):
        raise ValueError("give an amount or a percent")
    value = amount if amount is not None else equity * percent / HUNDRED  # type: ignore[operator]
    if value <= 0:
        raise SubscriptionRefused("not_positive", value=value)
    return value


async def quote(
    follower: User, account: ExchangeAccount, strategy: Strategy, requested: Decimal, limits: Limits,
    *, equity: Decimal, master_equity: Decimal,
) -> Terms:
    """Validate a subscription request against every rule; nothing is written."""
    if requested <= 0:
        raise SubscriptionRefused("not_positive", value=requested)
    if strategy.status != StrategyStatus.APPROVED or not strategy.is_public:
        raise SubscriptionRefused("strategy_unavailable")
    if account.owner_id != follower.id or account.status != AccountStatus.ACTIVE:  # type: ignore[attr-defined]
        raise SubscriptionRefused("account_invalid")
    if strategy.trader_id == follower.id or strategy.account_id == account.id:  # type: ignore[attr-defined]
        raise SubscriptionRefused("own_strategy")
    if strategy.is_margin and account.market_type != "swap":
        raise SubscriptionRefused("margin_mismatch")
    if await Subscription.filter(account_id=account.id, status__in=BUSY).exists():
        raise SubscriptionRefused("account_busy")
    if await Position.filter(account_id=account.id, closed_at=None, amount__gt=0).exists():
        raise SubscriptionRefused("open_positions")
    usable = equity * limits.max_account_usage_pct / HUNDRED
    cap = equity * limits.max_allocation_pct / HUNDRED
    minimum = Decimal(strategy.min_deposit)
    if requested < minimum:
        raise SubscriptionRefused("below_min_deposit", minimum=minimum, value=requested)
    if requested > usable:
        raise SubscriptionRefused("above_usable", maximum=usable, value=requested)
    if requested > cap:
        raise SubscriptionRefused("above_cap", maximum=cap, value=requested, pct=limits.max_allocation_pct)
    step = Decimal(strategy.subscription_step)
    amount = minimum + floor_to_step(requested - minimum, step) if step > 0 else requested
    recommended = Decimal(strategy.recommended_deposit)
    return Terms(
        equity=equity,
        amount=amount,
        k=proportional_k(amount, master_equity),
        multiplier=round_ratio(amount / recommended) if recommended > 0 else None,
        allocation_pct=(amount / equity * HUNDRED).quantize(Decimal("0.01")),
        fee_fixed=Decimal(strategy.fee_fixed),
        fee_period_days=strategy.fee_period_days,
        profit_share_pct=Decimal(strategy.profit_share_pct),
    )


async def subscribe(
    follower: User, account: ExchangeAccount, strategy: Strategy, terms: Terms, risk: RiskLimits, limits: Limits,
    *, master_equity: Decimal,
) -> Subscription:
    """Create the subscription after re-checking the rules (the account may have changed since the quote)."""
    risk.validate()
    async with in_transaction():
        # One confirm per account at a time: a second one (a double tap; the bot handles updates
        # concurrently) waits here, then meets the first one's subscription in `quote` (account_busy)
        # instead of adding a second subscription that would copy every trade twice. PostgreSQL locks
        # the account row; SQLite runs one transaction at a time anyway.
        await ExchangeAccount.select_for_update().filter(id=account.id).first()
        fresh = await quote(follower, account, strategy, terms.amount, limits, equity=terms.equity,
                            master_equity=master_equity)
        return await Subscription.create(
            follower=follower, strategy=strategy, account=account, status=SubscriptionStatus.ACTIVE,
            sizing_mode=SizingMode.PROPORTIONAL, multiplier=fresh.k, allocation=fresh.amount,
            max_allocation_pct=min(max(fresh.allocation_pct, limits.default_allocation_pct), limits.max_allocation_pct),
            max_drawdown_pct=risk.max_drawdown_pct, stop_loss_pct=risk.stop_loss_pct,
            take_profit_pct=risk.take_profit_pct, drawdown_action=risk.drawdown_action,
            start_equity=fresh.amount, high_water_mark=fresh.amount,
            slippage_tolerance_pct=limits.default_slippage_tolerance_pct,
        )


class SubscriptionControl:
    """Pause and resume; the engine is told to reload the strategy's followers after each change."""

    def __init__(self, bus: EventBus, invalidate: Callable[[int], None]) -> None:
        self.bus = bus
        self.invalidate = invalidate

    async def pause(self, subscription: Subscription, reason: str) -> bool:
        """Pause an active subscription; False when it was not active (nothing changes)."""
        updated = await Subscription.filter(id=subscription.id, status=SubscriptionStatus.ACTIVE).update(
            status=SubscriptionStatus.PAUSED, status_reason=reason
        )
        if not updated:
            return False
        subscription.status, subscription.status_reason = SubscriptionStatus.PAUSED, reason
        self.invalidate(subscription.strategy_id)  # type: ignore[attr-defined]
        self.bus.publish(SubscriptionPaused(**about(subscription), reason=reason))
        return True

    async def resume(self, subscription: Subscription, *, equity: Decimal, master_equity: Decimal) -> bool:
        """Resume a paused subscription with k recalculated (the spec's trigger "on resume")."""
        k = proportional_k(min(Decimal(subscription.allocation), equity), master_equity)
        updated = await Subscription.filter(id=subscription.id, status=SubscriptionStatus.PAUSED).update(
            status=SubscriptionStatus.ACTIVE, status_reason=None, multiplier=k
        )
        if not updated:
            return False
        subscription.status, subscription.multiplier = SubscriptionStatus.ACTIVE, k
        self.invalidate(subscription.strategy_id)  # type: ignore[attr-defined]
        self.bus.publish(SubscriptionResumed(**about(subscription), multiplier=k))
        return True
