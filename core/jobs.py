"""The scheduled jobs: equity snapshots, risk checks, k recalculation, fees, digests, reconciliation,
and the transfer sync (deposits and withdrawals, core/transfers.py).

Each function takes the start of the period it runs for (see core/scheduler.py), so a run is a pure
function of its period: a catch-up after a restart produces the same rows as an on-time run would.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from tortoise.exceptions import IntegrityError

from core.bus import EventBus
from core.db.models import EquitySnapshot, Strategy, StrategyStatus, Subscription, SubscriptionStatus
from core.engine.replicator import ReplicationEngine
from core.engine.sizing import proportional_k
from core.events import PortfolioDigest, about
from core.exchange.provider import Gateways
from core.fees import charge_fixed, charge_profit_share
from core.risk.equity import subscription_equity
from core.risk.monitor import RiskMonitor
from core.scheduler import DAILY, Job, Schedule
from core.services.balances import master_equity
from core.transfers import settle_snapshot, sync_transfers

HUNDRED = Decimal(100)
LIVE = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAUSED)
WATCHED = (StrategyStatus.APPROVED, StrategyStatus.SUSPENDED)


@dataclass
class JobServices:
    engine: ReplicationEngine
    gateways: Gateways
    bus: EventBus
    monitor: RiskMonitor
    reconcilers: Sequence[Callable[[], Awaitable[object]]] = field(default_factory=list)


class Prices:
    """Current prices looked up once per symbol and exchange during one job run."""

    def __init__(self, gateways: Gateways) -> None:
        self.gateways = gateways
        self._cache: dict[tuple[str, str], Decimal] = {}

    async def __call__(self, sub: Subscription, symbol: str) -> Decimal:
        account = await sub.account
        key = (account.exchange, symbol)
        if key not in self._cache:
            async with self.gateways.lease(account) as gateway:
                self._cache[key] = await gateway.fetch_price(symbol)
        return self._cache[key]


async def _snapshot(strategy: Strategy | None, sub: Subscription | None, period: str, at: datetime, equity: Decimal) -> None:
    try:
        snapshot = await EquitySnapshot.create(strategy=strategy, subscription=sub, period=period, taken_at=at, equity=equity)
    except IntegrityError:
        return  # this period's snapshot exists already
    if period == "daily":  # the row first, then its transfers: a sync storing one meanwhile settles it too
        await settle_snapshot(snapshot)


async def snapshots(services: JobServices, period: str, start: datetime) -> None:
    prices = Prices(services.gateways)
    for strategy in await Strategy.filter(status__in=WATCHED):
        await _snapshot(strategy, None, period, start, await master_equity(services.gateways, strategy, fresh=True))
    for sub in await Subscription.filter(status__in=LIVE):
        await _snapshot(None, sub, period, start, await subscription_equity(sub, prices))


async def intraday(services: JobServices, start: datetime) -> None:
    """Snapshots for drawdown, then every follower's and trader's risk rules."""
    await snapshots(services, "intraday", start)
    await services.monitor.check_all(Prices(services.gateways))
    for strategy in await Strategy.filter(status=StrategyStatus.APPROVED):
        await services.monitor.check_trader(strategy)


async def recalc_k(services: JobServices, start: datetime, only: Sequence[Subscription] | None = None) -> int:
    """k = subscription equity ÷ master equity, for each active subscription (or just those in `only`)."""
    prices = Prices(services.gateways)
    subs = list(only) if only is not None else await Subscription.filter(status=SubscriptionStatus.ACTIVE)
    masters: dict[int, Decimal] = {}
    for sub in subs:
        strategy = await sub.strategy
        if strategy.id not in masters:
            masters[strategy.id] = await master_equity(services.gateways, strategy, fresh=True)
        if masters[strategy.id] > 0:
            sub.multiplier = proportional_k(await subscription_equity(sub, prices), masters[strategy.id])
            await sub.save(update_fields=["multiplier"])
        services.engine.invalidate(strategy.id)
    return len(subs)


async def fees(services: JobServices, start: datetime) -> None:
    prices = Prices(services.gateways)
    for sub in await Subscription.filter(status__in=LIVE):
        strategy = await sub.strategy
        charged = await charge_fixed(services.bus, sub, strategy, start)
        share = await charge_profit_share(services.bus, sub, strategy, await subscription_equity(sub, prices),
                                          start.date().isoformat())
        if (charged or share) and sub.status == SubscriptionStatus.ACTIVE:
            await recalc_k(services, start, only=[sub])  # the spec: k follows the balance after a fee


async def digest(services: JobServices, start: datetime) -> None:
    prices = Prices(services.gateways)
    for sub in await Subscription.filter(status__in=LIVE):
        equity = await subscription_equity(sub, prices)
        base = Decimal(sub.start_equity)
        services.bus.publish(PortfolioDigest(
            **about(sub),
            equity=equity, start_equity=base,
            return_pct=((equity - base) / base * HUNDRED) if base else Decimal(0),
        ))


async def transfers(services: JobServices, start: datetime) -> None:
    """Store new deposits and withdrawals; k follows them (the spec): a master's move changes every
    active follower's k, a follower's move that follower's. Paused ones get theirs on resume."""
    strategies = await Strategy.filter(status__in=WATCHED).select_related("account")
    subs = await Subscription.filter(status__in=LIVE).select_related("account", "strategy")
    moved = await sync_transfers(services.gateways, strategies, subs)
    affected = [sub for sub in subs
                if sub.strategy_id in moved.strategy_ids or sub.id in moved.subscription_ids]  # type: ignore[attr-defined]
    active = [sub for sub in affected if sub.status == SubscriptionStatus.ACTIVE]
    if active:
        await recalc_k(services, start, only=active)
    for strategy_id in {sub.strategy_id for sub in affected}:  # type: ignore[attr-defined]
        services.engine.invalidate(strategy_id)  # the follower book caches the capital fields


async def reconcile(services: JobServices, start: datetime) -> None:
    for reconciler in services.reconcilers:
        await reconciler()


def build_jobs(services: JobServices) -> list[Job]:
    return [
        Job("equity_daily", Schedule(DAILY), partial(snapshots, services, "daily")),
        Job("risk_intraday", Schedule(timedelta(minutes=15)), partial(intraday, services)),
        Job("fees", Schedule(DAILY, timedelta(minutes=10)), partial(fees, services)),
        Job("recalc_k", Schedule(DAILY, timedelta(hours=10)), partial(recalc_k, services)),
        Job("digest", Schedule(DAILY, timedelta(hours=18)), partial(digest, services)),
        Job("reconcile", Schedule(timedelta(minutes=5)), partial(reconcile, services)),
        Job("transfers", Schedule(timedelta(minutes=15)), partial(transfers, services)),
    ]

