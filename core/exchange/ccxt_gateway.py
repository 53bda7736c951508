"""The ccxt gateway: binance, okx, bybit, bitget; spot, and USDⓈ-M perpetuals through `defaultType`.

Instances are cheap because everything heavy is shared through `CcxtShared`: one HTTP client (REST
calls go over core/exchange/http_client.py, see ccxt_fetch.py), one SSL context (otherwise every
instance spends ~14 ms loading CA certificates on its first request), one throttler per exchange
(the rate limit is per source IP, not per key) and the markets of each exchange. Every ccxt exception leaves as a `core.errors` type with a credential-free message;
every number leaves as Decimal.
"""
from __future__ import annotations

import asyncio
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import ccxt.async_support as ccxt

from core.config import ExchangeOptions
from core.errors import ExchangeError, OrderNotFound
from core.exchange import binance_spot
from core.exchange.base import (
    Balance,
    Credentials,
    Gateway,
    KeyPermissions,
    MarginMode,
    MarketRules,
    Order,
    OrderRequest,
    Position,
    Trade,
    Transfer,
    require_market,
)
from core.exchange.ccxt_fetch import DirectFetchMixin, direct_class
from core.exchange.ccxt_parse import to_order, to_trade, to_transfer, wire
from core.exchange.ccxt_shared import CcxtShared
from core.exchange.errors_map import translate
from core.exchange.urls import override_api_urls
from core.money import ZERO, to_decimal

if TYPE_CHECKING:
    from core.exchange.pro_stream import ProTradeStream

SUPPORTED = ("binance", "okx", "bybit", "bitget")
MarketType = str  # "spot" or "swap"


