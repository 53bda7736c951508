"""Subscription rules: each refusal has its own reason and writes nothing; terms follow the spec."""
from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from core.bus import EventBus, EventRecorder
from core.config import Limits
from core.db.models import Position, StrategyStatus, Subscription, SubscriptionStatus
from core.errors import SubscriptionRefused
from core.events import SubscriptionPaused, SubscriptionResumed, utcnow
from core.services.subscriptions import RiskLimits, SubscriptionControl, quote, requested_amount, subscribe
from tests import factories

D = Decimal
LIMITS = Limits()


@pytest.fixture
async def world(db: str):  # type: ignore[no-untyped-def]
    master = await factories.account(await factories.user(is_trader=True), equity=D(100_000))
    strategy = await factories.strategy(master, min_deposit=D(1000), subscription_step=D(100),
                                        recommended_deposit=D(2000), fee_fixed=D(10), profit_share_pct=D(20))
    follower = await factories.user()
    account = await factories.account(follower, equity=D(10_000))
    return strategy, follower, account


async def q(world, requested: Decimal, **kw):  # type: ignore[no-untyped-def]
    strategy, follower, account = world
    return await quote(follower, account, strategy, requested, LIMITS, equity=D(10_000), master_equity=D(100_000), **kw)


async def test_terms_snap_to_the_step_and_give_k_and_multiplier(world) -> None:  # type: ignore[no-untyped-def]
    terms = await q(world, D("3456.78"))
    assert terms.amount == D(3400)  # 1,000 + floor(2,456.78 / 100) × 100
    assert terms.k == D("0.034000")  # 3,400 / 100,000
    assert terms.multiplier == D("1.700000")  # 3,400 / 2,000
    assert terms.allocation_pct == D("34.00")
    assert (terms.fee_fixed, terms.profit_share_pct) == (D(10), D(20))


@pytest.mark.parametrize(("requested", "reason"), [
    (D(0), "not_positive"),
    (D(-5), "not_positive"),
    (D(999), "below_min_deposit"),
    (D(5001), "above_cap"),  # 50 % of 10,000
    (D(9950), "above_usable"),  # 99 % of 10,000 is 9,900
])
async def test_each_bad_amount_has_its_reason(world, requested: Decimal, reason: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SubscriptionRefused) as refused:
        await q(world, requested)
    assert refused.value.reason == reason
    assert await Subscription.all().count() == 0


async def test_account_rules(world) -> None:  # type: ignore[no-untyped-def]
    strategy, follower, account = world
    await Position.create(account=account, symbol="XRP/USDT", side="long", amount=D(5), opened_at=utcnow())
    with pytest.raises(SubscriptionRefused, match="open_positions"):
        await q(world, D(2000))
    await Position.filter(account_id=account.id).update(closed_at=utcnow())
    other = await factories.strategy(await factories.account(await factories.user(is_trader=True), equity=D(1)))
    await factories.subscription(other, account, k=D(1))
    with pytest.raises(SubscriptionRefused, match="account_busy"):
        await q(world, D(2000))


async def test_margin_strategy_needs_a_margin_account(world) -> None:  # type: ignore[no-untyped-def]
    strategy, follower, account = world
    strategy.is_margin = True
    with pytest.raises(SubscriptionRefused, match="margin_mismatch"):
        await q(world, D(2000))


async def test_unapproved_and_own_strategies(world) -> None:  # type: ignore[no-untyped-def]
    strategy, follower, account = world
    strategy.status = StrategyStatus.PAUSED
    with pytest.raises(SubscriptionRefused, match="strategy_unavailable"):
        await q(world, D(2000))
    strategy.status = StrategyStatus.APPROVED
    trader = await strategy.trader
    with pytest.raises(SubscriptionRefused, match="own_strategy"):
        await quote(trader, await strategy.account, strategy, D(2000), LIMITS, equity=D(1e5), master_equity=D(1e5))


def test_requested_amount_from_percent() -> None:
    assert requested_amount(D(10_000), percent=D(25)) == D(2500)
    with pytest.raises(SubscriptionRefused, match="not_positive"):
        requested_amount(D(10_000), percent=D(0))


async def test_subscribe_pause_resume(world) -> None:  # type: ignore[no-untyped-def]
    strategy, follower, account = world
    terms = await q(world, D(3000))
    sub = await subscribe(follower, account, strategy, terms, RiskLimits(max_drawdown_pct=D(20)), LIMITS,
                          master_equity=D(100_000))
    assert (sub.status, sub.multiplier, sub.allocation, sub.max_drawdown_pct) == (
        SubscriptionStatus.ACTIVE, D("0.03"), D(3000), D(20))
    assert sub.max_allocation_pct == D(30)  # 30 % of the account: the default cap
    bus = EventBus()
    recorder = EventRecorder(bus)
    invalidated: list[int] = []
    control = SubscriptionControl(bus, invalidated.append)
    assert await control.pause(sub, "manual")
    assert not await control.pause(sub, "manual")  # already paused: nothing happens
    assert await control.resume(sub, equity=D(2000), master_equity=D(100_000))
    await bus.drain()
    assert sub.multiplier == D("0.02")  # k recalculated on resume from min(allocation, equity)
    assert [type(e) for e in recorder.events] == [SubscriptionPaused, SubscriptionResumed]
    assert invalidated == [strategy.id, strategy.id]


async def test_bad_risk_limits_are_refused(world) -> None:  # type: ignore[no-untyped-def]
    strategy, follower, account = world
    terms = await q(world, D(3000))
    with pytest.raises(SubscriptionRefused, match="bad_limit"):
        await subscribe(follower, account, strategy, terms, RiskLimits(stop_loss_pct=D(150)), LIMITS, master_equity=D(1e5))
    assert await Subscription.all().count() == 0


async def test_a_double_tapped_confirm_subscribes_once(world) -> None:  # type: ignore[no-untyped-def]
    """Two confirms of the same account at once (a double tap: the bot handles updates concurrently)
    must not both pass the one-live-subscription-per-account check: that would copy every trade twice."""
    strategy, follower, account = world
    terms = await q(world, D(3000))
    outcomes = await asyncio.gather(
        *(subscribe(follower, account, strategy, terms, RiskLimits(), LIMITS, master_equity=D(100_000)) for _ in range(2)),
        return_exceptions=True,
    )
    refused = [o for o in outcomes if isinstance(o, SubscriptionRefused)]
    assert len(refused) == 1 and refused[0].reason == "account_busy", outcomes
    assert await Subscription.filter(account_id=account.id).count() == 1


@pytest.mark.parametrize("take_profit", [D(0), D(-5), D("10000.01"), D("1e30")])
def test_a_take_profit_is_a_gain_of_at_most_100x(take_profit: Decimal) -> None:
    with pytest.raises(SubscriptionRefused, match="bad_limit"):
        RiskLimits(take_profit_pct=take_profit).validate()
    RiskLimits(take_profit_pct=D(10_000)).validate()  # the largest target accepted
