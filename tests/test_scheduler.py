"""A simulated month on a fake clock, with a restart in the middle: every job runs exactly once per
period, a period missed while down is caught up within that period, and no fee is charged twice."""
from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from core.bus import EventBus, EventRecorder
from core.config import Limits, Settings
from core.db.models import EquitySnapshot, JobRun, LedgerEntry, Position, Subscription
from core.engine.replicator import ReplicationEngine
from core.events import FeeCharged, PortfolioDigest
from core.exchange.feeds import SyntheticFeed
from core.exchange.paper import PaperExchange
from core.exchange.provider import Gateways
from core.jobs import JobServices, build_jobs
from core.risk.monitor import RiskMonitor
from core.scheduler import JobRunner, Schedule
from core.services.subscriptions import SubscriptionControl
from tests import factories

D = Decimal
START = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
STEP = timedelta(minutes=5)


def test_schedule_periods() -> None:
    daily_10 = Schedule(timedelta(days=1), timedelta(hours=10))
    assert daily_10.period_start(datetime(2026, 3, 5, 9, 59, tzinfo=UTC)) == datetime(2026, 3, 4, 10, tzinfo=UTC)
    assert daily_10.period_start(datetime(2026, 3, 5, 10, 0, tzinfo=UTC)) == datetime(2026, 3, 5, 10, tzinfo=UTC)
    quarter = Schedule(timedelta(minutes=15))
    assert quarter.period_start(datetime(2026, 3, 5, 10, 29, 59, tzinfo=UTC)) == datetime(2026, 3, 5, 10, 15, tzinfo=UTC)


async def test_a_month_with_a_restart(db: str) -> None:
    venue = PaperExchange(SyntheticFeed({"XRP/USDT": D(1)}, seed=3), fee_rate=D(0))
    master = await factories.account(await factories.user(is_trader=True), equity=D(10_000))
    venue.open_account(str(master.id), {"USDT": D(10_000)})
    fixed = await factories.strategy(master, fee_fixed=D(10), fee_period_days=7)
    share = await factories.strategy(master, profit_share_pct=D(20))
    subs = []
    for strategy in (fixed, share):
        account = await factories.account(await factories.user(), equity=D(1000))
        venue.open_account(str(account.id), {"USDT": D(1000)})
        sub = await factories.subscription(strategy, account, k=D("0.1"), high_water_mark=D(1000))
        await Subscription.filter(id=sub.id).update(created_at=START)
        subs.append(sub)
    pnl_on_day = {3: D(100), 10: D(50), 20: D(-200), 25: D(250)}  # realized P&L of the profit-share follower

    bus = EventBus()
    recorder = EventRecorder(bus)
    gateways = Gateways(Settings(), paper=venue)
    engine = ReplicationEngine(gateways, bus, Limits())
    control = SubscriptionControl(bus, engine.invalidate)

    async def no_stop(sub: Subscription, reason: str) -> None:
        raise AssertionError("no risk limit is set in this test")

    def runner(clock: list[datetime]) -> JobRunner:
        monitor = RiskMonitor(bus, control, no_stop, Limits())
        return JobRunner(build_jobs(JobServices(engine, gateways, bus, monitor)), clock=lambda: clock[0])

    now = [START]
    current = runner(now)
    realized = D(0)
    restarted = False
    down = (START + timedelta(days=15, hours=9, minutes=58), START + timedelta(days=15, hours=11, minutes=7))
    while now[0] < START + timedelta(days=30):
        day = (now[0] - START).days
        if now[0].time() == datetime.min.time() and day in pnl_on_day:
            realized += pnl_on_day[day]
            await Position.filter(subscription_id=subs[1].id).delete()
            await Position.create(account_id=subs[1].account_id, subscription_id=subs[1].id, symbol="XRP/USDT",  # type: ignore[attr-defined]
                                  side="long", amount=0, realized_pnl=realized, opened_at=now[0], closed_at=now[0])
        if down[0] <= now[0] < down[1]:
            now[0] += STEP
            continue  # the process is down
        if not restarted and now[0] >= down[1]:
            current, restarted = runner(now), True  # a new process: nothing in memory
        await current.run_due(now[0])
        now[0] += STEP
    await bus.drain()

    runs = Counter((job, key) for job, key in await JobRun.all().values_list("job", "period_key"))
    assert all(count == 1 for count in runs.values())
    per_job = Counter(job for job, _ in runs)
    # the first tick (March 1, 00:00) is still inside the periods that began on February 28 at
    # 00:10, 10:00 and 18:00, so those daily jobs count 31 periods, midnight's counts 30
    assert per_job["equity_daily"] == 30
    assert per_job["fees"] == per_job["digest"] == 31
    assert per_job["recalc_k"] == 31  # day 15's 10:00 period began while down and ran at 11:10
    assert per_job["risk_intraday"] == per_job["transfers"] == 30 * 96 - 4  # 10:00 to 10:45 passed entirely while down
    assert per_job["reconcile"] == 30 * 288 - 14  # one per 5-minute tick, 14 ticks down
    assert await JobRun.filter(finished_at=None).count() == 0

    fixed_fees = await LedgerEntry.filter(subscription_id=subs[0].id).order_by("id").values_list("period_key", "amount")
    assert fixed_fees == [(f"period-{n}", D(10)) for n in range(5)]  # days 0, 7, 14, 21, 28
    shares = await LedgerEntry.filter(subscription_id=subs[1].id).order_by("id").values_list("period_key", "amount")
    # equity 1100 → 20 % of 100 = 20 (mark 1080); 1130 → 10 (mark 1120); 920 then 1170 → 10 (mark 1160)
    assert shares == [("2026-03-04", D(20)), ("2026-03-11", D(10)), ("2026-03-26", D(10))]
    assert (await Subscription.get(id=subs[1].id)).high_water_mark == D(1160)
    assert len(recorder.of(FeeCharged)) == 8
    assert len(recorder.of(PortfolioDigest)) == 62
    assert await EquitySnapshot.filter(period="daily", strategy_id=fixed.id).count() == 30
