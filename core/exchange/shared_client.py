"""One ccxt client per (exchange, market type, endpoint) that signs requests for many accounts.

A ccxt instance costs ~2.8 ms to build and ~259 KiB to keep, and 5,000 followers cannot each have
one (1.3 GB) nor rebuild one per order. Yet the only per-account input of a request is the key,
and ccxt reads it in exactly one place: the synchronous `sign()` (and `check_required_credentials`,
which `sign` calls). So a shared client takes the caller's key from a context variable, puts it on
the instance for the duration of `sign()`, and takes it off again; synchronous code cannot be
interleaved by asyncio, so no other request can see it. Everything else (markets, session,
throttler, options) is shared.

What ccxt keeps on the instance after the response must not cross from one account to another:
- `last_response_headers` / `last_http_response`: turned off here; the headers of this request's
  error (Retry-After) are captured in `handle_errors` into the caller's own `_Call`;
- Binance's `hasAlreadyAuthenticatedSuccessfully` (a -2015 after a successful call reads as a
  temporary ban): kept per API key and set on the instance from the caller's key inside
  `handle_errors`, so one account's success does not change how another's rejection is read.

Only exchanges whose ccxt class keeps no other per-account state are shared (`SHARED_EXCHANGES`):
bybit caches the account's unified-margin status and bitget its UTA flag in `options`, so those get
a pooled instance each (core/exchange/pool.py).
"""
from __future__ import annotations

import contextvars
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import ccxt.async_support as ccxt

from core.config import ExchangeOptions
from core.exchange.base import Credentials, KeyPermissions, MarketRules
from core.exchange.ccxt_fetch import direct_class
from core.exchange.ccxt_gateway import CcxtGateway, MarketType
from core.exchange.ccxt_shared import CcxtShared
from core.exchange.errors_map import translate

SHARED_EXCHANGES = frozenset({"binance"})
_AUTH_FLAG = "hasAlreadyAuthenticatedSuccessfully"


@dataclass(slots=True)
class _Call:
    """One gateway call in flight: whose key signs it, and what came back that errors need."""

    credentials: Credentials
    response_headers: Mapping[str, str] | None = None


_CALL: contextvars.ContextVar[_Call | None] = contextvars.ContextVar("ccxt_shared_call", default=None)


class SigningMixin:
    """Mixed in before a ccxt exchange class: the key comes from the current `_Call`, per request."""

    apiKey: str | None
    secret: str | None
    password: str | None
    options: dict[str, Any]
    authenticated_keys: set[str]

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        super().__init__(config or {})  # type: ignore[call-arg]
        self.apiKey = self.secret = self.password = None
        self.authenticated_keys = set()  # API keys that completed a private call (see handle_errors)
        # nothing of one account's response stays on the instance for another to read
        self.enableLastResponseHeaders = self.enableLastHttpResponse = self.enableLastJsonResponse = False

    def _put_key(self) -> tuple[str | None, str | None, str | None]:
        saved = (self.apiKey, self.secret, self.password)
        call = _CALL.get()
        if call is None:  # a public call (markets, tickers) outside any account
            self.apiKey = self.secret = self.password = None
        else:
            creds = call.credentials
            self.apiKey, self.secret, self.password = creds.api_key, creds.secret, creds.passphrase
        return saved

    def sign(self, *args: Any, **kwargs: Any) -> Any:
        saved = self._put_key()
        try:
            return super().sign(*args, **kwargs)  # type: ignore[misc]
        finally:
            self.apiKey, self.secret, self.password = saved

    def check_required_credentials(self, error: bool = True) -> Any:
        if self.apiKey is not None:  # called from `sign`, which has put the caller's key already
            return super().check_required_credentials(error)  # type: ignore[misc]
        saved = self._put_key()
        try:
            return super().check_required_credentials(error)  # type: ignore[misc]
        finally:
            self.apiKey, self.secret, self.password = saved

    def handle_errors(self, code: int, reason: str, url: str, method: str, headers: Any, *rest: Any) -> Any:
        call = _CALL.get()
        if call is not None:
            call.response_headers = headers
        self.options[_AUTH_FLAG] = call is not None and call.credentials.api_key in self.authenticated_keys
        result = super().handle_errors(code, reason, url, method, headers, *rest)  # type: ignore[misc]
        self.options[_AUTH_FLAG] = False  # so that `request` sees True only if this very request set it
        return result

    async def request(self, *args: Any, **kwargs: Any) -> Any:
        response = await super().request(*args, **kwargs)  # type: ignore[misc]
        # Binance's request() flags a successful private call right before returning (no await in
        # between), so the flag here is this request's; remember it for this key only.
        if self.options.get(_AUTH_FLAG):
            self.options[_AUTH_FLAG] = False
            call = _CALL.get()
            if call is not None:
                self.authenticated_keys.add(call.credentials.api_key)
        return response


