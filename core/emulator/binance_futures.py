"""Binance USDⓈ-M perpetual futures REST (`/fapi`), as ccxt's swap path calls it, in one-way position mode.

The gateway's `market_type="swap"` is tested through real ccxt against this, like spot. Each account
has one USDT wallet and, per symbol, a signed position (long > 0, short < 0) with its average entry
price, leverage (20 unless set) and margin type. Fills realize PnL and pay the fee into the wallet;
`reduceOnly` orders may only shrink a position; new exposure needs initial margin (notional ÷
leverage) out of the available balance. Market orders fill at the price `set_price` gives (the
same price as spot), limit orders rest and fill at their price when `set_price` crosses them.
Funding, liquidation and a mark price apart from the last price are not modelled. Every amount is Decimal.
"""
from __future__ import annotations

import itertools
from collections.abc import Mapping
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
from core.emulator.futures_book import (
    MAINT_MARGIN_RATIO,
    MAKER_FEE,
    MAX_LEVERAGE,
    MAX_NOTIONAL,
    OPEN,
    TAKER_FEE,
    FuturesAccount,
    FuturesOrder,
    FuturesPosition,
    Margins,
    added_exposure,
    reduces,
)
from core.emulator.keys import EmulatedKey, KeyRegistry
from core.money import ZERO

# Binance's USDⓈ-M filters for these perpetuals (tick, lot step, minimum quantity, minimum notional,
# maximum quantity, maximum market quantity).
FUTURES_SYMBOLS = (
    SymbolSpec("BTCUSDT", "BTC", "USDT", Decimal("0.10"), Decimal("0.001"), Decimal("0.001"), Decimal("100"),
               Decimal("1000"), Decimal("120")),
    SymbolSpec("ETHUSDT", "ETH", "USDT", Decimal("0.01"), Decimal("0.001"), Decimal("0.001"), Decimal("20"),
               Decimal("10000"), Decimal("2000")),
    SymbolSpec("XRPUSDT", "XRP", "USDT", Decimal("0.0001"), Decimal("0.1"), Decimal("0.1"), Decimal("5"),
               Decimal("10000000"), Decimal("2000000")),
)


def _digits(step: Decimal) -> int:
    return max(-step.normalize().as_tuple().exponent, 0)  # type: ignore[operator]