class CcxtGateway(Gateway):
    def __init__(
        self,
        exchange: str,
        credentials: Credentials,
        options: ExchangeOptions,
        shared: CcxtShared,
        *,
        market_type: MarketType = "spot",
        timeout_ms: int | None = None,
    ) -> None:
        if exchange not in SUPPORTED:
            raise ExchangeError(f"unsupported exchange {exchange}", exchange=exchange)
        self.exchange = exchange
        self.market_type = market_type
        self._credentials = credentials
        self._options = options
        self._secrets = (credentials.secret, credentials.passphrase)
        self._shared = shared
        self._markets_key = (exchange, market_type, options.testnet, options.base_url)
        self.client = self._build_client(exchange, credentials, options, shared, market_type, timeout_ms)
        self._markets = shared.markets.attach_loaded(self._markets_key, self.client)
        self._stream: ProTradeStream | None = None  # ccxt.pro, built when the account is watched as a master

    @staticmethod
    def _build_client(
        exchange: str,
        credentials: Credentials,
        options: ExchangeOptions,
        shared: CcxtShared,
        market_type: MarketType,
        timeout_ms: int | None,
        client_class: type[ccxt.Exchange] | None = None,
    ) -> ccxt.Exchange:
        client_options: dict[str, Any] = {
            "defaultType": market_type,
            "fetchCurrencies": False,  # private on most exchanges; we only need markets
            "warnOnFetchOpenOrdersWithoutSymbol": False,
        }
        if exchange == "binance":
            client_options["fetchMarkets"] = {"types": ["spot" if market_type == "spot" else "linear"]}
            client_options["fetchMargins"] = False  # margin pair lists: private calls a spot follower never needs
            client_options["fetchPositionsRisk"] = {"useV2": True}  # v3 positionRisk has no leverage nor margin type
        client: ccxt.Exchange = (client_class or direct_class(exchange))({
            "apiKey": credentials.api_key,
            "secret": credentials.secret,
            "password": credentials.passphrase,
            "session": shared.session,
            "ssl_context": shared.ssl_context,
            "asyncio_loop": asyncio.get_running_loop(),
            "enableRateLimit": True,
            "timeout": timeout_ms or shared.timeout_ms,
            "options": client_options,
        })
        client.timeout_on_exit = 0  # ccxt sleeps 250 ms in close() for websockets we do not own here
        client.throttler = shared.throttler(client)
        if isinstance(client, DirectFetchMixin):
            client.http = shared.http
        if options.testnet:
            client.set_sandbox_mode(True)
        if options.base_url:
            real_urls = client.urls["api"]
            client.urls["api"] = override_api_urls(real_urls, options.base_url, getattr(client, "hostname", "") or "")
            if exchange == "binance":
                _keep_binance_error_tables(client, real_urls)
        return client

    def __repr__(self) -> str:
        return f"CcxtGateway({self.exchange}, {self.market_type}, key={self.client.apiKey[:4]}…)"

    async def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return await getattr(self.client, method)(*args, **kwargs)
        except ccxt.BaseError as exc:
            raise translate(
                exc, self.exchange, secrets=self._secrets, response_headers=self.client.last_response_headers
            ) from None

    # --- markets --------------------------------------------------------------------------------
    async def load_markets(self) -> dict[str, MarketRules]:
        if self._markets is None:
            try:
                self._markets = await self._shared.markets.attach(self._markets_key, self.client)
            except ccxt.BaseError as exc:
                raise translate(exc, self.exchange, secrets=self._secrets) from None
        return self._markets

    def market(self, symbol: str) -> MarketRules:
        if self._markets is None:
            raise ExchangeError("markets are not loaded; await load_markets() first", exchange=self.exchange)
        return require_market(self._markets, symbol, self.exchange)

    # --- account --------------------------------------------------------------------------------
    async def fetch_balance(self) -> dict[str, Balance]:
        await self.load_markets()
        raw = await self._call("fetch_balance")
        free, used = raw.get("free") or {}, raw.get("used") or {}
        result: dict[str, Balance] = {}
        for currency in set(free) | set(used):
            balance = Balance(free=to_decimal(free.get(currency)) or ZERO, used=to_decimal(used.get(currency)) or ZERO)
            if balance.total:
                result[currency] = balance
        return result

    async def fetch_price(self, symbol: str) -> Decimal:
        await self.load_markets()
        ticker = await self._call("fetch_ticker", symbol)
        price = to_decimal(ticker.get("last")) or to_decimal(ticker.get("close"))
        if price is None:
            raise ExchangeError(f"{self.exchange}: no price for {symbol}", exchange=self.exchange)
        return price

    async def inspect_key(self) -> KeyPermissions:
        from core.exchange.permissions import fetch_key_permissions

        try:
            return await fetch_key_permissions(self.client)
        except ccxt.BaseError as exc:
            raise translate(exc, self.exchange, secrets=self._secrets) from None

    # --- orders ---------------------------------------------------------------------------------
    async def create_order(self, request: OrderRequest) -> Order:
        if self._markets is None:  # loaded once per market type: the per-order path skips the await
            await self.load_markets()
        if self.exchange == "binance" and self.market_type == "spot" and not request.reduce_only:
            rules = self.market(request.symbol)
            return binance_spot.parse_order(await self._call("private_post_order", binance_spot.order_request(rules, request)), rules)
        # ccxt maps the unified `clientOrderId` to newClientOrderId / clOrdId / orderLinkId / clientOid
        params: dict[str, Any] = {"clientOrderId": request.client_order_id}
        if request.reduce_only:
            params["reduceOnly"] = True
        price = wire(request.price) if request.price is not None else None
        raw = await self._call("create_order", request.symbol, request.type, request.side, wire(request.amount), price, params)
        return to_order(raw, request.client_order_id)

    async def fetch_order_by_client_id(self, symbol: str, client_order_id: str) -> Order | None:
        await self.load_markets()
        try:
            raw = await self._call("fetch_order", None, symbol, {"clientOrderId": client_order_id})
        except OrderNotFound:
            return None
        order = to_order(raw, client_order_id)
        if order.filled and not order.fee:
            # Binance's order lookup carries no fills, hence no fee: read it from the order's trades,
            # or a holding booked from this lookup would overstate what the follower received.
            trades = [to_trade(t) for t in await self._call("fetch_my_trades", symbol, None, None, {"orderId": order.id})]
            if trades:
                order = replace(order, fee=sum((t.fee for t in trades), ZERO), fee_currency=trades[0].fee_currency)
        return order

    async def cancel_order(self, symbol: str, order_id: str | None = None, client_order_id: str | None = None) -> Order:
        await self.load_markets()
        params = {"clientOrderId": client_order_id} if client_order_id and not order_id else {}
        raw = await self._call("cancel_order", order_id, symbol, params)
        info = raw.get("info") or {}
        return to_order(raw, info.get("origClientOrderId") or client_order_id)

    async def fetch_open_orders(self, symbol: str | None = None) -> list[Order]:
        await self.load_markets()
        return [to_order(raw) for raw in await self._call("fetch_open_orders", symbol)]

    async def fetch_positions(self) -> list[Position]:
        if self.market_type == "spot":
            return []  # spot holdings are balances, not positions
        await self.load_markets()
        positions = []
        for raw in await self._call("fetch_positions"):
            contracts = to_decimal(raw.get("contracts")) or ZERO
            if contracts:
                positions.append(Position(
                    symbol=raw["symbol"],
                    side=raw.get("side") or "long",
                    contracts=contracts,
                    entry_price=to_decimal(raw.get("entryPrice")) or ZERO,
                    leverage=to_decimal(raw.get("leverage")),
                    margin_mode=raw.get("marginMode"),
                    unrealized_pnl=to_decimal(raw.get("unrealizedPnl")) or ZERO,
                ))
        return positions

    async def fetch_my_trades(self, symbol: str, since: int | None = None) -> list[Trade]:
        await self.load_markets()
        return [to_trade(raw) for raw in await self._call("fetch_my_trades", symbol, since)]

    async def fetch_transfers(self, since: int) -> list[Transfer]:
        """Completed deposits and withdrawals. On Binance these are one signed call each
        (sapi capital/deposit/hisrec and capital/withdraw/history, up to 90 days from `since`)."""
        await self.load_markets()
        found: list[Transfer] = []
        for method in ("fetch_deposits", "fetch_withdrawals"):
            for raw in await self._call(method, None, since):
                transfer = to_transfer(raw)
                if transfer is not None and transfer.timestamp >= since:
                    found.append(transfer)
        return found

    async def set_leverage(self, symbol: str, leverage: int) -> None:
        await self.load_markets()
        await self._call("set_leverage", leverage, symbol)

    async def set_margin_mode(self, symbol: str, mode: MarginMode) -> None:
        await self.load_markets()
        # already in that mode is success, not an error (ccxt raises MarginModeAlreadySet by default)
        self.client.options.setdefault("setMarginMode", {})["throwMarginModeAlreadySet"] = False
        await self._call("set_margin_mode", mode, symbol)

    # --- push: the watcher's TradeStream (core/engine/watcher.py) ------------------------------------
    @property
    def streams_trades(self) -> bool:
        """Whether this account's trades can be pushed (ccxt.pro; see core/exchange/pro_stream.py)."""
        from core.exchange.pro_stream import STREAMING

        return (self.exchange, self.market_type) in STREAMING

    async def subscribe_my_trades(self) -> None:
        """(Re)open the websocket of this account's trades; returns once the exchange confirmed it."""
        if self._stream is None:
            from core.exchange.pro_stream import (  # ccxt.pro: masters only
                ProTradeStream,
                pro_class,
            )

            client = self._build_client(self.exchange, self._credentials, self._options, self._shared,
                                        self.market_type, None, pro_class(self.exchange))
            try:
                await self._shared.markets.attach(self._markets_key, client)
            except ccxt.BaseError as exc:
                await client.close()
                raise translate(exc, self.exchange, secrets=self._secrets) from None
            self._stream = ProTradeStream(client, lambda exc: translate(exc, self.exchange, secrets=self._secrets))
        await self._stream.subscribe()

    async def watch_my_trades(self) -> list[Trade]:
        """The next trades pushed after `subscribe_my_trades`; ExchangeUnavailable once the socket dropped."""
        if self._stream is None:
            raise ExchangeError("subscribe_my_trades() first", exchange=self.exchange)
        return await self._stream.next()

    async def close_trade_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            await stream.close()

    async def close(self) -> None:
        """Release the instance; the shared session stays open for the others."""
        await self.close_trade_stream()
        await self.client.close()


