"""Key permissions of binance, okx, bybit and bitget, and the store/refuse decision built on them.

Everything goes through real ccxt clients talking HTTP to the emulator, which checks each exchange's
own signature scheme and answers in that exchange's own shapes.
"""
from __future__ import annotations

from collections.abc import AsyncIterator

import ccxt.async_support as ccxt
import pytest

from core.config import ExchangeOptions
from core.emulator.keys import EmulatedKey
from core.emulator.server import ExchangeEmulator
from core.errors import KeyRefused
from core.exchange.base import Credentials, KeyPermissions
from core.exchange.ccxt_gateway import CcxtGateway
from core.exchange.ccxt_shared import CcxtShared
from core.exchange.keys import Role, validate_key
from core.exchange.permissions import fetch_key_permissions, parse_bitget, parse_bybit

EXCHANGES = ("binance", "okx", "bybit", "bitget")
WITH_PASSPHRASE = ("okx", "bitget")


@pytest.fixture
async def shared() -> AsyncIterator[CcxtShared]:
    resources = CcxtShared()
    try:
        yield resources
    finally:
        await resources.close()


def add_key(emulator: ExchangeEmulator, exchange: str, *, trade: bool = True, withdraw: bool = False) -> EmulatedKey:
    passphrase = "Pass-phrase1" if exchange in WITH_PASSPHRASE else None
    return emulator.add_key(exchange, passphrase=passphrase, trade=trade, withdraw=withdraw)


def credentials(key: EmulatedKey, *, secret: str | None = None, passphrase: str | None = None) -> Credentials:
    return Credentials(api_key=key.api_key, secret=secret or key.secret, passphrase=passphrase or key.passphrase)


def gateway(emulator: ExchangeEmulator, shared: CcxtShared, exchange: str, creds: Credentials) -> CcxtGateway:
    return CcxtGateway(exchange, creds, ExchangeOptions(base_url=emulator.base_url(exchange)), shared)


async def inspect(emulator: ExchangeEmulator, shared: CcxtShared, key: EmulatedKey) -> KeyPermissions:
    gw = gateway(emulator, shared, key.exchange, credentials(key))
    try:
        return await fetch_key_permissions(gw.client)
    finally:
        await gw.close()


async def validate(emulator: ExchangeEmulator, shared: CcxtShared, exchange: str, creds: Credentials, role: Role) -> KeyPermissions:
    gw = gateway(emulator, shared, exchange, creds)
    try:
        return await validate_key(gw, role)
    finally:
        await gw.close()


# --- flags parsed from each exchange's own shape -------------------------------------------------
def raw_says(exchange: str, raw: dict) -> tuple[bool, bool]:
    """(trade, withdraw) read straight from the exchange's payload, independently of the parser."""
    if exchange == "binance":
        return raw["enableSpotAndMarginTrading"], raw["enableWithdrawals"]
    if exchange == "okx":
        perm = raw["perm"].split(",")
        assert "read_only" in perm
        return "trade" in perm, "withdraw" in perm
    if exchange == "bybit":
        assert "apiKey" not in raw and "secret" not in raw
        return raw["readOnly"] == 0, "Withdraw" in raw["permissions"]["Wallet"]
    return "stow" in raw["authorities"], "wwow" in raw["authorities"]


@pytest.mark.parametrize("exchange", EXCHANGES)
@pytest.mark.parametrize(("trade", "withdraw"), [(True, True), (True, False), (False, False)])
async def test_flags_follow_the_exchange_payload(
    emulator: ExchangeEmulator, shared: CcxtShared, exchange: str, trade: bool, withdraw: bool
) -> None:
    key = add_key(emulator, exchange, trade=trade, withdraw=withdraw)
    permissions = await inspect(emulator, shared, key)
    assert (permissions.read, permissions.trade, permissions.withdraw) == (True, trade, withdraw)
    assert raw_says(exchange, permissions.raw) == (trade, withdraw)


@pytest.mark.parametrize(
    ("authorities", "trade", "withdraw"),
    [
        (["trade", "readonly"], True, False),  # the older names, as in Bitget's own response example
        (["stor", "coor"], False, False),
        (["stow", "withdraw"], True, True),  # newer APIs name the permission instead of coding it
        (["stor", "WWOW"], False, True),
    ],
)
def test_bitget_authority_codes(authorities: list[str], trade: bool, withdraw: bool) -> None:
    """Codes the emulator does not send, read by the same parser the live call uses."""
    permissions = parse_bitget({"code": "00000", "data": {"userId": "1", "authorities": authorities}})
    assert (permissions.read, permissions.trade, permissions.withdraw) == (True, trade, withdraw)