class BinanceFutures(BinanceVenue):
    """State and handlers of the emulated Binance USDⓈ-M futures exchange."""

    def __init__(self, keys: KeyRegistry, prices: Mapping[str, Decimal]) -> None:
        super().__init__(keys, FUTURES_SYMBOLS, prices)
        self.accounts: dict[str, FuturesAccount] = {}
        self._resting: dict[str, dict[int, tuple[FuturesAccount, FuturesOrder]]] = {s: {} for s in self.symbols}
        self._order_ids = itertools.count(1)
        self._trade_ids = itertools.count(1)

    # --- state helpers used by the server and tests ---------------------------------------------
    def open_account(self, account_id: str, wallet: Decimal) -> FuturesAccount:
        account = self.accounts.get(account_id)
        if account is None:
            account = self.accounts[account_id] = FuturesAccount(wallet=wallet, update_time=now_ms())
        return account

    def position(self, acc: FuturesAccount, symbol_id: str) -> FuturesPosition:
        pos = acc.positions.get(symbol_id)
        if pos is None:
            pos = acc.positions[symbol_id] = FuturesPosition(symbol_id)
        return pos

    def set_price(self, symbol_id: str, price: Decimal) -> None:
        """Move the price; resting limit orders it crosses fill at their limit price."""
        self.prices[symbol_id] = price
        for acc, order in take_crossed(self._resting[symbol_id], price):
            self._fill(acc, order, order.price, maker=True)

    def margins(self, acc: FuturesAccount) -> Margins:
        unrealized = cross_unrealized = position_margin = cross_margin = isolated = maint = ZERO
        for pos in acc.positions.values():
            if not pos.amount:
                continue
            pnl = self._unrealized(pos)
            notional = abs(pos.amount) * self.prices[pos.symbol]
            margin = notional / pos.leverage
            unrealized += pnl
            position_margin += margin
            maint += notional * MAINT_MARGIN_RATIO
            if pos.margin_type == "isolated":
                isolated += self._isolated_wallet(pos)
            else:
                cross_unrealized += pnl
                cross_margin += margin
        order_margin = sum(
            ((o.qty - o.filled) * o.price / self.position(acc, o.symbol).leverage
             for o in acc.orders.values() if o.status in OPEN and not o.reduce_only),
            ZERO,
        )
        return Margins(acc.wallet, unrealized, cross_unrealized, position_margin, cross_margin, isolated, order_margin, maint)

    def _unrealized(self, pos: FuturesPosition) -> Decimal:
        return pos.amount * (self.prices[pos.symbol] - pos.entry_price)

    @staticmethod
    def _isolated_wallet(pos: FuturesPosition) -> Decimal:
        return abs(pos.amount) * pos.entry_price / pos.leverage if pos.margin_type == "isolated" else ZERO

    # --- routes ---------------------------------------------------------------------------------
    def routes(self, prefix: str) -> list[web.RouteDef]:
        p = f"{prefix}/fapi"
        return [
            web.get(f"{p}/v1/ping", self.ping),
            web.get(f"{p}/v1/time", self.server_time),
            web.get(f"{p}/v1/exchangeInfo", self.exchange_info),
            web.get(f"{p}/v1/ticker/price", self.ticker_price),
            web.get(f"{p}/v2/ticker/price", self.ticker_price),
            web.get(f"{p}/v1/ticker/24hr", self.ticker_24hr),
            *(web.get(f"{p}/{v}/account", self._private("read", self.account)) for v in ("v2", "v3")),
            *(web.get(f"{p}/{v}/balance", self._private("read", self.balance)) for v in ("v2", "v3")),
            web.get(f"{p}/v2/positionRisk", self._private("read", self.position_risk_v2)),
            web.get(f"{p}/v3/positionRisk", self._private("read", self.position_risk_v3)),
            web.get(f"{p}/v1/leverageBracket", self._private("read", self.leverage_bracket)),
            web.post(f"{p}/v1/leverage", self._private("trade", self.set_leverage)),
            web.post(f"{p}/v1/marginType", self._private("trade", self.set_margin_type)),
            web.post(f"{p}/v1/order", self._private("trade", self.new_order)),
            web.get(f"{p}/v1/order", self._private("read", self.get_order)),
            web.delete(f"{p}/v1/order", self._private("trade", self.cancel_order)),
            web.get(f"{p}/v1/openOrders", self._private("read", self.open_orders)),
            web.get(f"{p}/v1/userTrades", self._private("read", self.user_trades)),
        ]

    def _account(self, key: EmulatedKey) -> FuturesAccount:
        return self.open_account(key.account_id, ZERO)

    # --- public ---------------------------------------------------------------------------------
    async def exchange_info(self, request: web.Request) -> web.Response:
        return json_response({
            "timezone": "UTC",
            "serverTime": now_ms(),
            "futuresType": "U_MARGINED",
            "rateLimits": [
                {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 2400},
                {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
                {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 300},
            ],
            "exchangeFilters": [],
            "assets": [{"asset": "USDT", "marginAvailable": True, "autoAssetExchange": "-10000"}],
            "symbols": [self._symbol_info(spec) for spec in self.symbols.values()],
        })

    @staticmethod
    def _symbol_info(spec: SymbolSpec) -> dict:
        tick, step, min_qty = f"{spec.tick:f}", f"{spec.step:f}", f"{spec.min_qty:f}"
        return {
            "symbol": spec.id, "pair": spec.id, "contractType": "PERPETUAL", "deliveryDate": 4133404800000,
            "onboardDate": 1569398400000, "status": "TRADING", "maintMarginPercent": "2.5000",
            "requiredMarginPercent": "5.0000", "baseAsset": spec.base, "quoteAsset": spec.quote, "marginAsset": spec.quote,
            "pricePrecision": _digits(spec.tick), "quantityPrecision": _digits(spec.step),
            "baseAssetPrecision": spec.base_precision, "quotePrecision": spec.quote_precision,
            "underlyingType": "COIN", "underlyingSubType": [], "triggerProtect": "0.0500", "liquidationFee": "0.012500",
            "marketTakeBound": "0.05", "maxMoveOrderLimit": 10000,
            "filters": [
                {"filterType": "PRICE_FILTER", "minPrice": tick, "maxPrice": "1000000", "tickSize": tick},
                {"filterType": "LOT_SIZE", "stepSize": step, "maxQty": f"{spec.max_qty:f}", "minQty": min_qty},
                {"filterType": "MARKET_LOT_SIZE", "stepSize": step, "maxQty": f"{spec.market_max_qty:f}", "minQty": min_qty},
                {"filterType": "MAX_NUM_ORDERS", "limit": 200},
                {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 10},
                {"filterType": "MIN_NOTIONAL", "notional": f"{spec.min_notional:f}"},
                {"filterType": "PERCENT_PRICE", "multiplierUp": "1.0500", "multiplierDown": "0.9500", "multiplierDecimal": "4"},
            ],
            "orderTypes": ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"],
            "timeInForce": ["GTC", "IOC", "FOK", "GTX", "GTD"],
            "permissionSets": ["GRID", "COPY"],
        }

    # --- account and positions ------------------------------------------------------------------
    def account(self, key: EmulatedKey, params: dict[str, str]) -> dict:
        acc = self._account(key)
        m = self.margins(acc)
        figures = {
            "InitialMargin": m.position_margin + m.order_margin, "MaintMargin": m.maint_margin,
            "WalletBalance": m.wallet, "UnrealizedProfit": m.unrealized, "MarginBalance": m.wallet + m.unrealized,
            "PositionInitialMargin": m.position_margin, "OpenOrderInitialMargin": m.order_margin,
            "CrossWalletBalance": m.wallet - m.isolated_wallets, "CrossUnPnl": m.cross_unrealized,
        }
        available = {"availableBalance": dec_str(m.available), "maxWithdrawAmount": dec_str(max(m.available, ZERO))}
        # Binance names each figure "total<Name>" for the account and "<name>" for the asset
        asset = {name[0].lower() + name[1:]: dec_str(value) for name, value in figures.items()}
        positions = [
            {
                "symbol": pos.symbol, "positionSide": "BOTH", "positionAmt": dec_str(pos.amount),
                "unrealizedProfit": dec_str(self._unrealized(pos)), "isolatedMargin": dec_str(self._isolated_margin(pos)),
                "notional": dec_str(pos.amount * self.prices[pos.symbol]), "isolatedWallet": dec_str(self._isolated_wallet(pos)),
                **self._margin_fields(pos), "updateTime": pos.update_time,
            }
            for pos in acc.positions.values() if pos.amount
        ]
        return {
            **{f"total{name}": dec_str(value) for name, value in figures.items()},
            **available,
            "assets": [{"asset": "USDT", **asset, **available, "marginAvailable": True, "updateTime": acc.update_time}],
            "positions": positions,
        }

    def balance(self, key: EmulatedKey, params: dict[str, str]) -> list[dict]:
        acc = self._account(key)
        m = self.margins(acc)
        return [{
            "accountAlias": "SgsR", "asset": "USDT", "balance": dec_str(m.wallet),
            "crossWalletBalance": dec_str(m.wallet - m.isolated_wallets), "crossUnPnl": dec_str(m.cross_unrealized),
            "availableBalance": dec_str(m.available), "maxWithdrawAmount": dec_str(max(m.available, ZERO)),
            "marginAvailable": True, "updateTime": acc.update_time,
        }]

    def _margin_fields(self, pos: FuturesPosition) -> dict[str, str]:
        notional = abs(pos.amount) * self.prices[pos.symbol]
        return {"initialMargin": dec_str(notional / pos.leverage), "maintMargin": dec_str(notional * MAINT_MARGIN_RATIO)}

    def _isolated_margin(self, pos: FuturesPosition) -> Decimal:
        return self._isolated_wallet(pos) + self._unrealized(pos) if pos.margin_type == "isolated" else ZERO

    def _position_risk(self, pos: FuturesPosition) -> dict:
        price = self.prices[pos.symbol]
        return {
            "symbol": pos.symbol, "positionSide": "BOTH", "positionAmt": dec_str(pos.amount),
            "entryPrice": dec_str(pos.entry_price), "breakEvenPrice": dec_str(pos.entry_price), "markPrice": dec_str(price),
            "unRealizedProfit": dec_str(self._unrealized(pos)), "liquidationPrice": "0",
            "isolatedMargin": dec_str(self._isolated_margin(pos)), "notional": dec_str(pos.amount * price),
            "isolatedWallet": dec_str(self._isolated_wallet(pos)), "updateTime": pos.update_time,
        }

    def position_risk_v2(self, key: EmulatedKey, params: dict[str, str]) -> list[dict]:
        """v2 lists every symbol, flat ones too, with leverage and margin type."""
        acc = self._account(key)
        symbol_ids = [self._symbol(params).id] if params.get("symbol") else list(self.symbols)
        return [
            {
                **self._position_risk(pos), "leverage": str(pos.leverage), "marginType": pos.margin_type,
                "isAutoAddMargin": "false", "maxNotionalValue": str(MAX_NOTIONAL),
            }
            for pos in (self.position(acc, s) for s in symbol_ids)
        ]

    def position_risk_v3(self, key: EmulatedKey, params: dict[str, str]) -> list[dict]:
        """v3 lists open positions only, with their margins but without leverage or margin type."""
        acc = self._account(key)
        symbol_id = self._symbol(params).id if params.get("symbol") else None
        result = []
        for pos in acc.positions.values():
            if pos.amount and symbol_id in (None, pos.symbol):
                margins = self._margin_fields(pos)
                result.append({
                    **self._position_risk(pos), "marginAsset": "USDT", **margins, "positionInitialMargin": margins["initialMargin"],
                    "openOrderInitialMargin": "0", "adl": 0, "bidNotional": "0", "askNotional": "0",
                })
        return result

    def leverage_bracket(self, key: EmulatedKey, params: dict[str, str]) -> list[dict]:
        symbol_ids = [self._symbol(params).id] if params.get("symbol") else list(self.symbols)
        bracket = {
            "bracket": 1, "initialLeverage": MAX_LEVERAGE, "notionalCap": MAX_NOTIONAL, "notionalFloor": 0,
            "maintMarginRatio": str(MAINT_MARGIN_RATIO), "cum": "0",
        }
        return [{"symbol": s, "notionalCoef": 1.0, "brackets": [bracket]} for s in symbol_ids]

    def set_leverage(self, key: EmulatedKey, params: dict[str, str]) -> dict:
        spec = self._symbol(params)
        raw = params.get("leverage", "")
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_LEVERAGE:
            raise BinanceError(400, -4028, f"Leverage {raw} is not valid")
        pos = self.position(self._account(key), spec.id)
        pos.leverage = int(raw)
        return {"leverage": pos.leverage, "maxNotionalValue": str(MAX_NOTIONAL), "symbol": spec.id}

    def set_margin_type(self, key: EmulatedKey, params: dict[str, str]) -> dict:
        spec = self._symbol(params)
        wanted = {"ISOLATED": "isolated", "CROSSED": "cross"}.get(params.get("marginType", "").upper())
        if wanted is None:
            raise BinanceError(400, -1102, "Mandatory parameter 'marginType' was not sent, was empty/null, or malformed.")
        acc = self._account(key)
        pos = self.position(acc, spec.id)
        if pos.margin_type == wanted:
            raise BinanceError(400, -4046, "No need to change margin type.")
        if pos.amount:
            raise BinanceError(400, -4048, "Margin type cannot be changed if there exists position.")
        if any(o.symbol == spec.id and o.status in OPEN for o in acc.orders.values()):
            raise BinanceError(400, -4047, "Margin type cannot be changed if there exists open orders.")
        pos.margin_type = wanted
        return {"code": 200, "msg": "success"}

    # --- orders ---------------------------------------------------------------------------------
    def new_order(self, key: EmulatedKey, params: dict[str, str]) -> dict:
        spec = self._symbol(params)
        acc = self._account(key)
        side, order_type = params.get("side", ""), params.get("type", "")
        if side not in ("BUY", "SELL"):
            raise BinanceError(400, -1102, "Mandatory parameter 'side' was not sent, was empty/null, or malformed.")
        if order_type not in ("MARKET", "LIMIT"):
            raise BinanceError(400, -1116, "Invalid orderType.")
        if params.get("positionSide", "BOTH") != "BOTH":
            raise BinanceError(400, -4061, "Order's position side does not match user's setting.")
        qty = decimal_param(params, "quantity")
        assert qty is not None
        price, tif = ZERO, "GTC"
        if order_type == "LIMIT":
            price = decimal_param(params, "price")  # type: ignore[assignment]
            tif = params.get("timeInForce", "")
            if not tif:
                raise BinanceError(400, -1102, "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.")
        reduce_only = params.get("reduceOnly", "false").lower() == "true"
        client_id = params.get("newClientOrderId") or f"emu-f{next(self._order_ids)}"
        existing = acc.by_client_id.get(client_id)
        if existing is not None and existing.status in OPEN:
            raise BinanceError(400, -4116, "ClientOrderId is duplicated.")
        market_price = self.prices[spec.id]
        self._check_filters(spec, qty, price or market_price, price, reduce_only)
        pos = self.position(acc, spec.id)
        signed = qty if side == "BUY" else -qty
        if reduce_only and not reduces(pos.amount, signed):
            raise BinanceError(400, -2022, "ReduceOnly Order is rejected.")
        marketable = order_type == "MARKET" or (side == "BUY" and market_price <= price) or (side == "SELL" and market_price >= price)
        needed = added_exposure(pos.amount, signed) * (market_price if marketable else price) / pos.leverage
        if needed > self.margins(acc).available:
            raise BinanceError(400, -2019, "Margin is insufficient.")
        now = now_ms()
        order = FuturesOrder(
            next(self._order_ids), client_id, spec.id, side, order_type, qty, price, now, tif, reduce_only, update_time=now
        )
        acc.orders[order.order_id] = order
        acc.by_client_id[client_id] = order
        if marketable:
            self._fill(acc, order, market_price, maker=False)
        else:
            self._resting[spec.id][order.order_id] = (acc, order)
        return self._order_json(order)

    @staticmethod
    def _check_filters(spec: SymbolSpec, qty: Decimal, reference_price: Decimal, price: Decimal, reduce_only: bool) -> None:
        if price and (price % spec.tick or price < spec.tick):
            raise BinanceError(400, -4014, "Price not increased by tick size.")
        if qty <= 0:
            raise BinanceError(400, -4003, "Quantity less than or equal to zero.")
        if qty % spec.step:
            raise BinanceError(400, -1111, "Precision is over the maximum defined for this asset.")
        if qty < spec.min_qty:
            raise BinanceError(400, -4004, "Quantity less than min quantity.")
        if qty > (spec.max_qty if price else spec.market_max_qty):  # price is zero for a market order
            raise BinanceError(400, -4005, "Quantity greater than max quantity.")
        if not reduce_only and qty * reference_price < spec.min_notional:
            msg = f"Order's notional must be no smaller than {spec.min_notional} (unless you choose reduce only)."
            raise BinanceError(400, -4164, msg)

    def _fill(self, acc: FuturesAccount, order: FuturesOrder, price: Decimal, *, maker: bool) -> None:
        """Trade the order's rest at `price`: move the position, realize PnL, charge the fee."""
        pos = self.position(acc, order.symbol)
        qty = order.qty - order.filled
        signed = qty if order.side == "BUY" else -qty
        now = now_ms()
        order.update_time = now
        if order.reduce_only and not reduces(pos.amount, signed):
            order.status = "EXPIRED"  # the position changed while it rested; Binance expires it
            return
        old, new = pos.amount, pos.amount + signed
        realized = ZERO
        if old == 0 or (old > 0) == (signed > 0):
            pos.entry_price = (abs(old) * pos.entry_price + qty * price) / abs(new)
        else:
            realized = min(qty, abs(old)) * (price - pos.entry_price) * (1 if old > 0 else -1)
            if new == 0:
                pos.entry_price = ZERO
            elif (new > 0) != (old > 0):
                pos.entry_price = price  # flipped: the excess opens at the fill price
        pos.amount, pos.update_time = new, now
        fee = qty * price * (MAKER_FEE if maker else TAKER_FEE)
        acc.wallet += realized - fee
        acc.update_time = now
        order.filled += qty
        order.quote_filled += qty * price
        order.status = "FILLED"
        acc.trades.append({
            "buyer": order.side == "BUY", "commission": dec_str(fee), "commissionAsset": "USDT", "id": next(self._trade_ids),
            "maker": maker, "orderId": order.order_id, "price": dec_str(price), "qty": dec_str(qty),
            "quoteQty": dec_str(qty * price), "realizedPnl": dec_str(realized), "side": order.side, "positionSide": "BOTH",
            "symbol": order.symbol, "time": now,
        })

    def get_order(self, key: EmulatedKey, params: dict[str, str]) -> dict:
        self._symbol(params)
        order = find_order(self._account(key), params)
        if order is None:
            raise BinanceError(400, -2013, "Order does not exist.")
        return self._order_json(order)

    def cancel_order(self, key: EmulatedKey, params: dict[str, str]) -> dict:
        self._symbol(params)
        order = find_order(self._account(key), params)
        if order is None or order.status not in OPEN:
            raise BinanceError(400, -2011, "Unknown order sent.")
        order.status = "CANCELED"
        order.update_time = now_ms()
        self._resting[order.symbol].pop(order.order_id, None)
        return self._order_json(order)

    def open_orders(self, key: EmulatedKey, params: dict[str, str]) -> list[dict]:
        symbol_id = self._symbol(params).id if params.get("symbol") else None
        return [
            self._order_json(o)
            for o in self._account(key).orders.values()
            if o.status in OPEN and symbol_id in (None, o.symbol)
        ]

    def user_trades(self, key: EmulatedKey, params: dict[str, str]) -> list[dict]:
        spec = self._symbol(params)
        start, end = int(params.get("startTime", "0")), int(params.get("endTime", str(2**63)))
        trades = [t for t in self._account(key).trades if t["symbol"] == spec.id and start <= t["time"] <= end]
        return trades[: int(params.get("limit", "500"))]

    @staticmethod
    def _order_json(order: FuturesOrder) -> dict:
        average = order.quote_filled / order.filled if order.filled else ZERO
        return {
            "orderId": order.order_id, "symbol": order.symbol, "status": order.status, "clientOrderId": order.client_order_id,
            "price": dec_str(order.price), "avgPrice": dec_str(average), "origQty": dec_str(order.qty),
            "executedQty": dec_str(order.filled), "cumQty": dec_str(order.filled), "cumQuote": dec_str(order.quote_filled),
            "timeInForce": order.time_in_force, "type": order.type, "reduceOnly": order.reduce_only, "closePosition": False,
            "side": order.side, "positionSide": "BOTH", "stopPrice": "0", "workingType": "CONTRACT_PRICE",
            "priceProtect": False, "origType": order.type, "priceMatch": "NONE", "selfTradePreventionMode": "EXPIRE_MAKER",
            "goodTillDate": 0, "time": order.time, "updateTime": order.update_time,
        }
