"""In-process event bus: the core publishes, the notifier (and tests, the demo) subscribe.

`publish` never blocks the replication hot path: it appends to a deque that one task drains,
calling handlers in order. A failing handler is logged and does not stop the others. The
distributed setup swaps this for a Redis-backed bus behind the same two methods.
"""
from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TypeVar

from core.events import Event

log = logging.getLogger(__name__)
Handler = Callable[[Event], Awaitable[None]]
E = TypeVar("E", bound=Event)


class EventBus:
    """Events wait in a deque that one task drains; `publish` appends and wakes that task when it
    sleeps. (An asyncio.Queue does the same with a put/get protocol and task accounting of about ten
    Python calls per event, and the engine publishes one event per follower order.)"""

    def __init__(self) -> None:
        self._handlers: list[tuple[tuple[type[Event], ...], Handler]] = []
        self._pending: deque[Event] = deque()
        self._drained = asyncio.Event()  # set while nothing is pending or being handled
        self._drained.set()
        self._wakeup: asyncio.Future[None] | None = None  # the draining task's, while it sleeps
        self._worker: asyncio.Task[None] | None = None

    def subscribe(self, handler: Handler, *types: type[Event]) -> None:
        """Call `handler` for events of these types (all events when none are given)."""
        self._handlers.append((types or (Event,), handler))

    def publish(self, event: Event) -> None:
        self._pending.append(event)
        self._drained.clear()
        wakeup, self._wakeup = self._wakeup, None
        if wakeup is not None and not wakeup.done():
            wakeup.set_result(None)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(self._drain_forever())

    async def drain(self) -> None:
        """Wait until every published event has reached its handlers (tests, shutdown)."""
        await self._drained.wait()

    async def close(self) -> None:
        await self.drain()
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)

    async def _drain_forever(self) -> None:
        pending = self._pending
        while True:
            while pending:
                event = pending.popleft()
                for types, handler in self._handlers:
                    if isinstance(event, types):
                        try:
                            await handler(event)
                        except Exception:
                            log.exception("event handler failed for %s", type(event).__name__)
            self._drained.set()
            self._wakeup = asyncio.get_running_loop().create_future()
            await self._wakeup


class EventRecorder:
    """Keeps every event it sees: the demo's log and the tests' assertions read it."""

    def __init__(self, bus: EventBus | None = None) -> None:
        self.events: list[Event] = []
        if bus is not None:
            bus.subscribe(self.record)

    async def record(self, event: Event) -> None:
        self.events.append(event)

    def of(self, kind: type[E]) -> list[E]:
        return [e for e in self.events if isinstance(e, kind)]