def test_bybit_read_only_flag_overrides_trade_groups() -> None:
    response = {"retCode": 0, "result": {"readOnly": 1, "permissions": {"Spot": ["SpotTrade"], "Wallet": []}}}
    assert not parse_bybit(response).trade


@pytest.mark.parametrize("exchange", ["okx", "bybit", "bitget"])
async def test_stale_timestamp_is_refused(emulator: ExchangeEmulator, shared: CcxtShared, exchange: str) -> None:
    """The emulator enforces each exchange's clock window, so clock drift shows up in tests too."""
    key = add_key(emulator, exchange)
    gw = gateway(emulator, shared, exchange, credentials(key))
    gw.client.options["timeDifference"] = 120_000  # our clock two minutes behind the exchange's
    try:
        with pytest.raises(ccxt.InvalidNonce):
            await fetch_key_permissions(gw.client)
    finally:
        await gw.close()


# --- validation: what we store and what we refuse ------------------------------------------------
@pytest.mark.parametrize("exchange", EXCHANGES)
@pytest.mark.parametrize("role", ["follower", "trader"])
async def test_withdrawal_enabled_key_is_refused(emulator: ExchangeEmulator, shared: CcxtShared, exchange: str, role: Role) -> None:
    key = add_key(emulator, exchange, withdraw=True)
    with pytest.raises(KeyRefused) as refused:
        await validate(emulator, shared, exchange, credentials(key), role)
    assert refused.value.reason == "withdraw_enabled"
    assert refused.value.exchange == exchange


@pytest.mark.parametrize("exchange", EXCHANGES)
async def test_trading_key_without_withdrawal_is_accepted(emulator: ExchangeEmulator, shared: CcxtShared, exchange: str) -> None:
    key = add_key(emulator, exchange)
    permissions = await validate(emulator, shared, exchange, credentials(key), "follower")
    assert permissions.trade and not permissions.withdraw
    # one signed call, no markets or server-time round trip before it
    assert sum(count for (name, _, _), count in emulator.requests.items() if name == exchange) == 1


@pytest.mark.parametrize("exchange", EXCHANGES)
async def test_wrong_secret_is_auth_failed(emulator: ExchangeEmulator, shared: CcxtShared, exchange: str) -> None:
    key = add_key(emulator, exchange)
    wrong_secret = key.secret[::-1]
    with pytest.raises(KeyRefused) as refused:
        await validate(emulator, shared, exchange, credentials(key, secret=wrong_secret), "follower")
    assert refused.value.reason == "auth_failed"
    assert wrong_secret not in str(refused.value) and key.secret not in str(refused.value)


@pytest.mark.parametrize("exchange", WITH_PASSPHRASE)
async def test_wrong_passphrase_is_auth_failed(emulator: ExchangeEmulator, shared: CcxtShared, exchange: str) -> None:
    key = add_key(emulator, exchange)
    with pytest.raises(KeyRefused) as refused:
        await validate(emulator, shared, exchange, credentials(key, passphrase="Not-the-one1"), "follower")
    assert refused.value.reason == "auth_failed"


@pytest.mark.parametrize("exchange", EXCHANGES)
async def test_unknown_key_is_auth_failed(emulator: ExchangeEmulator, shared: CcxtShared, exchange: str) -> None:
    key = add_key(emulator, exchange)
    stranger = Credentials(api_key="unknown" + key.api_key, secret=key.secret, passphrase=key.passphrase)
    with pytest.raises(KeyRefused) as refused:
        await validate(emulator, shared, exchange, stranger, "follower")
    assert refused.value.reason == "auth_failed"


@pytest.mark.parametrize("exchange", EXCHANGES)
async def test_read_only_key_cannot_follow_but_can_be_a_traders(
    emulator: ExchangeEmulator, shared: CcxtShared, exchange: str
) -> None:
    key = add_key(emulator, exchange, trade=False)
    with pytest.raises(KeyRefused) as refused:
        await validate(emulator, shared, exchange, credentials(key), "follower")
    assert refused.value.reason == "cannot_trade"
    permissions = await validate(emulator, shared, exchange, credentials(key), "trader")
    assert permissions.read and not permissions.trade and not permissions.withdraw
