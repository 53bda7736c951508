"""Master watchers: one per watched strategy, turning the master account's activity into stored,
idempotent `MasterEvent`s and handing each new one to the engine.

Sources, best first:
- a push source: the paper venue's own fill queue, or a gateway whose trades stream over a
  websocket (ccxt.pro's `watch_my_trades`; `WatcherConfig.websocket`, on by default);
- REST, always: open orders, then `fetch_my_trades(symbol, since=cursor − overlap)` per symbol.
  It runs on every (re)start and right after every (re)subscription of the stream, which returns
  only once the exchange confirmed it, so a dropped socket or a restart loses nothing; and at a
  fixed interval: alone when there is no push source (or the stream keeps failing), as a
  reconciliation and the order diff otherwise.

Per event: stamp `detected_at`, store the row (the (strategy, exchange_event_id) unique constraint
makes a redelivery a no-op), update the in-memory state, then `await on_event(event)`. One task per
strategy does all of it in order, because `position_before` depends on every fill before it.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from tortoise.exceptions import IntegrityError

from core.db.models import ExchangeAccount, MasterEvent, Strategy, WatchBaseline
from core.engine.master_state import (
    FILL,
    MasterState,
    OrderChange,
    diff_open_orders,
    ms_to_datetime,
    plain,
    trade_event_id,
)
from core.errors import ExchangeError
from core.events import utcnow
from core.exchange.base import Gateway, Order, Trade
from core.exchange.paper import PaperGateway
from core.exchange.paper_book import Fill
from core.logging import correlate
from core.money import ZERO

log = logging.getLogger(__name__)

OnEvent = Callable[[MasterEvent], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class WatcherConfig:
    symbols: tuple[str, ...] = ()  # polled for trades from the start; others join when seen
    poll_interval: float = 2.0  # seconds between REST polls without a push source
    push_poll_interval: float = 1.0  # paper push: order diff and reconciliation (free on paper)
    stream_poll_interval: float = 5.0  # exchange websocket: REST reconciliation and the order diff,
    # which alone still sees resting limit orders appear and leave (each round costs REST weight
    # per symbol, on the limit all accounts behind our IP share)
    overlap_ms: int = 5_000  # each trade fetch starts this far before the newest trade seen
    websocket: bool = True  # stream trades where the gateway can (ccxt.pro); REST polling otherwise
    stream_attempts: int = 3  # failed (re)subscriptions in a row before polling REST alone
    stream_retry_after: float = 300.0  # seconds of REST polling alone before the stream is tried again


@runtime_checkable
class TradeStream(Protocol):
    """Trades pushed by the exchange; each `watch_my_trades` call waits for the next batch, like ccxt.pro's."""

    async def subscribe_my_trades(self) -> None:
        """(Re)open the stream; return only once the exchange confirmed it (the REST reconciliation
        that follows must not leave a gap), or raise an ExchangeError."""

    async def watch_my_trades(self) -> list[Trade]:
        """The next batch; an ExchangeError once the connection broke (then subscribe again)."""


@runtime_checkable
class StreamingGateway(TradeStream, Protocol):
    """A gateway that may stream its account's trades (CcxtGateway: ccxt.pro, where supported)."""

    @property
    def streams_trades(self) -> bool: ...

    async def close_trade_stream(self) -> None: ...


class PaperTradeStream:
    """The paper venue pushes every fill into a queue the moment it happens."""

    def __init__(self, queue: asyncio.Queue[Fill]) -> None:
        self.queue = queue

    async def subscribe_my_trades(self) -> None:
        """Subscribed for as long as the queue is (`open_stream`): nothing to reopen in-process."""

    async def watch_my_trades(self) -> list[Trade]:
        fills = [await self.queue.get()]
        while not self.queue.empty():
            fills.append(self.queue.get_nowait())
        return [fill.trade for fill in fills]