def _keep_binance_error_tables(client: ccxt.Exchange, real_urls: dict[str, Any]) -> None:
    """Let ccxt pick Binance's per-market error table behind a `base_url` override.

    ccxt chooses the table by the request's host (`fapi.binance.com` → linear, where -2019 is
    InsufficientFunds and -2022 InvalidOrder); behind a proxy or the emulator the host is ours and
    only the generic table applies, so such errors would surface as a bare ExchangeError. The lookup
    (which runs only on an error answer) is given the real URL in place of ours.
    """
    overridden = _flat_urls(client.urls["api"])
    real = _flat_urls(real_urls)
    lookup = client.get_exceptions_by_url

    def by_real_url(url: str | None, exact_or_broad: str) -> dict:
        names = [name for name, ours in overridden.items() if url and (url == ours or url.startswith(ours + "/"))]
        if url and names:
            name = max(names, key=lambda n: len(overridden[n]))  # the most specific API base
            url = real[name] + url[len(overridden[name]):]
        return lookup(url, exact_or_broad)

    client.get_exceptions_by_url = by_real_url


def _flat_urls(urls: dict, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], str]:
    """ccxt's URL tree (ccxt.pro nests its websocket URLs under `ws`) as path → URL."""
    flat: dict[tuple[str, ...], str] = {}
    for name, value in urls.items():
        if isinstance(value, dict):
            flat.update(_flat_urls(value, (*path, name)))
        elif isinstance(value, str):
            flat[(*path, name)] = value
    return flat
