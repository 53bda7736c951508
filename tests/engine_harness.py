"""The replication engine wired to the Binance emulator through real ccxt, for tests, crash tests and benchmarks.

`EngineHarness.create(emulator, shared)` builds everything the engine needs the way production does:
a master account and an approved strategy, followers whose API keys live on the emulator and are
stored sealed by a vault (random key) on their ExchangeAccount rows, Settings pointing Binance at
the emulator, `Gateways` (pooled CcxtGateway from the vault-decrypted keys), an EventBus with an
EventRecorder, and a ReplicationEngine with a short RetryPolicy. The database must already be
initialised (the `db` fixture, or `init_db` + `generate_schemas` in a script).

Typical use:

    h = await EngineHarness.create(emulator, ccxt_shared)
    alice = await h.add_follower(Decimal(1000))                 # k = 1000 / master equity
    fan = await h.replicate(await h.master_event(side="buy", amount=D(1000), price=D("0.6")))
    h.orders(alice)                                              # what the emulator received
    await h.close()

The emulator may run in another process (benchmarks): pass `base_url=` with `emulator=None` and give
each follower `credentials=` of a key that emulator already knows (`core.emulator.bench_credentials`).
`restart_engine()` replaces the engine and its gateway pool, as a process restart would (crash tests).
"""
from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from core.bus import EventBus, EventRecorder
from core.config import ExchangeOptions, Limits, Settings
from core.db.models import CopyOrder, ExchangeAccount, MasterEvent, Strategy, Subscription
from core.emulator.binance import SpotOrder
from core.emulator.server import ExchangeEmulator
from core.engine import outbox
from core.engine.dispatch import RetryPolicy
from core.engine.outbox import OutboxRow
from core.engine.planner import EventPlan, Market
from core.engine.replicator import FanOut, ReplicationEngine
from core.engine.sizing import proportional_k
from core.events import utcnow
from core.exchange.base import Credentials
from core.exchange.ccxt_shared import CcxtShared
from core.exchange.provider import Gateways
from core.keystore import store_credentials
from core.vault import Vault
from tests import factories

EXCHANGE = "binance"
SYMBOL = "XRP/USDT"
MASTER_EQUITY = Decimal(10000)
# Short enough that a test of an outage takes a fraction of a second, long enough for a few retries.
FAST_RETRY = RetryPolicy(max_attempts=6, base_delay=0.01, max_delay=0.05, outage_window=2.0)


@dataclass(eq=False)  # hashable by identity: tests key expectations by follower
class FollowerAccount:
    """One follower: the API key its emulator account answers to, its account row and its subscription."""

    api_key: str
    account: ExchangeAccount
    subscription: Subscription

    @property
    def id(self) -> int:
        """The subscription id, which is what CopyOrder rows and events refer to."""
        return self.subscription.id


