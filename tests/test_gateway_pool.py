"""GatewayPool keeps the most recently used ccxt gateways and closes the others, never the shared session."""
from __future__ import annotations

from collections.abc import Callable

import pytest

from core.config import ExchangeOptions
from core.emulator.server import ExchangeEmulator
from core.exchange.base import Credentials
from core.exchange.ccxt_gateway import CcxtGateway
from core.exchange.ccxt_shared import CcxtShared
from core.exchange.pool import GatewayPool


@pytest.fixture
def factory(emulator: ExchangeEmulator, ccxt_shared: CcxtShared) -> Callable[[str], Callable[[], CcxtGateway]]:
    options = ExchangeOptions(base_url=emulator.base_url("binance"))

    def for_account(account_id: str) -> Callable[[], CcxtGateway]:
        api_key = f"key-{account_id}-0123456789"
        key = emulator.keys.get("binance", api_key) or emulator.add_key("binance", api_key=api_key)
        return lambda: CcxtGateway("binance", Credentials(key.api_key, key.secret), options, ccxt_shared)

    return for_account


def is_closed(gateway: CcxtGateway) -> bool:
    return gateway.client.closed_by_user and gateway.client.session is None


async def test_lru_eviction_closes_the_least_recently_used(factory, ccxt_shared: CcxtShared) -> None:
    pool = GatewayPool(max_size=2)
    a = await pool.get("a", factory("a"))
    b = await pool.get("b", factory("b"))
    assert await pool.get("a", factory("a")) is a  # reused, and now the most recent
    await a.load_markets()
    assert "USDT" in await a.fetch_balance()
    c = await pool.get("c", factory("c"))
    assert "b" not in pool and is_closed(b)  # type: ignore[arg-type]
    assert not is_closed(a) and not is_closed(c)  # type: ignore[arg-type]
    assert len(pool) == 2
    assert not ccxt_shared.session.closed
    assert "USDT" in await c.fetch_balance()  # the survivors still trade on the shared session
    b_again = await pool.get("b", factory("b"))
    assert b_again is not b and is_closed(a)  # type: ignore[arg-type]
    await pool.close()
    assert len(pool) == 0 and is_closed(c) and is_closed(b_again)  # type: ignore[arg-type]


async def test_a_leased_gateway_is_closed_only_when_released(factory) -> None:
    pool = GatewayPool(max_size=1)
    async with pool.lease("a", factory("a")) as a:
        await pool.get("b", factory("b"))
        assert "a" not in pool and not is_closed(a)  # type: ignore[arg-type]
        assert "USDT" in await a.fetch_balance()
    assert is_closed(a)  # type: ignore[arg-type]
    await pool.close()


async def test_discard_closes_one_account(factory) -> None:
    pool = GatewayPool(max_size=4)
    a = await pool.get("a", factory("a"))
    await pool.discard("a")
    assert "a" not in pool and is_closed(a)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        GatewayPool(max_size=0)
