"""An LRU pool of gateway instances keyed by account id.

A ccxt instance holds ~250 KB, so thousands of followers cannot each keep one for ever. The pool
keeps the most recently used ones and closes the rest (the shared session stays open). A gateway
evicted while a task still holds it through `lease` is closed when that task lets it go.
"""
from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable

from core.exchange.base import Gateway

Factory = Callable[[], Gateway]


class GatewayPool:
    def __init__(self, max_size: int = 256) -> None:
        if max_size < 1:
            raise ValueError("max_size must be at least 1")
        self.max_size = max_size
        self._gateways: OrderedDict[str, Gateway] = OrderedDict()
        self._leases: dict[int, int] = {}  # id(gateway) -> tasks holding it
        self._doomed: set[int] = set()  # evicted while leased: close on release

    def __len__(self) -> int:
        return len(self._gateways)

    def __contains__(self, account_id: object) -> bool:
        return account_id in self._gateways

    def peek(self, account_id: str) -> Gateway | None:
        """The account's pooled gateway, marked as recently used, or None (builds nothing)."""
        gateway = self._gateways.get(account_id)
        if gateway is not None:
            self._gateways.move_to_end(account_id)
        return gateway

    async def get(self, account_id: str, factory: Factory) -> Gateway:
        """The account's gateway, built by `factory` when not pooled; may evict the least recently used."""
        gateway = self.peek(account_id)
        if gateway is not None:
            return gateway
        gateway = self._gateways[account_id] = factory()
        while len(self._gateways) > self.max_size:
            _, evicted = self._gateways.popitem(last=False)
            await self._retire(evicted)
        return gateway

    @contextlib.asynccontextmanager
    async def lease(self, account_id: str, factory: Factory) -> AsyncIterator[Gateway]:
        """Hold a gateway for the duration of a call so that eviction cannot close it underneath."""
        gateway = await self.get(account_id, factory)
        key = id(gateway)
        self._leases[key] = self._leases.get(key, 0) + 1
        try:
            yield gateway
        finally:
            self._leases[key] -= 1
            if not self._leases[key]:
                del self._leases[key]
                if key in self._doomed:
                    self._doomed.discard(key)
                    await gateway.close()

    async def discard(self, account_id: str) -> None:
        """Drop an account's gateway (its key changed or was removed)."""
        gateway = self._gateways.pop(account_id, None)
        if gateway is not None:
            await self._retire(gateway)

    async def close(self) -> None:
        while self._gateways:
            _, gateway = self._gateways.popitem(last=False)
            await self._retire(gateway)

    async def _retire(self, gateway: Gateway) -> None:
        if self._leases.get(id(gateway)):
            self._doomed.add(id(gateway))
        else:
            await gateway.close()
