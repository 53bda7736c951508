"""Master watcher: fills and order changes become stored, idempotent MasterEvents, on the paper venue
(its push queue) and on the Binance emulator through real ccxt (REST polling), across restarts."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from decimal import Decimal

import pytest

from core.config import ExchangeOptions
from core.db.models import ExchangeAccount, MasterEvent, Strategy, StrategyStatus
from core.emulator.server import ExchangeEmulator
from core.engine.master_state import KnownOrder, MasterState, diff_open_orders, position_after
from core.engine.supervisor import Backoff, WatcherSupervisor
from core.engine.watcher import MasterWatcher, WatcherConfig
from core.errors import ExchangeUnavailable
from core.events import utcnow
from core.exchange.base import Credentials, Gateway, Order, OrderRequest
from core.exchange.ccxt_gateway import CcxtGateway
from core.exchange.ccxt_shared import CcxtShared
from core.exchange.feeds import Candle, ReplayFeed
from core.exchange.paper import PaperExchange
from tests import factories

D = Decimal
XRP = "XRP/USDT"
BTC = "BTC/USDT"
ETH = "ETH/USDT"
T0 = 1_700_000_000_000


class Recorder:
    """The engine's entry point as the watcher sees it: records every event it is handed."""

    def __init__(self) -> None:
        self.events: list[MasterEvent] = []
        self._queue: asyncio.Queue[MasterEvent] = asyncio.Queue()

    async def __call__(self, event: MasterEvent) -> None:
        self.events.append(event)
        self._queue.put_nowait(event)

    async def next(self) -> MasterEvent:
        return await asyncio.wait_for(self._queue.get(), 5)

    @property
    def ids(self) -> list[str]:
        return [e.exchange_event_id for e in self.events]


async def wait_until(condition: Callable[[], bool]) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), 5)


def flat_feed(*prices: str) -> ReplayFeed:
    candles = [Candle(T0 + 60_000 * i, D(p), D(p), D(p), D(p), D(1)) for i, p in enumerate(prices)]
    return ReplayFeed({XRP: candles}, interval_ms=60_000)


def order(side: str, amount: str, cid: str, symbol: str = XRP, price: str | None = None) -> OrderRequest:
    kind = "limit" if price else "market"
    return OrderRequest(symbol, side, kind, D(amount), cid, D(price) if price else None)  # type: ignore[arg-type]


async def make_strategy(exchange: str, **fields: object) -> tuple[Strategy, ExchangeAccount]:
    trader = await factories.user(is_trader=True)
    account = await factories.account(trader, exchange)
    return await factories.strategy(account, **fields), account


async def stored(strategy: Strategy) -> list[MasterEvent]:
    return await MasterEvent.filter(strategy_id=strategy.id).order_by("id")


@contextlib.asynccontextmanager
async def running(watcher: MasterWatcher) -> AsyncIterator[MasterWatcher]:
    """Run the watcher in the background; yield once its first poll (the baseline) is done."""
    task = asyncio.create_task(watcher.run())
    try:
        await wait_until(lambda: watcher.polls >= 1 or task.done())
        if task.done():
            task.result()
        yield watcher
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def paper_config() -> WatcherConfig:
    return WatcherConfig(symbols=(XRP,), push_poll_interval=0.02)


# --- pure pieces ----------------------------------------------------------------------------------
def test_positions_are_signed_and_spot_never_goes_short() -> None:
    assert position_after(D(0), "buy", D(2), can_short=False) == D(2)
    assert position_after(D(2), "sell", D(3), can_short=False) == D(0)
    assert position_after(D(2), "sell", D(3), can_short=True) == D(-1)
    assert position_after(D(-1), "buy", D(1), can_short=True) == D(0)


def _open(order_id: str, price: str, amount: str, filled: str = "0", kind: str = "limit") -> Order:
    return Order(order_id, None, BTC, "buy", kind, "open", D(amount), D(filled), D(price))  # type: ignore[arg-type]


