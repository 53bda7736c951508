"""Binance spot orders sent through ccxt's endpoint method: the request must be the one ccxt's
`create_order` would send, and the parsed answer what ccxt's unified parse says, without the floats."""
from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from core import errors
from core.config import ExchangeOptions
from core.emulator.server import ExchangeEmulator
from core.exchange import binance_spot
from core.exchange.base import Credentials, Order, OrderRequest
from core.exchange.ccxt_gateway import CcxtGateway
from core.exchange.ccxt_parse import to_order, wire
from core.exchange.ccxt_shared import CcxtShared

D = Decimal


@pytest.fixture
async def gateway(emulator: ExchangeEmulator, ccxt_shared: CcxtShared) -> AsyncIterator[CcxtGateway]:
    key = emulator.add_key("binance", balances={"USDT": D(1000)})
    gateway = CcxtGateway("binance", Credentials(key.api_key, key.secret),
                          ExchangeOptions(base_url=emulator.base_url("binance")), ccxt_shared)
    await gateway.load_markets()
    yield gateway
    await gateway.close()


@pytest.mark.parametrize(("symbol", "kind", "side", "amount", "price"), [
    ("BTC/USDT", "market", "buy", "0.0012345", None),              # truncated to the 0.00001 step
    ("BTC/USDT", "market", "sell", "0.001000000000000000", None),  # 18 places, as the database gives it back
    ("XRP/USDT", "market", "buy", "1E+2", None),                   # an exponent must not reach the wire
    ("BTC/USDT", "limit", "sell", "0.01", "50000.005"),            # half a tick: rounded up, as ccxt does
    ("BTC/USDT", "limit", "buy", "0.01", "50000.004999"),
    ("XRP/USDT", "limit", "buy", "12.34", "0.51230000"),
])
async def test_the_request_is_the_one_ccxt_create_order_sends(gateway: CcxtGateway, symbol: str, kind: str,
                                                               side: str, amount: str, price: str | None) -> None:
    request = OrderRequest(symbol, side, kind, D(amount), "cid-7", D(price) if price else None)  # type: ignore[arg-type]
    ours = binance_spot.order_request(gateway.market(symbol), request)
    theirs = gateway.client.create_order_request(symbol, kind, side, wire(D(amount)), wire(D(price)) if price else None,
                                                 {"clientOrderId": "cid-7"})
    assert ours == theirs


def fill(price: str, qty: str, commission: str, asset: str, trade_id: int) -> dict[str, Any]:
    return {"price": price, "qty": qty, "commission": commission, "commissionAsset": asset, "tradeId": trade_id}


