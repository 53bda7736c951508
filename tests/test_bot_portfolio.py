"""The portfolio end to end: a subscription that copied a real (paper) trade, its figures, pause and
resume (k recalculated), unsubscribe closing or keeping positions, and forged buttons that must
not reach someone else's subscription."""
from __future__ import annotations

from decimal import Decimal

from bot.sandbox import UserDriver
from bot.sandbox.state import StoredMessage
from core.db.models import CopyOrderStatus, ExchangeAccount, Position, Strategy, Subscription, SubscriptionStatus
from tests.bot_harness import BotHarness, harness  # noqa: F401  (fixture)
from tests.trading_world import demo_account, master_fill, published

D = Decimal
PRICE = "0.5000"  # the harness's paper XRP/USDT price


async def copying(h: BotHarness, user: UserDriver) -> tuple[Strategy, Subscription, ExchangeAccount]:
    """`user` follows "Alpha" with 2,000 of a 10,000 demo account (k = 0.02) and copied a buy of 10,000 XRP."""
    await h.onboard(user)
    account = await demo_account(h, user)
    strategy = await published("Alpha", [1000, 1100], master_equity=D(100_000))
    sub = await Subscription.create(follower=await h.db_user(user), strategy=strategy, account=account,
                                    multiplier=D("0.02"), allocation=D(2000), start_equity=D(2000),
                                    high_water_mark=D(2000), peak_equity=D(2000), max_drawdown_pct=D(30))
    fan = await h.engine.replicate(await master_fill(strategy, 1, "buy", "10000", PRICE))
    assert [row.status for row in fan.rows] == [CopyOrderStatus.FILLED]
    return strategy, sub, account


async def open_detail(user: UserDriver) -> StoredMessage:
    await user.press("💼 My portfolio")
    listing = await user.wait_for("My portfolio", kinds=("edit",))
    assert "Alpha · ▶️ active" in listing.content
    await user.press("📊 Alpha")
    return await user.wait_for("Status:", kinds=("edit",))


async def test_detail_shows_value_pnl_drawdown_positions_and_copies(harness: BotHarness) -> None:
    ann = harness.user("Ann")
    await copying(harness, ann)
    detail = await open_detail(ann)
    for line in ("Alpha · account Demo", "Status: ▶️ active", "Allocation: 2000.00 USDT · k 0.020000",
                 "Current value: ", "P&L: realized ", "Drawdown: ", "of the 30.00% limit",
                 "XRP/USDT long 200", "BUY 200 XRP/USDT — filled"):
        assert line in detail.content, line
    assert detail.buttons == ["⏸ Pause", "🚪 Unsubscribe", "🔄 Refresh", "⬅️ My portfolio"]


async def test_pause_and_resume_recalculates_k(harness: BotHarness) -> None:
    bob = harness.user("Bob")
    strategy, sub, _ = await copying(harness, bob)
    await open_detail(bob)
    await bob.press("⏸ Pause")
    paused = await bob.wait_for("⏸ paused", kinds=("edit",))
    assert (await bob.wait_for_answer()).text == "Copying paused."
    assert "Status: ⏸ paused (at your request)" in paused.content and "▶️ Resume" in paused.buttons
    await sub.refresh_from_db()
    assert (sub.status, sub.status_reason) == (SubscriptionStatus.PAUSED, "manual")

    master = await strategy.account
    master.equity = D(50_000)  # the trader's account halved meanwhile
    await master.save()
    await bob.press("▶️ Resume")
    resumed = await bob.wait_for("▶️ active", kinds=("edit",))
    assert (await bob.wait_for_answer()).text == "Copying resumed."
    await sub.refresh_from_db()
    assert (sub.status, sub.multiplier) == (SubscriptionStatus.ACTIVE, D("0.04"))  # 2,000 ÷ 50,000
    assert "k 0.040000" in resumed.content
    assert [f.subscription.multiplier for f in await harness.engine.book.followers(strategy.id)] == [D("0.04")]


async def test_forged_buttons_cannot_touch_someone_elses_subscription(harness: BotHarness) -> None:
    cleo, mallory = harness.user("Cleo"), harness.user("Mallory")
    _, sub, _ = await copying(harness, cleo)
    menu = await harness.onboard(mallory)
    for action in ("open", "pause", "unsubscribe", "ask_close", "close", "keep"):
        await mallory.press_data(menu.message_id, f"mysub:{action}:{sub.id}")
        assert (await mallory.wait_for_answer()).text == "Subscription not found.", action
    await sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.ACTIVE
    assert await Position.filter(subscription_id=sub.id, closed_at=None).count() == 1
    assert not any("Alpha" in m.content for m in mallory.messages)


async def test_unsubscribe_closing_positions(harness: BotHarness) -> None:
    dan = harness.user("Dan")
    _, sub, account = await copying(harness, dan)
    await open_detail(dan)
    await dan.press("🚪 Unsubscribe")
    ask = await dan.wait_for("Close its positions at market now", kinds=("edit",))
    assert ask.buttons == ["Close positions", "Keep positions", "⬅️ Back"]
    await dan.press("Close positions")
    await dan.wait_for("close all its positions at market?", kinds=("edit",))
    await dan.press("Yes, unsubscribe")
    await dan.wait_for("its positions are closed", kinds=("edit",))
    await sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.CANCELLED
    assert await Position.filter(subscription_id=sub.id, closed_at=None, amount__gt=0).count() == 0
    balances = await harness.paper.gateway(str(account.id)).fetch_balance()
    assert balances.get("XRP") is None or balances["XRP"].total == 0

    await dan.press("⬅️ My portfolio")
    assert "You do not copy anyone yet" in (await dan.wait_for("My portfolio", kinds=("edit",))).content


async def test_unsubscribe_keeping_positions(harness: BotHarness) -> None:
    eve = harness.user("Eve")
    _, sub, account = await copying(harness, eve)
    await open_detail(eve)
    await eve.press("🚪 Unsubscribe")
    await eve.wait_for("Close its positions", kinds=("edit",))
    await eve.press("Keep positions")
    await eve.wait_for("keep its positions?", kinds=("edit",))
    await eve.press("Yes, unsubscribe")
    await eve.wait_for("its positions stay on your account", kinds=("edit",))
    await sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.CANCELLED
    assert await Position.filter(subscription_id=sub.id, closed_at=None, amount=D(200)).count() == 1
    assert (await harness.paper.gateway(str(account.id)).fetch_balance())["XRP"].total > 0
