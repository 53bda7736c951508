"""What the emulated Binance spot and USDⓈ-M futures APIs share, so both check and answer alike.

Signed endpoints verify `X-MBX-APIKEY` and the HMAC-SHA256 `signature` over the query string plus
body, exactly as Binance does; errors are Binance's `{"code", "msg"}`; both venues list symbols with
the same filter fields and serve the same public ticker endpoints. Every amount is Decimal.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, Protocol, TypeVar
from urllib.parse import parse_qsl

from aiohttp import web

from core.emulator.keys import EmulatedKey, KeyRegistry

RECV_WINDOW_MS = 5000
Permission = Literal["read", "trade"]
PrivateHandler = Callable[[EmulatedKey, dict[str, str]], object]
Endpoint = Callable[[web.Request], Awaitable[web.Response]]


class _Listed(Protocol):
    symbol: str


O = TypeVar("O", bound=_Listed)


class OrderBook(Protocol[O]):
    """An account's orders by exchange id and by client order id (spot and futures accounts alike)."""

    orders: dict[int, O]
    by_client_id: dict[str, O]


@dataclass(frozen=True, slots=True)
class SymbolSpec:
    id: str
    base: str
    quote: str
    tick: Decimal
    step: Decimal
    min_qty: Decimal
    min_notional: Decimal
    max_qty: Decimal  # LOT_SIZE maxQty: the largest order of any type
    market_max_qty: Decimal  # MARKET_LOT_SIZE maxQty: the largest market order
    base_precision: int = 8
    quote_precision: int = 8


class BinanceError(Exception):
    """A Binance-shaped error answer: HTTP status plus {"code", "msg"}."""

    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(msg)
        self.status, self.code, self.msg = status, code, msg

    def response(self) -> web.Response:
        return json_response({"code": self.code, "msg": self.msg}, self.status)


def json_response(body: object, status: int = 200) -> web.Response:
    return web.Response(status=status, body=json.dumps(body).encode(), content_type="application/json")


def dec_str(value: Decimal) -> str:
    """Binance's fixed 8-decimal number text."""
    return f"{value:.8f}"


def utc_text(ms: int) -> str:
    """Binance's withdrawal times: "2021-04-15 12:09:16", UTC."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms // 1000))


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def decimal_param(params: dict[str, str], name: str, required: bool = True) -> Decimal | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise BinanceError(400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")
        return None
    try:
        return Decimal(raw)
    except InvalidOperation:
        raise BinanceError(400, -1100, f"Illegal characters found in parameter '{name}'; legal range is '^([0-9]{{1,20}})(\\.[0-9]{{1,20}})?$'.") from None


def find_order(book: OrderBook[O], params: dict[str, str]) -> O | None:
    """The order that `orderId` or `origClientOrderId` names on `symbol`, as Binance looks it up."""
    order_id = params.get("orderId")
    if order_id:
        order = book.orders.get(int(order_id))
    else:
        client_id = params.get("origClientOrderId")
        if not client_id:
            raise BinanceError(400, -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!")
        order = book.by_client_id.get(client_id)
    return order if order is not None and order.symbol == params.get("symbol") else None


async def authenticate(keys: KeyRegistry, request: web.Request, permission: Permission | None) -> tuple[EmulatedKey, dict[str, str]]:
    """The key and the parameters of a signed request, or the BinanceError Binance would answer."""
    api_key = request.headers.get("X-MBX-APIKEY")
    if not api_key:
        raise BinanceError(401, -2014, "API-key format invalid.")
    key = keys.get("binance", api_key)
    if key is None:
        raise BinanceError(401, -2015, "Invalid API-key, IP, or permissions for action.")
    query = request.rel_url.raw_query_string
    body = await request.text() if request.body_exists else ""
    total = query + body  # Binance signs the query string followed by the body
    payload, sep, signature = total.rpartition("&signature=")
    if not sep or "&" in signature:
        raise BinanceError(400, -1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.")
    expected = hmac.new(key.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise BinanceError(400, -1022, "Signature for this request is not valid.")
    params = dict(parse_qsl(query))
    if body:
        params.update(parse_qsl(body))
    check_window_and_permission(key, params, permission)
    return key, params


def check_window_and_permission(key: EmulatedKey, params: Mapping[str, object], permission: Permission | None) -> None:
    """After the signature: the request's timestamp within recvWindow, and the key allowed to do it."""
    timestamp = int(str(params.get("timestamp", "0")))
    window = int(str(params.get("recvWindow", RECV_WINDOW_MS)))
    now = now_ms()
    if timestamp > now + 1000 or now - timestamp > window:
        raise BinanceError(400, -1021, "Timestamp for this request is outside of the recvWindow.")
    if (permission == "read" and not key.read) or (permission == "trade" and not key.trade):
        raise BinanceError(401, -2015, "Invalid API-key, IP, or permissions for action.")


