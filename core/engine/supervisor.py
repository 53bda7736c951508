"""Keeps one master watcher task per watched strategy: starts, stops, and restarts crashed ones.

A watcher run ends on any error (an exchange outage, a revoked key, a bug); the supervisor logs it
and starts a fresh run after a backoff that grows while runs keep failing before their first poll.
Every run reloads its state from the stored events and reconciles through REST, so a restart
loses nothing. Log lines carry the strategy id (`core.logging.correlate`).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from core.db.models import ExchangeAccount, Strategy, StrategyStatus
from core.engine.watcher import MasterWatcher, OnEvent, WatcherConfig
from core.errors import ExchangeError
from core.exchange.base import Gateway
from core.logging import correlate

log = logging.getLogger(__name__)

GatewayOpener = Callable[[ExchangeAccount], AbstractAsyncContextManager[Gateway]]

# A paused or suspended strategy is still watched: its positions stay right, the engine records
# each follower's skip with the reason, and resuming does not replay the pause's trades late.
WATCHED_STATUSES = (StrategyStatus.APPROVED, StrategyStatus.PAUSED, StrategyStatus.SUSPENDED)


@dataclass(frozen=True, slots=True)
class Backoff:
    base: float = 1.0  # seconds before the first restart
    cap: float = 60.0

    def delay(self, attempt: int) -> float:
        return min(self.base * 2 ** (attempt - 1), self.cap)


class WatcherSupervisor:
    """Keeps one watcher task per watched strategy, restarts crashed ones with backoff.

    `open_gateway` is `Gateways.lease` in the app: the watcher holds its master's gateway for as
    long as it runs. `sync()` matches the tasks to the strategies' statuses; call it after an
    approval or a deactivation, or let `run()` call it periodically.
    """

    def __init__(
        self,
        open_gateway: GatewayOpener,
        on_event: OnEvent,
        config: WatcherConfig | None = None,
        *,
        backoff: Backoff | None = None,
        statuses: Iterable[StrategyStatus] = WATCHED_STATUSES,
    ) -> None:
        self.open_gateway = open_gateway
        self.on_event = on_event
        self.config = config or WatcherConfig()
        self.backoff = backoff or Backoff()
        self.statuses = tuple(statuses)
        self.crashes: Counter[int] = Counter()
        self.watchers: dict[int, MasterWatcher] = {}  # the current run of each strategy's watcher
        self._tasks: dict[int, asyncio.Task[None]] = {}

    @property
    def running(self) -> set[int]:
        return {sid for sid, task in self._tasks.items() if not task.done()}

    async def sync(self) -> None:
        wanted = set(await Strategy.filter(status__in=self.statuses).values_list("id", flat=True))
        for strategy_id in sorted(wanted - self.running):
            self.start(strategy_id)
        for strategy_id in sorted(set(self._tasks) - wanted):
            await self.stop(strategy_id)

    def start(self, strategy_id: int) -> None:
        if strategy_id not in self.running:
            self._tasks[strategy_id] = asyncio.create_task(self._supervise(strategy_id), name=f"watcher-{strategy_id}")

    async def stop(self, strategy_id: int) -> None:
        task = self._tasks.pop(strategy_id, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.watchers.pop(strategy_id, None)

    async def run(self, refresh_interval: float = 30.0) -> None:
        """Sync with the database every `refresh_interval` seconds until cancelled, then stop all."""
        try:
            while True:
                await self.sync()
                await asyncio.sleep(refresh_interval)
        finally:
            await self.close()

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.watchers.clear()

    async def _supervise(self, strategy_id: int) -> None:
        attempt = 0
        with correlate(strategy=strategy_id):
            while True:
                watcher: MasterWatcher | None = None
                try:
                    strategy = await Strategy.get(id=strategy_id).select_related("account")
                    async with self.open_gateway(strategy.account) as gateway:
                        watcher = MasterWatcher.for_strategy(strategy, gateway, self.on_event, self.config)
                        self.watchers[strategy_id] = watcher
                        log.info("master watcher started on %s", gateway.exchange)
                        await watcher.run()
                except asyncio.CancelledError:
                    log.info("master watcher stopped")
                    raise
                except Exception as exc:
                    self.crashes[strategy_id] += 1
                    attempt = 1 if watcher is not None and watcher.polls else attempt + 1
                    delay = self.backoff.delay(attempt)
                    if isinstance(exc, ExchangeError):
                        log.warning("master watcher stopped on %s (%s); restart in %.1fs", exc.code, exc, delay)
                    else:
                        log.exception("master watcher crashed; restart in %.1fs", delay)
                    await asyncio.sleep(delay)
