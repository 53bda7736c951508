"""One shared ccxt client signing for many accounts, through real ccxt against the emulator (which checks signatures)."""
from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import Callable
from decimal import Decimal

import pytest

from core import errors
from core.config import ExchangeOptions, Settings
from core.db.models import ExchangeAccount
from core.emulator.keys import EmulatedKey
from core.emulator.server import ExchangeEmulator
from core.exchange.base import Credentials, OrderRequest
from core.exchange.ccxt_shared import CcxtShared
from core.exchange.provider import Gateways
from core.exchange.shared_client import SharedClientGateway, SharedClients
from core.keystore import seal_credentials
from core.vault import Vault, generate_key
from tests import factories

ORDER_PATH = "/api/v3/order"
MakeGateway = Callable[..., SharedClientGateway]


@pytest.fixture
async def clients(ccxt_shared: CcxtShared):  # type: ignore[no-untyped-def]
    shared_clients = SharedClients(ccxt_shared)
    yield shared_clients
    await shared_clients.close()


@pytest.fixture
def make_gateway(emulator: ExchangeEmulator, clients: SharedClients) -> MakeGateway:
    options = ExchangeOptions(base_url=emulator.base_url("binance"))

    def build(key: EmulatedKey, secret: str | None = None, api_key: str | None = None) -> SharedClientGateway:
        return clients.gateway("binance", Credentials(api_key or key.api_key, secret or key.secret), options)

    return build


def buy(client_id: str, amount: str = "0.001") -> OrderRequest:
    return OrderRequest("BTC/USDT", "buy", "market", Decimal(amount), client_id)


async def test_concurrent_orders_from_many_keys_land_in_their_own_accounts(emulator: ExchangeEmulator, make_gateway) -> None:
    keys = [emulator.add_key("binance", balances={"USDT": Decimal(1000)}) for _ in range(40)]
    gateways = [make_gateway(key) for key in keys]
    await gateways[0].load_markets()
    orders = await asyncio.gather(*(g.create_order(buy(f"cid-{i}")) for i, g in enumerate(gateways)))
    assert [o.client_order_id for o in orders] == [f"cid-{i}" for i in range(40)]
    for i, key in enumerate(keys):  # each signature verified under its own secret, each order in its own account
        assert [o.client_order_id for o in emulator.orders(key.api_key)] == [f"cid-{i}"]
        assert emulator.balances(key.api_key)["USDT"][0] == Decimal(1000) - Decimal("0.001") * 60000
    assert len({id(g.client) for g in gateways}) == 1  # one ccxt instance for all forty accounts
    assert gateways[0].client.apiKey is None and gateways[0].client.secret is None  # no key stays on it


