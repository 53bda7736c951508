"""Price feeds for the paper exchange: replayed candles, a seeded synthetic walk, or live public tickers.

One small interface: `price(symbol)` is the current price, `now_ms()` the feed's clock, and
`await advance()` moves to the next price and tells every listener (the paper exchange fills resting
limit orders there). Offline feeds are fully deterministic, so a demo or a test run twice gives the
same fills. Prices are Decimal from the file or the wire onwards.
"""
from __future__ import annotations

import abc
import asyncio
import csv
import io
import json
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from core.errors import BadSymbol, ExchangeUnavailable
from core.exchange.urls import override_api_urls
from core.money import ZERO, floor_to_step, to_decimal

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Tick:
    symbol: str
    price: Decimal
    timestamp: int  # ms since epoch, on the feed's clock


@dataclass(frozen=True, slots=True)
class Candle:
    open_time: int  # ms since epoch (UTC)
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


TickListener = Callable[[Tick], None]


class PriceFeed(abc.ABC):
    """Current prices for a fixed set of symbols, and a clock that moves when the feed advances."""

    def __init__(self, symbols: Sequence[str]) -> None:
        self._symbols = tuple(symbols)
        self._prices: dict[str, Decimal] = {}
        self._now = 0
        self._listeners: list[TickListener] = []

    @property
    def symbols(self) -> tuple[str, ...]:
        return self._symbols

    def price(self, symbol: str) -> Decimal:
        if symbol not in self._symbols:
            raise BadSymbol(f"the price feed has no {symbol}", exchange="paper")
        try:
            return self._prices[symbol]
        except KeyError:
            raise ExchangeUnavailable(f"no price for {symbol} yet", exchange="paper") from None

    def now_ms(self) -> int:
        return self._now

    def listen(self, listener: TickListener) -> None:
        """Call `listener` for every new price (synchronously, in the order the ticks arrive)."""
        self._listeners.append(listener)

    @abc.abstractmethod
    async def advance(self) -> bool:
        """Move to the next price(s) and notify listeners; False when the feed has nothing more."""

    async def run(self, interval_s: float = 0.0) -> None:
        """Advance until the feed ends, pausing `interval_s` between steps (for demos in real time)."""
        while await self.advance():
            await asyncio.sleep(interval_s)

    def _publish(self, ticks: Sequence[Tick]) -> None:
        for tick in ticks:
            self._prices[tick.symbol] = tick.price
            self._now = max(self._now, tick.timestamp)
        for tick in ticks:
            for listener in self._listeners:
                listener(tick)


# --- replay ---------------------------------------------------------------------------------------
def parse_candles(rows: Sequence[Sequence[Any]]) -> list[Candle]:
    """Rows `[open_time_ms, open, high, low, close, volume]`; numbers go through str, never float."""
    candles = []
    for row in rows:
        values = [to_decimal(value) for value in row[1:6]]
        if any(value is None for value in values):
            raise ValueError(f"bad candle row {row!r}")
        open_, high, low, close, volume = values  # type: ignore[misc]
        candles.append(Candle(int(row[0]), open_, high, low, close, volume))
    return candles


def load_candles(path: str | Path) -> list[Candle]:
    """OHLCV candles from a .json (list of rows) or .csv file (optional header line)."""
    path = Path(path)
    return _candles_from_text(path.read_text(encoding="utf-8"), csv_format=path.suffix.lower() == ".csv")


def _candles_from_text(text: str, *, csv_format: bool) -> list[Candle]:
    if csv_format:
        rows = [row for row in csv.reader(io.StringIO(text)) if row and row[0].strip().isdigit()]
        return parse_candles(rows)
    # parse_float=Decimal keeps the file's digits: 1.1893 stays 1.1893, not 1.18929999…
    return parse_candles(json.loads(text, parse_float=Decimal))