def test_order_diff_new_amend_cancel_and_filled_orders_end_silently() -> None:
    known = {
        "1": KnownOrder("1", BTC, "buy", D("50000"), D("0.01")),
        "2": KnownOrder("2", BTC, "buy", D("50000"), D("0.01")),
        "3": KnownOrder("3", BTC, "buy", D("50000"), D("0.01")),
        "4": KnownOrder("4", BTC, "buy", D("50000"), D("0.01")),
    }
    fills = {"2": D("0.01"), "3": D("0.004"), "4": D("0.002")}
    snapshot = [
        _open("1", "50000.00000000", "0.01000000"),  # unchanged (same values, other spelling)
        _open("4", "49000", "0.01", filled="0.002"),  # price amended after a partial fill
        _open("5", "48000", "0.02", filled="0.005"),  # new, partly filled already
        _open("6", "48000", "0.02", filled="0.02"),  # new but already done: nothing to mirror
        _open("7", "48000", "0.02", kind="stop_loss_limit"),  # conditional: not on the book
    ]
    changes = diff_open_orders(known, snapshot, lambda oid: fills.get(oid, D(0)))
    summary = [(c.kind, c.order.id, c.remaining, c.filled, c.event_id) for c in changes]
    assert summary == [
        ("order_amend", "4", D("0.008"), D("0.002"), "o:4:amend:49000:0.01"),
        ("order_new", "5", D("0.015"), D("0.005"), "o:5:new"),
        ("order_cancel", "3", D("0.006"), D("0.004"), "o:3:cancel"),  # left the book part-filled
    ]  # "2" left the book completely filled: no event


# --- paper: the push source ---------------------------------------------------------------------
async def test_paper_fills_become_fill_events_with_the_running_position(db: str) -> None:
    venue = PaperExchange(flat_feed("0.5000"), fee_rate=D("0.001"))
    master = venue.open_account("m", {"USDT": D("1000")})
    strategy, _ = await make_strategy("paper")
    recorder = Recorder()
    async with running(MasterWatcher(strategy.id, master, recorder, paper_config())):
        before = utcnow()
        buy1 = await master.create_order(order("buy", "100", "b1"))
        first = await recorder.next()
        buy2 = await master.create_order(order("buy", "50", "b2"))
        second = await recorder.next()
        await master.create_order(order("sell", "30", "s1"))
        third = await recorder.next()
        after = utcnow()

    assert (first.kind, first.exchange_event_id, first.side, first.order_type) == ("fill", "t:1", "buy", "market")
    assert (first.symbol, first.master_order_id, first.amount, first.price) == (XRP, buy1.id, D(100), D("0.5"))
    assert (first.position_before, first.filled) == (D(0), D(100))
    assert first.occurred_at == datetime.fromisoformat("2023-11-14T22:13:20+00:00")  # the feed's clock
    assert (second.master_order_id, second.position_before) == (buy2.id, D(100))
    assert (third.side, third.amount, third.position_before) == ("sell", D(30), D(150))
    assert all(before <= e.detected_at <= after for e in (first, second, third))
    rows = await stored(strategy)
    assert [(r.exchange_event_id, r.position_before) for r in rows] == [("t:1", D(0)), ("t:2", D(100)), ("t:3", D(150))]
    assert rows[0].payload["fee"] == "0.05"  # 100 × 0.5 × 0.1 %, in the quote currency
    assert (await MasterState.load(strategy.id, can_short=False)).position(XRP) == D(120)


async def test_a_redelivered_fill_is_stored_once_and_handed_over_once(db: str) -> None:
    venue = PaperExchange(flat_feed("0.5000"))
    master = venue.open_account("m", {"USDT": D("1000")})
    spy = master.subscribe()
    strategy, _ = await make_strategy("paper")
    recorder = Recorder()
    watcher = MasterWatcher(strategy.id, master, recorder, paper_config())
    async with running(watcher):
        await master.create_order(order("buy", "100", "b1"))
        await recorder.next()
        fill = spy.get_nowait()
        venue.account("m").subscribers[0].put_nowait(fill)  # the push channel delivers it again
        await master.create_order(order("buy", "20", "b2"))
        assert (await recorder.next()).exchange_event_id == "t:2"  # the duplicate was passed over

    # a new watcher (a restart: nothing in memory) meets the same trade: the unique constraint holds
    again = MasterWatcher(strategy.id, master, recorder, paper_config())
    await again.load()
    await again.handle_trades([fill.trade], utcnow())
    assert recorder.ids == ["t:1", "t:2"]
    assert [r.exchange_event_id for r in await stored(strategy)] == ["t:1", "t:2"]
    assert again.state.position(XRP) == D(120)


