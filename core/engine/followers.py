"""What the engine knows about each follower of a strategy while it fans out, kept in memory.

Loading a thousand subscriptions, their accounts and positions from the database for every master
event would cost more than sending the orders; the engine loads them once per strategy and is told
(`FollowerBook.invalidate`) when a subscription changes. Positions are updated from acks.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from core.db.models import ExchangeAccount, Position, Strategy, StrategyStatus, Subscription, SubscriptionStatus
from core.engine.outbox import Row
from core.money import ZERO

LIVE_STATUSES = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAUSED)


@dataclass
class Holding:
    """A subscription's copied position in one symbol: signed amount (short < 0), average entry."""

    amount: Decimal = ZERO
    entry_price: Decimal = ZERO
    realized_pnl: Decimal = ZERO
    fees: Decimal = ZERO
    position_id: int | None = None  # its open Position row, once written (core/engine/positions.py)

    def apply(self, side: str, quantity: Decimal, price: Decimal, fee: Decimal = ZERO) -> None:
        """Book a fill: grow at the average price, or reduce and realize P&L, or flip through zero."""
        signed = quantity if side == "buy" else -quantity
        self.fees += fee
        if self.amount == 0 or (self.amount > 0) == (signed > 0):
            total = self.amount + signed
            self.entry_price = (abs(self.amount) * self.entry_price + quantity * price) / abs(total)
            self.amount = total
            return
        closing = min(abs(signed), abs(self.amount))
        direction = 1 if self.amount > 0 else -1
        self.realized_pnl += (price - self.entry_price) * closing * direction
        self.amount += signed
        if self.amount == 0:
            self.entry_price = ZERO
        elif (self.amount > 0) != (direction > 0):
            self.entry_price = price  # flipped: the rest opened at this price

    def committed(self, leverage: Decimal) -> Decimal:
        return abs(self.amount) * self.entry_price / leverage


@dataclass
class Follower:
    subscription: Subscription
    holdings: dict[str, Holding] = field(default_factory=lambda: defaultdict(Holding))

    # Read several times per follower and order; through the ORM's relation getters that cost more
    # than the sizing itself, so each is read once (the book is rebuilt when a subscription changes).
    @cached_property
    def id(self) -> int:
        return self.subscription.id

    @cached_property
    def account(self) -> ExchangeAccount:
        return self.subscription.account

    @cached_property
    def strategy(self) -> Strategy:
        return self.subscription.strategy

    def holding(self, symbol: str) -> Holding:
        return self.holdings[symbol]

    def exposure(self) -> Decimal:
        leverage = Decimal(self.subscription.leverage or 1)
        return sum((h.committed(leverage) for h in self.holdings.values()), ZERO)


class FollowerBook:
    """Followers per strategy, loaded lazily and kept until invalidated."""

    def __init__(self) -> None:
        self._by_strategy: dict[int, list[Follower]] = {}

    def invalidate(self, strategy_id: int | None = None) -> None:
        if strategy_id is None:
            self._by_strategy.clear()
        else:
            self._by_strategy.pop(strategy_id, None)

    async def followers(self, strategy_id: int) -> list[Follower]:
        cached = self._by_strategy.get(strategy_id)
        if cached is None:
            cached = self._by_strategy[strategy_id] = await self._load(strategy_id)
        return cached

    async def _load(self, strategy_id: int) -> list[Follower]:
        subscriptions = await Subscription.filter(strategy_id=strategy_id, status__in=LIVE_STATUSES).select_related(
            "account", "strategy"
        ).order_by("id")
        followers = {s.id: Follower(s) for s in subscriptions}
        if followers:
            positions = await Position.filter(subscription_id__in=list(followers), closed_at=None)
            for p in positions:
                followers[p.subscription_id].holdings[p.symbol] = holding_from(p)  # type: ignore[index]
        return list(followers.values())


def holding_from(position: Position) -> Holding:
    """The in-memory holding of an open Position row (short positions are negative amounts)."""
    amount = position.amount if position.side == "long" else -position.amount
    return Holding(amount, position.entry_price, position.realized_pnl, position.fees, position.id)


def book_fill(follower: Follower, row: Row, quantity: Decimal, price: Decimal, fee: Decimal) -> None:
    """Book `quantity` of `row` filled at `price` into the follower's holding.

    Spot exchanges take a buy's fee out of the coins bought (Binance: 100 XRP bought, 99.9 arrive), and
    an exit can only sell what arrived: a fee in the base currency changes the amount held, and is
    kept in `fees` at its quote value."""
    if fee and row.fee_currency == row.symbol.split("/")[0]:
        quantity = quantity - fee if row.side == "buy" else quantity + fee
        fee = fee * price
    follower.holding(row.symbol).apply(row.side, quantity, price, fee)


def copying_blocked(follower: Follower) -> str | None:
    """Why this follower gets no new orders now, as a reason code, or None."""
    sub = follower.subscription
    strategy = follower.strategy
    if strategy.status != StrategyStatus.APPROVED:
        return f"trader_{strategy.status.value}"
    if sub.status != SubscriptionStatus.ACTIVE:
        return f"subscription_{sub.status.value}"
    return None