def answer(status: str, kind: str, side: str, orig: str, executed: str, cost: str, price: str = "0.00000000",
           fills: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """POST /api/v3/order's FULL answer, in Binance's shape."""
    return {"symbol": "BTCUSDT", "orderId": 4711, "orderListId": -1, "clientOrderId": "cid-7",
            "transactTime": 1_700_000_000_123, "price": price, "origQty": orig, "executedQty": executed,
            "origQuoteOrderQty": "0.00000000", "cummulativeQuoteQty": cost, "status": status, "timeInForce": "GTC",
            "type": kind, "side": side, "workingTime": 1_700_000_000_123, "selfTradePreventionMode": "EXPIRE_MAKER",
            "fills": fills or []}


ANSWERS = {
    "market filled in two fills, fee in BNB": answer(
        "FILLED", "MARKET", "BUY", "0.00200000", "0.00200000", "120.01000000",
        fills=[fill("60000.00000000", "0.00100000", "0.00010000", "BNB", 1),
               fill("60010.00000000", "0.00100000", "0.00010000", "BNB", 2)]),
    "market sell, fee in the quote": answer(
        "FILLED", "MARKET", "SELL", "0.00100000", "0.00100000", "60.00000000",
        fills=[fill("60000.00000000", "0.00100000", "0.06000000", "USDT", 3)]),
    "market expired on a thin book, part filled": answer(
        "EXPIRED", "MARKET", "BUY", "0.01000000", "0.00400000", "240.00000000",
        fills=[fill("60000.00000000", "0.00400000", "0.00000400", "BTC", 4)]),
    "limit resting": answer("NEW", "LIMIT", "BUY", "0.01000000", "0.00000000", "0.00000000", "50000.01000000"),
    "limit part filled": answer(
        "PARTIALLY_FILLED", "LIMIT", "BUY", "0.01000000", "0.00250000", "125.00000000", "50000.00000000",
        fills=[fill("50000.00000000", "0.00250000", "0.00000250", "BTC", 5)]),
    "limit maker cancelled": answer("CANCELED", "LIMIT_MAKER", "SELL", "0.01000000", "0.00000000", "0.00000000",
                                    "61000.00000000"),
    "rejected": answer("REJECTED", "LIMIT", "SELL", "0.01000000", "0.00000000", "0.00000000", "61000.00000000"),
}
COMPARED = ("id", "client_order_id", "symbol", "side", "type", "status", "amount", "filled", "price", "average",
            "fee", "fee_currency", "timestamp")


@pytest.mark.parametrize("name", list(ANSWERS))
async def test_the_answer_reads_as_ccxts_unified_parse_does(gateway: CcxtGateway, name: str) -> None:
    raw = ANSWERS[name]
    ours = binance_spot.parse_order(raw, gateway.market("BTC/USDT"))
    theirs = to_order(gateway.client.parse_order(raw, gateway.client.market("BTC/USDT")), "cid-7")
    assert {f: getattr(ours, f) for f in COMPARED} == {f: getattr(theirs, f) for f in COMPARED}
    assert all(isinstance(getattr(ours, f), Decimal) for f in ("amount", "filled", "fee"))


async def test_the_average_keeps_every_digit_the_database_keeps(gateway: CcxtGateway) -> None:
    """ccxt's unified order carries the average as a float (17 significant digits at most); ours is
    the exact quotient to the database's 18 places."""
    raw = answer("FILLED", "MARKET", "BUY", "0.00300000", "0.00300000", "180000.01000000",
                 fills=[fill("60000.00333333", "0.00300000", "0", "BTC", 6)])
    order = binance_spot.parse_order(raw, gateway.market("BTC/USDT"))
    assert order.average == D("60000003.333333333333333333")
    assert to_order(gateway.client.parse_order(raw, gateway.client.market("BTC/USDT"))).average != order.average


def test_a_fee_in_two_assets_keeps_the_base_part_and_sums_nothing_across(caplog: pytest.LogCaptureFixture) -> None:
    from core.exchange.base import MarketRules

    rules = MarketRules("BTC/USDT", "BTC", "USDT", D("0.00001"), D("0.01"), market_id="BTCUSDT")
    raw = answer("FILLED", "MARKET", "BUY", "0.00200000", "0.00200000", "120.00000000",
                 fills=[fill("60000.00000000", "0.00100000", "0.00010000", "BNB", 7),
                        fill("60000.00000000", "0.00100000", "0.00000100", "BTC", 8)])
    order = binance_spot.parse_order(raw, rules)
    assert (order.fee, order.fee_currency) == (D("0.00000100"), "BTC")
    assert "several assets" in caplog.text


def test_an_answer_without_an_order_id_is_uncertain_not_failed() -> None:
    """The Sender looks an uncertain order up by its client id before sending it again."""
    from core.exchange.base import MarketRules

    rules = MarketRules("BTC/USDT", "BTC", "USDT", D("0.00001"), D("0.01"), market_id="BTCUSDT")
    with pytest.raises(errors.RequestTimeout):
        binance_spot.parse_order({"code": 0, "msg": "?"}, rules)


async def test_orders_reach_the_exchange_through_the_endpoint_call(emulator: ExchangeEmulator, gateway: CcxtGateway) -> None:
    """The emulator checks the signature and parses the quantity exactly as Binance would."""
    order = await gateway.create_order(OrderRequest("XRP/USDT", "buy", "market", D("100.000000000000000000"), "cid-8"))
    assert isinstance(order, Order)
    assert (order.status, order.amount, order.filled, order.fee_currency) == ("closed", D(100), D(100), "XRP")
    assert order.average == emulator.binance.prices["XRPUSDT"]
    [placed] = [o for o in emulator.orders(gateway.client.apiKey) if o.client_order_id == "cid-8"]
    assert placed.qty == D(100)
