"""Binance spot orders placed through ccxt's endpoint method (`private_post_order`), not `create_order`.

Every follower's copy of every master trade goes through this one call, and ccxt's unified
`create_order` spends half of an order's CPU on two pure translations: a generic option parser that
builds the request, and a unified parse of the answer into floats, which the gateway then turned
back into Decimals. Here both are ours: the request is the one ccxt builds for our market and limit
orders (tests/test_binance_spot.py compares them), and the answer's strings become Decimals with no
float in between. ccxt still signs, throttles, sends and maps the exchange's errors.
"""
from __future__ import annotations

import logging
from decimal import Context, Decimal
from typing import Any

from core.errors import RequestTimeout
from core.exchange.base import MarketRules, Order, OrderRequest, OrderStatus
from core.money import ZERO, floor_to_step, plain, round_to_step

log = logging.getLogger(__name__)

# Binance's order statuses. PENDING_CANCEL is documented as unused: the order is still on the book.
# A status missing here reads as open too, so the order sync keeps asking until it is final.
STATUSES: dict[str, OrderStatus] = {
    "NEW": "open",
    "PENDING_NEW": "open",
    "PARTIALLY_FILLED": "open",
    "PENDING_CANCEL": "open",
    "FILLED": "closed",
    "CANCELED": "canceled",
    "REJECTED": "rejected",
    "EXPIRED": "expired",
    "EXPIRED_IN_MATCH": "expired",
}
AVERAGE_PLACES = Decimal("1e-18")  # what the database keeps (and ccxt's string division gives)
WIDE = Context(prec=60)  # room for 18 places after a price of any size, where the default 28 digits may not be


def order_request(rules: MarketRules, request: OrderRequest) -> dict[str, str]:
    """POST /api/v3/order parameters for a market or GTC limit order (FULL answer: the fills carry the fee).

    The amount is truncated to the step and a limit price rounded to the tick, as ccxt's
    `amount_to_precision` and `price_to_precision` do."""
    params = {
        "symbol": rules.market_id,
        "side": request.side.upper(),
        "newClientOrderId": request.client_order_id,
        "newOrderRespType": "FULL",
        "type": request.type.upper(),
        "quantity": plain(floor_to_step(request.amount, rules.amount_step)),
    }
    if request.type == "limit":
        if request.price is None:
            raise ValueError(f"limit order {request.client_order_id} has no price")
        params["price"] = plain(round_to_step(request.price, rules.price_step))
        params["timeInForce"] = "GTC"
    return params


def parse_order(raw: dict[str, Any], rules: MarketRules) -> Order:
    """Binance's order answer as our Order, every number straight from its string."""
    if raw.get("orderId") is None:
        # a 200 without an order id: we cannot tell whether it was placed, so it is looked up before any resend
        raise RequestTimeout("binance: an order answer without an order id", exchange="binance")
    filled = Decimal(raw.get("executedQty") or ZERO)
    price = Decimal(raw.get("price") or ZERO)
    average = None
    if filled:
        average = WIDE.divide(Decimal(raw["cummulativeQuoteQty"]), filled).quantize(AVERAGE_PLACES, context=WIDE)
    fee, fee_currency = _fee(raw.get("fills") or (), rules.base)
    kind = raw.get("type", "MARKET").lower()
    return Order(
        id=str(raw["orderId"]),
        client_order_id=raw.get("clientOrderId"),
        symbol=rules.symbol,
        side=raw["side"].lower(),
        type="limit" if kind in ("limit", "limit_maker") else "market",
        status=STATUSES.get(raw.get("status", ""), "open"),
        amount=Decimal(raw.get("origQty") or ZERO),
        filled=filled,
        price=price or average,  # a market order has no price of its own: ccxt reports its average too
        average=average,
        fee=fee,
        fee_currency=fee_currency,
        timestamp=raw.get("transactTime") or raw.get("time") or raw.get("updateTime"),
    )


def _fee(fills: Any, base: str) -> tuple[Decimal, str | None]:
    """The commission of the fills, in one asset.

    Binance charges all fills of an order in one asset, except when the BNB balance runs out during
    the order. Then the base asset's part is the one kept: it is what changes the amount the
    follower holds (followers.book_fill), and the other part is logged, not silently summed with it."""
    by_asset: dict[str, Decimal] = {}
    for fill in fills:
        asset = fill.get("commissionAsset")
        by_asset[asset] = by_asset.get(asset, ZERO) + Decimal(fill.get("commission") or ZERO)
    if not by_asset:
        return ZERO, None
    if len(by_asset) == 1:
        [(asset, fee)] = by_asset.items()
        return fee, asset
    asset = base if base in by_asset else next(iter(by_asset))
    log.warning("order fee charged in several assets %s: %s kept", sorted(by_asset), asset)
    return by_asset[asset], asset
