"""One place that turns an ExchangeAccount row into a Gateway.

Binance accounts get a `SharedClientGateway`: the vault-decrypted key plus the one shared signing
ccxt client of that exchange (core/exchange/shared_client.py), so 5,000 followers cost one ccxt
instance, not 5,000 (1.3 GB) or a 2.8 ms rebuild per order; these small gateways are pooled by
account so the key is decrypted once, and `forget` drops one when its key changes. Exchanges whose ccxt class keeps
per-account state (bybit, bitget) and those not yet vetted for sharing (okx) keep pooled
`CcxtGateway` instances, one per account. Paper accounts get the in-process paper venue. The engine,
the bot's services and the jobs all go through here, so the pooling and key handling exist once.
"""
from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager as AsyncContextManager
from decimal import Decimal
from functools import lru_cache
from types import TracebackType

from core.config import Settings
from core.db.models import ExchangeAccount
from core.errors import CopytradeError, ExchangeError
from core.exchange.base import Gateway
from core.exchange.ccxt_gateway import CcxtGateway
from core.exchange.ccxt_shared import CcxtShared
from core.exchange.paper import EXCHANGE as PAPER
from core.exchange.paper import PaperExchange
from core.exchange.pool import GatewayPool
from core.exchange.shared_client import SHARED_EXCHANGES, SharedClients
from core.keystore import load_credentials
from core.vault import Vault

# An account's pool key, its id as text: remembered, as UUID.__str__ (~1.5 µs, pure Python) would
# otherwise run for every order.
_key = lru_cache(maxsize=65_536)(str)


class Gateways:
    def __init__(
        self,
        settings: Settings,
        *,
        vault: Vault | None = None,
        shared: CcxtShared | None = None,
        paper: PaperExchange | None = None,
        pool_size: int = 512,
        keyed_pool_size: int = 50_000,
    ) -> None:
        self.settings = settings
        self.vault = vault
        self.shared = shared
        self.paper = paper
        self.pool = GatewayPool(pool_size)  # a ccxt instance each (~259 KiB): exchanges not shared
        # A key and a few references each (< 1 KiB): kept so the vault decrypts a key once, not per order
        self.keyed = GatewayPool(keyed_pool_size)
        self.clients = SharedClients(shared) if shared is not None else None

    def lease(self, account: ExchangeAccount) -> AsyncContextManager[Gateway]:
        """The account's gateway for the duration of a call (`async with gateways.lease(account) as g`)."""
        return _Lease(self, account)

    @contextlib.asynccontextmanager
    async def _pooled(self, account: ExchangeAccount) -> AsyncIterator[Gateway]:
        if account.exchange == PAPER:
            yield self._paper_gateway(account)
            return
        if account.exchange in SHARED_EXCHANGES:  # closing one only ends a master's trade stream, which its watcher reopens
            yield await self.keyed.get(_key(account.id), lambda: self._build(account))
            return
        async with self.pool.lease(_key(account.id), lambda: self._build(account)) as gateway:
            yield gateway

    async def warm(self, account: ExchangeAccount) -> None:
        """Build an account's shared-client gateway ahead of its first order: decrypting the key of
        each of 1,000 followers would otherwise land on the first fan-out. A key that cannot be
        opened is left for the order to meet, which records the reason."""
        if account.exchange in SHARED_EXCHANGES and _key(account.id) not in self.keyed:
            with contextlib.suppress(CopytradeError):
                await self.keyed.get(_key(account.id), lambda: self._build(account))

    def _paper_gateway(self, account: ExchangeAccount) -> Gateway:
        if self.paper is None:
            raise ExchangeError("the paper exchange is not running", exchange=PAPER)
        account_id = _key(account.id)
        try:
            return self.paper.gateway(account_id)
        except ValueError:  # venue state is in memory: reopen a demo account after a restart
            balance = Decimal(account.equity) or self.settings.limits.demo_balance_usdt
            return self.paper.open_account(account_id, {"USDT": balance})

    def _build(self, account: ExchangeAccount) -> Gateway:
        if self.vault is None or self.shared is None or self.clients is None:
            raise ExchangeError("exchange access is not configured", exchange=account.exchange)
        if account.exchange in SHARED_EXCHANGES:
            return self.clients.gateway(account.exchange, load_credentials(self.vault, account),
                                        self.settings.exchange(account.exchange), account.market_type)
        return CcxtGateway(
            account.exchange,
            load_credentials(self.vault, account),
            self.settings.exchange(account.exchange),
            self.shared,
            market_type=account.market_type,
        )

    async def forget(self, account: ExchangeAccount) -> None:
        """Drop an account's gateway (and the key it holds) after its key changed or was deleted."""
        await self.pool.discard(_key(account.id))
        await self.keyed.discard(_key(account.id))

    async def close(self) -> None:
        await self.pool.close()
        await self.keyed.close()
        if self.clients is not None:
            await self.clients.close()


class _Lease:
    """What `Gateways.lease` returns. A shared-client gateway that is already built needs no release,
    so it is handed out without the generator-based context manager, which costs more on the
    per-order path than the lookup it wraps; everything else goes through `Gateways._pooled`."""

    __slots__ = ("_gateways", "_account", "_inner")

    def __init__(self, gateways: Gateways, account: ExchangeAccount) -> None:
        self._gateways = gateways
        self._account = account
        self._inner: AsyncContextManager[Gateway] | None = None

    async def __aenter__(self) -> Gateway:
        if self._account.exchange in SHARED_EXCHANGES:
            gateway = self._gateways.keyed.peek(_key(self._account.id))
            if gateway is not None:
                return gateway
        self._inner = self._gateways._pooled(self._account)
        return await self._inner.__aenter__()

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> bool | None:
        if self._inner is None:
            return None
        return await self._inner.__aexit__(kind, error, trace)
