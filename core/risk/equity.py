"""A subscription's equity: its starting amount plus what its copied trades made, less fees charged.

Computed from our own records and current prices, so a check of a thousand subscriptions costs one
price per symbol, not one balance request per follower, and it measures exactly this trader's
effect on the follower (the account may hold other money).
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal

from core.db.models import LedgerEntry, Position, Subscription
from core.exchange.base import Gateway
from core.money import ZERO

PriceOf = Callable[[Subscription, str], Awaitable[Decimal]]
FEE_KINDS = ("fee_fixed", "profit_share")


async def subscription_equity(subscription: Subscription, price_of: PriceOf) -> Decimal:
    equity = Decimal(subscription.start_equity)
    for position in await Position.filter(subscription_id=subscription.id):
        equity += Decimal(position.realized_pnl) - Decimal(position.fees)
        if position.closed_at is None and position.amount:
            direction = 1 if position.side == "long" else -1
            price = await price_of(subscription, position.symbol)
            equity += (price - Decimal(position.entry_price)) * Decimal(position.amount) * direction
    fees = await LedgerEntry.filter(subscription_id=subscription.id, kind__in=FEE_KINDS).values_list("amount", flat=True)
    return equity - sum((Decimal(fee) for fee in fees), ZERO)


async def account_equity(gateway: Gateway, quote: str = "USDT") -> Decimal:
    """Total assets in `quote`: other assets valued at their X/quote price where the venue lists the pair."""
    balances = await gateway.fetch_balance()
    markets = await gateway.load_markets()
    total = balances[quote].total if quote in balances else ZERO
    for asset, balance in balances.items():
        symbol = f"{asset}/{quote}"
        if asset != quote and balance.total and symbol in markets:
            total += balance.total * await gateway.fetch_price(symbol)
    return total
