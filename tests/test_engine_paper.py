"""The engine end to end on the paper exchange: sizing, outbox rows, positions, events."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from core.bus import EventBus, EventRecorder
from core.config import Limits, Settings
from core.db.models import CopyOrder, CopyOrderStatus, MasterEvent, Position
from core.engine.replicator import ReplicationEngine
from core.events import CopySkipped, TradeCopied
from core.exchange.feeds import SyntheticFeed
from core.exchange.paper import PaperExchange
from core.exchange.provider import Gateways
from tests import factories

D = Decimal


@pytest.fixture
async def venue() -> PaperExchange:
    feed = SyntheticFeed({"XRP/USDT": D("1.0000")}, seed=1)
    return PaperExchange(feed, fee_rate=D(0))


async def setup(venue: PaperExchange, equities: list[Decimal]):  # type: ignore[no-untyped-def]
    master_acct = await factories.account(await factories.user(is_trader=True), equity=D(10000))
    venue.open_account(str(master_acct.id), {"USDT": D(10000)})
    strat = await factories.strategy(master_acct)
    subs = []
    for eq in equities:
        acct = await factories.account(await factories.user(), equity=eq)
        venue.open_account(str(acct.id), {"USDT": eq})
        subs.append(await factories.subscription(strat, acct, k=eq / D(10000)))
    bus = EventBus()
    recorder = EventRecorder(bus)
    engine = ReplicationEngine(Gateways(Settings(), paper=venue), bus, Limits())
    return strat, subs, engine, bus, recorder


async def master_fill(strat, n: int, side: str, amount: str, before: str = "0") -> MasterEvent:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    return await MasterEvent.create(strategy=strat, exchange_event_id=f"t:{n}", kind="fill", symbol="XRP/USDT",
                                    side=side, amount=D(amount), price=D("1.0000"), position_before=D(before),
                                    occurred_at=now, detected_at=now)


async def test_entry_and_exit_fan_out(db: str, venue: PaperExchange) -> None:
    strat, subs, engine, bus, recorder = await setup(venue, [D(1000), D(2000), D(30)])
    fan = await engine.replicate(await master_fill(strat, 1, "buy", "1000"))
    await bus.drain()
    amounts = {r.subscription_id: (r.status, r.amount, r.reason) for r in fan.rows}
    assert amounts[subs[0].id][:2] == (CopyOrderStatus.FILLED, D(100))
    assert amounts[subs[1].id][:2] == (CopyOrderStatus.FILLED, D(200))
    assert amounts[subs[2].id] == (CopyOrderStatus.SKIPPED, D(0), "below_minimum")  # 3 XRP ≈ 3 USDT < 5
    assert len(recorder.of(TradeCopied)) == 2 and len(recorder.of(CopySkipped)) == 1
    pos = await Position.get(subscription_id=subs[0].id, symbol="XRP/USDT")
    assert pos.amount == D(100) and pos.closed_at is None

    # redelivery of the same event places nothing new
    again = await engine.replicate(await MasterEvent.get(strategy=strat, exchange_event_id="t:1"))
    assert again.rows == [] and await CopyOrder.all().count() == 3

    fan = await engine.replicate(await master_fill(strat, 2, "sell", "500", before="1000"))
    sells = {r.subscription_id: (r.status, r.amount) for r in fan.rows}
    assert sells[subs[0].id] == (CopyOrderStatus.FILLED, D(50))
    assert sells[subs[1].id] == (CopyOrderStatus.FILLED, D(100))
    pos = await Position.get(subscription_id=subs[1].id, symbol="XRP/USDT")
    assert pos.amount == D(100)


async def test_entry_guards_min_equity_and_max_open_trades(db: str, venue: PaperExchange) -> None:
    strat, subs, engine, bus, recorder = await setup(venue, [D(1000), D(1000)])
    await type(subs[0]).filter(id=subs[0].id).update(min_equity=D("1000.01"))  # just above the account's equity
    await type(subs[1]).filter(id=subs[1].id).update(max_open_trades=1)
    engine.invalidate(strat.id)
    fan = await engine.replicate(await master_fill(strat, 1, "buy", "1000"))
    rows = {r.subscription_id: r for r in fan.rows}
    assert (rows[subs[0].id].status, rows[subs[0].id].reason) == (CopyOrderStatus.SKIPPED, "min_equity")
    assert rows[subs[1].id].status == CopyOrderStatus.FILLED  # the first open trade is allowed

    # adding to the same position is not a new trade; a second symbol would be
    fan = await engine.replicate(await master_fill(strat, 2, "buy", "100", before="1000"))
    assert {r.subscription_id: r.status for r in fan.rows}[subs[1].id] == CopyOrderStatus.FILLED
    follower = (await engine.book.followers(strat.id))[1]
    follower.holding("BTC/USDT").amount = D(1)  # an open trade in another symbol
    fan = await engine.replicate(await master_fill(strat, 3, "buy", "100", before="1100"))
    assert {r.subscription_id: r.status for r in fan.rows}[subs[1].id] == CopyOrderStatus.FILLED  # existing symbol
    follower.holdings.pop("XRP/USDT")
    fan = await engine.replicate(await master_fill(strat, 4, "buy", "100", before="1200"))
    row = {r.subscription_id: r for r in fan.rows}[subs[1].id]
    assert (row.status, row.reason) == (CopyOrderStatus.SKIPPED, "max_open_trades")


async def test_one_position_row_per_holding_across_events_reloads_and_closes(db: str, venue: PaperExchange) -> None:
    strat, subs, engine, bus, recorder = await setup(venue, [D(1000)])
    sub = subs[0].id

    async def rows() -> list[tuple[D, bool]]:
        return [(p.amount, p.closed_at is None) for p in await Position.filter(subscription_id=sub).order_by("id")]

    await engine.replicate(await master_fill(strat, 1, "buy", "1000"))
    await engine.replicate(await master_fill(strat, 2, "buy", "500", before="1000"))
    assert await rows() == [(D(150), True)]  # the second fill grew the same row
    engine.invalidate(strat.id)  # a reload reads the row's id back with the holding
    await engine.replicate(await master_fill(strat, 3, "sell", "750", before="1500"))
    assert await rows() == [(D(75), True)]
    await engine.replicate(await master_fill(strat, 4, "sell", "750", before="750"))
    assert await rows() == [(D(0), False)]  # closed, not deleted
    await engine.replicate(await master_fill(strat, 5, "buy", "1000"))
    assert await rows() == [(D(0), False), (D(100), True)]  # a fresh position with fresh P&L
