"""Price feeds: the replay reads the shipped candle files exactly, the synthetic walk is reproducible,
and the live feed reads Binance's ticker shape through real ccxt from a local HTTP stub."""
from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from core.errors import BadSymbol, ExchangeUnavailable
from core.exchange.feeds import (
    Candle,
    LiveTickerFeed,
    ReplayFeed,
    SyntheticFeed,
    Tick,
    load_candles,
    replay_xrp_1h,
    replay_xrp_5m,
)

DATA = Path(__file__).resolve().parents[1] / "core" / "data"
FILE_5M = DATA / "XRP_USDT_USDT-5m-futures.json"


def raw_rows(path: Path) -> list[list[str]]:
    """The file's rows with every number as its literal text, to compare Decimals digit for digit."""
    return [[str(value) for value in row] for row in json.loads(path.read_text(), parse_float=str)]


async def drain(feed: ReplayFeed) -> list[Tick]:
    ticks: list[Tick] = []
    feed.listen(ticks.append)
    while await feed.advance():
        pass
    return ticks


def test_candles_are_parsed_without_float() -> None:
    candles = load_candles(FILE_5M)
    rows = raw_rows(FILE_5M)
    assert len(candles) == len(rows) == 1999
    assert candles[0] == Candle(1636934400000, Decimal("1.1893"), Decimal("1.1954"), Decimal("1.1891"), Decimal("1.1941"), Decimal("9289043.5"))
    # a float round trip would have lost these trailing digits
    assert candles[1].volume == Decimal("7267451.9000000004")
    assert [str(c.close) for c in candles] == [row[4] for row in rows]


def test_csv_with_header_reads_like_json(tmp_path: Path) -> None:
    path = tmp_path / "candles.csv"
    path.write_text("time,open,high,low,close,volume\n1000,1.5,1.7,1.4,1.6,10\n2000,1.6,1.6,1.2,1.3,20\n")
    assert load_candles(path) == [
        Candle(1000, Decimal("1.5"), Decimal("1.7"), Decimal("1.4"), Decimal("1.6"), Decimal("10")),
        Candle(2000, Decimal("1.6"), Decimal("1.6"), Decimal("1.2"), Decimal("1.3"), Decimal("20")),
    ]


async def test_replay_5m_steps_through_every_candle_close() -> None:
    rows = raw_rows(FILE_5M)
    feed = replay_xrp_5m(intrabar=False)
    assert feed.price("XRP/USDT") == Decimal(rows[0][4])
    assert feed.now_ms() == int(rows[0][0])
    ticks = await drain(feed)
    assert len(ticks) == len(rows) - 1
    assert [(t.timestamp, str(t.price)) for t in ticks] == [(int(r[0]), r[4]) for r in rows[1:]]
    assert feed.price("XRP/USDT") == Decimal("1.0713")
    assert feed.now_ms() == 1637533800000
    assert await feed.advance() is False


async def test_replay_intrabar_visits_open_low_high_close_in_a_rising_candle() -> None:
    feed = replay_xrp_5m(intrabar=True, count=2)
    first = [Tick("XRP/USDT", feed.price("XRP/USDT"), feed.now_ms())]
    ticks = first + await drain(feed)
    start = 1636934400000
    # candle 1 rises (1.1893 → 1.1941): open, low, high, close; candle 2 rises too (1.1941 → 1.1972)
    assert [(t.timestamp - start, t.price) for t in ticks] == [
        (0, Decimal("1.1893")),
        (75_000, Decimal("1.1891")),
        (150_000, Decimal("1.1954")),
        (225_000, Decimal("1.1941")),
        (300_000, Decimal("1.1941")),
        (375_000, Decimal("1.1934")),
        (450_000, Decimal("1.1993")),
        (525_000, Decimal("1.1972")),
    ]


async def test_replay_intrabar_falling_candle_goes_high_before_low() -> None:
    candles = [Candle(0, Decimal("2.0"), Decimal("2.2"), Decimal("1.5"), Decimal("1.8"), Decimal(1))]
    feed = ReplayFeed({"XRP/USDT": candles}, intrabar=True, interval_ms=400)
    ticks = await drain(feed)
    assert [(t.timestamp, t.price) for t in ticks] == [(100, Decimal("2.2")), (200, Decimal("1.5")), (300, Decimal("1.8"))]


async def test_replay_1h_first_and_last() -> None:
    rows = raw_rows(DATA / "XRP_USDT_USDT-1h-futures.json")
    feed = replay_xrp_1h(intrabar=False)
    assert (feed.now_ms(), feed.price("XRP/USDT")) == (int(rows[0][0]), Decimal(rows[0][4]))
    ticks = await drain(feed)
    assert (ticks[-1].timestamp, ticks[-1].price) == (1637467200000, Decimal("1.0765"))
    assert len(ticks) == 99


async def test_unknown_symbol_is_bad_symbol() -> None:
    with pytest.raises(BadSymbol):
        replay_xrp_5m(count=3).price("BTC/USDT")


