"""The paper exchange: a simulated venue with many accounts, and `PaperGateway`, one account on it.

Demo accounts and the offline demo trade here. The venue imitates Binance spot's rules for the
markets it lists (amount step, price step, 5 USDT minimum notional) and takes prices from a feed
(`core.exchange.feeds`): market orders fill at the feed price with a fee and adverse slippage, limit
orders rest with their funds locked and fill at their limit price when the feed crosses it. A resting
order can be amended in place (`amend_order`: new price and/or amount, same order id), as Binance allows.
Money moves in and out with `deposit` / `withdraw` (a demo user's top-up), listed by `fetch_transfers`.

Client order ids are idempotent, which the engine's exactly-once relies on: a second create with a
client id the account already used returns the existing order as it stands now (nothing is placed);
reusing the id for a different order raises InvalidOrder. An order refused for a rule or for funds
leaves no trace, so `fetch_order_by_client_id` answers None for it, as Binance does.

The venue has no randomness of its own: ids are counters and times come from the feed, so with a
replay or a seeded synthetic feed two runs give identical fills. Transfers are the exception: a
top-up is the user's act, not a market event, so it is stamped with the wall clock (or `at_ms`), the
clock that the daily snapshots and the transfer sync's cursor run on. Only spot markets are simulated:
`fetch_positions` is empty. Fills are pushed to subscribers (one asyncio.Queue each) as they happen.
"""
from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import replace
from decimal import Decimal

from core.errors import InsufficientFunds, InvalidOrder, OrderNotFound
from core.exchange.base import (
    Balance,
    Gateway,
    KeyPermissions,
    MarketRules,
    Order,
    OrderRequest,
    Position,
    Side,
    Trade,
    Transfer,
    TransferKind,
    require_market,
)
from core.exchange.feeds import PriceFeed, Tick
from core.exchange.paper_book import Fill, PaperAccount, spend_for, taker_price

EXCHANGE = "paper"
USDT = "USDT"


def _spot(base: str, amount_step: str, price_step: str) -> MarketRules:
    step = Decimal(amount_step)
    return MarketRules(f"{base}/{USDT}", base, USDT, amount_step=step, price_step=Decimal(price_step), min_amount=step, min_cost=Decimal(5))


# Binance spot LOT_SIZE / PRICE_FILTER / NOTIONAL filters for these pairs.
BINANCE_SPOT_RULES: dict[str, MarketRules] = {
    rules.symbol: rules
    for rules in (_spot("BTC", "0.00001", "0.01"), _spot("ETH", "0.0001", "0.01"), _spot("XRP", "0.1", "0.0001"))
}


def crosses(side: Side, market_price: Decimal, limit: Decimal) -> bool:
    """A buy limit fills once the market is at or below it, a sell limit at or above."""
    return market_price <= limit if side == "buy" else market_price >= limit


