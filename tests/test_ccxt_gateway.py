"""CcxtGateway through real ccxt against the emulator: orders by client id, typed errors, faults, shared markets."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from decimal import Decimal

import pytest

from core import errors
from core.config import ExchangeOptions
from core.emulator.keys import EmulatedKey
from core.emulator.server import ExchangeEmulator
from core.exchange.base import Credentials, OrderRequest
from core.exchange.ccxt_gateway import CcxtGateway
from core.exchange.ccxt_shared import CcxtShared, SharedThrottler

ORDER_PATH = "/api/v3/order"
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
        )
        gateways.append(gateway)
        return gateway

    yield build
    for gateway in gateways:
        await gateway.close()


@pytest.fixture
async def funded(emulator: ExchangeEmulator, make_gateway: MakeGateway) -> tuple[EmulatedKey, CcxtGateway]:
    key = emulator.add_key("binance", balances={"USDT": Decimal("1000")})
    gateway = make_gateway(key)
    await gateway.load_markets()
    return key, gateway


def buy(amount: str, client_id: str = "cid-1", price: str | None = None) -> OrderRequest:
    return OrderRequest(
        "BTC/USDT", "buy", "limit" if price else "market", Decimal(amount), client_id, Decimal(price) if price else None
    )


async def test_order_round_trip_by_client_id(emulator: ExchangeEmulator, funded) -> None:
    key, gateway = funded
    order = await gateway.create_order(gateway.prepare_order(buy("0.0012345"), reference_price=Decimal(60000)))
    assert (order.client_order_id, order.status, order.amount, order.filled) == ("cid-1", "closed", Decimal("0.00123"), Decimal("0.00123"))
    assert order.average == Decimal("60000")
    assert isinstance(order.fee, Decimal) and order.fee_currency == "BTC"
    assert [(o.client_order_id, o.qty) for o in emulator.orders(key.api_key)] == [("cid-1", Decimal("0.00123"))]

    found = await gateway.fetch_order_by_client_id("BTC/USDT", "cid-1")
    assert found is not None and (found.id, found.filled) == (order.id, Decimal("0.00123"))
    assert await gateway.fetch_order_by_client_id("BTC/USDT", "never-sent") is None

    balances = await gateway.fetch_balance()
    assert balances["USDT"].free == Decimal("1000") - Decimal("0.00123") * 60000
    assert balances["BTC"].total == Decimal("0.00123") * Decimal("0.999")
    trades = await gateway.fetch_my_trades("BTC/USDT")
    assert [(t.order_id, t.amount, t.price) for t in trades] == [(order.id, Decimal("0.00123"), Decimal(60000))]


async def test_limit_order_rests_cancels_and_fills_on_cross(emulator: ExchangeEmulator, funded) -> None:
    key, gateway = funded
    resting = await gateway.create_order(gateway.prepare_order(buy("0.01", "lim-1", price="50000.005")))
    assert (resting.status, resting.price) == ("open", Decimal("50000"))
    assert [o.client_order_id for o in await gateway.fetch_open_orders("BTC/USDT")] == ["lim-1"]
    assert (await gateway.fetch_balance())["USDT"].used == Decimal("500")

    cancelled = await gateway.cancel_order("BTC/USDT", client_order_id="lim-1")
    assert (cancelled.status, cancelled.client_order_id) == ("canceled", "lim-1")
    assert (await gateway.fetch_balance())["USDT"].free == Decimal("1000")
    with pytest.raises(errors.OrderNotFound):
        await gateway.cancel_order("BTC/USDT", client_order_id="lim-1")

    await gateway.create_order(gateway.prepare_order(buy("0.01", "lim-2", price="50000")))
    emulator.set_price("BTC/USDT", Decimal("49000"))
    filled = await gateway.fetch_order_by_client_id("BTC/USDT", "lim-2")
    assert filled is not None and (filled.status, filled.filled) == ("closed", Decimal("0.01"))
    assert await gateway.fetch_open_orders() == []


async def test_fetch_price_and_positions(emulator: ExchangeEmulator, funded) -> None:
    _, gateway = funded
    emulator.set_price("ETH/USDT", Decimal("2512.34"))
    assert await gateway.fetch_price("ETH/USDT") == Decimal("2512.34")
    assert await gateway.fetch_positions() == []


async def test_wrong_secret_is_authentication_failed_without_leaking(emulator: ExchangeEmulator, make_gateway) -> None:
    key = emulator.add_key("binance")
    wrong_secret = "f" * 64
    gateway = make_gateway(key, secret=wrong_secret)
    with pytest.raises(errors.AuthenticationFailed) as caught:
        await gateway.fetch_balance()
    text = str(caught.value)
    assert "-1022" in text
    assert wrong_secret not in text and "signature=" not in text and "http" not in text
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


async def test_read_only_key_trading_is_permission_denied(emulator: ExchangeEmulator, make_gateway) -> None:
    key = emulator.add_key("binance", trade=False)
    gateway = make_gateway(key)
    await gateway.fetch_balance()
    with pytest.raises(errors.PermissionDenied):
        await gateway.create_order(gateway.prepare_order(buy("0.001"), reference_price=Decimal(60000)))


async def test_below_minimum_is_refused_before_sending(emulator: ExchangeEmulator, funded) -> None:
    key, gateway = funded
    with pytest.raises(errors.BelowMinimum) as caught:
        gateway.prepare_order(buy("0.00005"), reference_price=Decimal(60000))  # 3 USDT < 5 USDT notional
    assert (caught.value.limit, caught.value.minimum) == ("cost", Decimal(5))
    with pytest.raises(errors.BelowMinimum) as caught:
        gateway.prepare_order(buy("0.000009"), reference_price=Decimal(60000))  # under one lot step
    assert caught.value.limit == "amount"
    assert emulator.request_count("binance", ORDER_PATH, "POST") == 0
    assert emulator.orders(key.api_key) == []


async def test_over_the_maximum_is_cut_to_the_largest_order_the_exchange_takes(emulator: ExchangeEmulator, make_gateway) -> None:
    gateway = make_gateway(emulator.add_key("binance", balances={"USDT": Decimal("10000000")}))
    await gateway.load_markets()
    prepared = gateway.prepare_order(
        OrderRequest("BTC/USDT", "buy", "market", Decimal("150.123456"), "whale-1"), reference_price=Decimal(60000)
    )
    assert prepared.amount == Decimal("100")  # MARKET_LOT_SIZE maxQty
    order = await gateway.create_order(prepared)
    assert (order.status, order.filled) == ("closed", Decimal("100"))


async def test_exchange_rejections_are_typed(emulator: ExchangeEmulator, funded) -> None:
    _, gateway = funded
    with pytest.raises(errors.InsufficientFunds):
        await gateway.create_order(gateway.prepare_order(buy("0.1"), reference_price=Decimal(60000)))
    emulator.faults.add("binance", ORDER_PATH, "reject", method="POST", code=-1013, msg="Filter failure: NOTIONAL")
    with pytest.raises(errors.InvalidOrder) as caught:
        await gateway.create_order(gateway.prepare_order(buy("0.001"), reference_price=Decimal(60000)))
    assert caught.value.details["exchange_code"] == "-1013"
    with pytest.raises(errors.BadSymbol):
        gateway.market("DOGE/USDT")


async def test_rate_limit_carries_retry_after(emulator: ExchangeEmulator, funded) -> None:
    _, gateway = funded
    emulator.faults.add("binance", ORDER_PATH, "rate_limit", method="POST", retry_after=7)
    with pytest.raises(errors.RateLimited) as caught:
        await gateway.create_order(gateway.prepare_order(buy("0.001"), reference_price=Decimal(60000)))
    assert caught.value.retry_after == 7 and caught.value.retryable


async def test_unavailable_is_exchange_unavailable(emulator: ExchangeEmulator, funded) -> None:
    key, gateway = funded
    emulator.faults.add("binance", ORDER_PATH, "unavailable", method="POST")
    with pytest.raises(errors.ExchangeUnavailable):
        await gateway.create_order(gateway.prepare_order(buy("0.001"), reference_price=Decimal(60000)))
    assert emulator.orders(key.api_key) == []
    order = await gateway.create_order(gateway.prepare_order(buy("0.001"), reference_price=Decimal(60000)))
    assert order.status == "closed"  # the fault fired once


async def test_timeout_without_effect(emulator: ExchangeEmulator, funded) -> None:
    key, gateway = funded
    emulator.faults.add("binance", ORDER_PATH, "timeout", method="POST")
    with pytest.raises(errors.RequestTimeout) as caught:
        await gateway.create_order(gateway.prepare_order(buy("0.001"), reference_price=Decimal(60000)))
    assert "signature=" not in str(caught.value) and key.api_key not in str(caught.value)
    assert await gateway.fetch_order_by_client_id("BTC/USDT", "cid-1") is None


async def test_accepted_then_timeout_is_found_by_client_id(emulator: ExchangeEmulator, funded) -> None:
    key, gateway = funded
    emulator.faults.add("binance", ORDER_PATH, "lost_response", method="POST")
    with pytest.raises(errors.RequestTimeout):
        await gateway.create_order(gateway.prepare_order(buy("0.001", "lost-1"), reference_price=Decimal(60000)))
    assert [o.client_order_id for o in emulator.orders(key.api_key)] == ["lost-1"]
    found = await gateway.fetch_order_by_client_id("BTC/USDT", "lost-1")
    assert found is not None and found.status == "closed" and found.filled == Decimal("0.001")
    # the order lookup has no fills: the fee comes from the order's trades (0.1 % of the base bought)
    assert (found.fee, found.fee_currency) == (Decimal("0.000001"), "BTC")


async def test_latency_fault_delays_but_succeeds(emulator: ExchangeEmulator, funded) -> None:
    _, gateway = funded
    fault = emulator.faults.add("binance", "/api/v3/account", "latency", delay=0.05)
    assert "USDT" in await gateway.fetch_balance()
    assert fault.fired == 1


async def test_markets_load_once_and_are_shared(emulator: ExchangeEmulator, make_gateway) -> None:
    gateways = [make_gateway(emulator.add_key("binance")) for _ in range(5)]
    loaded = await asyncio.gather(*(g.load_markets() for g in gateways))
    later = make_gateway(emulator.add_key("binance"))
    assert later.market("BTC/USDT") is loaded[0]["BTC/USDT"]  # attached at construction, no request
    assert emulator.request_count("binance", "/api/v3/exchangeInfo") == 1
    assert all(rules is loaded[0] for rules in loaded)
    assert all(g.client.markets is gateways[0].client.markets for g in [*gateways, later])
    rules = loaded[0]["XRP/USDT"]
    assert (rules.amount_step, rules.price_step, rules.min_amount, rules.min_cost) == (
        Decimal("0.1"), Decimal("0.0001"), Decimal("0.1"), Decimal("5")
    )
    # the stricter of LOT_SIZE maxQty (9,222,449) and MARKET_LOT_SIZE maxQty (1,500,000)
    assert rules.max_amount == Decimal("1500000")
    assert loaded[0]["BTC/USDT"].max_amount == Decimal("100")


async def test_instances_share_session_ssl_and_throttler(emulator: ExchangeEmulator, make_gateway, ccxt_shared: CcxtShared) -> None:
    first, second = (make_gateway(emulator.add_key("binance")) for _ in range(2))
    assert first.client.session is second.client.session is ccxt_shared.session
    assert first.client.ssl_context is second.client.ssl_context is ccxt_shared.ssl_context
    assert first.client.throttler is second.client.throttler
    await first.close()
    assert not ccxt_shared.session.closed  # closing one instance leaves the shared session to the others
    assert "USDT" in await second.fetch_balance()


async def test_configured_rate_limit_sets_the_shared_throttler(emulator: ExchangeEmulator) -> None:
    shared = CcxtShared(rate_limits={"binance": 2.5})
    try:
        gateway = CcxtGateway("binance", Credentials("k" * 16, "s" * 16), ExchangeOptions(), shared)
        assert gateway.client.throttler.rate_ms == 2.5
        assert "s" * 16 not in repr(gateway)
        await gateway.close()
    finally:
        await shared.close()


def test_shared_throttler_books_slots_at_the_rate() -> None:
    throttler = SharedThrottler(rate_ms=40, capacity=1)  # one unit of cost per 40 ms, a burst of one unit
    waits = [throttler.reserve(0.5, now_ms=1000.0) for _ in range(6)]
    assert waits == [0, 0, 0, 20, 40, 60]
    assert throttler.reserve(0.5, now_ms=1200.0) == 0  # idle long enough: the bucket refilled


async def test_inspect_key_reads_binance_restrictions(emulator: ExchangeEmulator, make_gateway) -> None:
    gateway = make_gateway(emulator.add_key("binance", withdraw=True))
    permissions = await gateway.inspect_key()
    assert (permissions.read, permissions.trade, permissions.withdraw) == (True, True, True)
