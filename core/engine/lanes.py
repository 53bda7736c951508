"""The send lanes of one fan-out: per exchange, a fixed set of workers fed through a bounded queue.

A task per order would cost its creation, a wait on the exchange's semaphore and a wake-up per
order, and a fan-out to 5,000 followers would hold thousands of them at once. Here each exchange
gets `width` workers (its share of the concurrency) that take rows in the order they were
planned; `put` waits while `backlog` rows are queued, so planning stays ahead of the sends by a
bounded amount and the outbox is always written before a row is queued.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Lanes(Generic[T]):
    def __init__(self, send: Callable[[T], Awaitable[None]], *, width: int, backlog: int) -> None:
        self._send = send
        self._width = width
        self._backlog = backlog
        self._queues: dict[str, asyncio.Queue[T | None]] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._error: Exception | None = None

    async def put(self, exchange: str, item: T) -> None:
        queue = self._queues.get(exchange)
        if queue is None:
            queue = self._queues[exchange] = asyncio.Queue(self._backlog)
            self._workers += [asyncio.create_task(self._work(queue)) for _ in range(self._width)]
        await queue.put(item)

    async def join(self) -> None:
        """Wait until every queued item has been sent, then stop the workers; raise the first error
        a send raised, if any."""
        for queue in self._queues.values():
            for _ in range(self._width):
                await queue.put(None)
        await asyncio.gather(*self._workers)
        if self._error is not None:
            raise self._error

    def cancel(self) -> None:
        for worker in self._workers:
            worker.cancel()

    async def _work(self, queue: asyncio.Queue[T | None]) -> None:
        while (item := await queue.get()) is not None:
            try:
                await self._send(item)
            except Exception as exc:  # keep taking rows: a lane that stopped would leave `put` waiting forever
                self._error = self._error or exc