async def test_a_bad_key_fails_only_its_own_request(emulator: ExchangeEmulator, make_gateway) -> None:
    good = [emulator.add_key("binance") for _ in range(10)]
    wrong_secret = emulator.add_key("binance")
    gateways = [make_gateway(key) for key in good]
    await gateways[0].load_markets()
    bad_secret = make_gateway(wrong_secret, secret="f" * 64)
    unknown = make_gateway(wrong_secret, api_key="no-such-key-0000", secret="e" * 64)
    calls = [g.create_order(buy(f"ok-{i}")) for i, g in enumerate(gateways)]
    calls[3:3] = [bad_secret.create_order(buy("bad-1")), unknown.create_order(buy("bad-2"))]
    results = await asyncio.gather(*calls, return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    assert len(failures) == 2 and all(isinstance(f, errors.AuthenticationFailed) for f in failures)
    assert "f" * 64 not in str(failures[0]) and "e" * 64 not in str(failures[1])
    assert emulator.orders(wrong_secret.api_key) == []
    assert [[o.client_order_id for o in emulator.orders(k.api_key)] for k in good] == [[f"ok-{i}"] for i in range(10)]


async def test_retry_after_stays_with_its_account(emulator: ExchangeEmulator, make_gateway) -> None:
    gateways = [make_gateway(emulator.add_key("binance")) for _ in range(12)]
    await gateways[0].load_markets()
    for seconds in range(1, 13):  # the n-th request to arrive is refused with Retry-After n
        emulator.faults.add("binance", ORDER_PATH, "rate_limit", method="POST", retry_after=seconds)
    results = await asyncio.gather(*(g.create_order(buy(f"rl-{i}")) for i, g in enumerate(gateways)), return_exceptions=True)
    assert all(isinstance(r, errors.RateLimited) for r in results)
    assert sorted(r.retry_after for r in results) == list(range(1, 13))  # type: ignore[union-attr]
    assert gateways[0].client.last_response_headers is None  # no response is kept on the shared instance

    # the next account's rate limit carries no Retry-After: it must not inherit the 7 seconds before it
    emulator.faults.add("binance", ORDER_PATH, "rate_limit", method="POST", retry_after=7)
    emulator.faults.add("binance", ORDER_PATH, "reject", method="POST", code=-1003, msg="Too much request weight used.")
    with pytest.raises(errors.RateLimited) as first:
        await gateways[0].create_order(buy("rl-a"))
    with pytest.raises(errors.RateLimited) as second:
        await gateways[1].create_order(buy("rl-b"))
    assert (first.value.retry_after, second.value.retry_after) == (7, None)


async def test_authentication_history_is_per_key(emulator: ExchangeEmulator, make_gateway) -> None:
    """ccxt reads Binance's -2015 as a temporary ban once *the instance* has authenticated; shared, that
    must still be once *this key* has, or one follower's success would change how another's refusal reads."""
    trusted = make_gateway(emulator.add_key("binance"))
    await trusted.load_markets()
    assert "USDT" in await trusted.fetch_balance()
    stranger = make_gateway(EmulatedKey("binance", "never-registered-key", "x" * 64))
    with pytest.raises(errors.AuthenticationFailed):
        await stranger.fetch_balance()
    read_only = make_gateway(emulator.add_key("binance", trade=False))
    with pytest.raises(errors.AuthenticationFailed):  # no success of its own yet: ccxt's reading of -2015
        await read_only.create_order(buy("ro-1"))
    await read_only.fetch_balance()
    with pytest.raises(errors.PermissionDenied):  # authenticated before: the key lacks the permission
        await read_only.create_order(buy("ro-2"))


async def test_key_inspection_and_repr_use_the_callers_key(emulator: ExchangeEmulator, make_gateway) -> None:
    can_withdraw = make_gateway(emulator.add_key("binance", withdraw=True))
    cannot = make_gateway(emulator.add_key("binance", trade=False))
    first, second = await asyncio.gather(can_withdraw.inspect_key(), cannot.inspect_key())
    assert (first.trade, first.withdraw) == (True, True)
    assert (second.trade, second.withdraw) == (False, False)
    assert can_withdraw.client.apiKey is None and can_withdraw.client.secret is None
    key = emulator.add_key("binance")
    text = repr(make_gateway(key))
    assert key.secret not in text and key.api_key not in text and key.api_key[:4] in text


async def test_gateways_lease_binance_accounts_on_one_client(db: str, emulator: ExchangeEmulator, ccxt_shared: CcxtShared) -> None:
    vault = Vault(base64.b64decode(generate_key()))
    settings = Settings(binance=ExchangeOptions(base_url=emulator.base_url("binance")))
    gateways = Gateways(settings, vault=vault, shared=ccxt_shared)
    owner = await factories.user()
    keys, accounts = [], []
    for _ in range(3):
        key = emulator.add_key("binance")
        account = ExchangeAccount(id=uuid.uuid4(), owner=owner, exchange="binance", can_trade=True)
        seal_credentials(vault, account, Credentials(key.api_key, key.secret))
        await account.save()
        keys.append(key)
        accounts.append(account)
    try:
        clients = set()
        for i, account in enumerate(accounts):
            async with gateways.lease(account) as gateway:
                assert isinstance(gateway, SharedClientGateway)
                await gateway.load_markets()
                await gateway.create_order(buy(f"acct-{i}"))
                clients.add(id(gateway.client))
        assert len(clients) == 1
        assert [[o.client_order_id for o in emulator.orders(k.api_key)] for k in keys] == [["acct-0"], ["acct-1"], ["acct-2"]]

        # a new key replaces the old one after `forget`: the next lease decrypts the new one
        new_key = emulator.add_key("binance")
        seal_credentials(vault, accounts[0], Credentials(new_key.api_key, new_key.secret))
        await accounts[0].save()
        await gateways.forget(accounts[0])
        async with gateways.lease(accounts[0]) as gateway:
            await gateway.create_order(buy("acct-0-new"))
        assert [o.client_order_id for o in emulator.orders(new_key.api_key)] == ["acct-0-new"]
    finally:
        await gateways.close()
