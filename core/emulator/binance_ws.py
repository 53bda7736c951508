"""Binance spot's user data stream on the WebSocket API, the way ccxt.pro 4.5.90 reads it for spot.

For spot, ccxt.pro's `watch_my_trades` / `watch_orders` no longer take a listenKey (`POST
/api/v3/userDataStream`, still its path for margin and futures): `authenticate()` connects to
`wss://ws-api.binance.com:443/ws-api/v3` and sends `userDataStream.subscribe.signature` with
`apiKey`, `timestamp` and an HMAC-SHA256 `signature` over the other params sorted by name. Binance
answers `{"id", "status": 200, "result": {"subscriptionId"}}` and from then on pushes
`{"subscriptionId", "event": {...}}` on that connection. Here every order of a subscribed account
that is created, filled or cancelled is pushed as Binance's `executionReport`, from the spot
venue's account observers. `drop(api_key)` closes that key's sockets, as a network cut would, and
`hold()` / `release()` stall new handshakes meanwhile, so a test decides how long the cut lasts.
"""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
from collections import Counter
from dataclasses import dataclass, field

from aiohttp import WSCloseCode, WSMsgType, web

from core.emulator.binance import BinanceSpot, OrderObserver, OrderUpdate, SpotAccount
from core.emulator.binance_common import (
    BinanceError,
    check_window_and_permission,
    dec_str,
    now_ms,
)
from core.emulator.keys import KeyRegistry
from core.money import ZERO

PATH = "/ws-api/v3"
_OPEN = ("NEW", "PARTIALLY_FILLED")


@dataclass(eq=False)
class _Subscription:
    api_key: str
    account: SpotAccount
    observer: OrderObserver


@dataclass(eq=False)
class _Connection:
    """One client socket: answers and events leave through one queue, so they keep their order."""

    ws: web.WebSocketResponse
    outbox: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    subscriptions: dict[int, _Subscription] = field(default_factory=dict)
    ids: itertools.count[int] = field(default_factory=itertools.count)

    def send(self, message: dict) -> None:
        self.outbox.put_nowait(json.dumps(message))

    def unsubscribe(self, subscription_id: int | None = None) -> None:
        ids = list(self.subscriptions) if subscription_id is None else [subscription_id]
        for sid in ids:
            sub = self.subscriptions.pop(sid, None)
            if sub is not None and sub.observer in sub.account.observers:
                sub.account.observers.remove(sub.observer)