async def synthetic_series(seed: int, steps: int = 50) -> list[tuple[int, Decimal, Decimal]]:
    feed = SyntheticFeed({"BTC/USDT": Decimal("30000"), "ETH/USDT": Decimal("2000")}, seed=seed, price_step=Decimal("0.01"), steps=steps)
    series = []
    while await feed.advance():
        series.append((feed.now_ms(), feed.price("BTC/USDT"), feed.price("ETH/USDT")))
    return series


async def test_synthetic_is_reproducible_and_depends_on_the_seed() -> None:
    first, again, other = await synthetic_series(7), await synthetic_series(7), await synthetic_series(8)
    assert len(first) == 50
    assert first == again
    assert first != other
    prices = [btc for _, btc, _ in first]
    assert len(set(prices)) > 40  # it moves
    assert all(price == price.quantize(Decimal("0.01")) and isinstance(price, Decimal) for price in prices)
    assert all(Decimal("25000") < price < Decimal("35000") for price in prices)  # 0.2 % steps stay near the start
    assert [t for t, _, _ in first] == [1_700_000_000_000 + 60_000 * (i + 1) for i in range(50)]


# --- live tickers against a local stub speaking Binance spot ------------------------------------
def _exchange_info() -> dict:
    return {
        "timezone": "UTC",
        "serverTime": 1700000000000,
        "rateLimits": [],
        "exchangeFilters": [],
        "symbols": [
            {
                "symbol": "XRPUSDT",
                "status": "TRADING",
                "baseAsset": "XRP",
                "baseAssetPrecision": 8,
                "quoteAsset": "USDT",
                "quotePrecision": 8,
                "quoteAssetPrecision": 8,
                "orderTypes": ["LIMIT", "MARKET"],
                "isSpotTradingAllowed": True,
                "isMarginTradingAllowed": False,
                "permissions": [],
                "permissionSets": [["SPOT"]],
                "filters": [
                    {"filterType": "PRICE_FILTER", "minPrice": "0.00010000", "maxPrice": "1000.00000000", "tickSize": "0.00010000"},
                    {"filterType": "LOT_SIZE", "minQty": "0.10000000", "maxQty": "9222449.00000000", "stepSize": "0.10000000"},
                    {"filterType": "NOTIONAL", "minNotional": "5.00000000", "maxNotional": "9000000.00000000"},
                ],
            }
        ],
    }


class TickerStub:
    def __init__(self) -> None:
        self.requests: list[str] = []
        self.last_price = "0.5123"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/v3/exchangeInfo", self.exchange_info)
        app.router.add_get("/api/v3/ticker/24hr", self.ticker)
        return app

    async def exchange_info(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        return web.json_response(_exchange_info())

    async def ticker(self, request: web.Request) -> web.Response:
        self.requests.append(f"{request.path}?symbols={request.query.get('symbols')}")
        return web.json_response(
            [
                {
                    "symbol": "XRPUSDT",
                    "lastPrice": self.last_price,
                    "bidPrice": "0.5122",
                    "askPrice": "0.5124",
                    "openPrice": "0.5000",
                    "highPrice": "0.5200",
                    "lowPrice": "0.4900",
                    "volume": "1000.0",
                    "quoteVolume": "512.3",
                    "openTime": 1699913600000,
                    "closeTime": 1700000000123,
                }
            ]
        )


@pytest.fixture
async def ticker_stub() -> AsyncIterator[tuple[TickerStub, str]]:
    stub = TickerStub()
    server = TestServer(stub.app(), host="127.0.0.1")
    await server.start_server()
    try:
        yield stub, str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


async def test_live_feed_polls_binance_tickers_through_ccxt(ticker_stub: tuple[TickerStub, str]) -> None:
    stub, base_url = ticker_stub
    feed = LiveTickerFeed(["XRP/USDT"], base_url=base_url)
    seen: list[Tick] = []
    feed.listen(seen.append)
    try:
        with pytest.raises(ExchangeUnavailable):
            feed.price("XRP/USDT")  # nothing polled yet
        assert await feed.advance() is True
        assert feed.price("XRP/USDT") == Decimal("0.5123")
        assert feed.now_ms() == 1700000000123
        stub.last_price = "0.5301"
        await feed.advance()
        assert [t.price for t in seen] == [Decimal("0.5123"), Decimal("0.5301")]
    finally:
        await feed.close()
    # one exchangeInfo (spot only, no futures endpoints), then one batched ticker request per poll
    assert stub.requests == ["/api/v3/exchangeInfo", '/api/v3/ticker/24hr?symbols=["XRPUSDT"]', '/api/v3/ticker/24hr?symbols=["XRPUSDT"]']


async def test_live_feed_reports_an_unreachable_exchange() -> None:
    feed = LiveTickerFeed(["XRP/USDT"], base_url="http://127.0.0.1:9")  # discard port: connection refused
    try:
        with pytest.raises(ExchangeUnavailable):
            await feed.advance()
    finally:
        await feed.close()
