"""Unsubscribe with closing or keeping positions: on the paper exchange, and through real ccxt on the emulator."""
from __future__ import annotations

import os
from datetime import UTC, datetime
from decimal import Decimal

from core.bus import EventBus, EventRecorder
from core.config import ExchangeOptions, Limits, Settings
from core.db.models import CopyOrder, CopyOrderStatus, MasterEvent, Position, Subscription, SubscriptionStatus
from core.emulator.server import ExchangeEmulator
from core.engine.dispatch import RetryPolicy
from core.engine.replicator import ReplicationEngine
from core.engine.unsubscribe import resume_cancelling, unsubscribe
from core.events import CopyFailed, OrderCancelled, SubscriptionStopped
from core.exchange.base import Credentials, Order, OrderRequest
from core.exchange.ccxt_shared import CcxtShared
from core.exchange.feeds import Candle, PriceFeed, ReplayFeed, SyntheticFeed
from core.exchange.paper import PaperExchange, PaperGateway
from core.exchange.provider import Gateways
from core.keystore import store_credentials
from core.vault import Vault
from tests import factories

D = Decimal
SYMBOL = "XRP/USDT"


class ProbedGateway(PaperGateway):
    """A paper account that notes the subscription's status at every order it receives."""

    seen: list[tuple[str, SubscriptionStatus]]

    async def create_order(self, request: OrderRequest) -> Order:
        sub = await Subscription.filter(account_id=self.account_id).first()
        if sub is not None:
            self.venue.seen.append((request.side, sub.status))  # type: ignore[attr-defined]
        return await super().create_order(request)


class ProbedVenue(PaperExchange):
    def __init__(self, feed: PriceFeed) -> None:
        super().__init__(feed, fee_rate=D(0))
        self.seen: list[tuple[str, SubscriptionStatus]] = []

    def gateway(self, account_id: str) -> PaperGateway:
        self.account(account_id)
        return ProbedGateway(self, account_id)


def stepped(*prices: str) -> ReplayFeed:
    return ReplayFeed({SYMBOL: [Candle(i * 60_000, D(p), D(p), D(p), D(p), D(0)) for i, p in enumerate(prices)]})


async def event(strategy_id: int, n: int, kind: str = "fill", side: str = "buy", amount: str = "1000", price: str = "1.0000",
                before: str = "0", order_type: str = "market") -> MasterEvent:
    now = datetime.now(UTC)
    return await MasterEvent.create(strategy_id=strategy_id, exchange_event_id=f"t:{n}", kind=kind, symbol=SYMBOL, side=side,
                                    order_type=order_type, master_order_id=f"m{n}", amount=D(amount), price=D(price),
                                    position_before=D(before), occurred_at=now, detected_at=now)


async def copied(venue: PaperExchange):  # type: ignore[no-untyped-def]
    """Two followers (k = 0.1) holding 100 XRP each, each with a mirrored limit buy resting at 0.9."""
    master = await factories.account(await factories.user(is_trader=True), equity=D(10000))
    strat = await factories.strategy(master)
    subs = []
    for _ in range(2):
        acct = await factories.account(await factories.user(), equity=D(1000))
        venue.open_account(str(acct.id), {"USDT": D(1000)})
        subs.append(await factories.subscription(strat, acct, k=D("0.1")))
    bus = EventBus()
    recorder = EventRecorder(bus)
    engine = ReplicationEngine(Gateways(Settings(), paper=venue), bus, Limits())
    await engine.replicate(await event(strat.id, 1))
    await engine.replicate(await event(strat.id, 2, kind="order_new", amount="500", price="0.9000", before="1000", order_type="limit"))
    return engine, bus, recorder, subs


