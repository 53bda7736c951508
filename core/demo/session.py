"""Everything the demo runs on, wired the way the app wires it, in a throwaway database.

A fresh SQLite file in a temporary directory (removed on exit, nothing lands in the working tree);
the paper exchange on a replay of real Binance XRP/USDT 5-minute candles; one master account and
its approved strategy; followers subscribed proportionally (k = follower equity ÷ master equity);
the real `MasterWatcher` on the master's paper push queue, the real `ReplicationEngine`, and
order sync (`watch_paper_fills`) on each follower's fill queue.

`settle()` is what keeps the demo deterministic without sleeping: after each master action it
waits until the watcher has delivered the expected master events, every fan-out has finished, every
pushed follower fill is booked and every bus event is handled, and only then prints the step.
Simulated time moves only when the script advances the feed.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from tortoise import Tortoise

from core.bus import EventBus
from core.config import Limits, Settings
from core.db import close_db, init_db
from core.db.models import (
    ExchangeAccount,
    MasterEvent,
    Position,
    SizingMode,
    Strategy,
    StrategyStatus,
    Subscription,
    User,
)
from core.demo.printer import DemoLog, Write, price, xrp
from core.engine.order_sync import watch_paper_fills
from core.engine.replicator import ReplicationEngine
from core.engine.sizing import proportional_k
from core.engine.watcher import MasterWatcher, WatcherConfig
from core.exchange.base import Order, OrderRequest, Side
from core.exchange.feeds import ReplayFeed, replay_xrp_5m
from core.exchange.paper import PaperExchange, PaperGateway
from core.exchange.paper_book import Fill
from core.exchange.provider import Gateways
from core.money import fmt

SYMBOL = "XRP/USDT"
BASE, QUOTE = "XRP", "USDT"
FEE_RATE = Decimal("0.001")
SLIPPAGE_BPS = Decimal(5)
MASTER_EQUITY = Decimal(10000)
# name, equity in USDT: three sizes that copy everything, one too small for the 5 USDT minimum on most orders
FOLLOWERS: tuple[tuple[str, Decimal], ...] = (
    ("ana", Decimal(250)), ("ben", Decimal(1000)), ("cleo", Decimal(5000)), ("dev", Decimal(12)),
)
ALLOCATION_PCT = Decimal(50)  # per-trader cap: the platform's maximum, so the big followers are never cut
SESSION_CANDLES = 48  # replay length available to the script (4 hours of 5-minute candles)
WAIT_S = 30.0  # real seconds before a step that never settles is reported as a bug, not hung on


@dataclass
class Participant:
    name: str
    equity: Decimal  # starting equity, USDT
    account: ExchangeAccount
    subscription_id: int = 0  # 0 for the master
    multiplier: Decimal = Decimal(0)  # k of the subscription


class DemoSession:
    """One demo run's accounts, engine and watcher. Use `open_session(...)`."""

    def __init__(self, feed: ReplayFeed, venue: PaperExchange, bus: EventBus, log: DemoLog) -> None:
        self.feed = feed
        self.venue = venue
        self.bus = bus
        self.log = log
        self.engine = ReplicationEngine(_gateways(venue), bus, Limits())
        self.master: Participant
        self.followers: list[Participant] = []
        self.strategy: Strategy
        self._fill_queues: list[asyncio.Queue[Fill]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._delivered = 0  # master events the engine finished
        self._expected = 0
        self._client_ids = 0
        self.watcher: MasterWatcher

    # --- set-up ---------------------------------------------------------------------------------
    async def create_accounts(self) -> None:
        """Users, paper accounts (deterministic ids: the venue's account ids), the strategy, subscriptions."""
        trader = await User.create(telegram_id=1000, full_name="Mia Master", is_trader=True)
        self.master = Participant("master", MASTER_EQUITY, await self._account(trader, 1, MASTER_EQUITY))
        self.strategy = await Strategy.create(
            trader=trader, account=self.master.account, name="XRP swing (demo)", status=StrategyStatus.APPROVED
        )
        for index, (name, equity) in enumerate(FOLLOWERS, start=2):
            user = await User.create(telegram_id=1000 + index, full_name=name)
            account = await self._account(user, index, equity)
            subscription = await Subscription.create(
                follower=user, strategy=self.strategy, account=account, sizing_mode=SizingMode.PROPORTIONAL,
                multiplier=proportional_k(equity, MASTER_EQUITY), allocation=equity, start_equity=equity,
                max_allocation_pct=ALLOCATION_PCT,
            )
            self.followers.append(Participant(name, equity, account, subscription.id, subscription.multiplier))
        self.log.names.update({f.subscription_id: f.name for f in self.followers})

    async def _account(self, owner: User, number: int, equity: Decimal) -> ExchangeAccount:
        account = await ExchangeAccount.create(
            id=uuid.UUID(int=number), owner=owner, exchange="paper", equity=equity, is_demo=True, can_trade=True,
            label=f"demo {number}",
        )
        self.venue.open_account(str(account.id), {QUOTE: equity})
        return account

    async def start(self) -> None:
        """Order sync on every follower's fills, then the master watcher; returns once it watches."""
        for follower in self.followers:
            queue = self.gateway(follower).subscribe()
            self._fill_queues.append(queue)
            self._tasks.append(asyncio.create_task(watch_paper_fills(self.engine, queue)))
        strategy = await Strategy.get(id=self.strategy.id).select_related("account")
        config = WatcherConfig(symbols=(SYMBOL,), push_poll_interval=0.005)
        self.watcher = MasterWatcher.for_strategy(strategy, self.gateway(self.master), self._on_master_event, config)
        task = asyncio.create_task(self.watcher.run())
        self._tasks.append(task)
        await self._until(lambda: self.watcher.polls >= 1 or task.done(), "the master watcher to start")
        if task.done():
            task.result()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.bus.drain()  # the caller's bus (if it passed one) stays open for its own subscribers
        await self.engine.gateways.close()

    async def _on_master_event(self, event: MasterEvent) -> None:
        """The watcher's hand-off: note what it detected, then the real fan-out."""
        try:
            self.log.detected(event, len(self.followers))
            await self.engine.replicate(event)
        finally:
            self._delivered += 1

    # --- the master's actions ---------------------------------------------------------------------
    def gateway(self, who: Participant) -> PaperGateway:
        return self.venue.gateway(str(who.account.id))

    def _client_id(self) -> str:
        self._client_ids += 1
        return f"demo-master-{self._client_ids}"

    async def market(self, side: Side, amount: Decimal) -> Order:
        order = await self.gateway(self.master).create_order(OrderRequest(SYMBOL, side, "market", amount, self._client_id()))
        self.log.line("master", f"market {side} {xrp(amount)} → filled @ {price(order.average)}, fee {fmt(order.fee, 4)} USDT")
        await self.settle(1)
        return order

    async def limit(self, side: Side, amount: Decimal, at: Decimal) -> Order:
        request = OrderRequest(SYMBOL, side, "limit", amount, self._client_id(), price=at)
        order = await self.gateway(self.master).create_order(request)
        self.log.line("master", f"limit {side} {xrp(amount)} @ {price(at)} → {order.status}, market at {price(self.price())}")
        await self.settle(1)
        return order

    async def amend(self, order: Order, *, at: Decimal, amount: Decimal) -> Order:
        amended = await self.gateway(self.master).amend_order(SYMBOL, order.id, price=at, amount=amount)
        self.log.line("master", f"amends its limit {order.side}: {xrp(order.amount)} @ {price(order.price)} → "
                                f"{xrp(amended.amount)} @ {price(amended.price)} (same order, edited in place)")
        await self.settle(1)
        return amended

    async def cancel(self, order: Order) -> None:
        await self.gateway(self.master).cancel_order(SYMBOL, order.id)
        self.log.line("master", f"cancels its limit {order.side} {xrp(order.amount)} @ {price(order.price)}")
        await self.settle(1)

    async def is_open(self, order: Order) -> bool:
        return any(o.id == order.id for o in await self.gateway(self.master).fetch_open_orders(SYMBOL))

    async def holding(self, who: Participant) -> Decimal:
        balance = (await self.gateway(who).fetch_balance()).get(BASE)
        return balance.total if balance is not None else Decimal(0)

    async def booked(self, follower: Participant) -> Decimal:
        """The follower's open position as the engine stored it (Position rows), to check against the exchange."""
        positions = await Position.filter(subscription_id=follower.subscription_id, symbol=SYMBOL, closed_at=None)
        return sum((Decimal(p.amount) if p.side == "long" else -Decimal(p.amount) for p in positions), Decimal(0))

    async def equity(self, who: Participant) -> Decimal:
        """USDT plus XRP marked at the current replay price."""
        balances = await self.gateway(who).fetch_balance()
        usdt, coins = balances.get(QUOTE), balances.get(BASE)
        return (usdt.total if usdt else Decimal(0)) + (coins.total if coins else Decimal(0)) * self.price()

    def price(self) -> Decimal:
        return self.feed.price(SYMBOL)

    # --- time -----------------------------------------------------------------------------------
    async def advance(self, ticks: int) -> int:
        """Move the replay on by up to `ticks` prices (4 per 5-minute candle); returns how many it moved."""
        moved = 0
        while moved < ticks and await self.feed.advance():
            moved += 1
        return moved

    async def settle(self, master_events: int = 0) -> None:
        """Wait for `master_events` more fan-outs, the followers' pushed fills and the bus; print the step."""
        self._expected += master_events
        await self._until(lambda: self._delivered >= self._expected, f"{master_events} master event(s)")
        for queue in self._fill_queues:
            await queue.join()
        await self.bus.drain()
        await self.log.flush()

    async def _until(self, done: Callable[[], bool], what: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_S
        while not done():
            if loop.time() > deadline:
                raise RuntimeError(f"demo: waited {WAIT_S:.0f}s for {what}")
            await asyncio.sleep(0.001)


def _gateways(venue: PaperExchange) -> Gateways:
    # Defaults only: the demo must not depend on the environment or a .env file.
    return Gateways(Settings.model_construct(), paper=venue)


def session_feed(seed: int) -> ReplayFeed:
    """The replay window of a seed: `SESSION_CANDLES` candles from a start the seed picks (the bot's
    chat demo trades on the same window)."""
    candles = replay_xrp_5m(SYMBOL, intrabar=False).remaining + 1  # one step per candle
    start = random.Random(seed).randrange(0, candles - SESSION_CANDLES)
    return replay_xrp_5m(SYMBOL, intrabar=True, start=start, count=SESSION_CANDLES)


@contextlib.asynccontextmanager
async def open_session(seed: int, write: Write, bus: EventBus | None = None) -> AsyncIterator[DemoSession]:
    """The seed picks where in the week of candles the session starts."""
    feed = session_feed(seed)
    venue = PaperExchange(feed, fee_rate=FEE_RATE, slippage_bps=SLIPPAGE_BPS)
    owned = bus is None
    bus = bus or EventBus()
    log = DemoLog(feed.now_ms, {}, write)
    bus.subscribe(log.collect)
    engine_logs = logging.getLogger("core")
    level = engine_logs.level
    engine_logs.setLevel(max(level, logging.WARNING))  # INFO lines carry wall-clock timings; the demo prints its own
    with tempfile.TemporaryDirectory(prefix="copytrade-demo-") as folder:
        await init_db(f"sqlite://{Path(folder) / 'demo.sqlite3'}")
        try:
            await Tortoise.generate_schemas()
            session = DemoSession(feed, venue, bus, log)
            await session.create_accounts()
            await session.start()
            try:
                yield session
            finally:
                await session.stop()
        finally:
            if owned:
                await bus.close()
            await close_db()
            engine_logs.setLevel(level)
