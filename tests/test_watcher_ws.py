"""The master watcher's websocket path: real ccxt.pro against the emulator's Binance spot user data
stream (WebSocket API `userDataStream.subscribe.signature`, signature checked), with the REST
reconciliation after every (re)connect and the fallback to REST polling."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal

import ccxt.pro
import pytest

from core.config import ExchangeOptions
from core.db.models import MasterEvent
from core.emulator.keys import EmulatedKey
from core.emulator.server import ExchangeEmulator
from core.engine.watcher import MasterWatcher, WatcherConfig
from core.exchange.base import Credentials
from core.exchange.ccxt_gateway import CcxtGateway
from core.exchange.ccxt_shared import CcxtShared
from core.exchange.shared_client import SharedClients
from tests.test_watcher import (
    BTC,
    ETH,
    XRP,
    Recorder,
    make_strategy,
    order,
    running,
    stored,
    wait_until,
)

D = Decimal
TRADES = "/api/v3/myTrades"
OPEN_ORDERS = "/api/v3/openOrders"
WS = "/ws-api/v3"


@pytest.fixture(params=["own-client", "shared-signer"])
async def master(request: pytest.FixtureRequest, emulator: ExchangeEmulator) -> AsyncIterator[tuple[CcxtGateway, EmulatedKey]]:
    """A Binance spot master: a CcxtGateway of its own, or the provider's shared-signer gateway."""
    shared = CcxtShared(rate_limits={"binance": 1}, timeout_ms=2_000)
    clients = SharedClients(shared)
    key = emulator.add_key("binance", balances={"USDT": D("100000")})
    credentials = Credentials(key.api_key, key.secret)
    options = ExchangeOptions(base_url=emulator.base_url("binance"))
    if request.param == "own-client":
        gateway = CcxtGateway("binance", credentials, options, shared)
    else:
        gateway = clients.gateway("binance", credentials, options)
    await gateway.load_markets()
    try:
        yield gateway, key
    finally:
        await gateway.close()
        await clients.close()
        await shared.close()


def ws_config(**overrides: object) -> WatcherConfig:
    # no periodic reconciliation within a test: what REST does happens only around (re)connects
    fields: dict = {"symbols": (BTC, ETH), "overlap_ms": 60_000, "stream_poll_interval": 3600.0, **overrides}
    return WatcherConfig(**fields)


async def trade_event_ids(gateway: CcxtGateway, *symbols: str) -> list[str]:
    """The master's trades as REST lists them, as the watcher keys its events."""
    ids = []
    for symbol in symbols:
        ids.extend(f"t:{t.id}" for t in await gateway.fetch_my_trades(symbol))
    return sorted(ids)


def rest_counts(emulator: ExchangeEmulator) -> tuple[int, int]:
    return emulator.request_count("binance", TRADES), emulator.request_count("binance", OPEN_ORDERS)


async def test_master_trades_arrive_through_the_stream_without_rest_polling(
    db: str, master: tuple[CcxtGateway, EmulatedKey], emulator: ExchangeEmulator
) -> None:
    gateway, key = master
    strategy, _ = await make_strategy("binance")
    recorder = Recorder()
    watcher = MasterWatcher(strategy.id, gateway, recorder, ws_config())
    assert gateway.streams_trades
    async with running(watcher):
        assert emulator.binance_ws.subscribed[key.api_key] == 1  # signed subscription accepted
        assert emulator.binance_ws.live(key.api_key) == 1
        before = rest_counts(emulator)
        buy = await gateway.create_order(order("buy", "0.01", "b1", BTC))
        first = await recorder.next()
        await gateway.create_order(order("sell", "0.004", "s1", BTC))
        await gateway.create_order(order("buy", "10", "x1", XRP))  # a symbol the watcher did not track yet
        sell, xrp = await recorder.next(), await recorder.next()
        assert rest_counts(emulator) == before  # detected from the push alone, no REST trade poll in between

    assert (first.kind, first.symbol, first.side, first.amount, first.price) == ("fill", BTC, "buy", D("0.01"), D(60000))
    assert (first.master_order_id, first.filled, first.position_before, first.order_type) == (buy.id, D("0.01"), D(0), "market")
    assert first.payload["client_order_id"] == "b1" and first.payload["fee"] == "0.00001"
    assert (sell.side, sell.amount, sell.position_before, sell.payload["fee_currency"]) == ("sell", D("0.004"), D("0.01"), "USDT")
    assert (xrp.symbol, xrp.amount, xrp.position_before) == (XRP, D(10), D(0))
    assert XRP in watcher.symbols  # and REST reconciles it from now on
    rest_ids = await trade_event_ids(gateway, BTC, XRP)
    assert sorted(r.exchange_event_id for r in await stored(strategy)) == rest_ids  # same ids as REST: one key
    await wait_until(lambda: emulator.binance_ws.live(key.api_key) == 0)  # the watcher's socket closed with it


