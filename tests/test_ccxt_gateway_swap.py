"""CcxtGateway on Binance USDⓈ-M perpetuals (`market_type="swap"`) through real ccxt against the emulator:
positions with entry price and leverage, realized PnL, reversals, reduce-only, margin, leverage and margin mode."""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from decimal import Decimal

import ccxt
import pytest

from core import errors
from core.config import ExchangeOptions
from core.emulator.keys import EmulatedKey
from core.emulator.server import ExchangeEmulator
from core.exchange.base import Balance, Credentials, OrderRequest, Position, Side
from core.exchange.ccxt_gateway import CcxtGateway
from core.exchange.ccxt_shared import CcxtShared
from core.exchange.feeds import SyntheticFeed
from core.exchange.paper import PaperExchange

XRP = "XRP/USDT:USDT"
BTC = "BTC/USDT:USDT"
ORDER_PATH = "/fapi/v1/order"
D = Decimal
MakeGateway = Callable[..., CcxtGateway]


@pytest.fixture
async def make_gateway(emulator: ExchangeEmulator, ccxt_shared: CcxtShared) -> AsyncIterator[MakeGateway]:
    gateways: list[CcxtGateway] = []

    def build(key: EmulatedKey, secret: str | None = None) -> CcxtGateway:
        gateway = CcxtGateway(
            "binance",
            Credentials(key.api_key, secret or key.secret),
            ExchangeOptions(base_url=emulator.base_url("binance")),
            ccxt_shared,
            market_type="swap",
        )
        gateways.append(gateway)
        return gateway

    yield build
    for gateway in gateways:
        await gateway.close()


@pytest.fixture
async def funded(emulator: ExchangeEmulator, make_gateway: MakeGateway) -> tuple[EmulatedKey, CcxtGateway]:
    key = emulator.add_key("binance", balances={"USDT": D("1000")})
    gateway = make_gateway(key)
    await gateway.load_markets()
    emulator.set_price(XRP, D("0.5"))
    return key, gateway


def order(
    side: Side, amount: str, cid: str, *, price: str | None = None, reduce_only: bool = False, symbol: str = XRP
) -> OrderRequest:
    return OrderRequest(
        symbol, side, "limit" if price else "market", D(amount), cid, D(price) if price else None, reduce_only=reduce_only
    )


async def place(gateway: CcxtGateway, request: OrderRequest, reference: str = "0.5"):  # type: ignore[no-untyped-def]
    return await gateway.create_order(gateway.prepare_order(request, reference_price=D(reference)))


async def test_swap_markets_are_contracts_with_futures_filters(emulator: ExchangeEmulator, make_gateway) -> None:
    rules = await make_gateway(emulator.add_key("binance")).load_markets()
    xrp, btc = rules[XRP], rules[BTC]
    assert (xrp.contract, xrp.amount_step, xrp.price_step, xrp.min_amount, xrp.min_cost) == (
        True, D("0.1"), D("0.0001"), D("0.1"), D("5")
    )
    assert (btc.contract, btc.amount_step, btc.price_step, btc.min_cost) == (True, D("0.001"), D("0.1"), D("100"))
    assert (btc.max_amount, xrp.max_amount) == (D("120"), D("2000000"))  # MARKET_LOT_SIZE, under LOT_SIZE
    assert "XRP/USDT" not in rules  # spot markets are not loaded for a swap gateway
    assert emulator.request_count("binance", "/fapi/v1/exchangeInfo") == 1
    assert emulator.request_count("binance", "/api/v3/exchangeInfo") == 0


async def test_market_long_shows_in_positions_with_entry_and_leverage(emulator: ExchangeEmulator, funded) -> None:
    key, gateway = funded
    opened = await place(gateway, order("buy", "100", "long-1"))
    assert (opened.client_order_id, opened.status, opened.filled, opened.average) == ("long-1", "closed", D(100), D("0.5"))
    assert await gateway.fetch_positions() == [
        Position(XRP, "long", D(100), D("0.5"), leverage=D(20), margin_mode="cross", unrealized_pnl=D(0))
    ]
    emulator.set_price(XRP, D("0.6"))
    (position,) = await gateway.fetch_positions()
    assert position.unrealized_pnl == D(10)  # 100 × (0.6 − 0.5)
    wallet = D(1000) - D(100) * D("0.5") * D("0.0004")  # taker fee 0.04 %
    assert emulator.futures_wallet(key.api_key) == wallet
    initial_margin = D(100) * D("0.6") / 20
    assert (await gateway.fetch_balance())["USDT"] == Balance(free=wallet + D(10) - initial_margin, used=initial_margin)
    assert await gateway.fetch_price(XRP) == D("0.6")