async def test_spot_position_before_never_goes_below_zero(db: str) -> None:
    venue = PaperExchange(flat_feed("0.5000"))
    master = venue.open_account("m", {"USDT": D("1000"), "XRP": D("500")})  # held before the watch began
    strategy, _ = await make_strategy("paper")
    recorder = Recorder()
    async with running(MasterWatcher(strategy.id, master, recorder, paper_config())):
        await master.create_order(order("sell", "200", "s1"))
        await master.create_order(order("buy", "10", "b1"))
        sell, buy = await recorder.next(), await recorder.next()
    assert (sell.position_before, buy.position_before) == (D(0), D(0))


async def test_paper_limit_order_new_cancel_and_fill_on_the_book(db: str) -> None:
    venue = PaperExchange(flat_feed("0.5000", "0.4000"), fee_rate=D(0))
    master = venue.open_account("m", {"USDT": D("1000")})
    strategy, _ = await make_strategy("paper")
    recorder = Recorder()
    watcher = MasterWatcher(strategy.id, master, recorder, paper_config())
    async with running(watcher):
        resting = await master.create_order(order("buy", "100", "l1", price="0.4500"))
        new = await recorder.next()
        await master.cancel_order(XRP, resting.id)
        cancel = await recorder.next()
        second = await master.create_order(order("buy", "40", "l2", price="0.4500"))
        new2 = await recorder.next()
        await venue.feed.advance()  # 0.40 crosses the limit: it fills at 0.45
        fill = await recorder.next()
        polls = watcher.polls
        await wait_until(lambda: watcher.polls >= polls + 2)  # the order left the book: diffed twice since

    assert (new.kind, new.exchange_event_id, new.order_type) == ("order_new", f"o:{resting.id}:new", "limit")
    assert (new.side, new.amount, new.price, new.filled, new.master_order_id) == ("buy", D(100), D("0.45"), D(0), resting.id)
    assert (cancel.kind, cancel.exchange_event_id, cancel.amount) == ("order_cancel", f"o:{resting.id}:cancel", D(100))
    assert (new2.kind, new2.master_order_id) == ("order_new", second.id)
    assert (fill.kind, fill.order_type, fill.master_order_id) == ("fill", "limit", second.id)
    assert (fill.amount, fill.price, fill.filled, fill.position_before) == (D(40), D("0.45"), D(40), D(0))
    assert recorder.ids == [f"o:{resting.id}:new", f"o:{resting.id}:cancel", f"o:{second.id}:new", "t:1"]
    assert await MasterEvent.filter(strategy_id=strategy.id).count() == 4  # no cancel for the filled one


async def test_restart_keeps_the_resting_orders_it_announced(db: str) -> None:
    venue = PaperExchange(flat_feed("0.5000"))
    master = venue.open_account("m", {"USDT": D("1000")})
    strategy, _ = await make_strategy("paper")
    recorder = Recorder()
    async with running(MasterWatcher(strategy.id, master, recorder, paper_config())):
        resting = await master.create_order(order("buy", "100", "l1", price="0.4500"))
        await recorder.next()
    watcher = MasterWatcher(strategy.id, master, recorder, paper_config())
    async with running(watcher):
        assert set(watcher.state.open_orders) == {resting.id}  # rebuilt from the stored events
        await master.cancel_order(XRP, resting.id)
        assert (await recorder.next()).kind == "order_cancel"
    assert recorder.ids == [f"o:{resting.id}:new", f"o:{resting.id}:cancel"]  # no second order_new


# --- Binance emulator through real ccxt: REST polling ---------------------------------------------
@pytest.fixture
async def binance_master(emulator: ExchangeEmulator) -> AsyncIterator[CcxtGateway]:
    # ccxt weighs myTrades 4 and openOrders 1.2 at 50 ms each; the emulator has no rate limit to respect
    shared = CcxtShared(rate_limits={"binance": 1}, timeout_ms=2_000)
    key = emulator.add_key("binance", balances={"USDT": D("100000")})
    options = ExchangeOptions(base_url=emulator.base_url("binance"))
    gateway = CcxtGateway("binance", Credentials(key.api_key, key.secret), options, shared)
    await gateway.load_markets()
    try:
        yield gateway
    finally:
        await gateway.close()
        await shared.close()


def rest_config() -> WatcherConfig:
    return WatcherConfig(symbols=(BTC, ETH), overlap_ms=60_000)  # a wide overlap: every poll refetches