async def test_a_dropped_socket_loses_nothing_and_duplicates_nothing(
    db: str, master: tuple[CcxtGateway, EmulatedKey], emulator: ExchangeEmulator
) -> None:
    gateway, key = master
    strategy, _ = await make_strategy("binance")
    recorder = Recorder()
    watcher = MasterWatcher(strategy.id, gateway, recorder, ws_config())
    async with running(watcher):
        await gateway.create_order(order("buy", "0.01", "before", BTC))
        await recorder.next()

        emulator.binance_ws.hold()  # the exchange stays unreachable until released
        assert await emulator.drop_ws(key.api_key) == 1
        await wait_until(lambda: emulator.request_count("binance", WS) == 2)  # reconnecting, stalled
        polled = rest_counts(emulator)
        down = [await gateway.create_order(order("buy", "0.02", "down-1", BTC)),
                await gateway.create_order(order("buy", "0.1", "down-2", ETH)),
                await gateway.create_order(order("sell", "0.005", "down-3", BTC))]
        assert len(recorder.events) == 1  # nothing sees them while the socket is down
        emulator.binance_ws.release()
        recovered = [await recorder.next() for _ in range(3)]
        assert emulator.request_count("binance", TRADES) > polled[0]  # recovered by the REST reconciliation

        assert emulator.binance_ws.subscribed[key.api_key] == 2
        after = rest_counts(emulator)
        await gateway.create_order(order("buy", "0.001", "after", BTC))
        pushed = await recorder.next()
        assert rest_counts(emulator) == after  # and the new socket carries the next trade
        assert pushed.payload["client_order_id"] == "after"

    assert sorted(e.master_order_id for e in recovered) == sorted(o.id for o in down)
    btc = [e for e in recovered if e.symbol == BTC]
    assert [(e.side, e.position_before) for e in btc] == [("buy", D("0.01")), ("sell", D("0.03"))]  # exchange order
    rows = await stored(strategy)
    assert len(rows) == len(recorder.events) == 5 == len({r.exchange_event_id for r in rows})  # no duplicates
    assert sorted(r.exchange_event_id for r in rows) == await trade_event_ids(gateway, BTC, ETH)  # no losses


async def test_falls_back_to_rest_polling_when_the_stream_cannot_connect(
    db: str, master: tuple[CcxtGateway, EmulatedKey], emulator: ExchangeEmulator
) -> None:
    gateway, key = master
    emulator.faults.add("binance", WS, "unavailable", times=1000)  # every handshake: HTTP 503
    strategy, _ = await make_strategy("binance")
    recorder = Recorder()
    config = ws_config(stream_attempts=2, poll_interval=0.02, stream_retry_after=3600.0)
    watcher = MasterWatcher(strategy.id, gateway, recorder, config)
    async with running(watcher):
        await wait_until(lambda: watcher.polls >= 3)  # both attempts failed, polling REST alone
        placed = await gateway.create_order(order("buy", "0.01", "b1", BTC))
        event = await recorder.next()
        assert emulator.request_count("binance", WS) == 2  # no further attempt during the fallback

    assert (event.symbol, event.amount, event.master_order_id) == (BTC, D("0.01"), placed.id)
    assert emulator.binance_ws.subscribed[key.api_key] == 0
    assert await MasterEvent.filter(strategy_id=strategy.id).count() == 1


async def test_a_wrong_secret_is_refused_on_the_stream(emulator: ExchangeEmulator, ccxt_shared: CcxtShared) -> None:
    key = emulator.add_key("binance")
    options = ExchangeOptions(base_url=emulator.base_url("binance"))
    gateway = CcxtGateway("binance", Credentials(key.api_key, "f" * 64), options, ccxt_shared)
    try:
        with pytest.raises(Exception) as caught:
            await gateway.subscribe_my_trades()
        assert type(caught.value).__name__ == "AuthenticationFailed"
        assert "f" * 64 not in str(caught.value)
        assert emulator.binance_ws.subscribed[key.api_key] == 0
    finally:
        await gateway.close()


async def test_order_updates_parse_in_ccxt_pro_watch_orders(emulator: ExchangeEmulator, ccxt_shared: CcxtShared) -> None:
    """The emulator's executionReport for a limit order resting, then cancelled, as ccxt.pro reads it."""
    key = emulator.add_key("binance")
    credentials, options = Credentials(key.api_key, key.secret), ExchangeOptions(base_url=emulator.base_url("binance"))
    client = CcxtGateway._build_client("binance", credentials, options, ccxt_shared, "spot", None, ccxt.pro.binance)
    rest = CcxtGateway("binance", credentials, options, ccxt_shared)
    try:
        await client.load_markets()
        await rest.load_markets()
        watching = asyncio.ensure_future(client.watch_orders())
        await wait_until(lambda: emulator.binance_ws.live(key.api_key) == 1)
        placed = await rest.create_order(order("buy", "0.01", "lim-1", BTC, price="50000"))
        new = dict((await asyncio.wait_for(watching, 5))[-1])  # ccxt updates its cached order in place
        await rest.cancel_order(BTC, placed.id)
        cancelled = (await asyncio.wait_for(client.watch_orders(), 5))[-1]
    finally:
        with contextlib.suppress(Exception):
            await client.close()
        await rest.close()
    assert (new["id"], new["clientOrderId"], new["status"], new["type"], new["side"]) == (placed.id, "lim-1", "open", "limit", "buy")
    assert (D(str(new["price"])), D(str(new["amount"])), D(str(new["filled"]))) == (D(50000), D("0.01"), D(0))
    assert (cancelled["id"], cancelled["status"], cancelled["clientOrderId"]) == (placed.id, "canceled", "lim-1")
