"""What an API key may do, read from each exchange's own key-info endpoint.

We refuse keys that can withdraw (design invariant 4), so the answer must come from the exchange,
not from what the user says. ccxt has no unified call for this; each exchange gets its implicit
endpoint, called without `load_markets` (none of them needs markets):

| exchange | endpoint                             | withdrawal on when                                   |
| binance  | GET /sapi/v1/account/apiRestrictions | enableWithdrawals is true                            |
| okx      | GET /api/v5/account/config           | `perm` contains withdraw                             |
| bybit    | GET /v5/user/query-api               | permissions.Wallet contains Withdraw                 |
| bitget   | GET /api/v2/spot/account/info        | authorities contain wwow (wallet withdrawal) or a code naming withdraw |
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ccxt.async_support as ccxt

from core.errors import ExchangeError
from core.exchange.base import KeyPermissions

Parser = Callable[[dict[str, Any]], KeyPermissions]

BYBIT_TRADE_GROUPS = ("Spot", "ContractTrade", "Derivatives", "Options")
# Bitget read-and-write codes that allow placing orders: spot, futures orders/holdings, margin;
# "trade" is the older name, still shown in Bitget's own response example.
BITGET_TRADE_CODES = frozenset({"trade", "stow", "coow", "cpow", "smow"})
BITGET_WITHDRAW_CODE = "wwow"
_NOT_RAW = ("apiKey", "secret")  # never carry the key (or an echoed secret field) along


async def fetch_key_permissions(client: ccxt.Exchange) -> KeyPermissions:
    """Read/trade/withdraw flags of the client's key, as its exchange reports them.

    ccxt errors pass through unchanged; the gateway maps them to core.errors."""
    endpoint = _ENDPOINTS.get(client.id)
    if endpoint is None:
        raise ExchangeError(f"key permissions are not supported on {client.id}", exchange=client.id)
    method, parse = endpoint
    return parse(await getattr(client, method)())


def _clean(raw: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in raw.items() if name not in _NOT_RAW}


def parse_binance(response: dict[str, Any]) -> KeyPermissions:
    trade = bool(response.get("enableSpotAndMarginTrading")) or bool(response.get("enableFutures"))
    return KeyPermissions(
        read=bool(response.get("enableReading")),
        trade=trade,
        withdraw=bool(response.get("enableWithdrawals")),
        raw=_clean(response),
    )


def parse_okx(response: dict[str, Any]) -> KeyPermissions:
    config = (response.get("data") or [{}])[0]
    perms = {part.strip() for part in str(config.get("perm", "")).split(",") if part.strip()}
    trade = "trade" in perms
    return KeyPermissions(read="read_only" in perms or trade, trade=trade, withdraw="withdraw" in perms, raw=config)


def parse_bybit(response: dict[str, Any]) -> KeyPermissions:
    result = response.get("result") or {}
    groups = result.get("permissions") or {}
    read_only = str(result.get("readOnly", "0")) == "1"
    trade = not read_only and any(groups.get(group) for group in BYBIT_TRADE_GROUPS)
    withdraw = "Withdraw" in (groups.get("Wallet") or [])
    return KeyPermissions(read=True, trade=trade, withdraw=withdraw, raw=_clean(result))


def parse_bitget(response: dict[str, Any]) -> KeyPermissions:
    data = response.get("data") or {}
    authorities = {str(code).lower() for code in data.get("authorities") or []}
    withdraw = BITGET_WITHDRAW_CODE in authorities or any("withdraw" in code for code in authorities)
    return KeyPermissions(
        read=bool(authorities),
        trade=bool(authorities & BITGET_TRADE_CODES),
        withdraw=withdraw,
        raw=data,
    )


# ccxt id -> (implicit API method, parser of its answer)
_ENDPOINTS: dict[str, tuple[str, Parser]] = {
    "binance": ("sapi_get_account_apirestrictions", parse_binance),
    "okx": ("private_get_account_config", parse_okx),
    "bybit": ("private_get_v5_user_query_api", parse_bybit),
    "bitget": ("private_spot_get_v2_spot_account_info", parse_bitget),
}