class PaperExchange:
    """The simulated venue. Its state lives in memory; every mutation is synchronous, hence atomic."""

    name = EXCHANGE

    def __init__(
        self,
        feed: PriceFeed,
        *,
        markets: dict[str, MarketRules] | None = None,
        fee_rate: Decimal = Decimal("0.001"),
        slippage_bps: Decimal = Decimal(0),
    ) -> None:
        self.feed = feed
        self.fee_rate = fee_rate
        self.slippage_bps = slippage_bps
        rules = BINANCE_SPOT_RULES if markets is None else markets
        self.markets = {symbol: market for symbol, market in rules.items() if symbol in feed.symbols}
        self._accounts: dict[str, PaperAccount] = {}
        self._resting: dict[str, dict[str, str]] = {symbol: {} for symbol in self.markets}  # order id → account
        self._order_ids = itertools.count(1)
        self._trade_ids = itertools.count(1)
        self._transfer_ids = itertools.count(1)
        feed.listen(self._on_tick)

    # --- accounts -------------------------------------------------------------------------------
    def open_account(self, account_id: str, balances: dict[str, Decimal] | None = None) -> PaperGateway:
        """A new account with a virtual balance; no key needed. Opening an existing id is an error."""
        if account_id in self._accounts:
            raise ValueError(f"paper account {account_id!r} already exists")
        self._accounts[account_id] = PaperAccount(account_id, balances or {}, EXCHANGE)
        return PaperGateway(self, account_id)

    def gateway(self, account_id: str) -> PaperGateway:
        self.account(account_id)
        return PaperGateway(self, account_id)

    def account(self, account_id: str) -> PaperAccount:
        try:
            return self._accounts[account_id]
        except KeyError:
            raise ValueError(f"no paper account {account_id!r}") from None

    def deposit(self, account_id: str, currency: str, amount: Decimal, *, at_ms: int | None = None) -> Transfer:
        """Credit the account (a demo top-up) and list it among its transfers."""
        return self._move(account_id, "deposit", currency, amount, at_ms)

    def withdraw(self, account_id: str, currency: str, amount: Decimal, *, at_ms: int | None = None) -> Transfer:
        """Debit the free balance (InsufficientFunds when it falls short) and list it among the transfers."""
        return self._move(account_id, "withdrawal", currency, amount, at_ms)

    def _move(self, account_id: str, kind: TransferKind, currency: str, amount: Decimal, at_ms: int | None) -> Transfer:
        if amount <= 0:
            raise ValueError(f"a {kind} needs a positive amount, not {amount}")
        timestamp = time.time_ns() // 1_000_000 if at_ms is None else at_ms
        transfer = Transfer(str(next(self._transfer_ids)), kind, currency, amount, timestamp)
        self.account(account_id).move(transfer)
        return transfer

    def subscribe(self, account_id: str) -> asyncio.Queue[Fill]:
        """A queue that receives every fill of the account from now on (unbounded: the venue never waits)."""
        queue: asyncio.Queue[Fill] = asyncio.Queue()
        self.account(account_id).subscribers.append(queue)
        return queue

    def unsubscribe(self, account_id: str, queue: asyncio.Queue[Fill]) -> None:
        self.account(account_id).subscribers.remove(queue)

    # --- orders ---------------------------------------------------------------------------------
    def market(self, symbol: str) -> MarketRules:
        return require_market(self.markets, symbol, EXCHANGE)

    def existing(self, account_id: str, request: OrderRequest) -> Order | None:
        """The order already placed under this client id; InvalidOrder if the id was used for another."""
        account = self.account(account_id)
        order_id = account.order_by_client_id.get(request.client_order_id)
        if order_id is None:
            return None
        order = account.orders[order_id]
        same = (order.symbol, order.side, order.type, order.amount) == (request.symbol, request.side, request.type, request.amount)
        if not same or (order.type == "limit" and order.price != request.price):
            raise InvalidOrder(f"client order id {request.client_order_id} was used for another order", exchange=EXCHANGE)
        return order

    def place(self, account_id: str, request: OrderRequest) -> Order:
        """Place a validated order: fill it now if it is marketable, otherwise lock its funds and rest it."""
        account = self.account(account_id)
        rules = self.market(request.symbol)
        order = Order(
            id=str(next(self._order_ids)),
            client_order_id=request.client_order_id,
            symbol=request.symbol,
            side=request.side,
            type=request.type,
            status="open",
            amount=request.amount,
            price=request.price if request.type == "limit" else None,
            timestamp=self.feed.now_ms(),
        )
        return self._fill_or_rest(account, rules, order)

    def _fill_or_rest(self, account: PaperAccount, rules: MarketRules, order: Order) -> Order:
        market_price = self.feed.price(order.symbol)
        if order.price is None or crosses(order.side, market_price, order.price):
            price = taker_price(market_price, order.side, self.slippage_bps, rules.price_step)
            if order.price is not None:  # a marketable limit never fills beyond its limit
                price = min(price, order.price) if order.side == "buy" else max(price, order.price)
            account.require(*spend_for(rules, order.side, order.amount, price, self.fee_rate))
            return self._fill(account, rules, order, price, self.feed.now_ms())
        account.lock(order.id, *spend_for(rules, order.side, order.amount, order.price, self.fee_rate))
        account.record(order)
        self._resting[order.symbol][order.id] = account.account_id
        return order

    def open_order(self, account_id: str, order_id: str | None, client_order_id: str | None = None, symbol: str | None = None) -> Order:
        """The account's open order by exchange id (or client id), on `symbol` when given; else OrderNotFound."""
        account = self.account(account_id)
        if symbol is not None:
            self.market(symbol)
        if order_id is None and client_order_id is not None:
            order_id = account.order_by_client_id.get(client_order_id)
        order = account.orders.get(order_id) if order_id is not None else None
        if order is None or order.status != "open" or symbol not in (None, order.symbol):
            where = f" on {symbol}" if symbol else ""
            raise OrderNotFound(f"no open order {order_id or client_order_id}{where}", exchange=EXCHANGE)
        return order

    def amend_order(self, account_id: str, order_id: str, price: Decimal | None = None, amount: Decimal | None = None) -> Order:
        """Change a resting limit order's price and/or amount in place: same order id, same client id.

        Paper orders fill whole, so a resting one has filled nothing and any new amount is valid. The old
        lock is given back and the new one taken in one synchronous step; when the funds fall short the
        order stays exactly as it was (InsufficientFunds). A new price that crosses the market fills at
        once, like a new marketable limit order. The caller validates grid and minimums (the gateway does).
        """
        account = self.account(account_id)
        order = self.open_order(account_id, order_id)
        amended = replace(
            order,
            price=order.price if price is None else price,
            amount=order.amount if amount is None else amount,
        )
        old_lock = account.release(order.id)
        del self._resting[order.symbol][order.id]
        try:
            return self._fill_or_rest(account, self.market(order.symbol), amended)
        except InsufficientFunds:
            account.lock(order.id, *old_lock)
            self._resting[order.symbol][order.id] = account_id
            raise

    def cancel(self, account_id: str, symbol: str, order_id: str | None, client_order_id: str | None) -> Order:
        account = self.account(account_id)
        order = self.open_order(account_id, order_id, client_order_id, symbol)
        account.release(order.id)
        del self._resting[symbol][order.id]
        canceled = replace(order, status="canceled")
        account.record(canceled)
        return canceled

    def _fill(self, account: PaperAccount, rules: MarketRules, order: Order, price: Decimal, timestamp: int) -> Order:
        fee = order.amount * price * self.fee_rate
        account.settle(rules, order.side, order.amount, price, fee, order.id)
        filled = replace(order, status="closed", filled=order.amount, average=price, fee=fee, fee_currency=rules.quote)
        account.record(filled)
        trade = Trade(
            id=str(next(self._trade_ids)),
            order_id=order.id,
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=order.side,
            amount=order.amount,
            price=price,
            fee=fee,
            fee_currency=rules.quote,
            timestamp=timestamp,
        )
        account.publish(Fill(account.account_id, filled, trade))
        return filled

    def _on_tick(self, tick: Tick) -> None:
        """Fill the resting orders the new price crosses, oldest first, at their limit price."""
        resting = self._resting.get(tick.symbol)
        if not resting:
            return
        rules = self.markets[tick.symbol]
        for order_id, account_id in list(resting.items()):
            account = self._accounts[account_id]
            order = account.orders[order_id]
            if order.price is not None and crosses(order.side, tick.price, order.price):
                del resting[order_id]
                self._fill(account, rules, order, order.price, tick.timestamp)


