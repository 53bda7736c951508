"""Process-wide ccxt resources that every gateway instance borrows: one HTTP client for REST calls
(and one aiohttp session for ccxt.pro's websockets), one SSL context (otherwise every instance
spends ~14 ms loading CA certificates on its first request), one throttler per exchange (the rate
limit is per source IP, not per key) and the markets of each exchange."""
from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Mapping

import aiohttp
import ccxt.async_support as ccxt
import certifi

from core.exchange.http_client import HttpClient
from core.exchange.markets import MarketCache


class SharedThrottler:
    """The leaky bucket of ccxt's throttler, as virtual scheduling (GCRA), without its looping task.

    ccxt's `Throttler` releases one request per event-loop turn and naps 1 ms whenever its
    one-token bucket runs dry, which caps a process near 900 requests/s however high the rate.
    Here a request that fits the bucket is not delayed at all and one that does not sleeps exactly
    until its turn, in arrival order. `rate_ms` is ccxt's `rateLimit`: milliseconds per unit of cost.
    """

    def __init__(self, rate_ms: float, capacity: float = 1.0) -> None:
        self.rate_ms = rate_ms
        self.burst_ms = capacity * rate_ms
        self._tat = 0.0  # theoretical arrival time of the next request, ms

    def reserve(self, cost: float, now_ms: float) -> float:
        """Book the next slot for a request of `cost`; how many ms it must wait for it."""
        start = max(self._tat, now_ms)
        self._tat = start + cost * self.rate_ms
        return max(start - now_ms - self.burst_ms, 0.0)

    async def __call__(self, cost: float | None = None) -> None:
        wait = self.reserve(1.0 if cost is None else cost, time.monotonic() * 1000)
        if wait:
            await asyncio.sleep(wait / 1000)


class CcxtShared:
    """Process-wide resources every ccxt instance borrows. Create one per event loop, close it last.

    `rate_limits` maps an exchange to ccxt's `rateLimit` (milliseconds per unit-cost request)
    for the one throttler that all its instances share; ccxt's own default when absent.
    """

    def __init__(
        self,
        *,
        rate_limits: Mapping[str, float] | None = None,
        timeout_ms: int = 10_000,
        connection_limit: int = 256,
    ) -> None:
        self.ssl_context = ssl.create_default_context(cafile=certifi.where())
        self.markets = MarketCache()
        self.rate_limits = dict(rate_limits or {})
        self.timeout_ms = timeout_ms
        self._connection_limit = connection_limit
        self._session: aiohttp.ClientSession | None = None
        self.http = HttpClient(self.ssl_context, limit_per_origin=connection_limit)
        self._throttlers: dict[str, SharedThrottler] = {}

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(ssl=self.ssl_context, limit=self._connection_limit, enable_cleanup_closed=True)
            self._session = aiohttp.ClientSession(connector=connector, trust_env=False)
        return self._session

    def throttler(self, client: ccxt.Exchange) -> SharedThrottler:
        """The exchange's shared throttler, at the configured rate or the instance's ccxt default."""
        throttler = self._throttlers.get(client.id)
        if throttler is None:
            rate = self.rate_limits.get(client.id, client.rateLimit)
            capacity = client.tokenBucket.get("capacity", 1.0)
            throttler = self._throttlers[client.id] = SharedThrottler(rate, capacity)
        return throttler

    async def close(self) -> None:
        await self.http.close()
        if self._session is not None:
            await self._session.close()
            self._session = None