@contextlib.asynccontextmanager
async def open_stream(gateway: Gateway, config: WatcherConfig) -> AsyncIterator[TradeStream | None]:
    """The push source for this gateway, or None for REST polling alone."""
    if isinstance(gateway, PaperGateway):
        queue = gateway.subscribe()
        try:
            yield PaperTradeStream(queue)
        finally:
            gateway.venue.unsubscribe(gateway.account_id, queue)
        return
    if config.websocket and isinstance(gateway, StreamingGateway) and gateway.streams_trades:
        try:
            yield gateway
        finally:
            await gateway.close_trade_stream()  # the watcher is done: no socket left open for it
        return
    if config.websocket:
        log.info("%s gateway streams no trades; polling REST", gateway.exchange)
    yield None


class MasterWatcher:
    """Watches one strategy's master account. Create, then `run()` (or `load()` and `poll_once()`)."""

    def __init__(
        self,
        strategy_id: int,
        gateway: Gateway,
        on_event: OnEvent,
        config: WatcherConfig | None = None,
        *,
        can_short: bool = False,
    ) -> None:
        self.strategy_id = strategy_id
        self.gateway = gateway
        self.on_event = on_event
        self.config = config or WatcherConfig()
        self.can_short = can_short
        self.polls = 0  # completed polls since the last load (the supervisor's health signal)
        self._state: MasterState | None = None
        self._symbols: dict[str, None] = {}  # ordered set
        self._margin: dict[str, dict[str, str]] = {}  # perpetual → the master's leverage and margin mode

    @classmethod
    def for_strategy(
        cls, strategy: Strategy, gateway: Gateway, on_event: OnEvent, config: WatcherConfig | None = None
    ) -> MasterWatcher:
        """`strategy.account` must be fetched. Spot positions never go short; margin and swap ones may."""
        account: ExchangeAccount = strategy.account  # type: ignore[assignment]
        can_short = strategy.is_margin or account.market_type != "spot"
        return cls(strategy.id, gateway, on_event, config, can_short=can_short)

    @property
    def state(self) -> MasterState:
        if self._state is None:
            raise RuntimeError("load() the watcher first")
        return self._state

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(self._symbols)

    async def load(self) -> None:
        """Rebuild positions, cursors and open orders from the stored events."""
        self._state = await MasterState.load(self.strategy_id, can_short=self.can_short)
        self._symbols = {}
        self._track(self.config.symbols)
        self._track(self._state.cursors)
        self.polls = 0

    async def run(self) -> None:
        """Watch until cancelled. An exchange error ends the run; the next run reloads and reconciles."""
        await self.load()
        async with open_stream(self.gateway, self.config) as stream:
            if stream is None:
                await self._run_polling()
            elif isinstance(stream, PaperTradeStream):
                await self._run_push(stream, self.config.push_poll_interval)
            else:
                await self._run_push(stream, self.config.stream_poll_interval)

    async def _run_polling(self, duration: float | None = None) -> None:
        """Poll REST until cancelled, or for `duration` seconds."""
        loop = asyncio.get_running_loop()
        until = None if duration is None else loop.time() + duration
        while until is None or loop.time() < until:
            await self.poll_once()
            await asyncio.sleep(self.config.poll_interval)

    async def _run_push(self, stream: TradeStream, interval: float) -> None:
        """Subscribe, reconcile through REST, then take pushed trades (REST again every `interval`);
        after a drop, the same again. A stream that keeps failing (`stream_attempts` times without
        delivering) leaves REST polling alone for `stream_retry_after` seconds before the next try."""
        failures = 0
        while True:
            try:
                await stream.subscribe_my_trades()
            except ExchangeError as exc:
                failures += 1
                log.warning("trade stream of %s failed (%s), %d in a row", self.gateway.exchange, exc.code, failures)
            else:
                failures = 0 if await self._consume(stream, interval) else failures + 1
            if not failures:
                continue  # it worked, then dropped: resubscribe at once
            if failures < self.config.stream_attempts:
                await self.poll_once()  # nothing waits for the stream to come back
                await asyncio.sleep(self.config.poll_interval)
            else:
                log.warning("trade stream of %s keeps failing; polling REST for %.0fs",
                            self.gateway.exchange, self.config.stream_retry_after)
                await self._run_polling(self.config.stream_retry_after)
                failures = 0

    async def _consume(self, stream: TradeStream, interval: float) -> bool:
        """Reconcile, then handle pushed batches until the stream breaks; True when it worked for a
        while (a batch, or a full `interval`). A REST error is raised: it ends the run as ever."""
        await self.poll_once()  # what happened before the subscription was confirmed
        loop = asyncio.get_running_loop()
        worked = False
        pending = asyncio.ensure_future(stream.watch_my_trades())
        try:
            while True:
                deadline = loop.time() + interval
                while (timeout := deadline - loop.time()) > 0:
                    done, _ = await asyncio.wait({pending}, timeout=timeout)
                    if pending in done:
                        try:
                            trades = pending.result()
                        except ExchangeError as exc:
                            log.warning("trade stream of %s dropped (%s); resubscribing", self.gateway.exchange, exc.code)
                            return worked
                        pending = asyncio.ensure_future(stream.watch_my_trades())
                        worked = True
                        await self.handle_trades(trades, utcnow())
                await self.poll_once()
                worked = True
        finally:
            pending.cancel()

    async def poll_once(self) -> None:
        """One REST round: open orders first, then the trades since each cursor, then the order diff.

        In that order every fill of an order that left the book before the snapshot is already
        counted when the diff decides between "filled" (no event) and "cancelled".
        """
        state = self.state
        snapshot = await self._open_orders()
        seen_at = utcnow()
        self._track(order.symbol for order in snapshot if order.type == "limit")
        found: list[tuple[Trade, datetime]] = []
        for symbol in self.symbols:
            found.extend(await self._new_trades(symbol))
        found.sort(key=lambda item: item[0].timestamp)  # stable: the exchange's order within a millisecond
        for trade, detected_at in found:
            await self._on_trade(trade, detected_at)
        for change in diff_open_orders(state.open_orders, snapshot, state.filled):
            await self._on_order_change(change, seen_at)
        state.drop_finished_orders()
        self.polls += 1

    async def handle_trades(self, trades: Iterable[Trade], detected_at: datetime) -> None:
        """Trades from a push source (or a redelivery): stored once each, in exchange order."""
        for trade in sorted(trades, key=lambda t: t.timestamp):
            await self._on_trade(trade, detected_at)

    # --- internals ------------------------------------------------------------------------------
    async def _open_orders(self) -> list[Order]:
        """Per tracked symbol on a real exchange: Binance weighs an all-symbols call like 13 single
        ones, on the rate limit all accounts behind our IP share. The paper venue answers for free,
        and its all-symbols answer lets a limit order on a new symbol bring that symbol in."""
        if isinstance(self.gateway, PaperGateway):
            return await self.gateway.fetch_open_orders()
        return [order for symbol in self.symbols for order in await self.gateway.fetch_open_orders(symbol)]

    def _track(self, symbols: Iterable[str]) -> None:
        for symbol in symbols:
            self._symbols.setdefault(symbol, None)

    async def _new_trades(self, symbol: str) -> list[tuple[Trade, datetime]]:
        """Unseen trades of `symbol`, each with the moment its page arrived, following pages forward.

        A symbol with no cursor yet (no stored fill) starts with a baseline: its current trades are
        history from before the watch began, marked seen and never replicated.
        """
        state, overlap = self.state, self.config.overlap_ms
        if symbol not in state.cursors:
            history = await self.gateway.fetch_my_trades(symbol)
            for trade in history:
                state.mark_seen(symbol, trade.id, trade.timestamp, overlap)
            since_ms = max((t.timestamp for t in history), default=0)  # the venue's clock, not ours
            baseline, _ = await WatchBaseline.get_or_create(
                strategy_id=self.strategy_id, symbol=symbol, defaults={"since_ms": since_ms}
            )
            state.set_baseline(symbol, baseline.since_ms)
            return []
        since = state.since(symbol, overlap)
        found: dict[str, tuple[Trade, datetime]] = {}
        while True:
            page = await self.gateway.fetch_my_trades(symbol, since)
            detected_at = utcnow()
            fresh = [t for t in page if not state.is_seen(symbol, t.id) and t.id not in found]
            found.update((t.id, (t, detected_at)) for t in fresh)
            newest = max((t.timestamp for t in page), default=None)
            if not fresh or since is None or newest is None or newest <= since:
                return list(found.values())
            since = newest  # the page may have been cut at the exchange's limit: fetch on from its end

    async def _on_trade(self, trade: Trade, detected_at: datetime) -> None:
        state = self.state
        if state.is_seen(trade.symbol, trade.id):
            return
        if state.predates_watch(trade.symbol, trade.timestamp):
            state.mark_seen(trade.symbol, trade.id, trade.timestamp, self.config.overlap_ms)
            return
        self._track([trade.symbol])
        order_id = trade.order_id or None
        filled = (state.filled(order_id) if order_id else ZERO) + trade.amount
        event = await self._store(
            exchange_event_id=trade_event_id(trade.id),
            kind=FILL,
            symbol=trade.symbol,
            side=trade.side,
            order_type="limit" if order_id in state.open_orders else "market",
            master_order_id=order_id,
            amount=trade.amount,
            price=trade.price,
            filled=filled,
            position_before=state.position(trade.symbol),
            occurred_at=ms_to_datetime(trade.timestamp),
            detected_at=detected_at,
            payload={"fee": plain(trade.fee), "fee_currency": trade.fee_currency, "client_order_id": trade.client_order_id,
                     **await self._margin_settings(trade.symbol, opening=state.position(trade.symbol) == 0)},
        )
        state.mark_seen(trade.symbol, trade.id, trade.timestamp, self.config.overlap_ms)
        if event is not None:
            state.apply_fill(trade.symbol, trade.side, trade.amount, order_id, filled)
            await self._deliver(event)

    async def _margin_settings(self, symbol: str, *, opening: bool) -> dict[str, str]:
        """The master's leverage and margin mode on a perpetual, which followers copy unless they fix
        their own; empty on spot, or when the exchange does not say (followers keep theirs).

        Read from the exchange when a fill opens a position from flat (where the terms are chosen)
        and reused for the fills that add to it or close it, so the detection path pays one request
        per position, not one per fill."""
        if ":" not in symbol:
            return {}
        if not opening and symbol in self._margin:
            return self._margin[symbol]
        try:
            positions = await self.gateway.fetch_positions()
        except ExchangeError as exc:
            log.warning("master leverage of %s unknown: %s", symbol, exc.code)
            return {}
        settings: dict[str, str] = {}
        for position in positions:
            if position.symbol == symbol:
                if position.leverage:
                    settings["leverage"] = plain(position.leverage)
                if position.margin_mode:
                    settings["margin_mode"] = position.margin_mode
        self._margin[symbol] = settings
        return settings

    async def _on_order_change(self, change: OrderChange, detected_at: datetime) -> None:
        order = change.order
        event = await self._store(
            exchange_event_id=change.event_id,
            kind=change.kind,
            symbol=order.symbol,
            side=order.side,
            order_type="limit",
            master_order_id=order.id,
            amount=change.remaining,
            price=order.price,
            filled=change.filled,
            position_before=self.state.position(order.symbol),
            occurred_at=ms_to_datetime(change.timestamp) if change.timestamp is not None else detected_at,
            detected_at=detected_at,
            payload={"order_amount": plain(order.amount), "client_order_id": order.client_order_id},
        )
        self.state.apply_order_change(change)
        if event is not None:
            await self._deliver(event)

    async def _store(self, **fields: Any) -> MasterEvent | None:
        """The new row, or None when this exchange event is already stored (a redelivery)."""
        try:
            return await MasterEvent.create(strategy_id=self.strategy_id, **fields)
        except IntegrityError:
            log.debug("master event %s already stored", fields["exchange_event_id"])
            return None

    async def _deliver(self, event: MasterEvent) -> None:
        """Hand the stored event to the engine; a failure there is the engine's recovery to finish."""
        with correlate(event=event.id):
            try:
                await self.on_event(event)
            except Exception:
                log.exception("engine failed on master event %s", event.exchange_event_id)