class BinanceUserStream:
    """The `/ws-api/v3` endpoint: user data stream subscriptions of the emulated spot accounts."""

    def __init__(self, keys: KeyRegistry, spot: BinanceSpot) -> None:
        self.keys = keys
        self.spot = spot
        self.subscribed: Counter[str] = Counter()  # api key -> subscriptions accepted so far
        self._connections: set[_Connection] = set()
        self._accepting = asyncio.Event()
        self._accepting.set()

    def routes(self, prefix: str) -> list[web.RouteDef]:
        return [web.get(f"{prefix}{PATH}", self.handle)]

    def live(self, api_key: str) -> int:
        """How many subscriptions of this key are open now."""
        return sum(sub.api_key == api_key for conn in self._connections for sub in conn.subscriptions.values())

    async def drop(self, api_key: str) -> int:
        """Close every socket holding a subscription of this key; how many were closed."""
        doomed = [c for c in self._connections if any(s.api_key == api_key for s in c.subscriptions.values())]
        for conn in doomed:
            conn.unsubscribe()  # nothing more is queued for it, whatever the close handshake takes
            await conn.ws.close(code=WSCloseCode.GOING_AWAY, message=b"dropped")
        return len(doomed)

    def hold(self) -> None:
        """Stall every new handshake (the exchange unreachable) until `release()`."""
        self._accepting.clear()

    def release(self) -> None:
        self._accepting.set()

    async def close(self) -> None:
        self.release()
        for conn in list(self._connections):
            conn.unsubscribe()
            await conn.ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        await self._accepting.wait()
        ws = web.WebSocketResponse()  # autoping: answers ccxt's keepalive pings
        await ws.prepare(request)
        conn = _Connection(ws)
        self._connections.add(conn)
        writer = asyncio.create_task(self._write(conn))
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._answer(conn, message.data)
        finally:
            conn.unsubscribe()
            self._connections.discard(conn)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        return ws

    async def _write(self, conn: _Connection) -> None:
        while True:
            text = await conn.outbox.get()
            if conn.ws.closed:
                return
            try:
                await conn.ws.send_str(text)
            except ConnectionError:
                return

    def _answer(self, conn: _Connection, text: str) -> None:
        try:
            request = json.loads(text)
        except ValueError:
            conn.send({"id": None, "status": 400, "error": {"code": -1000, "msg": "Malformed request."}})
            return
        request_id = request.get("id")
        params = request.get("params") or {}
        try:
            method = request.get("method")
            if method == "userDataStream.subscribe.signature":
                result: dict = {"subscriptionId": self._subscribe(conn, params)}
            elif method == "userDataStream.unsubscribe":
                conn.unsubscribe(params.get("subscriptionId"))
                result = {}
            else:
                raise BinanceError(400, -1000, f"Unsupported method '{method}'.")
        except BinanceError as exc:
            conn.send({"id": request_id, "status": exc.status, "error": {"code": exc.code, "msg": exc.msg}})
            return
        conn.send({"id": request_id, "status": 200, "result": result})

    def _subscribe(self, conn: _Connection, params: dict) -> int:
        """Verify the signed params like the REST side does; start pushing the account's order updates."""
        key = self.keys.get("binance", params.get("apiKey"))
        if key is None:
            raise BinanceError(401, -2015, "Invalid API-key, IP, or permissions for action.")
        signature = params.get("signature")
        if not isinstance(signature, str):
            raise BinanceError(400, -1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.")
        payload = "&".join(f"{name}={value}" for name, value in sorted(params.items()) if name != "signature")
        expected = hmac.new(key.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise BinanceError(400, -1022, "Signature for this request is not valid.")
        check_window_and_permission(key, params, "read")
        subscription_id = next(conn.ids)

        def push(update: OrderUpdate) -> None:
            conn.send({"subscriptionId": subscription_id, "event": execution_report(update)})

        account = self.spot.open_account(key.account_id, {})
        account.observers.append(push)
        conn.subscriptions[subscription_id] = _Subscription(key.api_key, account, push)
        self.subscribed[key.api_key] += 1
        return subscription_id


def execution_report(update: OrderUpdate) -> dict:
    """Binance's spot `executionReport`, from the order as it is at the moment of the update."""
    order, trade = update.order, update.trade or {}
    zero = dec_str(ZERO)
    cancel = update.execution == "CANCELED"
    return {
        "e": "executionReport",
        "E": now_ms(),
        "s": order.symbol,
        "c": update.request_client_id if cancel else order.client_order_id,
        "S": order.side,
        "o": order.type,
        "f": order.time_in_force or "GTC",
        "q": dec_str(order.qty),
        "p": dec_str(order.price),
        "P": zero,
        "F": zero,
        "g": -1,
        "C": order.client_order_id if cancel else "",
        "x": update.execution,
        "X": order.status,
        "r": "NONE",
        "i": order.order_id,
        "l": trade.get("qty", zero),
        "z": dec_str(order.filled),
        "L": trade.get("price", zero),
        "n": trade.get("commission", "0"),
        "N": trade.get("commissionAsset"),
        "T": update.time,
        "t": trade.get("id", -1),
        "I": 0,
        "w": order.status in _OPEN,
        "m": trade.get("isMaker", False),
        "M": False,
        "O": order.time,
        "Z": dec_str(order.quote_filled),
        "Y": trade.get("quoteQty", zero),
        "Q": zero,
        "W": order.time,
        "V": "EXPIRE_MAKER",
    }
