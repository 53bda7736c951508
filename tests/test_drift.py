"""Drift reconciliation on the paper exchange: alerts beyond the threshold, one idempotent correction."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.bus import EventBus, EventRecorder
from core.config import Limits, Settings
from core.db.models import CopyOrder, CopyOrderStatus, MasterEvent, Position, SubscriptionStatus
from core.engine.drift import DriftAlerts, reconcile_drift
from core.engine.recovery import recover
from core.engine.replicator import ReplicationEngine
from core.events import CopyFailed, DriftDetected
from core.exchange.base import Order, OrderRequest
from core.exchange.feeds import SyntheticFeed
from core.exchange.paper import PaperExchange
from core.exchange.provider import Gateways
from tests import factories

D = Decimal
SYMBOL = "XRP/USDT"
NOW = datetime(2025, 1, 31, 10, 0, 30, tzinfo=UTC)


async def setup():  # type: ignore[no-untyped-def]
    """Two followers (k = 0.1) that copied a master buy of 1,000 XRP: 100 XRP each."""
    venue = PaperExchange(SyntheticFeed({SYMBOL: D("1.0000"), "BTC/USDT": D("100.00")}, seed=1), fee_rate=D(0))
    master = await factories.account(await factories.user(is_trader=True), equity=D(10000))
    strat = await factories.strategy(master)
    subs, accounts = [], []
    for _ in range(2):
        acct = await factories.account(await factories.user(), equity=D(1000))
        venue.open_account(str(acct.id), {"USDT": D(1000)})
        subs.append(await factories.subscription(strat, acct, k=D("0.1")))
        accounts.append(acct)
    bus = EventBus()
    recorder = EventRecorder(bus)
    engine = ReplicationEngine(Gateways(Settings(), paper=venue), bus, Limits())
    now = datetime.now(UTC)
    await engine.replicate(await MasterEvent.create(
        strategy=strat, exchange_event_id="t:1", kind="fill", symbol=SYMBOL, side="buy", amount=D(1000),
        price=D("1.0000"), occurred_at=now, detected_at=now,
    ))
    return venue, engine, bus, recorder, subs, accounts


async def trade_by_hand(venue: PaperExchange, acct, symbol: str, side: str, amount: str, cid: str) -> None:  # type: ignore[no-untyped-def]
    """The follower trades on their own account, outside the engine."""
    await venue.gateway(str(acct.id)).create_order(OrderRequest(symbol, side, "market", D(amount), cid))  # type: ignore[arg-type]


async def test_drift_beyond_the_threshold_alerts_the_admins(db: str) -> None:
    venue, engine, bus, recorder, subs, accounts = await setup()
    assert all(r.drift_pct == 0 for r in await reconcile_drift(engine, threshold_pct=D(5), auto_correct=False))
    await trade_by_hand(venue, accounts[0], SYMBOL, "sell", "30", "own-1")

    reports = {r.subscription_id: r for r in await reconcile_drift(engine, threshold_pct=D(5), auto_correct=False)}
    await bus.drain()
    drifted, steady = reports[subs[0].id], reports[subs[1].id]
    assert (drifted.expected, drifted.actual, drifted.drift_pct, drifted.alerted) == (D(100), D(70), D(30), True)
    assert (steady.drift_pct, steady.alerted) == (D(0), False)
    [alert] = recorder.of(DriftDetected)
    assert (alert.admin, alert.subscription_id, alert.expected, alert.actual, alert.corrected) == (True, subs[0].id, D(100), D(70), False)
    assert await CopyOrder.all().count() == 2  # reporting alone places nothing

    below = await reconcile_drift(engine, threshold_pct=D(30), auto_correct=False)
    await bus.drain()
    assert not any(r.alerted for r in below) and len(recorder.of(DriftDetected)) == 1


async def test_a_lasting_drift_is_told_once_until_it_grows_or_ends(db: str) -> None:
    venue, engine, bus, recorder, subs, accounts = await setup()
    alerts = DriftAlerts()  # what the running process keeps between runs

    async def run() -> list[Decimal]:
        await reconcile_drift(engine, threshold_pct=D(10), auto_correct=False, alerts=alerts)
        await bus.drain()
        return [a.drift_pct for a in recorder.of(DriftDetected)]

    await trade_by_hand(venue, accounts[0], SYMBOL, "sell", "30", "own-1")
    assert await run() == [D(30)]
    assert await run() == [D(30)]  # still 30 %: not told again
    await trade_by_hand(venue, accounts[0], SYMBOL, "sell", "5", "own-2")
    assert await run() == [D(30)]  # 35 %: less than another threshold (10 points) worse
    await trade_by_hand(venue, accounts[0], SYMBOL, "sell", "10", "own-3")
    assert await run() == [D(30), D(45)]  # 45 %: worse by more than the threshold
    await trade_by_hand(venue, accounts[0], SYMBOL, "buy", "45", "own-4")
    assert await run() == [D(30), D(45)]  # back on course: the memory is cleared
    await trade_by_hand(venue, accounts[0], SYMBOL, "sell", "30", "own-5")
    assert await run() == [D(30), D(45), D(30)]  # a new drift is news again


async def test_auto_correct_places_one_order_per_minute(db: str) -> None:
    venue, engine, bus, recorder, subs, accounts = await setup()
    await trade_by_hand(venue, accounts[0], SYMBOL, "sell", "30", "own-1")
    paper = venue.account(str(accounts[0].id))

    [report] = [r for r in await reconcile_drift(engine, threshold_pct=D(5), auto_correct=True, now=NOW) if r.alerted]
    assert report.skipped is None and report.correction is not None
    row = await CopyOrder.get(id=report.correction.id).select_related("master_event")
    assert (row.side, row.amount, row.status, row.order_type) == ("buy", D(30), CopyOrderStatus.FILLED, "market")
    assert (row.master_event.kind, row.master_event.exchange_event_id) == ("drift", f"drift:{subs[0].id}:{SYMBOL}:20250131T1000")
    assert paper.free["XRP"] == D(100) and len(paper.orders) == 3  # the copy, the follower's own sale, the correction
    position = await Position.get(subscription_id=subs[0].id, symbol=SYMBOL, closed_at=None)
    assert position.amount == D(100)  # booked down to the 70 held, then the 30 bought

    again = await reconcile_drift(engine, threshold_pct=D(5), auto_correct=True, now=NOW + timedelta(seconds=20))
    await bus.drain()
    assert not any(r.alerted for r in again) and len(paper.orders) == 3
    [alert] = recorder.of(DriftDetected)
    assert alert.corrected
    assert await recover(engine) == 0  # the synthetic event is no fan-out for recovery to redo


async def test_failed_correction_is_not_retried_within_the_minute(db: str) -> None:
    venue, engine, bus, recorder, subs, accounts = await setup()
    await trade_by_hand(venue, accounts[0], SYMBOL, "sell", "30", "own-1")
    await trade_by_hand(venue, accounts[0], "BTC/USDT", "buy", "9.2", "own-2")  # spends the USDT the correction needs
    paper = venue.account(str(accounts[0].id))

    [report] = [r for r in await reconcile_drift(engine, threshold_pct=D(5), auto_correct=True, now=NOW) if r.alerted]
    assert report.correction is not None and report.correction.status == CopyOrderStatus.FAILED
    assert report.correction.reason == "insufficient_funds"
    [rerun] = [r for r in await reconcile_drift(engine, threshold_pct=D(5), auto_correct=True, now=NOW) if r.alerted]
    assert (rerun.skipped, rerun.correction.id) == ("correction_exists", report.correction.id)  # type: ignore[union-attr]
    await bus.drain()
    assert len(recorder.of(CopyFailed)) == 1 and len(paper.orders) == 3

    await trade_by_hand(venue, accounts[0], "BTC/USDT", "sell", "9.2", "own-3")
    [later] = [r for r in await reconcile_drift(engine, threshold_pct=D(5), auto_correct=True, now=NOW + timedelta(minutes=1)) if r.alerted]
    assert later.correction is not None and later.correction.status == CopyOrderStatus.FILLED
    assert paper.free["XRP"] == D(100)
    assert await CopyOrder.filter(master_event__kind="drift").count() == 2


async def master_exit(engine: ReplicationEngine, strategy_id: int) -> None:
    now = datetime.now(UTC)
    await engine.replicate(await MasterEvent.create(
        strategy_id=strategy_id, exchange_event_id="t:2", kind="fill", symbol=SYMBOL, side="sell", amount=D(1000),
        price=D("1.0000"), position_before=D(1000), occurred_at=now, detected_at=now,
    ))


async def test_a_correction_the_exchange_cancels_unfilled_is_told(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    venue, engine, bus, recorder, subs, accounts = await setup()
    await trade_by_hand(venue, accounts[0], SYMBOL, "sell", "30", "own-1")

    def cancel_at_once(account_id: str, request: OrderRequest) -> Order:  # an exchange that fills none of it
        return Order("cancelled-1", request.client_order_id, request.symbol, request.side, request.type, "canceled", request.amount)

    monkeypatch.setattr(venue, "place", cancel_at_once)
    [report] = [r for r in await reconcile_drift(engine, threshold_pct=D(5), auto_correct=True, now=NOW) if r.alerted]
    assert report.correction is not None
    assert (report.correction.status, report.correction.reason) == (CopyOrderStatus.CANCELLED, "order_cancelled")
    await bus.drain()
    assert [e.reason for e in recorder.of(CopyFailed)] == ["order_cancelled"]


async def test_position_kept_after_the_master_exit_is_sold(db: str) -> None:
    """Follower 2 was paused through the master's exit and still holds: the correction sells it (one order)."""
    venue, engine, bus, recorder, subs, accounts = await setup()
    subs[1].status = SubscriptionStatus.PAUSED
    await subs[1].save()
    engine.invalidate(subs[1].strategy_id)
    await master_exit(engine, subs[1].strategy_id)
    subs[1].status = SubscriptionStatus.ACTIVE
    await subs[1].save()
    engine.invalidate(subs[1].strategy_id)

    reports = {r.subscription_id: r for r in await reconcile_drift(engine, threshold_pct=D(5), auto_correct=True, now=NOW)}
    assert subs[0].id not in reports  # copied the exit: nothing held, nothing expected
    held = reports[subs[1].id]
    assert (held.expected, held.actual, held.drift_pct) == (D(0), D(100), D(100))
    assert held.correction is not None and (held.correction.side, held.correction.amount) == ("sell", D(100))
    assert venue.account(str(accounts[1].id)).free["XRP"] == 0
    assert not await Position.filter(subscription_id=subs[1].id, closed_at=None).exists()


async def test_holding_sold_by_hand_is_booked_down(db: str) -> None:
    """Follower 2 sold by hand, so its copied exit failed; the master is flat: nothing to order, the books follow the exchange."""
    venue, engine, bus, recorder, subs, accounts = await setup()
    await trade_by_hand(venue, accounts[1], SYMBOL, "sell", "100", "own-1")
    await master_exit(engine, subs[1].strategy_id)
    assert await Position.filter(subscription_id=subs[1].id, closed_at=None).exists()

    [left] = await reconcile_drift(engine, threshold_pct=D(5), auto_correct=True, now=NOW)
    assert (left.subscription_id, left.expected, left.actual, left.alerted, left.correction) == (subs[1].id, D(0), D(0), False, None)
    assert not await Position.filter(subscription_id=subs[1].id, closed_at=None).exists()
