"""Each risk trigger fires at its boundary and not before, once, with the right notification."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from core.bus import EventBus, EventRecorder
from core.config import Limits
from core.db.models import EquitySnapshot, Position, StrategyStatus, Subscription, SubscriptionStatus
from core.events import (
    CopyFailed,
    DrawdownWarning,
    StopLossHit,
    SubscriptionPaused,
    TakeProfitHit,
    TraderResumed,
    TraderSuspended,
    utcnow,
)
from core.risk.monitor import RiskMonitor
from core.risk.rules import check_drawdown
from core.services.subscriptions import SubscriptionControl
from tests import factories

D = Decimal
PRICE = {"XRP/USDT": D(1)}


async def price_of(sub: Subscription, symbol: str) -> Decimal:
    return PRICE[symbol]


@pytest.fixture
async def rig(db: str):  # type: ignore[no-untyped-def]
    master = await factories.account(await factories.user(is_trader=True), equity=D(10_000))
    strategy = await factories.strategy(master)
    account = await factories.account(await factories.user(), equity=D(1000))
    sub = await factories.subscription(strategy, account, k=D("0.1"))
    bus = EventBus()
    recorder = EventRecorder(bus)
    stopped: list[tuple[int, str]] = []

    async def stop(s: Subscription, reason: str) -> None:
        stopped.append((s.id, reason))
        await Subscription.filter(id=s.id).update(status=SubscriptionStatus.STOPPED, status_reason=reason)

    invalidated: list[int] = []
    monitor = RiskMonitor(bus, SubscriptionControl(bus, invalidated.append), stop, Limits())
    return monitor, sub, strategy, recorder, stopped, bus


async def set_equity(sub: Subscription, equity: Decimal) -> None:
    """An open XRP position whose unrealized P&L at price 1 makes the subscription's equity exactly `equity`."""
    await Position.filter(subscription_id=sub.id).delete()
    await Position.create(account_id=sub.account_id, subscription=sub, symbol="XRP/USDT", side="long",  # type: ignore[attr-defined]
                          amount=D(100), entry_price=1 - (equity - sub.start_equity) / 100, opened_at=utcnow())


async def check(monitor: RiskMonitor, sub: Subscription, bus: EventBus) -> Decimal:
    fresh = await Subscription.get(id=sub.id)
    equity = await monitor.check_subscription(fresh, price_of)
    await bus.drain()
    return equity


@pytest.mark.parametrize(("field", "pct", "just_before", "at", "event_type", "reason"), [
    ("stop_loss_pct", D(10), D("900.01"), D(900), StopLossHit, "stop_loss"),
    ("take_profit_pct", D(25), D("1249.99"), D(1250), TakeProfitHit, "take_profit"),
])
async def test_stop_loss_and_take_profit_boundaries(rig, field, pct, just_before, at, event_type, reason) -> None:  # type: ignore[no-untyped-def]
    monitor, sub, _, recorder, stopped, bus = rig
    await Subscription.filter(id=sub.id).update(**{field: pct})
    await set_equity(sub, just_before)
    assert await check(monitor, sub, bus) == just_before
    assert stopped == [] and recorder.events == []
    await set_equity(sub, at)
    await check(monitor, sub, bus)
    assert stopped == [(sub.id, reason)]
    [hit] = recorder.of(event_type)
    assert hit.equity == at and hit.threshold == at


async def test_drawdown_warnings_then_pause(rig) -> None:  # type: ignore[no-untyped-def]
    monitor, sub, _, recorder, stopped, bus = rig
    await Subscription.filter(id=sub.id).update(max_drawdown_pct=D(20))
    steps = [(D("900.01"), []), (D(900), [50]), (D(899), []), (D("840.01"), []), (D(840), [80]), (D("800.01"), []), (D(800), [100])]
    for equity, expected in steps:
        recorder.events.clear()
        await set_equity(sub, equity)
        await check(monitor, sub, bus)
        assert [e.level for e in recorder.of(DrawdownWarning)] == expected, equity
    fresh = await Subscription.get(id=sub.id)
    assert (fresh.status, fresh.status_reason) == (SubscriptionStatus.PAUSED, "drawdown_limit")
    assert recorder.of(SubscriptionPaused) and stopped == []


async def test_drawdown_limit_can_stop_instead(rig) -> None:  # type: ignore[no-untyped-def]
    monitor, sub, _, recorder, stopped, bus = rig
    await Subscription.filter(id=sub.id).update(max_drawdown_pct=D(20), drawdown_action="stop")
    await set_equity(sub, D(800))
    await check(monitor, sub, bus)
    assert stopped == [(sub.id, "drawdown_limit")]


def test_a_new_peak_resets_the_warnings() -> None:
    first = check_drawdown(D(1000), D(880), D(20), 0)
    assert (first.warn_level, first.warned) == (50, 50)
    recovered = check_drawdown(D(1000), D(1100), D(20), first.warned)
    assert (recovered.peak, recovered.warned) == (D(1100), 0)
    again = check_drawdown(recovered.peak, D(990), D(20), recovered.warned)  # 10 % below the new peak
    assert again.warn_level == 50


async def test_insufficient_funds_pauses(rig) -> None:  # type: ignore[no-untyped-def]
    monitor, sub, strategy, recorder, _, bus = rig
    bus.publish(CopyFailed(subscription_id=sub.id, user_id=1, strategy_id=strategy.id, master_event_id=1,
                           copy_order_id=1, symbol="XRP/USDT", side="buy", reason="invalid_order"))
    await bus.drain()
    assert (await Subscription.get(id=sub.id)).status == SubscriptionStatus.ACTIVE  # other failures do not pause
    bus.publish(CopyFailed(subscription_id=sub.id, user_id=1, strategy_id=strategy.id, master_event_id=1,
                           copy_order_id=1, symbol="XRP/USDT", side="buy", reason="insufficient_funds"))
    await bus.drain()
    fresh = await Subscription.get(id=sub.id)
    assert (fresh.status, fresh.status_reason) == (SubscriptionStatus.PAUSED, "insufficient_funds")
    assert recorder.of(SubscriptionPaused)[0].reason == "insufficient_funds"


async def test_trader_suspension_and_resume(rig) -> None:  # type: ignore[no-untyped-def]
    monitor, sub, strategy, recorder, _, bus = rig
    now = utcnow()
    for days_ago, equity in [(8, D(20_000)), (6, D(10_000)), (3, D(9_000))]:
        await EquitySnapshot.create(strategy=strategy, taken_at=now - timedelta(days=days_ago), equity=equity)
    last = await EquitySnapshot.create(strategy=strategy, taken_at=now, equity=D(8_500))  # exactly 15 %: not beyond
    assert not await monitor.check_trader(strategy)
    last.equity = D("8499.99")
    await last.save()
    assert await monitor.check_trader(strategy)  # the 8-day-old 20,000 is outside the window
    await bus.drain()
    assert (await type(strategy).get(id=strategy.id)).status == StrategyStatus.SUSPENDED
    [event] = recorder.of(TraderSuspended)
    assert event.admin and event.drawdown_pct > D(15)
    assert (await Subscription.get(id=sub.id)).status == SubscriptionStatus.ACTIVE  # followers keep positions
    assert await monitor.resume_trader(strategy)
    await bus.drain()
    assert (await type(strategy).get(id=strategy.id)).status == StrategyStatus.APPROVED
    assert recorder.of(TraderResumed)
