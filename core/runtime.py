"""The core, assembled: everything `copytrade run` needs except Telegram.

One process by default: the event bus, the gateways (pooled ccxt + the paper venue for demo
accounts), the replication engine with its recovery, one watcher per strategy, the risk monitor and
the scheduler. The bot (bot/app.py) and the offline demo build on this, so they run the same logic.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from core.bus import EventBus
from core.config import Settings
from core.db import close_db, init_db
from core.db.migrate import migrate
from core.db.models import Strategy, Subscription
from core.engine.drift import DriftAlerts, reconcile_drift
from core.engine.order_sync import sync_open_orders
from core.engine.recovery import recover
from core.engine.replicator import ReplicationEngine
from core.engine.supervisor import WATCHED_STATUSES, WatcherSupervisor
from core.engine.unsubscribe import resume_cancelling, unsubscribe
from core.engine.watcher import WatcherConfig
from core.exchange.ccxt_shared import CcxtShared
from core.exchange.feeds import LiveTickerFeed, PriceFeed
from core.exchange.paper import PaperExchange
from core.exchange.provider import Gateways
from core.jobs import JobServices, build_jobs
from core.risk.monitor import RiskMonitor
from core.scheduler import JobRunner, start_scheduler
from core.services.subscriptions import SubscriptionControl
from core.vault import Vault

log = logging.getLogger(__name__)
PAPER_SYMBOLS = ("BTC/USDT", "ETH/USDT", "XRP/USDT")


@dataclass
class Core:
    settings: Settings
    bus: EventBus
    gateways: Gateways
    engine: ReplicationEngine
    control: SubscriptionControl
    monitor: RiskMonitor
    runner: JobRunner
    supervisor: WatcherSupervisor
    feed: PriceFeed
    tasks: list[asyncio.Task[object]] = field(default_factory=list)

    @classmethod
    def build(cls, settings: Settings, *, feed: PriceFeed | None = None, shared: CcxtShared | None = None) -> Core:
        bus = EventBus()
        feed = feed or LiveTickerFeed(PAPER_SYMBOLS, base_url=settings.binance.base_url)
        gateways = Gateways(
            settings,
            vault=Vault.from_settings(settings) if settings.vault_key else None,
            shared=shared or CcxtShared(),
            paper=PaperExchange(feed),
        )
        engine = ReplicationEngine(gateways, bus, settings.limits)
        control = SubscriptionControl(bus, engine.invalidate)

        async def stop(sub: Subscription, reason: str) -> None:  # a risk limit ends the subscription
            await unsubscribe(engine, sub, close_positions=True, reason=reason)

        monitor = RiskMonitor(bus, control, stop, settings.limits)
        drift_alerts = DriftAlerts()  # across runs: a lasting drift is told once, not every few minutes
        reconcilers = [
            lambda: sync_open_orders(engine),
            lambda: reconcile_drift(engine, threshold_pct=settings.limits.drift_alert_pct,
                                    auto_correct=settings.limits.drift_auto_correct, alerts=drift_alerts),
            lambda: resume_cancelling(engine),
        ]
        runner = JobRunner(build_jobs(JobServices(engine, gateways, bus, monitor, reconcilers)))
        supervisor = WatcherSupervisor(gateways.lease, engine.replicate, WatcherConfig(symbols=PAPER_SYMBOLS))
        return cls(settings, bus, gateways, engine, control, monitor, runner, supervisor, feed)

    async def start(self) -> None:
        """Bring the database up to date, finish what a previous run left, then start watching."""
        await migrate(self.settings.database_url)
        await init_db(self.settings.database_url)
        touched = await recover(self.engine)
        unfinished = await resume_cancelling(self.engine)
        log.info("recovery: %d fan-out(s) reconciled, %d unsubscribe(s) carried on", touched, len(unfinished))
        for strategy_id in await Strategy.filter(status__in=WATCHED_STATUSES).values_list("id", flat=True):
            await self.engine.prepare(strategy_id)
        self.tasks.append(asyncio.create_task(self.feed.run(), name="price-feed"))
        self.tasks.append(asyncio.create_task(self.supervisor.run(), name="watchers"))
        self.scheduler = start_scheduler(self.runner)

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.scheduler.shutdown(wait=False)
        await self.supervisor.close()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.bus.close()
        await self.gateways.close()
        if self.gateways.shared is not None:
            await self.gateways.shared.close()
        await close_db()
