"""A follower's portfolio: their subscriptions with value, P&L, drawdown, positions and last copies.

Values come from our own records and current prices (`core.risk.equity.subscription_equity`), the
same figure the risk monitor and the fee job use, so the portfolio shows what the limits act on.
Every lookup is scoped to the follower: someone else's subscription id reads as "not found".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from core.db.models import CopyOrder, Position, Subscription, SubscriptionStatus, User
from core.errors import ExchangeError
from core.money import ZERO
from core.risk.equity import PriceOf, subscription_equity
from core.risk.rules import drawdown_pct

SHOWN = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAUSED, SubscriptionStatus.CANCELLING)
LAST_ORDERS = 5


@dataclass
class SubscriptionView:
    subscription: Subscription  # with its strategy and account loaded
    realized: Decimal  # closed P&L net of trading fees
    value: Decimal | None = None  # None when a price could not be read
    unrealized: Decimal | None = None
    drawdown_pct: Decimal | None = None  # below the peak, in %
    positions: list[Position] = field(default_factory=list)  # open ones
    orders: list[CopyOrder] = field(default_factory=list)  # the latest copies, newest first


async def subscriptions_of(user: User) -> list[Subscription]:
    """The follower's subscriptions that still matter (active, paused, being cancelled), oldest first."""
    return await Subscription.filter(follower_id=user.id, status__in=SHOWN).select_related(
        "strategy", "account").order_by("id")


async def subscription_of(user: User, subscription_id: int) -> Subscription | None:
    """One of the follower's own subscriptions, any status; None for anyone else's."""
    return await Subscription.get_or_none(id=subscription_id, follower_id=user.id).select_related("strategy", "account")


async def view(subscription: Subscription, price_of: PriceOf) -> SubscriptionView:
    positions = await Position.filter(subscription_id=subscription.id).order_by("opened_at", "id")
    realized = sum((Decimal(p.realized_pnl) - Decimal(p.fees) for p in positions), ZERO)
    shown = SubscriptionView(subscription, realized,
                             positions=[p for p in positions if p.closed_at is None and p.amount],
                             orders=await CopyOrder.filter(subscription_id=subscription.id).order_by("-id").limit(LAST_ORDERS))
    try:
        unrealized = ZERO
        for position in shown.positions:
            direction = 1 if position.side == "long" else -1
            price = await price_of(subscription, position.symbol)
            unrealized += (price - Decimal(position.entry_price)) * Decimal(position.amount) * direction
        value = await subscription_equity(subscription, price_of)
    except ExchangeError:
        return shown
    peak = max(Decimal(subscription.peak_equity), Decimal(subscription.start_equity), value)
    shown.value, shown.unrealized, shown.drawdown_pct = value, unrealized, drawdown_pct(peak, value)
    return shown