@dataclass
class EngineHarness:
    emulator: ExchangeEmulator | None
    shared: CcxtShared
    settings: Settings
    vault: Vault
    bus: EventBus
    recorder: EventRecorder
    master: ExchangeAccount
    strategy: Strategy
    retry: RetryPolicy
    limits: Limits
    engine_options: dict[str, Any]
    gateways: Gateways = field(init=False)
    engine: ReplicationEngine = field(init=False)
    followers: list[FollowerAccount] = field(default_factory=list)
    master_equity: Decimal = MASTER_EQUITY
    positions: dict[str, Decimal] = field(default_factory=dict)  # the master's signed position per symbol
    _event_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _retired: list[Gateways] = field(default_factory=list)  # pools of engines replaced by restart_engine

    @classmethod
    async def create(
        cls,
        emulator: ExchangeEmulator | None,
        shared: CcxtShared,
        *,
        base_url: str | None = None,
        master_equity: Decimal = MASTER_EQUITY,
        retry: RetryPolicy = FAST_RETRY,
        limits: Limits | None = None,
        engine_options: dict[str, Any] | None = None,
        **strategy_fields: Any,
    ) -> EngineHarness:
        """Master account, approved strategy (`strategy_fields` go to the Strategy row) and a running engine."""
        if base_url is None:
            if emulator is None:
                raise ValueError("give an in-process emulator or the base_url of a running one")
            base_url = emulator.base_url(EXCHANGE)
        limits = limits or Limits()
        vault = Vault(os.urandom(32))
        master = await factories.account(await factories.user(is_trader=True), exchange=EXCHANGE, equity=master_equity)
        if emulator is not None:
            key = emulator.add_key(EXCHANGE, balances={"USDT": master_equity})
            await store_credentials(vault, master, Credentials(key.api_key, key.secret))
        bus = EventBus()
        harness = cls(
            emulator=emulator,
            shared=shared,
            settings=Settings(binance=ExchangeOptions(base_url=base_url), limits=limits),
            vault=vault,
            bus=bus,
            recorder=EventRecorder(bus),
            master=master,
            strategy=await factories.strategy(master, **strategy_fields),
            retry=retry,
            limits=limits,
            engine_options=dict(engine_options or {}),
            master_equity=master_equity,
        )
        harness.restart_engine()
        return harness

    def restart_engine(self) -> ReplicationEngine:
        """A fresh engine with a fresh gateway pool and follower book, as after a process restart.

        The previous pool is left as it is (a crashed process does not close it either) and only
        closed by `close()`."""
        if hasattr(self, "gateways"):
            self._retired.append(self.gateways)
        self.gateways = Gateways(self.settings, vault=self.vault, shared=self.shared)
        self.engine = ReplicationEngine(self.gateways, self.bus, self.limits, retry=self.retry, **self.engine_options)
        return self.engine

    async def close(self) -> None:
        await self.bus.close()
        for gateways in (*self._retired, self.gateways):
            await gateways.close()

    # --- followers ------------------------------------------------------------------------------
    async def add_follower(
        self,
        equity: Decimal,
        *,
        k: Decimal | None = None,
        balances: dict[str, Decimal] | None = None,
        credentials: Credentials | None = None,
        market_type: str = "spot",
        **subscription_fields: Any,
    ) -> FollowerAccount:
        """A follower with `equity` on record, subscribed to the strategy.

        k defaults to the spec's proportional k (equity ÷ master equity). The emulator account is
        opened with `balances` (default: `equity` USDT); with an out-of-process emulator pass the
        `credentials` of a key it already knows instead."""
        if credentials is None:
            if self.emulator is None:
                raise ValueError("an out-of-process emulator needs the follower's credentials")
            key = self.emulator.add_key(EXCHANGE, balances={"USDT": equity} if balances is None else balances)
            credentials = Credentials(key.api_key, key.secret)
        account = await factories.account(await factories.user(), exchange=EXCHANGE, equity=equity, market_type=market_type)
        await store_credentials(self.vault, account, credentials)
        multiplier = proportional_k(equity, self.master_equity) if k is None else k
        subscription = await factories.subscription(self.strategy, account, k=multiplier, **subscription_fields)
        follower = FollowerAccount(credentials.api_key, account, subscription)
        self.followers.append(follower)
        self.engine.invalidate(self.strategy.id)
        return follower

    # --- master events --------------------------------------------------------------------------
    async def master_event(
        self,
        *,
        kind: str = "fill",
        side: str = "buy",
        amount: Decimal,
        price: Decimal,
        symbol: str = SYMBOL,
        order_type: str | None = None,
        master_order_id: str | None = None,
        position_before: Decimal | None = None,
        detected_at: datetime | None = None,
        exchange_event_id: str | None = None,
        payload: dict[str, str] | None = None,
    ) -> MasterEvent:
        """Persist a MasterEvent as the watcher would.

        Fills default to market orders and keep track of the master's position, so `position_before`
        is right for a sequence of fills without the caller counting; order events default to limit."""
        number = next(self._event_ids)
        held = self.positions.get(symbol, Decimal(0))
        before = held if position_before is None else position_before
        if kind == "fill":
            self.positions[symbol] = before + (amount if side == "buy" else -amount)
        now = utcnow()
        return await MasterEvent.create(
            strategy=self.strategy,
            exchange_event_id=exchange_event_id or f"{kind}:{number}",
            kind=kind,
            symbol=symbol,
            side=side,
            order_type=order_type or ("market" if kind == "fill" else "limit"),
            master_order_id=master_order_id,
            amount=amount,
            price=price,
            filled=amount if kind == "fill" else Decimal(0),
            master_equity=self.master_equity,
            position_before=before,
            occurred_at=detected_at or now,
            detected_at=detected_at or now,
            payload=payload or {},
        )

    async def replicate(self, event: MasterEvent) -> FanOut:
        """Fan the event out and wait until every published event reached the recorder."""
        fan = await self.engine.replicate(event)
        await self.bus.drain()
        return fan

    async def write_outbox(self, event: MasterEvent, followers: list[FollowerAccount] | None = None) -> list[OutboxRow]:
        """The rows the engine would write for `event` (its planner, its ids), left PENDING and not sent.

        That is the state a crash between the outbox write and the send leaves behind."""
        wanted = {f.id for f in (followers if followers is not None else self.followers)}
        book = [f for f in await self.engine.book.followers(event.strategy_id) if f.id in wanted]
        rows: list[OutboxRow] = []
        for follower in book:
            async with self.gateways.lease(follower.subscription.account) as gateway:
                await gateway.load_markets()
                market = Market(gateway.market(event.symbol), await gateway.fetch_price(event.symbol))
            rows.extend(self.engine._row(event, follower, p) for p in EventPlan(event, market, self.limits).follower(follower))
        await outbox.write(rows)
        return rows

    # --- what happened --------------------------------------------------------------------------
    def orders(self, follower: FollowerAccount) -> list[SpotOrder]:
        """Every order the follower's emulator account holds, oldest first."""
        if self.emulator is None:
            raise ValueError("the emulator runs in another process")
        return self.emulator.orders(follower.api_key)

    async def rows(self, event: MasterEvent) -> dict[int, list[CopyOrder]]:
        """The event's CopyOrder rows as stored, per subscription id, by leg."""
        result: dict[int, list[CopyOrder]] = {}
        for row in await CopyOrder.filter(master_event_id=event.id).order_by("leg"):
            result.setdefault(row.subscription_id, []).append(row)  # type: ignore[attr-defined]
        return result

    async def row(self, event: MasterEvent, follower: FollowerAccount) -> CopyOrder:
        """The follower's single row for `event` (fails when there is not exactly one)."""
        return await CopyOrder.get(master_event_id=event.id, subscription_id=follower.id)