class ReplayFeed(PriceFeed):
    """Replays candles, one step per candle (its close), or through open/high/low/close with `intrabar`.

    Within a candle the path is open → low → high → close for a rising candle and open → high → low →
    close for a falling one, at a quarter of the interval apart: deterministic, and it visits the
    candle's whole range, so a limit order inside the range fills. Several symbols step in lockstep.
    The first step is current from the start, so `price()` works before the first `advance()`.
    """

    def __init__(self, series: Mapping[str, Sequence[Candle]], *, intrabar: bool = False, interval_ms: int | None = None) -> None:
        super().__init__(list(series))
        if not series or any(len(candles) == 0 for candles in series.values()):
            raise ValueError("a replay needs at least one candle per symbol")
        if interval_ms is None:
            first = next(iter(series.values()))
            interval_ms = first[1].open_time - first[0].open_time if len(first) > 1 else 60_000
        self.interval_ms = interval_ms
        length = min(len(candles) for candles in series.values())
        self._steps: list[list[Tick]] = []
        for index in range(length):
            paths = [self._path(symbol, candles[index], intrabar) for symbol, candles in series.items()]
            self._steps.extend([path[k] for path in paths] for k in range(len(paths[0])))
        self._position = 0
        self._publish(self._steps[0])

    def _path(self, symbol: str, candle: Candle, intrabar: bool) -> list[Tick]:
        if not intrabar:
            return [Tick(symbol, candle.close, candle.open_time)]
        middle = (candle.low, candle.high) if candle.close >= candle.open else (candle.high, candle.low)
        prices = (candle.open, *middle, candle.close)
        return [Tick(symbol, price, candle.open_time + k * self.interval_ms // 4) for k, price in enumerate(prices)]

    @property
    def remaining(self) -> int:
        return len(self._steps) - 1 - self._position

    async def advance(self) -> bool:
        if self._position + 1 >= len(self._steps):
            return False
        self._position += 1
        self._publish(self._steps[self._position])
        return True


def _packaged_candles(name: str) -> list[Candle]:
    text = resources.files("core").joinpath("data", name).read_text(encoding="utf-8")
    return _candles_from_text(text, csv_format=False)


def replay_xrp_5m(symbol: str = "XRP/USDT", *, intrabar: bool = True, start: int = 0, count: int | None = None) -> ReplayFeed:
    """Binance XRP/USDT 5-minute candles (2021-11-15 → 21) shipped in core/data, as `symbol`."""
    candles = _packaged_candles("XRP_USDT_USDT-5m-futures.json")
    return ReplayFeed({symbol: candles[start : None if count is None else start + count]}, intrabar=intrabar, interval_ms=300_000)


def replay_xrp_1h(symbol: str = "XRP/USDT", *, intrabar: bool = True) -> ReplayFeed:
    """Binance XRP/USDT 1-hour candles (2021-11-17 → 21) shipped in core/data, as `symbol`."""
    return ReplayFeed({symbol: _packaged_candles("XRP_USDT_USDT-1h-futures.json")}, intrabar=intrabar, interval_ms=3_600_000)


# --- synthetic ------------------------------------------------------------------------------------
class SyntheticFeed(PriceFeed):
    """A seeded geometric random walk, computed in Decimal from integer draws (no float anywhere).

    Each step multiplies the price by exp(drift + volatility·z), z an approximately normal draw
    (the sum of twelve uniform integers, centred and scaled: Irwin–Hall). `random.Random.randrange`
    is the same on every platform, so a seed gives the same series everywhere.
    """

    _UNIT = 1_000_000

    def __init__(
        self,
        start: Mapping[str, Decimal],
        *,
        seed: int,
        price_step: Decimal = Decimal("0.0001"),
        volatility: Decimal = Decimal("0.002"),
        drift: Decimal = ZERO,
        steps: int | None = None,
        start_ms: int = 1_700_000_000_000,
        interval_ms: int = 60_000,
    ) -> None:
        super().__init__(list(start))
        self._rng = random.Random(seed)
        self._exact = dict(start)
        self._price_step = price_step
        self._volatility = volatility
        self._drift = drift
        self._left = steps
        self._interval_ms = interval_ms
        self._publish([Tick(symbol, self._on_grid(price), start_ms) for symbol, price in start.items()])

    def _normal(self) -> Decimal:
        draws = sum(self._rng.randrange(self._UNIT) for _ in range(12))
        return Decimal(draws - 6 * self._UNIT) / self._UNIT

    def _on_grid(self, price: Decimal) -> Decimal:
        return max(floor_to_step(price, self._price_step), self._price_step)

    async def advance(self) -> bool:
        if self._left is not None:
            if self._left <= 0:
                return False
            self._left -= 1
        timestamp = self._now + self._interval_ms
        ticks = []
        for symbol in self._symbols:
            exact = self._exact[symbol] * (self._drift + self._volatility * self._normal()).exp()
            self._exact[symbol] = exact.quantize(Decimal("1e-12"))
            ticks.append(Tick(symbol, self._on_grid(exact), timestamp))
        self._publish(ticks)
        return True


# --- live -----------------------------------------------------------------------------------------
class LiveTickerFeed(PriceFeed):
    """Public tickers polled through ccxt (no API key). `base_url` points it at a proxy or a stub."""

    def __init__(self, symbols: Sequence[str], *, exchange_id: str = "binance", base_url: str | None = None, poll_interval_s: float = 2.0) -> None:
        super().__init__(symbols)
        import ccxt.async_support as ccxt_async

        swaps = [symbol for symbol in symbols if ":" in symbol]
        spots = [symbol for symbol in symbols if ":" not in symbol]
        self._groups = [group for group in (spots, swaps) if group]
        config: dict[str, Any] = {"enableRateLimit": True}
        if exchange_id == "binance":
            # Only the market types we price: one exchangeInfo request instead of three.
            config["options"] = {"fetchMarkets": {"types": (["spot"] if spots else []) + (["linear"] if swaps else [])}}
        self._client = getattr(ccxt_async, exchange_id)(config)
        if base_url:
            self._client.urls["api"] = override_api_urls(self._client.urls["api"], base_url)
        self.exchange_id = exchange_id
        self.poll_interval_s = poll_interval_s

    async def advance(self) -> bool:
        import ccxt

        tickers: dict[str, Any] = {}
        try:
            for group in self._groups:  # one request per market type: spot and swap tickers live apart
                tickers.update(await self._client.fetch_tickers(group))
        except ccxt.NetworkError as exc:
            raise ExchangeUnavailable(f"{self.exchange_id} tickers: {type(exc).__name__}", exchange=self.exchange_id) from exc
        now = int(self._client.milliseconds())
        ticks = []
        for symbol in self._symbols:
            ticker = tickers.get(symbol) or {}
            price = to_decimal(ticker.get("last"))
            if price is not None:
                ticks.append(Tick(symbol, price, int(ticker.get("timestamp") or now)))
        self._publish(ticks)
        return True

    async def run(self, interval_s: float | None = None) -> None:
        """Poll forever; a failed poll is logged and retried at the next interval."""
        while True:
            try:
                await self.advance()
            except ExchangeUnavailable as exc:
                log.warning("live ticker poll failed: %s", exc)
            await asyncio.sleep(self.poll_interval_s if interval_s is None else interval_s)

    async def close(self) -> None:
        await self._client.close()