class PaperGateway(Gateway):
    """One account on a `PaperExchange`, behind the same interface as a real exchange account."""

    exchange = EXCHANGE

    def __init__(self, venue: PaperExchange, account_id: str) -> None:
        self.venue = venue
        self.account_id = account_id

    def __repr__(self) -> str:
        return f"PaperGateway(account_id={self.account_id!r})"

    async def load_markets(self) -> dict[str, MarketRules]:
        return dict(self.venue.markets)

    def market(self, symbol: str) -> MarketRules:
        return self.venue.market(symbol)

    async def fetch_balance(self) -> dict[str, Balance]:
        return self.venue.account(self.account_id).balances()

    async def fetch_price(self, symbol: str) -> Decimal:
        self.market(symbol)
        return self.venue.feed.price(symbol)

    async def create_order(self, request: OrderRequest) -> Order:
        """Idempotent by client id; re-validates precision and minimums like the real exchange would."""
        existing = self.venue.existing(self.account_id, request)
        if existing is not None:
            return existing
        self._validate(request)
        return self.venue.place(self.account_id, request)

    def _validate(self, request: OrderRequest) -> None:
        """Refuse what `prepare_order` would have changed: Binance rejects off-step amounts and prices."""
        if request.reduce_only:
            raise InvalidOrder("reduce-only orders need a contract market", exchange=EXCHANGE)
        if request.type == "limit" and (request.price is None or request.price <= 0):
            raise InvalidOrder("a limit order needs a positive price", exchange=EXCHANGE)
        prepared = self.prepare_order(request, reference_price=self.venue.feed.price(request.symbol))
        if prepared.amount != request.amount:
            raise InvalidOrder(f"amount {request.amount} is not a multiple of {self.market(request.symbol).amount_step}", exchange=EXCHANGE)
        if request.type == "limit" and prepared.price != request.price:
            raise InvalidOrder(f"price {request.price} is not a multiple of {self.market(request.symbol).price_step}", exchange=EXCHANGE)

    async def amend_order(self, symbol: str, order_id: str, *, price: Decimal | None = None, amount: Decimal | None = None) -> Order:
        """Edit a resting limit order in place (Binance's amend keeps the order id too); the new price
        and amount must already be on the market's grid and above its minimums, like a new order."""
        order = self.venue.open_order(self.account_id, order_id, symbol=symbol)
        self._validate(OrderRequest(
            symbol, order.side, "limit", order.amount if amount is None else amount, order.client_order_id or "",
            price=order.price if price is None else price,
        ))
        return self.venue.amend_order(self.account_id, order_id, price, amount)

    async def fetch_order_by_client_id(self, symbol: str, client_order_id: str) -> Order | None:
        account = self.venue.account(self.account_id)
        order_id = account.order_by_client_id.get(client_order_id)
        order = account.orders.get(order_id) if order_id is not None else None
        return order if order is not None and order.symbol == symbol else None

    async def cancel_order(self, symbol: str, order_id: str | None = None, client_order_id: str | None = None) -> Order:
        return self.venue.cancel(self.account_id, symbol, order_id, client_order_id)

    async def fetch_open_orders(self, symbol: str | None = None) -> list[Order]:
        orders = self.venue.account(self.account_id).orders.values()
        return [o for o in orders if o.status == "open" and (symbol is None or o.symbol == symbol)]

    async def fetch_positions(self) -> list[Position]:
        return []  # spot only: holdings are balances, not positions

    async def fetch_my_trades(self, symbol: str, since: int | None = None) -> list[Trade]:
        trades = self.venue.account(self.account_id).trades
        return [t for t in trades if t.symbol == symbol and (since is None or t.timestamp >= since)]

    async def fetch_transfers(self, since: int) -> list[Transfer]:
        return [t for t in self.venue.account(self.account_id).transfers if t.timestamp >= since]

    async def inspect_key(self) -> KeyPermissions:
        return KeyPermissions(read=True, trade=True, withdraw=False)

    def subscribe(self) -> asyncio.Queue[Fill]:
        """This account's fills, pushed as they happen (what the engine watches on a paper master)."""
        return self.venue.subscribe(self.account_id)

    async def close(self) -> None:
        """Nothing to release: the account lives on the venue, not in the gateway."""