async def test_unsubscribe_closing_positions(db: str) -> None:
    venue = ProbedVenue(SyntheticFeed({SYMBOL: D("1.0000")}, seed=1))
    engine, bus, recorder, subs = await copied(venue)
    venue.seen.clear()
    result = await unsubscribe(engine, subs[0], close_positions=True)
    await bus.drain()

    assert result.finished and result.failures == {}
    assert venue.seen == [("sell", SubscriptionStatus.CANCELLING)]  # the close went out while cancelling
    sub = await Subscription.get(id=subs[0].id)
    assert (sub.status, sub.status_reason) == (SubscriptionStatus.CANCELLED, "close_positions")
    [limit] = result.cancelled
    assert (limit.order_type, limit.status) == ("limit", CopyOrderStatus.CANCELLED)
    [close] = result.closes
    close = await CopyOrder.get(id=close.id).select_related("master_event")
    assert (close.side, close.order_type, close.amount, close.status) == ("sell", "market", D(100), CopyOrderStatus.FILLED)
    assert (close.master_event.kind, close.master_event.exchange_event_id) == ("close", f"close:{sub.id}:{SYMBOL}:1")
    paper = venue.account(str(sub.account_id))  # type: ignore[attr-defined]
    assert (paper.free.get("XRP"), paper.free["USDT"], paper.used.get("USDT")) == (D(0), D(1000), D(0))
    position = await Position.get(subscription_id=sub.id, symbol=SYMBOL)
    assert position.closed_at is not None and position.amount == 0
    [stopped] = recorder.of(SubscriptionStopped)
    assert (stopped.subscription_id, stopped.reason, stopped.positions_closed) == (sub.id, "unsubscribed", True)
    assert [e.copy_order_id for e in recorder.of(OrderCancelled)] == [limit.id]

    fan = await engine.replicate(await event(sub.strategy_id, 3, before="1000"))  # type: ignore[attr-defined]
    assert [r.subscription_id for r in fan.rows] == [subs[1].id]  # no longer copied into
    assert (await unsubscribe(engine, subs[0], close_positions=True)).closes == []


async def test_unsubscribe_keeping_positions(db: str) -> None:
    venue = ProbedVenue(SyntheticFeed({SYMBOL: D("1.0000")}, seed=1))
    engine, bus, recorder, subs = await copied(venue)
    venue.seen.clear()
    result = await unsubscribe(engine, subs[0], close_positions=False)
    await bus.drain()

    assert result.finished and result.closes == [] and venue.seen == []
    assert [r.status for r in result.cancelled] == [CopyOrderStatus.CANCELLED]  # mirrored orders are not positions
    assert (await Subscription.get(id=subs[0].id)).status == SubscriptionStatus.CANCELLED
    position = await Position.get(subscription_id=subs[0].id, symbol=SYMBOL)
    assert position.closed_at is None and position.amount == D(100)
    assert venue.account(str(subs[0].account_id)).free["XRP"] == D(100)  # type: ignore[attr-defined]
    [stopped] = recorder.of(SubscriptionStopped)
    assert stopped.positions_closed is False
    assert not await MasterEvent.filter(kind="close").exists()


