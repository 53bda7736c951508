"""Typed events that the core publishes and the bot's notifier renders.

Events carry ids and Decimal amounts, never text: the notifier renders them in each recipient's
language. `user_id` is our users.id of the follower (or trader) the event is about; admin alerts
set `admin=True`. Reason fields hold stable codes (core.errors codes or sizing/risk codes).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any


def utcnow() -> datetime:
    return datetime.now(UTC)


def about(subscription: Any) -> dict[str, int]:
    """The ids every SubscriptionEvent carries, read off a Subscription row."""
    return {"subscription_id": subscription.id, "user_id": subscription.follower_id,
            "strategy_id": subscription.strategy_id}


@dataclass(frozen=True, kw_only=True, slots=True)
class Event:
    at: datetime = field(default_factory=utcnow)
    admin: bool = False  # also goes to the admin chat


@dataclass(frozen=True, kw_only=True, slots=True)
class SubscriptionEvent(Event):
    subscription_id: int
    user_id: int
    strategy_id: int


@dataclass(frozen=True, kw_only=True, slots=True)
class TradeCopied(SubscriptionEvent):
    """A follower order was acknowledged; `partial` when it filled only part of its amount."""

    master_event_id: int
    copy_order_id: int
    symbol: str
    side: str
    order_type: str
    amount: Decimal
    filled: Decimal
    price: Decimal | None
    fee: Decimal
    partial: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class CopySkipped(SubscriptionEvent):
    """A follower order deliberately not placed (below minimum, cap, paused, slippage …)."""

    master_event_id: int
    copy_order_id: int | None
    symbol: str
    side: str
    reason: str
    detail: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class CopyFailed(SubscriptionEvent):
    """The exchange refused the order, or it expired after an outage."""

    master_event_id: int
    copy_order_id: int
    symbol: str
    side: str
    reason: str
    detail: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class OrderCancelled(SubscriptionEvent):
    master_event_id: int
    copy_order_id: int
    symbol: str


@dataclass(frozen=True, kw_only=True, slots=True)
class OrderEnded(SubscriptionEvent):
    """The exchange itself ended a resting limit copy: cancelled by hand on the exchange, expired or rejected.

    The follower was told the order was placed (TradeCopied) and would otherwise never learn that it is
    gone; our own cancels are OrderCancelled. A fill found with the ending is told first as TradeCopied."""

    master_event_id: int
    copy_order_id: int
    symbol: str
    side: str
    amount: Decimal
    filled: Decimal  # of `amount`, over the order's life
    status: str  # the row's final CopyOrderStatus value: cancelled, expired or failed


@dataclass(frozen=True, kw_only=True, slots=True)
class DriftDetected(SubscriptionEvent):
    symbol: str
    expected: Decimal
    actual: Decimal
    drift_pct: Decimal
    corrected: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class DrawdownWarning(SubscriptionEvent):
    drawdown_pct: Decimal
    limit_pct: Decimal
    level: int  # 50 or 80 (% of the limit)


@dataclass(frozen=True, kw_only=True, slots=True)
class StopLossHit(SubscriptionEvent):
    equity: Decimal
    threshold: Decimal


@dataclass(frozen=True, kw_only=True, slots=True)
class TakeProfitHit(SubscriptionEvent):
    equity: Decimal
    threshold: Decimal


@dataclass(frozen=True, kw_only=True, slots=True)
class SubscriptionPaused(SubscriptionEvent):
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class SubscriptionResumed(SubscriptionEvent):
    multiplier: Decimal


@dataclass(frozen=True, kw_only=True, slots=True)
class SubscriptionStopped(SubscriptionEvent):
    reason: str
    positions_closed: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class FeeCharged(SubscriptionEvent):
    kind: str  # fee_fixed, profit_share
    amount: Decimal
    currency: str
    period_key: str


@dataclass(frozen=True, kw_only=True, slots=True)
class TraderSuspended(Event):
    strategy_id: int
    trader_user_id: int
    reason: str
    drawdown_pct: Decimal | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class TraderResumed(Event):
    strategy_id: int
    trader_user_id: int


@dataclass(frozen=True, kw_only=True, slots=True)
class KeyInvalid(Event):
    account_id: str
    user_id: int
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ExchangeDown(Event):
    exchange: str
    detail: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class PortfolioDigest(SubscriptionEvent):
    """The periodic summary a follower gets for each live subscription."""

    equity: Decimal
    start_equity: Decimal
    return_pct: Decimal