async def test_rest_polling_detects_master_trades_once_across_overlapping_polls_and_a_restart(
    db: str, binance_master: CcxtGateway, emulator: ExchangeEmulator
) -> None:
    strategy, _ = await make_strategy("binance")
    recorder = Recorder()
    history = await binance_master.create_order(order("buy", "0.001", "history", BTC))  # before the watch: never copied
    watcher = MasterWatcher(strategy.id, binance_master, recorder, rest_config())
    await watcher.load()
    await watcher.poll_once()
    assert recorder.events == []

    before = utcnow()
    buy = await binance_master.create_order(order("buy", "0.01", "b1", BTC))
    await watcher.poll_once()
    await watcher.poll_once()  # overlapping: the same trades come back
    await binance_master.create_order(order("buy", "0.1", "e1", ETH))
    await binance_master.create_order(order("sell", "0.004", "s1", BTC))
    await watcher.poll_once()
    first, *rest = recorder.events
    eth, sell = sorted(rest, key=lambda e: e.symbol != ETH)  # same millisecond: no order across symbols
    assert (first.kind, first.symbol, first.side, first.amount, first.price) == ("fill", BTC, "buy", D("0.01"), D(60000))
    assert (first.master_order_id, first.filled, first.position_before, first.order_type) == (buy.id, D("0.01"), D(0), "market")
    assert (eth.symbol, eth.position_before) == (ETH, D(0))
    assert (sell.side, sell.amount, sell.position_before) == ("sell", D("0.004"), D("0.01"))
    assert all(e.detected_at >= before and e.detected_at >= e.occurred_at for e in recorder.events)

    # the watcher is down while the master trades; a new instance resumes from the stored events
    await binance_master.create_order(order("buy", "0.002", "b2", BTC))
    restarted = MasterWatcher(strategy.id, binance_master, recorder, rest_config())
    await restarted.load()
    await restarted.poll_once()  # the overlap refetches stored trades: the unique constraint drops them
    await restarted.poll_once()
    missed = recorder.events[-1]
    assert (missed.side, missed.amount, missed.position_before) == ("buy", D("0.002"), D("0.006"))
    rows = await stored(strategy)
    assert len(rows) == len(recorder.events) == 4
    assert len({r.exchange_event_id for r in rows}) == 4
    trades = [t for symbol in (BTC, ETH) for t in await binance_master.fetch_my_trades(symbol)]
    assert sorted(r.exchange_event_id for r in rows) == sorted(f"t:{t.id}" for t in trades if t.order_id != history.id)


async def test_rest_polling_limit_orders_rest_fill_and_cancel(
    db: str, binance_master: CcxtGateway, emulator: ExchangeEmulator
) -> None:
    strategy, _ = await make_strategy("binance")
    recorder = Recorder()
    watcher = MasterWatcher(strategy.id, binance_master, recorder, rest_config())
    await watcher.load()
    await watcher.poll_once()

    resting = await binance_master.create_order(order("buy", "0.01", "l1", BTC, price="50000"))
    await watcher.poll_once()
    emulator.set_price(BTC, D(49000))  # crosses: fills at the limit
    await watcher.poll_once()
    await watcher.poll_once()
    emulator.set_price(BTC, D(60000))
    other = await binance_master.create_order(order("sell", "0.005", "l2", BTC, price="70000"))
    await watcher.poll_once()
    await binance_master.cancel_order(BTC, other.id)
    await watcher.poll_once()

    new, fill, new2, cancel = recorder.events
    assert (new.kind, new.exchange_event_id, new.amount, new.price, new.position_before) == (
        "order_new", f"o:{resting.id}:new", D("0.01"), D(50000), D(0))
    assert new.occurred_at <= new.detected_at
    assert (fill.kind, fill.order_type, fill.master_order_id, fill.price, fill.filled) == (
        "fill", "limit", resting.id, D(50000), D("0.01"))
    assert (new2.kind, new2.side, new2.position_before) == ("order_new", "sell", D("0.01"))
    assert (cancel.kind, cancel.exchange_event_id, cancel.amount) == ("order_cancel", f"o:{other.id}:cancel", D("0.005"))
    assert await MasterEvent.filter(strategy_id=strategy.id).count() == 4