async def test_close_below_minimum_stays_cancelling_until_resumed(db: str) -> None:
    venue = ProbedVenue(stepped("1.0000", "0.0300", "1.0000"))
    engine, bus, recorder, subs = await copied(venue)
    await venue.feed.advance()  # the mirrored buy fills: 150 XRP at 0.03 is 4.5 USDT, under the 5 USDT minimum

    result = await unsubscribe(engine, subs[0], close_positions=True)
    assert not result.finished and result.failures == {SYMBOL: "below_minimum"}
    assert result.cancelled == []  # found filled when it was to be cancelled, and booked
    sub = await Subscription.get(id=subs[0].id)
    assert sub.status == SubscriptionStatus.CANCELLING
    assert sub.status_reason == f"close_positions/unsubscribed: {SYMBOL} below_minimum"
    unsent = await CopyOrder.get(subscription_id=sub.id, master_event__kind="close")
    assert (unsent.status, unsent.sent_at) == (CopyOrderStatus.FAILED, None)
    assert (await resume_cancelling(engine))[0].status == SubscriptionStatus.CANCELLING  # still under the minimum
    await bus.drain()
    [failed] = recorder.of(CopyFailed)  # told once, not on every retry
    assert (failed.subscription_id, failed.reason) == (sub.id, "below_minimum")
    assert recorder.of(SubscriptionStopped) == []
    fan = await engine.replicate(await event(sub.strategy_id, 3, before="1000", price="0.0300"))  # type: ignore[attr-defined]
    assert subs[0].id not in {r.subscription_id for r in fan.rows}

    await venue.feed.advance()
    [resumed] = await resume_cancelling(engine)
    await bus.drain()
    assert resumed.finished and (await Subscription.get(id=sub.id)).status == SubscriptionStatus.CANCELLED
    [close] = await CopyOrder.filter(subscription_id=sub.id, master_event__kind="close")  # the unsent row was retried
    assert (close.id, close.client_order_id) == (unsent.id, unsent.client_order_id)
    assert (close.status, close.amount) == (CopyOrderStatus.FILLED, D(150))
    assert len(recorder.of(SubscriptionStopped)) == 1 and await resume_cancelling(engine) == []


async def on_emulator(emulator: ExchangeEmulator, ccxt_shared: CcxtShared):  # type: ignore[no-untyped-def]
    """A strategy and one Binance follower (k = 0.1, 1,000 USDT) on the emulator, through real ccxt."""
    vault = Vault(os.urandom(32))
    settings = Settings(binance=ExchangeOptions(base_url=emulator.base_url("binance")))
    strat = await factories.strategy(await factories.account(await factories.user(is_trader=True), equity=D(10000)))
    acct = await factories.account(await factories.user(), exchange="binance", equity=D(1000))
    key = emulator.add_key("binance", balances={"USDT": D(1000)})
    await store_credentials(vault, acct, Credentials(key.api_key, key.secret))
    sub = await factories.subscription(strat, acct, k=D("0.1"))
    bus = EventBus()
    engine = ReplicationEngine(Gateways(settings, vault=vault, shared=ccxt_shared), bus, Limits(),
                               retry=RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02))
    return strat, sub, key, engine, bus, EventRecorder(bus)


async def test_close_through_ccxt_survives_an_exchange_outage(db: str, emulator: ExchangeEmulator, ccxt_shared: CcxtShared) -> None:
    strat, sub, key, engine, bus, recorder = await on_emulator(emulator, ccxt_shared)
    try:
        await engine.replicate(await event(strat.id, 1, price="0.5000"))  # the emulator's XRP price
        assert emulator.balances(key.api_key)["XRP"][0] == D("99.9")  # 100 bought, the fee taken in XRP

        emulator.faults.add("binance", "/api/v3/order", "unavailable", method="POST", times=10)
        result = await unsubscribe(engine, sub, close_positions=True)
        assert result.failures == {SYMBOL: "exchange_down"}
        assert (await Subscription.get(id=sub.id)).status == SubscriptionStatus.CANCELLING
        emulator.faults.clear()

        [resumed] = await resume_cancelling(engine)
        await bus.drain()
        assert resumed.finished
        [close] = await CopyOrder.filter(subscription_id=sub.id, master_event__kind="close")
        assert (close.status, close.filled) == (CopyOrderStatus.FILLED, D("99.9"))
        orders = emulator.orders(key.api_key)
        assert [(o.side, o.qty, o.client_order_id) for o in orders][1:] == [("SELL", D("99.9"), close.client_order_id)]
        assert emulator.balances(key.api_key).get("XRP", (D(0), D(0)))[0] == 0
        assert not await Position.filter(subscription_id=sub.id, closed_at=None).exists()  # the fee's 0.1 XRP written off
        assert [e.reason for e in recorder.of(CopyFailed)] == ["exchange_down"]
        assert recorder.of(SubscriptionStopped)[0].positions_closed
    finally:
        await engine.gateways.close()