def take_crossed(resting: dict[int, tuple[Any, Any]], price: Decimal) -> list[tuple[Any, Any]]:
    """Remove and return the resting (account, order) pairs that a move to `price` fills at their limit."""
    crossed = [
        (account, order)
        for account, order in resting.values()
        if (order.side == "BUY" and price <= order.price) or (order.side == "SELL" and price >= order.price)
    ]
    for _, order in crossed:
        del resting[order.order_id]
    return crossed


class BinanceVenue:
    """Listed symbols, their prices, the public market-data endpoints and the signed-endpoint wrapper."""

    def __init__(self, keys: KeyRegistry, specs: Iterable[SymbolSpec], prices: Mapping[str, Decimal]) -> None:
        self.keys = keys
        self.symbols: dict[str, SymbolSpec] = {spec.id: spec for spec in specs}
        self.prices: dict[str, Decimal] = {symbol_id: prices[symbol_id] for symbol_id in self.symbols}

    def _private(self, permission: Permission | None, handler: PrivateHandler) -> Endpoint:
        async def endpoint(request: web.Request) -> web.Response:
            try:
                key, params = await authenticate(self.keys, request, permission)
                return json_response(handler(key, params))
            except BinanceError as exc:
                return exc.response()

        return endpoint

    def _symbol(self, params: dict[str, str]) -> SymbolSpec:
        symbol_id = params.get("symbol")
        if not symbol_id:
            raise BinanceError(400, -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")
        spec = self.symbols.get(symbol_id)
        if spec is None:
            raise BinanceError(400, -1121, "Invalid symbol.")
        return spec

    async def ping(self, request: web.Request) -> web.Response:
        return json_response({})

    async def server_time(self, request: web.Request) -> web.Response:
        return json_response({"serverTime": now_ms()})

    async def ticker_price(self, request: web.Request) -> web.Response:
        symbol_id = request.query.get("symbol")
        if symbol_id:
            if symbol_id not in self.symbols:
                return BinanceError(400, -1121, "Invalid symbol.").response()
            return json_response({"symbol": symbol_id, "price": dec_str(self.prices[symbol_id])})
        return json_response([{"symbol": s, "price": dec_str(p)} for s, p in self.prices.items()])

    async def ticker_24hr(self, request: web.Request) -> web.Response:
        symbol_id = request.query.get("symbol")
        if symbol_id and symbol_id not in self.symbols:
            return BinanceError(400, -1121, "Invalid symbol.").response()
        ids = [symbol_id] if symbol_id else list(self.symbols)
        tickers = [self._ticker(s) for s in ids]
        return json_response(tickers[0] if symbol_id else tickers)

    def _ticker(self, symbol_id: str) -> dict:
        price = dec_str(self.prices[symbol_id])
        now = now_ms()
        return {
            "symbol": symbol_id, "priceChange": "0.00000000", "priceChangePercent": "0.000", "weightedAvgPrice": price,
            "prevClosePrice": price, "lastPrice": price, "lastQty": "0.00000000", "bidPrice": price, "bidQty": "1.00000000",
            "askPrice": price, "askQty": "1.00000000", "openPrice": price, "highPrice": price, "lowPrice": price,
            "volume": "0.00000000", "quoteVolume": "0.00000000", "openTime": now - 86_400_000, "closeTime": now,
            "firstId": 0, "lastId": 0, "count": 0,
        }