async def test_reduce_only_partial_close_realizes_pnl_into_the_wallet(emulator: ExchangeEmulator, funded) -> None:
    key, gateway = funded
    await place(gateway, order("buy", "100", "open-1"))
    emulator.set_price(XRP, D("0.6"))
    closed = await place(gateway, order("sell", "40", "close-1", reduce_only=True), "0.6")
    assert (closed.status, closed.filled) == ("closed", D(40))
    open_fee, close_fee = D(100) * D("0.5") * D("0.0004"), D(40) * D("0.6") * D("0.0004")
    wallet = D(1000) - open_fee + D(40) * D("0.1") - close_fee  # realized 40 × (0.6 − 0.5)
    assert emulator.futures_wallet(key.api_key) == wallet
    (position,) = await gateway.fetch_positions()
    assert (position.side, position.contracts, position.entry_price, position.unrealized_pnl) == ("long", D(60), D("0.5"), D(6))
    assert (await gateway.fetch_balance())["USDT"].total == wallet + D(6)  # margin balance = wallet + unrealized
    trades = await gateway.fetch_my_trades(XRP)
    assert [(t.side, t.amount, t.price, t.fee, t.fee_currency) for t in trades] == [
        ("buy", D(100), D("0.5"), open_fee, "USDT"), ("sell", D(40), D("0.6"), close_fee, "USDT")
    ]


async def test_selling_more_than_the_long_flips_to_short(emulator: ExchangeEmulator, funded) -> None:
    key, gateway = funded
    await place(gateway, order("buy", "100", "open-1"))
    emulator.set_price(XRP, D("0.55"))
    await place(gateway, order("sell", "150", "flip-1"), "0.55")
    assert await gateway.fetch_positions() == [
        Position(XRP, "short", D(50), D("0.55"), leverage=D(20), margin_mode="cross", unrealized_pnl=D(0))
    ]
    fees = (D(100) * D("0.5") + D(150) * D("0.55")) * D("0.0004")
    assert emulator.futures_wallet(key.api_key) == D(1000) + D(5) - fees  # realized 100 × 0.05 on the closed long
    assert emulator.positions(key.api_key)["XRPUSDT"].amount == D(-50)


async def test_reduce_only_that_would_flip_or_open_is_rejected(emulator: ExchangeEmulator, funded) -> None:
    key, gateway = funded
    await place(gateway, order("buy", "100", "open-1"))
    with pytest.raises(errors.InvalidOrder) as caught:
        await place(gateway, order("sell", "150", "flip-1", reduce_only=True))
    assert caught.value.details["exchange_code"] == "-2022"
    with pytest.raises(errors.InvalidOrder):
        await place(gateway, order("buy", "10", "add-1", reduce_only=True))  # same side as the long: would add
    assert emulator.positions(key.api_key)["XRPUSDT"].amount == D(100)
    assert await gateway.fetch_order_by_client_id(XRP, "flip-1") is None  # refused orders leave no trace


async def test_insufficient_margin_is_insufficient_funds(emulator: ExchangeEmulator, make_gateway) -> None:
    key = emulator.add_key("binance", balances={"USDT": D("10")})
    gateway = make_gateway(key)
    await gateway.load_markets()
    emulator.set_price(XRP, D("0.5"))
    with pytest.raises(errors.InsufficientFunds) as caught:
        await place(gateway, order("buy", "1000", "big-1"))  # 500 USDT at 20× needs 25 USDT of margin
    assert caught.value.details["exchange_code"] == "-2019"
    assert emulator.positions(key.api_key) == {}
    await gateway.set_leverage(XRP, 50)  # 10 USDT of margin now carries it
    assert (await place(gateway, order("buy", "1000", "big-2"))).status == "closed"


