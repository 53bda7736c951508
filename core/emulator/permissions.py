"""Key-permission endpoints of okx, bybit and bitget for the exchange emulator.

Each exchange lives under a path prefix (`/okx`, `/bybit`, `/bitget`) because a ccxt client is pointed
at `http://127.0.0.1:<port>/<exchange>`; the exchanges sign the path without that prefix, so it is
stripped before the signature is checked. Signatures, clock windows, success bodies and error codes
follow each exchange's documentation closely enough that ccxt parses them as it would the real thing
(bad key, secret or passphrase -> ccxt AuthenticationError).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import time
import zlib
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from core.emulator.keys import EmulatedKey, KeyRegistry

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

OKX_CLOCK_WINDOW_MS = 30_000
BITGET_CLOCK_WINDOW_MS = 30_000
BYBIT_AHEAD_TOLERANCE_MS = 1_000


class _Refused(Exception):
    """An authentication failure, carrying the exchange's own error code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def register(app: web.Application, keys: KeyRegistry) -> None:
    """Mount the okx, bybit and bitget permission routes on the emulator app."""
    app.router.add_get("/okx/api/v5/account/config", _okx_account_config(keys))
    app.router.add_get("/bybit/v5/user/query-api", _bybit_query_api(keys))
    app.router.add_get("/bitget/api/v2/spot/account/info", _bitget_account_info(keys))


# --- shared helpers ----------------------------------------------------------------------------
def _now_ms() -> int:
    return int(time.time() * 1000)


def _hmac_sha256(secret: str, payload: str) -> bytes:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


def _signed_path(request: web.Request, prefix: str) -> str:
    """The raw path and query the client sent, minus our routing prefix (what the client signed)."""
    raw = request.raw_path
    return raw[len(prefix):] if raw.startswith(prefix) else raw


def _user_id(key: EmulatedKey) -> str:
    """A stable numeric uid per emulated account, as exchanges report one."""
    return str(10_000_000 + zlib.crc32(key.account_id.encode()) % 90_000_000)


# --- OKX ---------------------------------------------------------------------------------------
def _okx_error(error: _Refused) -> web.Response:
    return web.json_response({"code": error.code, "data": [], "msg": error.message}, status=401)