@cache
def signing_class(exchange: str) -> type[ccxt.Exchange]:
    base = direct_class(exchange)
    return type(f"Signing{getattr(ccxt, exchange).__name__}", (SigningMixin, base), {})


@dataclass(slots=True)
class _Slot:
    client: ccxt.Exchange
    markets_key: tuple[Any, ...]
    rules: dict[str, MarketRules] | None = None


class SharedClients:
    """The shared signing clients, built on first use; close them with the process's CcxtShared."""

    def __init__(self, shared: CcxtShared) -> None:
        self.shared = shared
        self._slots: dict[tuple[Any, ...], _Slot] = {}

    def gateway(self, exchange: str, credentials: Credentials, options: ExchangeOptions,
                market_type: MarketType = "spot") -> SharedClientGateway:
        """A gateway for one account: a few attributes around the exchange's shared client."""
        key = (exchange, market_type, options.testnet, options.base_url)
        slot = self._slots.get(key)
        if slot is None:
            client = CcxtGateway._build_client(exchange, Credentials("", ""), options, self.shared, market_type, None,
                                               signing_class(exchange))
            slot = self._slots[key] = _Slot(client, key, self.shared.markets.attach_loaded(key, client))
        return SharedClientGateway(slot, exchange, market_type, credentials, self.shared, options)

    async def close(self) -> None:
        for slot in self._slots.values():
            await slot.client.close()
        self._slots.clear()


class SharedClientGateway(CcxtGateway):
    """A CcxtGateway whose ccxt client is shared: building one costs microseconds, not milliseconds."""

    def __init__(self, slot: _Slot, exchange: str, market_type: MarketType, credentials: Credentials,
                 shared: CcxtShared, options: ExchangeOptions) -> None:
        # CcxtGateway.__init__ would build a ccxt instance: this is what the shared client replaces
        self.exchange = exchange
        self.market_type = market_type
        self._credentials = credentials
        self._options = options  # a master's trade stream builds its own ccxt.pro client from these
        self._stream = None
        self._secrets = (credentials.secret, credentials.passphrase)
        self._shared = shared
        self._slot = slot
        self._markets_key = slot.markets_key
        self.client = slot.client
        self._markets = slot.rules

    def __repr__(self) -> str:
        return f"SharedClientGateway({self.exchange}, {self.market_type}, key={self._credentials.hint})"

    async def load_markets(self) -> dict[str, MarketRules]:
        if self._markets is None:
            await super().load_markets()
            self._slot.rules = self._markets
        assert self._markets is not None
        return self._markets

    async def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        call = _Call(self._credentials)
        token = _CALL.set(call)
        try:
            return await getattr(self.client, method)(*args, **kwargs)
        except ccxt.BaseError as exc:
            raise translate(exc, self.exchange, secrets=self._secrets, response_headers=call.response_headers) from None
        finally:
            _CALL.reset(token)

    async def inspect_key(self) -> KeyPermissions:
        token = _CALL.set(_Call(self._credentials))
        try:
            return await super().inspect_key()
        finally:
            _CALL.reset(token)

    async def close(self) -> None:
        """Only a master's own trade stream: the REST client is shared and closed by `SharedClients.close`."""
        await self.close_trade_stream()
