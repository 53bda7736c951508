"""The Binance emulator answers real ccxt like Binance: signatures, filters, balances, matching."""
from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import ccxt.async_support as ccxt
import pytest

from core.emulator.keys import EmulatedKey
from core.emulator.server import ExchangeEmulator
from core.exchange.urls import override_api_urls


@pytest.fixture
async def make_client(emulator: ExchangeEmulator) -> AsyncIterator:
    clients: list[ccxt.binance] = []

    async def build(key: EmulatedKey, secret: str | None = None) -> ccxt.binance:
        client = ccxt.binance({
            "apiKey": key.api_key,
            "secret": secret or key.secret,
            "timeout": 2000,
            "enableRateLimit": False,
            "options": {"fetchMarkets": {"types": ["spot"]}, "fetchMargins": False, "fetchCurrencies": False},
        })
        client.urls["api"] = override_api_urls(client.urls["api"], emulator.base_url("binance"))
        clients.append(client)
        await client.load_markets()
        return client

    yield build
    for client in clients:
        await client.close()


async def test_exchange_info_filters_reach_ccxt_markets(emulator: ExchangeEmulator, make_client) -> None:
    client = await make_client(emulator.add_key("binance"))
    btc = client.market("BTC/USDT")
    assert btc["precision"]["amount"] == 0.00001
    assert btc["precision"]["price"] == 0.01
    assert btc["limits"]["cost"]["min"] == 5.0
    assert set(client.symbols) >= {"BTC/USDT", "ETH/USDT", "XRP/USDT"}


async def test_unknown_key_and_bad_signature_are_refused(emulator: ExchangeEmulator, make_client) -> None:
    key = emulator.add_key("binance")
    wrong = await make_client(key, secret="0" * 64)
    with pytest.raises(ccxt.AuthenticationError, match="-1022"):
        await wrong.fetch_balance()
    emulator.keys._keys.pop(("binance", key.api_key))
    unknown = await make_client(EmulatedKey("binance", key.api_key, key.secret))
    with pytest.raises(ccxt.AuthenticationError, match="-2015"):
        await unknown.fetch_balance()


async def test_read_only_key_cannot_trade(emulator: ExchangeEmulator, make_client) -> None:
    key = emulator.add_key("binance", trade=False)
    client = await make_client(key)
    assert (await client.fetch_balance())["USDT"]["free"] == 10000.0
    # after a successful call ccxt reads Binance's -2015 as a temporary ban (DDoSProtection)
    with pytest.raises(ccxt.DDoSProtection, match="-2015"):
        await client.create_order("BTC/USDT", "market", "buy", 0.001)
    assert emulator.orders(key.api_key) == []


async def test_api_restrictions_report_the_key_flags(emulator: ExchangeEmulator, make_client) -> None:
    client = await make_client(emulator.add_key("binance", trade=False, withdraw=True))
    answer = await client.sapi_get_account_apirestrictions()
    assert answer["enableReading"] is True
    assert answer["enableSpotAndMarginTrading"] is False
    assert answer["enableWithdrawals"] is True


async def test_filters_and_balance_are_enforced(emulator: ExchangeEmulator, make_client) -> None:
    key = emulator.add_key("binance", balances={"USDT": Decimal("100")})
    client = await make_client(key)
    base = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET"}
    with pytest.raises(ccxt.InvalidOrder, match="LOT_SIZE"):
        await client.private_post_order({**base, "quantity": "0.000015"})
    with pytest.raises(ccxt.BadRequest, match="NOTIONAL"):
        await client.private_post_order({**base, "quantity": "0.00005"})  # 3 USDT < 5
    with pytest.raises(ccxt.InsufficientFunds):
        await client.private_post_order({**base, "quantity": "0.002"})  # 120 USDT > 100
    with pytest.raises(ccxt.InvalidOrder, match="MARKET_LOT_SIZE"):
        await client.private_post_order({**base, "quantity": "100.00001"})  # market orders take at most 100 BTC
    with pytest.raises(ccxt.InvalidOrder, match="Filter failure: LOT_SIZE"):
        await client.private_post_order({**base, "type": "LIMIT", "timeInForce": "GTC", "price": "1.00",
                                         "quantity": "9000.00001"})  # any order at most 9,000 BTC
    assert emulator.orders(key.api_key) == []
    assert emulator.balances(key.api_key)["USDT"] == (Decimal("100"), Decimal(0))


async def test_market_order_fills_at_current_price_and_moves_balances(emulator: ExchangeEmulator, make_client) -> None:
    key = emulator.add_key("binance", balances={"USDT": Decimal("1000")})
    client = await make_client(key)
    emulator.set_price("ETH/USDT", Decimal("2000"))
    order = await client.create_order("ETH/USDT", "market", "buy", 0.1, None, {"clientOrderId": "m-1"})
    assert order["status"] == "closed" and order["clientOrderId"] == "m-1"
    balances = emulator.balances(key.api_key)
    assert balances["USDT"] == (Decimal("800"), Decimal(0))
    assert balances["ETH"][0] == Decimal("0.1") - Decimal("0.1") * Decimal("0.001")  # fee in the asset received


async def test_limit_order_locks_then_fills_when_price_crosses(emulator: ExchangeEmulator, make_client) -> None:
    key = emulator.add_key("binance", balances={"USDT": Decimal("1000")})
    client = await make_client(key)
    await client.create_order("BTC/USDT", "limit", "buy", 0.01, 50000, {"clientOrderId": "l-1"})
    assert emulator.balances(key.api_key)["USDT"] == (Decimal("500"), Decimal("500"))
    emulator.set_price("BTC/USDT", Decimal("55000"))
    assert emulator.orders(key.api_key)[0].status == "NEW"
    emulator.set_price("BTC/USDT", Decimal("49999"))
    (record,) = emulator.orders(key.api_key)
    assert (record.status, record.filled) == ("FILLED", Decimal("0.01"))
    assert emulator.balances(key.api_key)["USDT"] == (Decimal("500"), Decimal(0))
    fetched = await client.fetch_order(None, "BTC/USDT", {"clientOrderId": "l-1"})
    assert fetched["status"] == "closed" and fetched["filled"] == 0.01
    trades = await client.fetch_my_trades("BTC/USDT")
    assert [(t["price"], t["amount"]) for t in trades] == [(50000.0, 0.01)]


async def test_duplicate_client_id_of_an_open_order_and_cancel(emulator: ExchangeEmulator, make_client) -> None:
    key = emulator.add_key("binance", balances={"USDT": Decimal("1000")})
    client = await make_client(key)
    await client.create_order("BTC/USDT", "limit", "buy", 0.001, 40000, {"clientOrderId": "d-1"})
    with pytest.raises(ccxt.InvalidOrder, match="Duplicate order sent"):
        await client.create_order("BTC/USDT", "limit", "buy", 0.001, 40000, {"clientOrderId": "d-1"})
    assert len(await client.fetch_open_orders("BTC/USDT")) == 1
    await client.cancel_order(None, "BTC/USDT", {"clientOrderId": "d-1"})
    assert emulator.balances(key.api_key)["USDT"] == (Decimal("1000"), Decimal(0))
    with pytest.raises(ccxt.OrderNotFound):
        await client.cancel_order(None, "BTC/USDT", {"clientOrderId": "d-1"})
    with pytest.raises(ccxt.OrderNotFound):
        await client.fetch_order(None, "BTC/USDT", {"clientOrderId": "never-sent"})
