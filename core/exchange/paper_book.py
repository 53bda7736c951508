"""One paper account's books: balances (free and locked), orders, trades, and the fill arithmetic.

Kept apart from the venue (`paper.py`) so the money rules read in one place: fees are charged in
the quote currency on both sides (cost × fee rate, exact Decimal, no rounding), a taker's price moves
against them by the slippage and then onto the price grid (up for a buy, down for a sell), and a
resting order locks what it may spend so that two orders can never spend the same balance.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal

from core.errors import InsufficientFunds
from core.exchange.base import Balance, MarketRules, Order, Side, Trade, Transfer
from core.money import ZERO, ceil_to_step, floor_to_step

BPS = Decimal(10_000)


@dataclass(frozen=True, slots=True)
class Fill:
    """What a subscriber receives: the order as it stands after the fill, and the trade itself."""

    account_id: str
    order: Order
    trade: Trade


def taker_price(price: Decimal, side: Side, slippage_bps: Decimal, price_step: Decimal) -> Decimal:
    """The price a taker gets: `slippage_bps` worse than `price`, then the next grid price against them."""
    if side == "buy":
        return ceil_to_step(price * (1 + slippage_bps / BPS), price_step)
    return floor_to_step(price * (1 - slippage_bps / BPS), price_step)


def spend_for(rules: MarketRules, side: Side, amount: Decimal, price: Decimal, fee_rate: Decimal) -> tuple[str, Decimal]:
    """Asset and amount an order of this size at this price takes out of the account (fee included)."""
    if side == "buy":
        return rules.quote, amount * price * (1 + fee_rate)
    return rules.base, amount


class PaperAccount:
    """Balances and order history of one account. Every method is synchronous, hence atomic under asyncio."""

    def __init__(self, account_id: str, balances: dict[str, Decimal], exchange: str) -> None:
        self.account_id = account_id
        self.exchange = exchange
        self.free: dict[str, Decimal] = {asset: Decimal(amount) for asset, amount in balances.items()}
        self.used: dict[str, Decimal] = {}
        self.orders: dict[str, Order] = {}
        self.order_by_client_id: dict[str, str] = {}
        self.locks: dict[str, tuple[str, Decimal]] = {}  # order id → (asset, locked amount)
        self.trades: list[Trade] = []
        self.transfers: list[Transfer] = []
        self.subscribers: list[asyncio.Queue[Fill]] = []

    def balances(self) -> dict[str, Balance]:
        assets = sorted(set(self.free) | set(self.used))
        return {asset: Balance(free=self.free.get(asset, ZERO), used=self.used.get(asset, ZERO)) for asset in assets}

    def require(self, asset: str, amount: Decimal) -> None:
        available = self.free.get(asset, ZERO)
        if available < amount:
            raise InsufficientFunds(f"needs {amount} {asset}, {available} free", exchange=self.exchange)

    def lock(self, order_id: str, asset: str, amount: Decimal) -> None:
        self.require(asset, amount)
        self.free[asset] -= amount
        self.used[asset] = self.used.get(asset, ZERO) + amount
        self.locks[order_id] = (asset, amount)

    def release(self, order_id: str) -> tuple[str, Decimal]:
        """Give an order's lock back to free balance (on cancel) and return it."""
        asset, amount = self.locks.pop(order_id)
        self.used[asset] -= amount
        self.free[asset] += amount
        return asset, amount

    def settle(self, rules: MarketRules, side: Side, amount: Decimal, price: Decimal, fee: Decimal, order_id: str) -> None:
        """Move the money of one fill; a resting order pays out of its lock, a taker out of free balance."""
        cost = amount * price
        paid_asset, paid = (rules.quote, cost + fee) if side == "buy" else (rules.base, amount)
        got_asset, got = (rules.base, amount) if side == "buy" else (rules.quote, cost - fee)
        if order_id in self.locks:
            _, locked = self.locks.pop(order_id)
            self.used[paid_asset] -= locked
            self.free[paid_asset] += locked - paid
        else:
            self.free[paid_asset] -= paid
        self.free[got_asset] = self.free.get(got_asset, ZERO) + got

    def move(self, transfer: Transfer) -> None:
        """Book a deposit or a withdrawal (InsufficientFunds when the free balance cannot cover it)."""
        sign = 1 if transfer.kind == "deposit" else -1
        if sign < 0:
            self.require(transfer.currency, transfer.amount)
        self.free[transfer.currency] = self.free.get(transfer.currency, ZERO) + sign * transfer.amount
        self.transfers.append(transfer)

    def record(self, order: Order) -> None:
        self.orders[order.id] = order
        if order.client_order_id:
            self.order_by_client_id[order.client_order_id] = order.id

    def publish(self, fill: Fill) -> None:
        self.trades.append(fill.trade)
        for queue in self.subscribers:
            queue.put_nowait(fill)