async def test_close_on_a_thin_book_follows_up_until_flat(db: str, emulator: ExchangeEmulator, ccxt_shared: CcxtShared) -> None:
    """A market close the book fills in part (Binance expires the rest) is followed by another for what remains."""
    strat, sub, key, engine, bus, recorder = await on_emulator(emulator, ccxt_shared)
    try:
        await engine.replicate(await event(strat.id, 1, price="0.5000"))
        emulator.set_liquidity(SYMBOL, D(60))
        result = await unsubscribe(engine, sub, close_positions=True)
        await bus.drain()
        assert result.finished and result.failures == {}
        closes = await CopyOrder.filter(subscription_id=sub.id, master_event__kind="close").order_by("id")
        assert [(c.status, c.amount, c.filled) for c in closes] == [
            (CopyOrderStatus.EXPIRED, D("99.9"), D(60)), (CopyOrderStatus.FILLED, D("39.9"), D("39.9"))
        ]
        assert emulator.balances(key.api_key).get("XRP", (D(0), D(0)))[0] == 0
        assert recorder.of(CopyFailed) == []
        assert (await Subscription.get(id=sub.id)).status == SubscriptionStatus.CANCELLED
    finally:
        await engine.gateways.close()


async def test_a_close_the_exchange_cancels_unfilled_is_told_and_retried_later(
    db: str, emulator: ExchangeEmulator, ccxt_shared: CcxtShared
) -> None:
    """An exchange that cancels a market close it could not fill: told once, like an expired close,
    and the subscription stays Cancelling until a later pass closes the position."""
    strat, sub, key, engine, bus, recorder = await on_emulator(emulator, ccxt_shared)
    try:
        await engine.replicate(await event(strat.id, 1, price="0.5000"))
        emulator.set_liquidity(SYMBOL, D(0), unfilled="CANCELED")
        result = await unsubscribe(engine, sub, close_positions=True)
        await bus.drain()
        assert not result.finished and result.failures == {SYMBOL: "order_cancelled"}
        [close] = await CopyOrder.filter(subscription_id=sub.id, master_event__kind="close")
        assert (close.status, close.filled, close.reason) == (CopyOrderStatus.CANCELLED, D(0), "order_cancelled")
        assert [e.reason for e in recorder.of(CopyFailed)] == ["order_cancelled"]
        assert (await Subscription.get(id=sub.id)).status == SubscriptionStatus.CANCELLING

        emulator.set_liquidity(SYMBOL, None)
        [resumed] = await resume_cancelling(engine)
        await bus.drain()
        assert resumed.finished
        assert emulator.balances(key.api_key).get("XRP", (D(0), D(0)))[0] == 0
        assert (await Subscription.get(id=sub.id)).status == SubscriptionStatus.CANCELLED
    finally:
        await engine.gateways.close()


async def test_a_risk_stop_ends_stopped_with_its_reason(db: str) -> None:
    from tests.test_engine_paper import master_fill, setup

    venue = PaperExchange(SyntheticFeed({"XRP/USDT": Decimal("1.0000")}, seed=1), fee_rate=Decimal(0))
    strat, subs, engine, bus, recorder = await setup(venue, [Decimal(1000)])
    await engine.replicate(await master_fill(strat, 1, "buy", "1000"))
    result = await unsubscribe(engine, subs[0], close_positions=True, reason="stop_loss")
    await bus.drain()
    fresh = await Subscription.get(id=subs[0].id)
    assert result.finished and (fresh.status, fresh.status_reason) == (SubscriptionStatus.STOPPED, "stop_loss")
    [stopped] = recorder.of(SubscriptionStopped)
    assert (stopped.reason, stopped.positions_closed) == ("stop_loss", True)
