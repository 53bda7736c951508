"""Follower-side order sync on the paper exchange: a mirrored limit order fills later and is booked once."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from core.bus import EventBus, EventRecorder
from core.config import Limits, Settings
from core.db.models import CopyOrder, CopyOrderStatus, MasterEvent, Position, Subscription
from core.engine.followers import Follower
from core.engine.order_sync import (
    Progress,
    apply_order,
    apply_paper_fill,
    book_progress,
    follower_for,
    sync_open_orders,
)
from core.engine.replicator import ReplicationEngine
from core.events import CopyFailed, OrderEnded, TradeCopied
from core.exchange.feeds import Candle, ReplayFeed
from core.exchange.paper import PaperExchange
from core.exchange.provider import Gateways
from tests import factories

D = Decimal
SYMBOL = "XRP/USDT"


def stepped(*prices: str) -> ReplayFeed:
    """A feed that moves through `prices`, one per advance()."""
    return ReplayFeed({SYMBOL: [Candle(i * 60_000, D(p), D(p), D(p), D(p), D(0)) for i, p in enumerate(prices)]})


async def setup(venue: PaperExchange):  # type: ignore[no-untyped-def]
    master = await factories.account(await factories.user(is_trader=True), equity=D(10000))
    strat = await factories.strategy(master)
    acct = await factories.account(await factories.user(), equity=D(1000))
    venue.open_account(str(acct.id), {"USDT": D(1000)})
    sub = await factories.subscription(strat, acct, k=D("0.1"))
    bus = EventBus()
    engine = ReplicationEngine(Gateways(Settings(), paper=venue), bus, Limits())
    return strat, sub, acct, engine, bus, EventRecorder(bus)


async def master_limit(strat, price: str, amount: str) -> MasterEvent:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    return await MasterEvent.create(strategy=strat, exchange_event_id="o:1", kind="order_new", symbol=SYMBOL, side="buy",
                                    order_type="limit", master_order_id="m1", amount=D(amount), price=D(price),
                                    occurred_at=now, detected_at=now)


async def test_limit_fill_is_booked_once_by_polling(db: str) -> None:
    venue = PaperExchange(stepped("1.0000", "0.8900"), fee_rate=D("0.001"))
    strat, sub, _, engine, bus, recorder = await setup(venue)
    fan = await engine.replicate(await master_limit(strat, "0.9000", "500"))
    [row] = fan.rows
    assert (row.status, row.order_type, row.amount, row.price) == (CopyOrderStatus.OPEN, "limit", D(50), D("0.9000"))
    assert await sync_open_orders(engine) == 0  # still resting: nothing to book

    await venue.feed.advance()  # the price crosses the limit: the follower's order fills on its exchange
    assert await sync_open_orders(engine) == 1
    assert await sync_open_orders(engine) == 0  # the second run finds the fill already booked
    await bus.drain()

    row = await CopyOrder.get(id=row.id)
    assert (row.status, row.filled, row.average_price, row.fee) == (CopyOrderStatus.FILLED, D(50), D("0.9"), D("0.045"))
    position = await Position.get(subscription_id=sub.id, symbol=SYMBOL)
    assert (position.amount, position.entry_price, position.fees) == (D(50), D("0.9"), D("0.045"))
    acked, copied = recorder.of(TradeCopied)  # the order resting, then its fill
    assert (acked.filled, copied.copy_order_id, copied.filled, copied.partial) == (D(0), row.id, D(50), False)
    holding = (await engine.book.followers(strat.id))[0].holdings[SYMBOL]
    assert holding.amount == D(50)  # the engine's in-memory holding, which sizes the next exit


async def test_pushed_paper_fill_and_a_later_poll_book_it_once(db: str) -> None:
    venue = PaperExchange(stepped("1.0000", "0.8900"), fee_rate=D(0))
    strat, sub, acct, engine, bus, recorder = await setup(venue)
    fills = venue.gateway(str(acct.id)).subscribe()
    await engine.replicate(await master_limit(strat, "0.9000", "500"))
    await venue.feed.advance()
    fill = fills.get_nowait()
    assert await apply_paper_fill(engine, fill) == D(50)
    assert await apply_paper_fill(engine, fill) == 0  # a redelivered push
    assert await sync_open_orders(engine) == 0  # the poll finds nothing left to book
    await bus.drain()
    assert (await Position.get(subscription_id=sub.id, symbol=SYMBOL)).amount == D(50)
    assert [e.filled for e in recorder.of(TradeCopied)] == [D(0), D(50)]


async def test_fill_found_when_the_master_cancels_is_booked(db: str) -> None:
    """A mirrored order that filled before the master cancelled its own: the cancel reads the fill back."""
    venue = PaperExchange(stepped("1.0000", "0.8900"), fee_rate=D(0))
    strat, sub, _, engine, _, _ = await setup(venue)
    await engine.replicate(await master_limit(strat, "0.9000", "500"))
    await venue.feed.advance()  # fills on the follower's exchange, not synced yet
    now = datetime.now(UTC)
    cancel = await MasterEvent.create(strategy=strat, exchange_event_id="o:2", kind="order_cancel", symbol=SYMBOL, side="buy",
                                      order_type="limit", master_order_id="m1", amount=D(500), price=D("0.9"),
                                      occurred_at=now, detected_at=now)
    await engine.replicate(cancel)
    assert (await Position.get(subscription_id=sub.id, symbol=SYMBOL)).amount == D(50)
    assert await sync_open_orders(engine) == 0


async def test_resting_copy_rejected_by_the_exchange_is_told_as_failed(db: str) -> None:
    """An exchange's view of a resting copy as rejected: the row fails with its reason and the follower hears of it once."""
    venue = PaperExchange(stepped("1.0000"), fee_rate=D(0))
    strat, sub, acct, engine, bus, recorder = await setup(venue)
    event = await master_limit(strat, "0.9000", "500")
    [row] = (await engine.replicate(event)).rows
    order = await venue.gateway(str(acct.id)).fetch_order_by_client_id(SYMBOL, row.client_order_id)
    assert order is not None and order.status == "open"
    row = await CopyOrder.get(id=row.id).select_related("subscription")
    follower = await follower_for(engine, row.subscription)
    rejected = replace(order, status="rejected")

    assert await apply_order(engine, follower, row, rejected) == 0
    assert await apply_order(engine, follower, row, rejected) == 0  # the same view again changes nothing
    await bus.drain()
    row = await CopyOrder.get(id=row.id)
    assert (row.status, row.filled, row.reason) == (CopyOrderStatus.FAILED, D(0), "invalid_order")
    [ended] = recorder.of(OrderEnded)
    assert (ended.subscription_id, ended.master_event_id, ended.copy_order_id) == (sub.id, event.id, row.id)
    assert (ended.side, ended.amount, ended.filled, ended.status) == ("buy", D(50), D(0), "failed")
    assert recorder.of(CopyFailed) == []


async def test_partial_fills_are_booked_at_their_own_prices(db: str) -> None:
    sub = Subscription(id=1)
    follower = Follower(sub)
    row = CopyOrder(symbol=SYMBOL, side="buy", order_type="limit", amount=D(100), price=D(1), filled=D(40),
                    average_price=D("0.95"), fee=D("0.04"))
    assert book_progress(follower, row, Progress(D(0), None, D(0))) == D(40)
    before = Progress.of(row)
    row.filled, row.average_price, row.fee = D(100), D("0.98"), D("0.10")  # 60 more at 1.00
    assert book_progress(follower, row, before) == D(60)
    assert book_progress(follower, row, Progress.of(row)) == 0
    holding = follower.holdings[SYMBOL]
    assert (holding.amount, holding.entry_price, holding.fees) == (D(100), D("0.98"), D("0.10"))
