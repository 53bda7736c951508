"""Binance spot REST, as ccxt's spot trade path calls it, with Binance's checks and error shapes.

Signed endpoints check keys and signatures like Binance (`binance_common`). Orders pass
PRICE_FILTER, LOT_SIZE and NOTIONAL like on the exchange; market orders fill at the current price
(`set_price`), limit orders rest with their balance locked and fill when `set_price` crosses them.
Deposits and withdrawals are binance_wallet.py's.
Every amount is Decimal.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from aiohttp import web

from core.emulator.binance_common import (
    BinanceError,
    BinanceVenue,
    SymbolSpec,
    dec_str,
    decimal_param,
    find_order,
    json_response,
    now_ms,
    take_crossed,
)
from core.emulator.binance_wallet import SpotWallet
from core.emulator.keys import EmulatedKey, KeyRegistry
from core.money import ZERO

FEE_RATE = Decimal("0.001")
ENDINGS = ("CANCELED", "EXPIRED")  # how a resting order ends without filling in full (also its executionReport `x`)
# Binance's spot filters (tick, lot step, minimum and maximum quantity, maximum market quantity,
# minimum notional) as the exchange lists them, and a starting price.
DEFAULT_SYMBOLS = (
    (SymbolSpec("BTCUSDT", "BTC", "USDT", Decimal("0.01"), Decimal("0.00001"), Decimal("0.00001"), Decimal("5"),
                Decimal("9000"), Decimal("100")), Decimal("60000")),
    (SymbolSpec("ETHUSDT", "ETH", "USDT", Decimal("0.01"), Decimal("0.0001"), Decimal("0.0001"), Decimal("5"),
                Decimal("9000"), Decimal("2000")), Decimal("3000")),
    (SymbolSpec("XRPUSDT", "XRP", "USDT", Decimal("0.0001"), Decimal("0.1"), Decimal("0.1"), Decimal("5"),
                Decimal("9222449"), Decimal("1500000")), Decimal("0.5")),
)


@dataclass(slots=True)
class SpotOrder:
    order_id: int
    client_order_id: str
    symbol: str
    side: str  # BUY / SELL
    type: str  # MARKET / LIMIT
    qty: Decimal
    price: Decimal  # limit price, 0 for market orders like Binance
    time: int
    time_in_force: str | None = None
    filled: Decimal = ZERO
    quote_filled: Decimal = ZERO
    status: str = "NEW"
    update_time: int = 0
    locked: Decimal = ZERO  # what a resting order holds (quote for buys, base for sells)
    fills: list[dict] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """One change of an order, what Binance reports as an `executionReport` on the user data stream."""

    order: SpotOrder  # the live order: read it inside the observer call, it changes afterwards
    execution: str  # NEW, TRADE, CANCELED or EXPIRED
    time: int
    trade: dict | None = None  # the trade row (myTrades fields) of a TRADE
    request_client_id: str | None = None  # the cancel request's client order id


OrderObserver = Callable[[OrderUpdate], None]


@dataclass(slots=True)
class SpotAccount:
    free: dict[str, Decimal]
    locked: dict[str, Decimal] = field(default_factory=dict)
    orders: dict[int, SpotOrder] = field(default_factory=dict)
    by_client_id: dict[str, SpotOrder] = field(default_factory=dict)
    trades: list[dict] = field(default_factory=list)
    observers: list[OrderObserver] = field(default_factory=list)  # user data streams (binance_ws)
    deposits: list[dict] = field(default_factory=list)  # capital/deposit/hisrec rows, oldest first
    withdrawals: list[dict] = field(default_factory=list)  # capital/withdraw/history rows, oldest first

    def notify(self, update: OrderUpdate) -> None:
        for observer in list(self.observers):
            observer(update)


class BinanceSpot(SpotWallet, BinanceVenue):
    """State and handlers of the emulated Binance spot exchange."""

    def __init__(self, keys: KeyRegistry, fee_rate: Decimal = FEE_RATE) -> None:
        super().__init__(keys, [spec for spec, _ in DEFAULT_SYMBOLS], {spec.id: price for spec, price in DEFAULT_SYMBOLS})
        self.fee_rate = fee_rate
        self.accounts: dict[str, SpotAccount] = {}
        self._resting: dict[str, dict[int, tuple[SpotAccount, SpotOrder]]] = {s: {} for s in self.symbols}
        self.liquidity: dict[str, Decimal] = {}  # symbol id -> the most one match trades (a thin book); unset: no limit
        self.unfilled: dict[str, str] = {}  # symbol id -> how a market order's unfilled rest ends; unset: EXPIRED
        self._order_ids = itertools.count(1)
        self._trade_ids = itertools.count(1)
        self._transfer_ids = itertools.count(1)

    # --- state helpers used by the server and tests ---------------------------------------------
    def open_account(self, account_id: str, balances: dict[str, Decimal]) -> SpotAccount:
        account = self.accounts.get(account_id)
        if account is None:
            account = self.accounts[account_id] = SpotAccount(free=dict(balances))
        return account

    def set_price(self, symbol_id: str, price: Decimal) -> None:
        """Move the price; resting limit orders it crosses fill at their limit price (in part, on a thin book)."""
        self.prices[symbol_id] = price
        for account, order in take_crossed(self._resting[symbol_id], price):
            self._fill(account, order, order.price, maker=True)
            if order.status == "PARTIALLY_FILLED":  # the rest keeps resting
                self._resting[symbol_id][order.order_id] = (account, order)

    def end_order(self, account_id: str, client_order_id: str, status: str = "CANCELED") -> SpotOrder:
        """End a resting order outside the API: cancelled by hand in the exchange's app (CANCELED)
        or expired by the exchange (EXPIRED). What it filled stays filled."""
        if status not in ENDINGS:
            raise ValueError(f"a resting order ends {' or '.join(ENDINGS)}, not {status}")
        acc = self.open_account(account_id, {})
        order = acc.by_client_id.get(client_order_id)
        if order is None or order.status not in ("NEW", "PARTIALLY_FILLED"):
            raise ValueError(f"no resting order {client_order_id}")
        self._end(acc, order, status, f"web_{order.order_id}" if status == "CANCELED" else None)
        return order

    # --- routes ---------------------------------------------------------------------------------
    def routes(self, prefix: str) -> list[web.RouteDef]:
        p = prefix
        return [
            web.get(f"{p}/api/v3/ping", self.ping),
            web.get(f"{p}/api/v3/time", self.server_time),
            web.get(f"{p}/api/v3/exchangeInfo", self.exchange_info),
            web.get(f"{p}/api/v3/ticker/price", self.ticker_price),
            web.get(f"{p}/api/v3/ticker/24hr", self.ticker_24hr),
            web.get(f"{p}/api/v3/account", self._private("read", self.account)),
            web.post(f"{p}/api/v3/order", self._private("trade", self.new_order)),
            web.get(f"{p}/api/v3/order", self._private("read", self.get_order)),
            web.delete(f"{p}/api/v3/order", self._private("trade", self.cancel_order)),
            web.get(f"{p}/api/v3/openOrders", self._private("read", self.open_orders)),
            web.get(f"{p}/api/v3/myTrades", self._private("read", self.my_trades)),
            web.get(f"{p}/sapi/v1/account/apiRestrictions", self._private(None, self.api_restrictions)),
            web.get(f"{p}/sapi/v1/capital/deposit/hisrec", self._private("read", self.deposit_history)),
            web.get(f"{p}/sapi/v1/capital/withdraw/history", self._private("read", self.withdraw_history)),
        ]

    def _account(self, key: EmulatedKey) -> SpotAccount:
        return self.open_account(key.account_id, {})

    # --- public ---------------------------------------------------------------------------------
    async def exchange_info(self, request: web.Request) -> web.Response:
        return json_response({
            "timezone": "UTC",
            "serverTime": now_ms(),
            "rateLimits": [
                {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
                {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
            ],
            "exchangeFilters": [],
            "symbols": [self._symbol_info(spec) for spec in self.symbols.values()],
        })

    def _symbol_info(self, spec: SymbolSpec) -> dict:
        return {
            "symbol": spec.id,
            "status": "TRADING",
            "baseAsset": spec.base,
            "baseAssetPrecision": spec.base_precision,
            "quoteAsset": spec.quote,
            "quotePrecision": spec.quote_precision,
            "quoteAssetPrecision": spec.quote_precision,
            "baseCommissionPrecision": spec.base_precision,
            "quoteCommissionPrecision": spec.quote_precision,
            "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
            "icebergAllowed": True,
            "ocoAllowed": True,
            "quoteOrderQtyMarketAllowed": True,
            "allowTrailingStop": True,
            "cancelReplaceAllowed": True,
            "isSpotTradingAllowed": True,
            "isMarginTradingAllowed": False,
            "filters": [
                {"filterType": "PRICE_FILTER", "minPrice": dec_str(spec.tick), "maxPrice": "1000000.00000000", "tickSize": dec_str(spec.tick)},
                {"filterType": "LOT_SIZE", "minQty": dec_str(spec.min_qty), "maxQty": dec_str(spec.max_qty), "stepSize": dec_str(spec.step)},
                {"filterType": "MARKET_LOT_SIZE", "minQty": "0.00000000", "maxQty": dec_str(spec.market_max_qty), "stepSize": "0.00000000"},
                {
                    "filterType": "NOTIONAL",
                    "minNotional": dec_str(spec.min_notional),
                    "applyMinToMarket": True,
                    "maxNotional": "9000000.00000000",
                    "applyMaxToMarket": False,
                    "avgPriceMins": 5,
                },
                {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
            ],
            "permissions": [],
            "permissionSets": [["SPOT"]],
            "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
            "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
        }

    # --- private --------------------------------------------------------------------------------
    def account(self, key: EmulatedKey, params: dict[str, str]) -> dict:
        acc = self._account(key)
        assets = set(acc.free) | set(acc.locked)
        return {
            "makerCommission": 10, "takerCommission": 10, "buyerCommission": 0, "sellerCommission": 0,
            "canTrade": key.trade, "canWithdraw": key.withdraw, "canDeposit": True, "brokered": False,
            "requireSelfTradePrevention": False, "preventSor": False, "updateTime": now_ms(), "accountType": "SPOT",
            "balances": [
                {"asset": a, "free": dec_str(acc.free.get(a, ZERO)), "locked": dec_str(acc.locked.get(a, ZERO))} for a in sorted(assets)
            ],
            "permissions": ["SPOT"], "uid": abs(hash(key.account_id)) % 10**9,
        }

    def api_restrictions(self, key: EmulatedKey, params: dict[str, str]) -> dict:
        return {
            "ipRestrict": False, "createTime": 1_700_000_000_000, "enableReading": key.read,
            "enableSpotAndMarginTrading": key.trade, "enableWithdrawals": key.withdraw, "enableInternalTransfer": False,
            "enableMargin": False, "enableFutures": False, "permitsUniversalTransfer": False,
            "enableVanillaOptions": False, "enableFixApiTrade": False, "enableFixReadOnly": False,
            "enablePortfolioMarginTrading": False,
        }

    def new_order(self, key: EmulatedKey, params: dict[str, str]) -> dict:
        spec = self._symbol(params)
        acc = self._account(key)
        side = params.get("side", "")
        order_type = params.get("type", "")
        if side not in ("BUY", "SELL"):
            raise BinanceError(400, -1102, "Mandatory parameter 'side' was not sent, was empty/null, or malformed.")
        if order_type not in ("MARKET", "LIMIT"):
            raise BinanceError(400, -1116, "Invalid orderType.")
        qty = decimal_param(params, "quantity")
        assert qty is not None
        price = ZERO
        tif = None
        if order_type == "LIMIT":
            price = decimal_param(params, "price")  # type: ignore[assignment]
            tif = params.get("timeInForce")
            if not tif:
                raise BinanceError(400, -1102, "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.")
        client_id = params.get("newClientOrderId") or f"emu-{next(self._order_ids)}"
        existing = acc.by_client_id.get(client_id)
        if existing is not None and existing.status in ("NEW", "PARTIALLY_FILLED"):
            raise BinanceError(400, -2010, "Duplicate order sent.")
        if price and (price % spec.tick or price < spec.tick):
            raise BinanceError(400, -1013, "Filter failure: PRICE_FILTER")
        if qty < spec.min_qty or qty > spec.max_qty or qty % spec.step:
            raise BinanceError(400, -1013, "Filter failure: LOT_SIZE")
        if order_type == "MARKET" and qty > spec.market_max_qty:
            raise BinanceError(400, -1013, "Filter failure: MARKET_LOT_SIZE")
        market_price = self.prices[spec.id]
        if qty * (price or market_price) < spec.min_notional:
            raise BinanceError(400, -1013, "Filter failure: NOTIONAL")
        marketable = order_type == "MARKET" or (side == "BUY" and market_price <= price) or (side == "SELL" and market_price >= price)
        if side == "BUY":
            need_asset, need = spec.quote, qty * (market_price if marketable else price)
        else:
            need_asset, need = spec.base, qty
        if acc.free.get(need_asset, ZERO) < need:
            raise BinanceError(400, -2010, "Account has insufficient balance for requested action.")
        now = now_ms()
        order = SpotOrder(next(self._order_ids), client_id, spec.id, side, order_type, qty, price, now, tif, update_time=now)
        acc.orders[order.order_id] = order
        acc.by_client_id[client_id] = order
        acc.notify(OrderUpdate(order, "NEW", now))
        if marketable:
            self._fill(acc, order, market_price, maker=False)
        if order.status in ("NEW", "PARTIALLY_FILLED"):  # a limit order the book did not fill (in full) rests
            rest = order.qty - order.filled
            order.locked = need = rest * price if side == "BUY" else rest
            acc.free[need_asset] -= need
            acc.locked[need_asset] = acc.locked.get(need_asset, ZERO) + need
            self._resting[spec.id][order.order_id] = (acc, order)
        response = self._order_json(order)
        response["transactTime"] = now
        response["fills"] = order.fills
        return response

    def _fill(self, acc: SpotAccount, order: SpotOrder, price: Decimal, *, maker: bool) -> None:
        """Trade what the book allows of the order's rest at `price`. Like Binance, a market order
        that the book cannot fill in full expires with what it got (or ends as `unfilled` says for its
        symbol); a limit order stays partly filled."""
        spec = self.symbols[order.symbol]
        qty = min(order.qty - order.filled, self.liquidity.get(order.symbol, order.qty))
        final = order.filled + qty == order.qty
        if qty <= 0:
            if order.type == "MARKET":
                order.status, order.update_time = self.unfilled.get(order.symbol, "EXPIRED"), now_ms()
            return
        cost = qty * price
        if order.side == "BUY":
            spent_asset, spent, got_asset, got = spec.quote, cost, spec.base, qty
        else:
            spent_asset, spent, got_asset, got = spec.base, qty, spec.quote, cost
        if order.locked:
            release = order.locked if final else spent
            acc.locked[spent_asset] -= release
            acc.free[spent_asset] += release - spent
            order.locked -= release
        else:
            acc.free[spent_asset] -= spent
        fee = got * self.fee_rate
        acc.free[got_asset] = acc.free.get(got_asset, ZERO) + got - fee
        trade_id = next(self._trade_ids)
        now = now_ms()
        order.filled += qty
        order.quote_filled += cost
        order.status = ("FILLED" if final else self.unfilled.get(order.symbol, "EXPIRED") if order.type == "MARKET"
                        else "PARTIALLY_FILLED")
        order.update_time = now
        order.fills.append({"price": dec_str(price), "qty": dec_str(qty), "commission": dec_str(fee), "commissionAsset": got_asset, "tradeId": trade_id})
        trade = {
            "symbol": order.symbol, "id": trade_id, "orderId": order.order_id, "orderListId": -1, "price": dec_str(price),
            "qty": dec_str(qty), "quoteQty": dec_str(cost), "commission": dec_str(fee), "commissionAsset": got_asset, "time": now,
            "isBuyer": order.side == "BUY", "isMaker": maker, "isBestMatch": True,
        }
        acc.trades.append(trade)
        acc.notify(OrderUpdate(order, "TRADE", now, trade))

    def get_order(self, key: EmulatedKey, params: dict[str, str]) -> dict:
        self._symbol(params)
        order = find_order(self._account(key), params)
        if order is None:
            raise BinanceError(400, -2013, "Order does not exist.")
        return self._order_json(order)

    def cancel_order(self, key: EmulatedKey, params: dict[str, str]) -> dict:
        self._symbol(params)
        acc = self._account(key)
        order = find_order(acc, params)
        if order is None or order.status not in ("NEW", "PARTIALLY_FILLED"):
            raise BinanceError(400, -2011, "Unknown order sent.")
        cancel_id = params.get("newClientOrderId") or f"cancel-{order.order_id}"
        self._end(acc, order, "CANCELED", cancel_id)
        response = self._order_json(order)
        response["origClientOrderId"] = order.client_order_id
        response["clientOrderId"] = cancel_id
        response["transactTime"] = order.update_time
        return response

    def _end(self, acc: SpotAccount, order: SpotOrder, status: str, cancel_id: str | None) -> None:
        """Take a resting order off the book with its final status and release what it locked;
        `cancel_id` is the client id of the cancel request that ended it."""
        spec = self.symbols[order.symbol]
        asset = spec.quote if order.side == "BUY" else spec.base
        acc.locked[asset] -= order.locked
        acc.free[asset] += order.locked
        order.locked = ZERO
        order.status = status
        order.update_time = now_ms()
        self._resting[order.symbol].pop(order.order_id, None)
        acc.notify(OrderUpdate(order, status, order.update_time, request_client_id=cancel_id))

    def open_orders(self, key: EmulatedKey, params: dict[str, str]) -> list[dict]:
        symbol_id = params.get("symbol")
        if symbol_id:
            self._symbol(params)
        return [
            self._order_json(o)
            for o in self._account(key).orders.values()
            if o.status in ("NEW", "PARTIALLY_FILLED") and (not symbol_id or o.symbol == symbol_id)
        ]

    def my_trades(self, key: EmulatedKey, params: dict[str, str]) -> list[dict]:
        spec = self._symbol(params)
        start = int(params.get("startTime", "0"))
        limit = int(params.get("limit", "500"))
        order_id = int(params["orderId"]) if "orderId" in params else None
        trades = [t for t in self._account(key).trades if t["symbol"] == spec.id and t["time"] >= start
                  and (order_id is None or t["orderId"] == order_id)]
        return trades[:limit]

    def _order_json(self, order: SpotOrder) -> dict:
        return {
            "symbol": order.symbol,
            "orderId": order.order_id,
            "orderListId": -1,
            "clientOrderId": order.client_order_id,
            "price": dec_str(order.price),
            "origQty": dec_str(order.qty),
            "executedQty": dec_str(order.filled),
            "cummulativeQuoteQty": dec_str(order.quote_filled),
            "status": order.status,
            "timeInForce": order.time_in_force or "GTC",
            "type": order.type,
            "side": order.side,
            "stopPrice": "0.00000000",
            "icebergQty": "0.00000000",
            "time": order.time,
            "updateTime": order.update_time,
            "isWorking": True,
            "workingTime": order.time,
            "origQuoteOrderQty": "0.00000000",
            "selfTradePreventionMode": "EXPIRE_MAKER",
        }