async def test_leverage_and_margin_mode_apply_to_the_position(emulator: ExchangeEmulator, funded) -> None:
    key, gateway = funded
    await gateway.set_leverage(XRP, 5)
    await gateway.set_margin_mode(XRP, "isolated")
    await gateway.set_margin_mode(XRP, "isolated")  # already isolated: a no-op, not an error
    await place(gateway, order("buy", "100", "iso-1"))
    (position,) = await gateway.fetch_positions()
    assert (position.leverage, position.margin_mode, position.entry_price) == (D(5), "isolated", D("0.5"))
    assert (await gateway.fetch_balance())["USDT"].used == D(10)  # 100 × 0.5 ÷ 5
    with pytest.raises(errors.ExchangeError) as caught:
        await gateway.set_margin_mode(XRP, "cross")  # Binance refuses while a position is open
    assert caught.value.details["exchange_code"] == "-4048"
    assert emulator.positions(key.api_key)["XRPUSDT"].margin_type == "isolated"
    with pytest.raises(errors.InvalidOrder):
        await gateway.set_leverage(XRP, 500)
    assert emulator.request_count("binance", "/fapi/v1/leverage", "POST") == 1  # ccxt refused 500× before sending


async def test_limit_order_rests_then_fills_on_cross(emulator: ExchangeEmulator, funded) -> None:
    key, gateway = funded
    resting = await place(gateway, order("buy", "100", "lim-1", price="0.45"))
    assert (resting.status, resting.price, resting.filled) == ("open", D("0.45"), D(0))
    assert [o.client_order_id for o in await gateway.fetch_open_orders(XRP)] == ["lim-1"]
    assert (await gateway.fetch_balance())["USDT"].used == D("2.25")  # open-order margin 100 × 0.45 ÷ 20
    assert await gateway.fetch_positions() == []

    emulator.set_price(XRP, D("0.46"))
    assert emulator.positions(key.api_key) == {}  # not crossed yet
    emulator.set_price(XRP, D("0.44"))
    filled = await gateway.fetch_order_by_client_id(XRP, "lim-1")
    assert filled is not None and (filled.status, filled.filled, filled.average) == ("closed", D(100), D("0.45"))
    assert emulator.futures_wallet(key.api_key) == D(1000) - D(45) * D("0.0002")  # maker fee 0.02 %
    (position,) = await gateway.fetch_positions()
    assert (position.side, position.contracts, position.entry_price) == ("long", D(100), D("0.45"))
    assert await gateway.fetch_open_orders() == []


async def test_cancel_and_duplicate_client_id_on_swap(emulator: ExchangeEmulator, funded) -> None:
    _, gateway = funded
    await place(gateway, order("sell", "100", "ask-1", price="0.6"))
    with pytest.raises(errors.InvalidOrder) as caught:
        await place(gateway, order("sell", "100", "ask-1", price="0.6"))
    assert caught.value.details["exchange_code"] == "-4116"
    cancelled = await gateway.cancel_order(XRP, client_order_id="ask-1")
    assert (cancelled.status, cancelled.client_order_id) == ("canceled", "ask-1")
    with pytest.raises(errors.OrderNotFound):
        await gateway.cancel_order(XRP, client_order_id="ask-1")
    assert await gateway.fetch_order_by_client_id(XRP, "never-sent") is None
    emulator.set_price(XRP, D("0.7"))
    assert await gateway.fetch_positions() == []  # the cancelled ask never fills


async def test_below_minimum_is_refused_before_sending(emulator: ExchangeEmulator, funded) -> None:
    _, gateway = funded
    with pytest.raises(errors.BelowMinimum) as caught:
        gateway.prepare_order(order("buy", "0.001", "tiny-1", symbol=BTC), reference_price=D(60000))  # 60 < 100 USDT
    assert (caught.value.limit, caught.value.minimum) == ("cost", D(100))
    with pytest.raises(errors.BelowMinimum) as caught:
        gateway.prepare_order(order("buy", "0.0009", "tiny-2", symbol=BTC), reference_price=D(60000))
    assert caught.value.limit == "amount"
    assert emulator.request_count("binance", ORDER_PATH, "POST") == 0


