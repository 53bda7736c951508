"""A master account's own trades pushed over ccxt.pro: one websocket per watched master account.

Only masters stream (they are few; followers never need to), so the ccxt.pro client is a separate
instance per master gateway, built like the REST one (same key and options, the shared session,
SSL context, throttler and markets), on the first subscription, and closed when the watcher stops
or the gateway closes. Streaming is enabled where the emulator proves it end to end
(`STREAMING`): Binance spot, which ccxt.pro 4.5.90 serves from the WebSocket API's
`userDataStream.subscribe.signature`.

Gap-free hand-over: `subscribe()` returns once the exchange confirmed the subscription, and from
that moment a pump task keeps one ccxt `watch_my_trades` pending at all times (it re-arms in the
same synchronous step that collects a batch), so every trade pushed after the confirmation is
delivered; the watcher's REST reconciliation right after `subscribe()` covers everything before it.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace
from functools import cache
from typing import Any

import ccxt.async_support as ccxt
import ccxt.pro

from core.errors import ExchangeError
from core.exchange.base import Trade
from core.exchange.ccxt_parse import to_trade

log = logging.getLogger(__name__)

STREAMING = frozenset({("binance", "spot")})  # (exchange, market type)

Translate = Callable[[ccxt.BaseError], ExchangeError]


class _RetrievedRejections:
    """Mixed in before a ccxt.pro class. ccxt rejects futures that nobody awaits (Binance's
    `authenticate:signature:spot` marker, when a subscription fails), and asyncio logs each one as
    "Future exception was never retrieved"; the error itself reaches us through the awaited future."""

    def client(self, url: str) -> Any:
        client = super().client(url)  # type: ignore[misc]
        if "future" not in vars(client):
            make = client.future

            def future(message_hash: str) -> Any:
                made = make(message_hash)
                made.add_done_callback(_retrieve)
                return made

            client.future = future
        return client


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


@cache
def pro_class(exchange: str) -> type[ccxt.Exchange]:
    base = getattr(ccxt.pro, exchange)
    return type(f"Streaming{base.__name__}", (_RetrievedRejections, base), {})


def stream_trade(raw: dict) -> Trade:
    """A ccxt.pro trade; its `info` is the exchange's push event (Binance: `c` is the client order id)."""
    trade = to_trade(raw)
    info = raw.get("info") or {}
    return trade if trade.client_order_id else replace(trade, client_order_id=info.get("c") or None)


class ProTradeStream:
    """The pushed trades of one account. `subscribe()`, then `next()` per batch; `close()` at the end."""

    def __init__(self, client: ccxt.Exchange, translate: Translate) -> None:
        self.client = client
        self._translate = translate
        self._batches: asyncio.Queue[list[Trade] | ExchangeError] = asyncio.Queue()
        self._pump: asyncio.Task[None] | None = None

    async def subscribe(self) -> None:
        """(Re)subscribe: returns once the exchange confirmed, raises the typed error when it could not."""
        await self._stop_pump()
        self._batches = asyncio.Queue()
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pump = asyncio.create_task(self._run(ready), name="trade-stream")
        try:
            await ready
        except BaseException:
            await self._stop_pump()
            raise

    async def next(self) -> list[Trade]:
        """The next batch of trades; the typed error once the connection broke (then `subscribe()` again)."""
        if self._pump is None:
            raise ExchangeError("the trade stream is not subscribed", exchange=self.client.id)
        batch = await self._batches.get()
        if isinstance(batch, ExchangeError):
            raise batch
        return batch

    async def close(self) -> None:
        await self._stop_pump()
        await self.client.close()

    async def _run(self, ready: asyncio.Future[None]) -> None:
        try:
            await self.client.authenticate()  # Binance spot: the signed subscription, answered by its ack
        except Exception as exc:  # noqa: BLE001 -- ccxt bugs too: the caller must hear the stream ended
            ready.set_exception(self._typed(exc))
            return
        ready.set_result(None)
        try:
            while True:
                # no await between the batch and the next watch: nothing pushed in between is left waiting
                raw = await self.client.watch_my_trades()
                self._batches.put_nowait([stream_trade(t) for t in raw])
        except Exception as exc:  # noqa: BLE001 -- whatever it is, the watcher must hear the stream ended
            self._batches.put_nowait(self._typed(exc))

    def _typed(self, exc: Exception) -> ExchangeError:
        """The typed error. ccxt 4.5.90 turns a refused subscription into a KeyError raised while
        handling the real error (it deletes the subscription twice): that real error is its context."""
        cause = exc if isinstance(exc, ccxt.BaseError) else exc.__context__
        if isinstance(cause, ccxt.BaseError):
            return self._translate(cause)
        log.error("trade stream of %s ended on %s", self.client.id, type(exc).__name__)
        return ExchangeError(f"{self.client.id}: trade stream failed", exchange=self.client.id)

    async def _stop_pump(self) -> None:
        pump, self._pump = self._pump, None
        if pump is not None and not pump.done():
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump
        with contextlib.suppress(ccxt.BaseError):
            await self.client.close_ws_clients()  # a fresh subscription starts on a fresh socket
