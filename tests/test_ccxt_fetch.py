"""ccxt over HttpClient answers and fails exactly as stock ccxt over aiohttp, against the signature-checking emulator."""
from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt
import pytest

from core.config import ExchangeOptions
from core.emulator.server import ExchangeEmulator
from core.exchange.base import Credentials
from core.exchange.ccxt_fetch import DirectFetchMixin
from core.exchange.ccxt_gateway import CcxtGateway
from core.exchange.ccxt_shared import CcxtShared

ORDER_PATH = "/api/v3/order"
_ids = itertools.count()


async def clients(emulator: ExchangeEmulator, shared: CcxtShared) -> tuple[ccxt.Exchange, ccxt.Exchange]:
    """(stock ccxt, the client copytrade builds) for one funded emulator key, markets loaded."""
    key = emulator.add_key("binance", balances={"USDT": Decimal("1000")})
    options = ExchangeOptions(base_url=emulator.base_url("binance"))
    creds = Credentials(key.api_key, key.secret)
    stock = CcxtGateway._build_client("binance", creds, options, shared, "spot", None, ccxt.binance)
    ours = CcxtGateway("binance", creds, options, shared).client
    for client in (stock, ours):
        await shared.markets.attach(("binance", "spot", False, options.base_url), client)
    return stock, ours


async def outcome(client: ccxt.Exchange) -> Any:
    """What one market buy comes back as: the order's stable fields, or the exception's class."""
    try:
        order = await client.create_order("BTC/USDT", "market", "buy", 0.001, None,
                                          {"clientOrderId": f"fetch-{next(_ids)}"})
    except ccxt.BaseError as exc:
        return type(exc)
    return {k: order[k] for k in ("symbol", "side", "type", "status", "amount", "filled", "cost")}


async def test_copytrade_builds_its_ccxt_clients_on_the_shared_http_client(emulator: ExchangeEmulator,
                                                                         ccxt_shared: CcxtShared) -> None:
    stock, ours = await clients(emulator, ccxt_shared)
    assert isinstance(ours, DirectFetchMixin) and ours.http is ccxt_shared.http
    assert not isinstance(stock, DirectFetchMixin)
    before = emulator.request_count("binance", ORDER_PATH, "POST")
    assert isinstance(await outcome(ours), dict)
    assert emulator.request_count("binance", ORDER_PATH, "POST") == before + 1
    assert any(pool.open for pool, _ in ccxt_shared.http._pools.values())  # it went over HttpClient
    await stock.close()


@pytest.mark.parametrize("fault", [None, "rate_limit", "unavailable", "reject", "timeout"])
async def test_answers_and_errors_match_stock_ccxt(emulator: ExchangeEmulator, ccxt_shared: CcxtShared,
                                                   fault: str | None) -> None:
    stock, ours = await clients(emulator, ccxt_shared)
    seen = []
    for client in (stock, ours):
        if fault:
            emulator.faults.add("binance", ORDER_PATH, fault, method="POST")  # type: ignore[arg-type]
        seen.append(await outcome(client))
    await stock.close()
    expected = {None: dict, "rate_limit": ccxt.DDoSProtection, "unavailable": ccxt.ExchangeNotAvailable,
                "reject": ccxt.InvalidOrder, "timeout": ccxt.RequestTimeout}[fault]
    assert seen[0] == seen[1]
    assert isinstance(seen[1], dict) if expected is dict else issubclass(seen[1], expected)


async def test_a_closed_client_refuses_to_send(emulator: ExchangeEmulator, ccxt_shared: CcxtShared) -> None:
    stock, ours = await clients(emulator, ccxt_shared)
    await stock.close()
    await ours.close()
    assert await outcome(ours) is ccxt.ExchangeClosedByUser