async def test_over_the_maximum_is_cut_before_sending_and_refused_by_the_exchange(emulator: ExchangeEmulator, funded) -> None:
    _, gateway = funded
    prepared = gateway.prepare_order(order("sell", "150", "big-1", symbol=BTC, reduce_only=True), reference_price=D(60000))
    assert prepared.amount == D("120")  # BTCUSDT perpetual: MARKET_LOT_SIZE maxQty
    base = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET"}
    with pytest.raises(ccxt.BadRequest, match="-4005"):
        await gateway.client.fapiPrivatePostOrder({**base, "quantity": "120.001"})
    with pytest.raises(ccxt.BadRequest, match="-4005"):
        await gateway.client.fapiPrivatePostOrder({**base, "type": "LIMIT", "timeInForce": "GTC", "price": "1.0",
                                                   "quantity": "1000.001"})  # LOT_SIZE maxQty
    assert emulator.request_count("binance", ORDER_PATH, "POST") == 2


async def test_accepted_then_lost_response_is_found_by_client_id(emulator: ExchangeEmulator, funded) -> None:
    key, gateway = funded
    emulator.faults.add("binance", ORDER_PATH, "lost_response", method="POST")
    with pytest.raises(errors.RequestTimeout):
        await place(gateway, order("buy", "100", "lost-1"))
    found = await gateway.fetch_order_by_client_id(XRP, "lost-1")
    assert found is not None and (found.status, found.filled) == ("closed", D(100))
    assert emulator.positions(key.api_key)["XRPUSDT"].amount == D(100)
    emulator.faults.add("binance", "/fapi/v2/positionRisk", "rate_limit", retry_after=3)
    with pytest.raises(errors.RateLimited) as limited:
        await gateway.fetch_positions()
    assert limited.value.retry_after == 3


async def test_bad_signature_and_unknown_key_on_fapi(emulator: ExchangeEmulator, make_gateway) -> None:
    key = emulator.add_key("binance")
    with pytest.raises(errors.AuthenticationFailed) as caught:
        await make_gateway(key, secret="0" * 64).fetch_balance()
    assert caught.value.details["exchange_code"] == "-1022"
    stranger = EmulatedKey("binance", "unknown-key-0001", "s" * 64)
    with pytest.raises(errors.AuthenticationFailed) as caught:
        await make_gateway(stranger).fetch_balance()
    assert caught.value.details["exchange_code"] == "-2015"


async def test_spot_venues_do_not_support_leverage(emulator: ExchangeEmulator, ccxt_shared: CcxtShared) -> None:
    paper = PaperExchange(SyntheticFeed({"XRP/USDT": D("0.5")}, seed=1)).open_account("a", {"USDT": D(100)})
    with pytest.raises(errors.ExchangeError, match="not supported"):
        await paper.set_leverage("XRP/USDT", 5)
    with pytest.raises(errors.ExchangeError, match="not supported"):
        await paper.set_margin_mode("XRP/USDT", "isolated")
    spot = CcxtGateway(
        "binance", Credentials("k" * 16, "s" * 16), ExchangeOptions(base_url=emulator.base_url("binance")), ccxt_shared
    )
    try:
        with pytest.raises(errors.ExchangeError):
            await spot.set_leverage("XRP/USDT", 5)
    finally:
        await spot.close()
    assert emulator.request_count("binance", "/fapi/v1/leverage", "POST") == 0


async def test_ccxt_default_v3_position_risk_reads_the_same_position(emulator: ExchangeEmulator, funded) -> None:
    _, gateway = funded
    await gateway.set_margin_mode(XRP, "isolated")
    await place(gateway, order("sell", "100", "short-1"))
    emulator.set_price(XRP, D("0.4"))
    (raw,) = await gateway.client.fetch_positions(None, {"useV2": False})  # ccxt's default endpoint, /fapi/v3/positionRisk
    assert emulator.request_count("binance", "/fapi/v3/positionRisk") == 1
    assert (raw["symbol"], raw["side"], raw["contracts"], raw["entryPrice"], raw["marginMode"]) == (XRP, "short", 100, 0.5, "isolated")
    assert D(raw["info"]["unRealizedProfit"]) == D(10)  # short 100 from 0.5 to 0.4
    assert D(raw["info"]["isolatedWallet"]) == D("2.5")  # 100 × 0.5 ÷ 20 set aside at entry