async def _okx_authenticate(request: web.Request, keys: KeyRegistry) -> EmulatedKey:
    """OK-ACCESS-SIGN = base64(HMAC-SHA256(secret, timestamp + METHOD + requestPath + body))."""
    headers = request.headers
    api_key = headers.get("OK-ACCESS-KEY", "")
    passphrase = headers.get("OK-ACCESS-PASSPHRASE", "")
    signature = headers.get("OK-ACCESS-SIGN", "")
    timestamp = headers.get("OK-ACCESS-TIMESTAMP", "")
    if not api_key:
        raise _Refused("50103", 'Request header "OK-ACCESS-KEY" cannot be empty.')
    if not passphrase:
        raise _Refused("50104", 'Request header "OK-ACCESS-PASSPHRASE" cannot be empty.')
    if not signature:
        raise _Refused("50106", 'Request header "OK-ACCESS-SIGN" cannot be empty.')
    if not timestamp:
        raise _Refused("50107", 'Request header "OK-ACCESS-TIMESTAMP" cannot be empty.')
    key = keys.get("okx", api_key)
    if key is None:
        raise _Refused("50111", "Invalid OK-ACCESS-KEY.")
    try:
        sent_ms = int(datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        raise _Refused("50112", "Invalid OK-ACCESS-TIMESTAMP.") from None
    if abs(_now_ms() - sent_ms) > OKX_CLOCK_WINDOW_MS:
        raise _Refused("50102", "Timestamp request expired.")
    if not _same(key.passphrase or "", passphrase):
        raise _Refused("50105", 'Request header "OK-ACCESS-PASSPHRASE" incorrect.')
    body = await request.text()
    payload = timestamp + request.method + _signed_path(request, "/okx") + body
    expected = base64.b64encode(_hmac_sha256(key.secret, payload)).decode()
    if not _same(expected, signature):
        raise _Refused("50113", "Invalid Sign")
    return key


def _okx_perm(key: EmulatedKey) -> str:
    """OKX lists a key's permissions as one comma-separated string."""
    flags = [("read_only", key.read), ("withdraw", key.withdraw), ("trade", key.trade)]
    return ",".join(name for name, on in flags if on)


def _okx_account_config(keys: KeyRegistry) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        try:
            key = await _okx_authenticate(request, keys)
        except _Refused as error:
            return _okx_error(error)
        uid = _user_id(key)
        config: dict[str, Any] = {
            "acctLv": "1",
            "autoLoan": False,
            "ctIsoMode": "automatic",
            "greeksType": "PA",
            "ip": "",
            "kycLv": "2",
            "label": "copytrade",
            "level": "Lv1",
            "levelTmp": "",
            "liquidationGear": "-1",
            "mainUid": uid,
            "mgnIsoMode": "automatic",
            "opAuth": "0",
            "perm": _okx_perm(key),
            "posMode": "net_mode",
            "roleType": "0",
            "spotOffsetType": "",
            "spotRoleType": "0",
            "spotTraderInsts": [],
            "traderInsts": [],
            "type": "0",
            "uid": uid,
        }
        return web.json_response({"code": "0", "data": [config], "msg": ""})

    return handle


# --- Bybit -------------------------------------------------------------------------------------
def _bybit_error(error: _Refused) -> web.Response:
    """Bybit answers auth failures with HTTP 200 and a non-zero retCode."""
    body = {"retCode": int(error.code), "retMsg": error.message, "result": {}, "retExtInfo": {}, "time": _now_ms()}
    return web.json_response(body)


async def _bybit_authenticate(request: web.Request, keys: KeyRegistry) -> EmulatedKey:
    """X-BAPI-SIGN = hex(HMAC-SHA256(secret, timestamp + apiKey + recvWindow + queryString|body))."""
    headers = request.headers
    api_key = headers.get("X-BAPI-API-KEY", "")
    signature = headers.get("X-BAPI-SIGN", "")
    timestamp = headers.get("X-BAPI-TIMESTAMP", "")
    recv_window = headers.get("X-BAPI-RECV-WINDOW", "5000")
    if not api_key:
        raise _Refused("10007", "api_key not found in your request parameters")
    key = keys.get("bybit", api_key)
    if key is None:
        raise _Refused("10003", "API key is invalid.")
    if not (timestamp.isdigit() and recv_window.isdigit()):
        raise _Refused("10002", "invalid request, please check your server timestamp or recv_window param")
    now = _now_ms()
    sent = int(timestamp)
    if not (now - int(recv_window) <= sent < now + BYBIT_AHEAD_TOLERANCE_MS):
        raise _Refused("10002", "invalid request, please check your server timestamp or recv_window param")
    signed = await request.text() if request.method == "POST" else request.rel_url.raw_query_string
    expected = _hmac_sha256(key.secret, timestamp + api_key + recv_window + signed).hex()
    if not _same(expected, signature.lower()):
        raise _Refused("10004", "Error sign, please check your signature generation algorithm.")
    return key


def _bybit_permissions(key: EmulatedKey) -> dict[str, list[str]]:
    trade = key.trade
    wallet = ["AccountTransfer", "SubMemberTransfer"] + (["Withdraw"] if key.withdraw else [])
    return {
        "ContractTrade": ["Order", "Position"] if trade else [],
        "Spot": ["SpotTrade"] if trade else [],
        "Wallet": wallet,
        "Options": ["OptionsTrade"] if trade else [],
        "Derivatives": ["DerivativesTrade"] if trade else [],
        "CopyTrading": [],
        "BlockTrade": [],
        "Exchange": ["ExchangeHistory"],
        "NFT": [],
        "Affiliate": [],
    }


def _bybit_query_api(keys: KeyRegistry) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        try:
            key = await _bybit_authenticate(request, keys)
        except _Refused as error:
            return _bybit_error(error)
        result: dict[str, Any] = {
            "id": str(zlib.crc32(key.api_key.encode())),
            "note": "copytrade",
            "apiKey": key.api_key,
            "readOnly": 0 if key.trade else 1,
            "secret": "",
            "permissions": _bybit_permissions(key),
            "ips": ["*"],
            "type": 1,
            "deadlineDay": 90,
            "expiredAt": "",
            "createdAt": "",
            "unified": 0,
            "uta": 1,
            "userID": int(_user_id(key)),
            "inviterID": 0,
            "vipLevel": "No VIP",
            "mktMakerLevel": "0",
            "affiliateID": 0,
            "rsaPublicKey": "",
            "isMaster": True,
            "parentUid": "0",
            "kycLevel": "LEVEL_DEFAULT",
            "kycRegion": "",
        }
        return web.json_response({"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {}, "time": _now_ms()})

    return handle


# --- Bitget ------------------------------------------------------------------------------------
def _bitget_error(error: _Refused) -> web.Response:
    body = {"code": error.code, "msg": error.message, "requestTime": _now_ms(), "data": None}
    return web.json_response(body, status=400)


async def _bitget_authenticate(request: web.Request, keys: KeyRegistry) -> EmulatedKey:
    """ACCESS-SIGN = base64(HMAC-SHA256(secret, timestamp + METHOD + requestPath ['?' + query] + body)).

    Bitget signs the query string decoded (not percent-encoded), so it is unquoted before checking."""
    headers = request.headers
    api_key = headers.get("ACCESS-KEY", "")
    signature = headers.get("ACCESS-SIGN", "")
    timestamp = headers.get("ACCESS-TIMESTAMP", "")
    passphrase = headers.get("ACCESS-PASSPHRASE", "")
    if not api_key:
        raise _Refused("40001", "ACCESS_KEY cannot be empty")
    if not signature:
        raise _Refused("40003", "Signature cannot be empty")
    if not passphrase:
        raise _Refused("40011", "ACCESS_PASSPHRASE cannot be empty")
    key = keys.get("bitget", api_key)
    if key is None:
        raise _Refused("40006", "Invalid ACCESS_KEY")
    if not timestamp.isdigit():
        raise _Refused("40005", "Invalid ACCESS_TIMESTAMP")
    if abs(_now_ms() - int(timestamp)) > BITGET_CLOCK_WINDOW_MS:
        raise _Refused("40008", "Request timestamp expired")
    if not _same(key.passphrase or "", passphrase):
        raise _Refused("40012", "apikey/password is incorrect")
    path = _signed_path(request, "/bitget").split("?", 1)[0]
    query = request.rel_url.raw_query_string
    payload = timestamp + request.method + path + ("?" + unquote(query) if query else "") + await request.text()
    expected = base64.b64encode(_hmac_sha256(key.secret, payload)).decode()
    if not _same(expected, signature):
        raise _Refused("40009", "sign signature error")
    return key


def _bitget_authorities(key: EmulatedKey) -> list[str]:
    """Bitget's codes: `…or` read only, `…ow` read and write; `wwow` is wallet withdrawal."""
    authorities: list[str] = []
    if key.read:
        authorities += ["coor", "cpor", "stor", "wtor"]
    if key.trade:
        authorities += ["coow", "cpow", "stow"]
    if key.withdraw:
        authorities.append("wwow")
    return authorities


def _bitget_account_info(keys: KeyRegistry) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        try:
            key = await _bitget_authenticate(request, keys)
        except _Refused as error:
            return _bitget_error(error)
        data: dict[str, Any] = {
            "userId": _user_id(key),
            "inviterId": "0",
            "ips": "",
            "authorities": _bitget_authorities(key),
            "parentId": int(_user_id(key)),
            "traderType": "not_trader",
            "channelCode": "",
            "channel": "",
            "regisTime": "1700000000000",
        }
        return web.json_response({"code": "00000", "msg": "success", "requestTime": _now_ms(), "data": data})

    return handle