# --- the supervisor -----------------------------------------------------------------------------------
async def test_supervisor_restarts_a_failed_watcher_and_stops_it_with_its_strategy(db: str) -> None:
    venue = PaperExchange(flat_feed("0.5000"))
    strategy, account = await make_strategy("paper")
    _, pending_account = await make_strategy("paper", status=StrategyStatus.PENDING)
    paused, paused_account = await make_strategy("paper", status=StrategyStatus.PAUSED)
    master = venue.open_account(str(account.id), {"USDT": D("1000")})
    venue.open_account(str(paused_account.id), {"USDT": D("1000")})
    opened: list[str] = []

    @contextlib.asynccontextmanager
    async def open_gateway(acct: ExchangeAccount) -> AsyncIterator[Gateway]:
        opened.append(str(acct.id))
        if opened.count(str(acct.id)) == 1:
            raise ExchangeUnavailable("down at start", exchange="paper")  # the first start fails
        yield venue.gateway(str(acct.id))

    recorder = Recorder()
    supervisor = WatcherSupervisor(open_gateway, recorder, paper_config(), backoff=Backoff(base=0.01))
    await supervisor.sync()
    assert supervisor.running == {strategy.id, paused.id}  # pending is not watched
    await wait_until(lambda: strategy.id in supervisor.watchers and supervisor.watchers[strategy.id].polls >= 1)
    assert supervisor.crashes[strategy.id] == 1

    await master.create_order(order("buy", "100", "b1"))
    event = await recorder.next()
    assert (event.strategy_id, event.exchange_event_id) == (strategy.id, "t:1")

    await Strategy.filter(id=strategy.id).update(status=StrategyStatus.DEACTIVATED)
    await supervisor.sync()
    assert supervisor.running == {paused.id}
    assert venue.account(str(account.id)).subscribers == []  # its push subscription is gone
    await supervisor.close()
    assert supervisor.running == set()
    assert venue.account(str(paused_account.id)).subscribers == []
    assert str(pending_account.id) not in opened  # a pending strategy is never watched


async def test_downtime_trades_in_a_symbol_never_traded_before_are_copied(
    db: str, binance_master: CcxtGateway, emulator: ExchangeEmulator
) -> None:
    strategy, _ = await make_strategy("binance")
    recorder = Recorder()
    await binance_master.create_order(order("buy", "0.001", "old", BTC))  # history at the first look
    watcher = MasterWatcher(strategy.id, binance_master, recorder, rest_config())
    await watcher.load()
    await watcher.poll_once()  # baselines BTC and ETH; no fill stored for either
    assert recorder.events == []

    # down: the master trades ETH, which the strategy has never filled before
    await binance_master.create_order(order("buy", "0.1", "while-down", ETH))
    restarted = MasterWatcher(strategy.id, binance_master, recorder, rest_config())
    await restarted.load()
    await restarted.poll_once()
    assert [(e.symbol, e.amount) for e in recorder.events] == [(ETH, D("0.1"))]
    await restarted.poll_once()
    assert len(recorder.events) == 1  # and the BTC history stays history


async def test_a_perpetual_fill_carries_the_masters_leverage_read_once_per_position(
    db: str, emulator: ExchangeEmulator
) -> None:
    perp = "XRP/USDT:USDT"
    shared = CcxtShared(rate_limits={"binance": 1}, timeout_ms=2_000)
    key = emulator.add_key("binance", balances={"USDT": D("100000")})
    options = ExchangeOptions(base_url=emulator.base_url("binance"))
    master = CcxtGateway("binance", Credentials(key.api_key, key.secret), options, shared, market_type="swap")
    try:
        await master.load_markets()
        emulator.set_price(perp, D("0.5"))
        await master.set_margin_mode(perp, "isolated")
        await master.set_leverage(perp, 7)
        strategy, _ = await make_strategy("binance", is_margin=True)
        recorder = Recorder()
        watcher = MasterWatcher(strategy.id, master, recorder, WatcherConfig(symbols=(perp,), overlap_ms=60_000))
        await watcher.load()
        await watcher.poll_once()  # baseline
        await master.create_order(order("buy", "100", "open", perp))
        await watcher.poll_once()
        risk_reads = emulator.request_count("binance", "/fapi/v2/positionRisk")
        await master.create_order(order("buy", "50", "add", perp))
        await watcher.poll_once()
        opened, added = recorder.events
        assert (opened.payload["leverage"], opened.payload["margin_mode"]) == ("7", "isolated")
        assert (added.payload["leverage"], added.payload["margin_mode"]) == ("7", "isolated")
        assert emulator.request_count("binance", "/fapi/v2/positionRisk") == risk_reads  # reused, not re-read
    finally:
        await master.close()
        await shared.close()
