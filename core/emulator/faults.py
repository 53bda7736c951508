"""Faults on demand, so tests can show how the gateway and the dispatcher behave when an exchange misbehaves.

A fault matches one exchange, an HTTP method (or "*") and a path inside the exchange's prefix
(`/api/v3/order`), and fires for its next `times` matching requests. Kinds:

- `latency`: answer normally after `delay` seconds;
- `timeout`: hang without answering (the client times out; nothing happened on the exchange);
- `lost_response`: process the request (the order IS placed), then hang instead of answering;
- `rate_limit`: HTTP 429 with `Retry-After` (Binance code -1003);
- `unavailable`: HTTP 503;
- `reject`: HTTP 400 with the given exchange `code` and `msg` (nothing is placed).
"""
from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from aiohttp import web

FaultKind = Literal["latency", "timeout", "lost_response", "rate_limit", "unavailable", "reject"]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Fault:
    exchange: str
    path: str
    kind: FaultKind
    method: str = "*"
    times: int = 1
    delay: float = 0.0
    retry_after: int = 1
    code: int = -2010
    msg: str = "Order rejected."
    fired: int = 0

    def matches(self, exchange: str, method: str, path: str) -> bool:
        return self.exchange == exchange and self.path == path and self.method in ("*", method)


class Faults:
    """The pending faults of one emulator. Cheap when empty: the order path checks a list's truth."""

    def __init__(self, hold_seconds: float = 60.0) -> None:
        self._items: list[Fault] = []
        self._released = asyncio.Event()
        self.hold_seconds = hold_seconds  # how long a hung request waits before the emulator drops it

    def add(
        self,
        exchange: str,
        path: str,
        kind: FaultKind,
        *,
        method: str = "*",
        times: int = 1,
        delay: float = 0.0,
        retry_after: int = 1,
        code: int = -2010,
        msg: str = "Order rejected.",
    ) -> Fault:
        fault = Fault(exchange, path, kind, method.upper(), times, delay, retry_after, code, msg)
        self._items.append(fault)
        return fault

    def clear(self) -> None:
        self._items.clear()

    def release(self) -> None:
        """Let every hung request go (the emulator is stopping)."""
        self._released.set()

    def take(self, exchange: str, method: str, path: str) -> Fault | None:
        if not self._items:
            return None
        for fault in self._items:
            if fault.matches(exchange, method, path):
                fault.fired += 1
                if fault.fired >= fault.times:
                    self._items.remove(fault)
                return fault
        return None

    async def apply(self, fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
        if fault.kind == "latency":
            await asyncio.sleep(fault.delay)
            return await handler(request)
        if fault.kind == "timeout":
            return await self._hang()
        if fault.kind == "lost_response":
            await handler(request)
            return await self._hang()
        if fault.kind == "rate_limit":
            body = {"code": -1003, "msg": "Too much request weight used; current limit is 6000 request weight per 1 MINUTE."}
            return _json(429, body, {"Retry-After": str(fault.retry_after)})
        if fault.kind == "unavailable":
            return web.Response(status=503, text="<html><body>503 Service Unavailable</body></html>", content_type="text/html")
        return _json(400, {"code": fault.code, "msg": fault.msg})

    async def _hang(self) -> web.StreamResponse:
        try:
            await asyncio.wait_for(self._released.wait(), self.hold_seconds)
        except TimeoutError:
            pass
        raise web.HTTPServiceUnavailable()


def _json(status: int, body: dict, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, body=json.dumps(body).encode(), content_type="application/json", headers=headers)
