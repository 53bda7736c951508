"""The whole journey of a follower through the real dispatcher, over HTTP, with Telegram's flood limits:
onboarding → demo account → the leaderboard → the card → subscribe in three steps → the master
trades on the paper venue (detected by the real MasterWatcher, replicated by the real engine) →
the copied trades arrive as notifications → the portfolio shows the position → unsubscribe closes it.
And: a 429 on a burst of notifications is waited out and every message still arrives, in order.
"""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal

from bot.notifier import DeliveryLimits
from bot.notifier.render import money
from bot.sandbox import FloodLimits, UserDriver
from bot.sandbox.state import StoredMessage
from core.db.models import (
    CopyOrder,
    CopyOrderStatus,
    MasterEvent,
    Position,
    Strategy,
    Subscription,
    SubscriptionStatus,
    User,
)
from core.engine.watcher import MasterWatcher, WatcherConfig
from core.exchange.base import OrderRequest
from core.exchange.paper import PaperGateway
from core.risk.equity import account_equity
from tests.bot_harness import BotHarness, press_like, start_bot
from tests.trading_world import published

D = Decimal
SYMBOL = "XRP/USDT"
TERMS = dict(min_deposit=D(1000), subscription_step=D(100), recommended_deposit=D(2000))
HISTORY = [1000, 1020, 1010, 1050, 1080, 1100]  # the master's daily equity: +10 % in all
DEMO_BALANCE = D(10_000)
WAIT = 10.0  # seconds: a notification may wait out the chat's 1 message/s and a 429


@contextlib.asynccontextmanager
async def watching(h: BotHarness, strategy: Strategy) -> AsyncIterator[PaperGateway]:
    """The master's paper account with its stored equity in USDT, and the real MasterWatcher on its
    push queue handing every new master event to the harness's engine; yields the master's gateway."""
    strategy = await Strategy.get(id=strategy.id).select_related("account")
    gateway = h.paper.open_account(str(strategy.account.id), {"USDT": D(strategy.account.equity)})
    watcher = MasterWatcher.for_strategy(strategy, gateway, h.engine.replicate,
                                         WatcherConfig(symbols=(SYMBOL,), push_poll_interval=0.2))
    task = asyncio.create_task(watcher.run())
    try:
        async with asyncio.timeout(5):
            while watcher.polls == 0 and not task.done():
                await asyncio.sleep(0.01)
        if task.done():
            task.result()
        yield gateway
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def master_order(gateway: PaperGateway, n: int, side: str, amount: str) -> None:
    await gateway.create_order(OrderRequest(SYMBOL, side, "market", D(amount), f"master-{n}"))  # type: ignore[arg-type]


def notifications(user: UserDriver) -> list[str]:
    """The chat's messages that are notifications (each flow screen is edited in place, they are not)."""
    marks = ("Trade copied", "Trade not copied", "Order not placed", "Copying stopped")
    return [m.content for m in user.messages if any(mark in m.content for mark in marks)]


async def onboarding(h: BotHarness, ann: UserDriver) -> StoredMessage:
    """(1) /start → the language (English offered first, from Telegram's language code) → the disclaimer."""
    await ann.send("/start")
    welcome = await ann.wait_for("Choose your language")
    assert welcome.buttons == ["✓ English", "Русский"]
    await press_like(ann, "English")
    disclaimer = await ann.wait_for("Risks", kinds=("edit",))
    assert "cannot withdraw" in disclaimer.content and disclaimer.buttons == ["✅ I understand and accept"]
    await ann.press("✅ I understand and accept")
    menu = await ann.wait_for("Main menu", kinds=("edit",))
    assert (await ann.wait_for_answer()).text == "Thank you!"
    user = await h.db_user(ann)
    assert user.language == "en" and user.disclaimer_accepted_at is not None
    return menu


async def subscribing(ann: UserDriver) -> StoredMessage:
    """(2) a demo account, the leaderboard, the card, and the three steps of subscribing."""
    await ann.press("🔑 My keys")
    await ann.wait_for("My keys", kinds=("edit",))
    await ann.press("🎮 Demo account")
    assert "10000.00 USDT of virtual money" in (await ann.wait_for("demo account is ready", kinds=("edit",))).content
    await ann.press("⬅️ My keys")
    await ann.wait_for("Demo", kinds=("edit",))
    await ann.press("⬅️ Main menu")
    await ann.wait_for("Main menu", kinds=("edit",))

    await ann.press("🔎 Discover traders")
    board = await ann.wait_for("Traders", kinds=("edit",))
    assert "1. Alpha" in board.content and "1. Alpha" in board.buttons
    await ann.press("1. Alpha")
    card = await ann.wait_for(lambda m: m.has_photo)
    assert ann.photo_bytes(card).startswith(b"\x89PNG")  # the yield chart
    for line in ("👥 Subscribers: 0", "📈 Yield: +10.00%", "💰 Minimum deposit: 1000.00 USDT"):
        assert line in card.content, line
    assert card.buttons == ["✅ Subscribe", "⬅️ Back"]

    await ann.press("✅ Subscribe")  # step 1: the strategy
    await ann.wait_for("step 2 of 3")
    await ann.press("🎮 Demo · 10000.00 USDT")  # step 2: the account, the amount, the limits
    await ann.wait_for("How much should copy this trader?", kinds=("edit",))
    await ann.send("2000")
    await ann.wait_for("Maximum drawdown")
    for step in ("Stop-loss", "Take-profit"):
        await ann.press("Skip")
        await ann.wait_for(step, kinds=("edit",))
    await ann.press("Skip")
    confirm = await ann.wait_for("step 3 of 3", kinds=("edit",))  # step 3: confirm
    assert "Amount: 2000.00 USDT (20.00% of 10000.00 USDT)" in confirm.content
    assert "Copy ratio k: 0.020000" in confirm.content  # 2,000 ÷ the master's 100,000
    await ann.press("✅ Confirm")
    return await ann.wait_for("You are subscribed", kinds=("edit",))


async def test_the_whole_journey_from_start_to_unsubscribe(db: str) -> None:
    async with start_bot(db, flood=FloodLimits(), notify=True) as h:
        strategy = await published("Alpha", HISTORY, master_equity=D(100_000), **TERMS)
        ann = h.user("Ann")
        async with watching(h, strategy) as master:
            await onboarding(h, ann)
            done = await subscribing(ann)
            assert "2000.00 USDT (k = 0.020000)" in done.content
            sub = await Subscription.get(follower__telegram_id=ann.id)
            assert (sub.status, sub.multiplier) == (SubscriptionStatus.ACTIVE, D("0.02"))

            # (3) the master trades on the paper venue; the watcher detects it, the engine copies it
            await master_order(master, 1, "buy", "10000")
            bought = await ann.wait_for("Trade copied: BUY 200 XRP/USDT at 0.50", timeout=WAIT)
            await master_order(master, 2, "sell", "5000")
            sold = await ann.wait_for("Trade copied: SELL 100 XRP/USDT at 0.50", timeout=WAIT)
            assert "Fee: 0.10" in bought.content and "Fee: 0.05" in sold.content
            events = await MasterEvent.filter(strategy_id=strategy.id).order_by("id")
            assert [(e.kind, e.side, e.amount, e.exchange_event_id[:2]) for e in events] == [
                ("fill", "buy", D(10000), "t:"), ("fill", "sell", D(5000), "t:")]  # from the venue's trade ids
            rows = await CopyOrder.filter(subscription_id=sub.id).order_by("id")
            assert [(r.side, r.amount, r.status) for r in rows] == [
                ("buy", D(200), CopyOrderStatus.FILLED), ("sell", D(100), CopyOrderStatus.FILLED)]

        # (4) the price moves; the portfolio shows the copied position and its value
        for _ in range(5):
            await h.paper.feed.advance()
        follower = h.paper.gateway(str((await Subscription.get(id=sub.id).prefetch_related("account")).account.id))
        held = (await follower.fetch_balance())["XRP"].total
        assert held == 100
        value = D(2000) + await account_equity(follower) - DEMO_BALANCE  # the account holds only this copy
        await ann.press("💼 My portfolio")
        listing = await ann.wait_for("My portfolio", kinds=("edit",))
        assert "Alpha · ▶️ active" in listing.content and f"now {money(value)} USDT" in listing.content
        await ann.press("📊 Alpha")
        detail = await ann.wait_for("Status:", kinds=("edit",))
        for line in ("Status: ▶️ active", "Allocation: 2000.00 USDT · k 0.020000", f"Current value: {money(value)} USDT",
                     "XRP/USDT long 100 @ 0.50", "SELL 100 XRP/USDT — filled", "BUY 200 XRP/USDT — filled"):
            assert line in detail.content, line

        # (5) unsubscribing closes the position on the venue; the screen and the notifications say so
        await ann.press("🚪 Unsubscribe")
        await ann.wait_for("Close its positions at market now", kinds=("edit",))
        await ann.press("Close positions")
        await ann.wait_for("close all its positions at market?", kinds=("edit",))
        await ann.press("Yes, unsubscribe")
        await ann.wait_for("its positions are closed", kinds=("edit",))
        closed = await ann.wait_for("Trade copied: SELL 100 XRP/USDT", timeout=WAIT)
        stopped = await ann.wait_for("Copying stopped", timeout=WAIT)
        assert stopped.content.splitlines()[1:] == ["Reason: you unsubscribed", "Open positions were closed."]
        assert "XRP" not in await follower.fetch_balance() or (await follower.fetch_balance())["XRP"].total == 0
        await sub.refresh_from_db()
        assert sub.status == SubscriptionStatus.CANCELLED
        assert await Position.filter(subscription_id=sub.id, closed_at=None, amount__gt=0).count() == 0

        await ann.press("⬅️ My portfolio")
        assert "You do not copy anyone yet" in (await ann.wait_for("My portfolio", kinds=("edit",))).content
        await h.bus.drain()
        assert h.notifier is not None
        await h.notifier.drain()
        assert notifications(ann) == [bought.content, sold.content, closed.content, stopped.content]
        assert h.notifier.stats.failed == 0
        assert not any("Sorry, something went wrong" in m.content for m in ann.messages)


async def test_a_429_on_a_burst_of_notifications_is_waited_out_and_all_arrive_in_order(db: str) -> None:
    """The notifier set looser than Telegram (5/s in a chat, no digest): the sandbox answers 429."""
    loose = DeliveryLimits(private_rate=5, private_burst=5, digest_threshold=100)
    async with start_bot(db, flood=FloodLimits(), notify=True, delivery=loose) as h:
        strategy = await published("Alpha", HISTORY, master_equity=D(100_000), **TERMS)
        bob = h.user("Bob")
        await h.onboard(bob)
        accounts = h.dispatcher["accounts"]
        account, _ = await accounts.open_demo(await User.get(telegram_id=bob.id))
        await Subscription.create(follower=await h.db_user(bob), strategy=strategy, account=account,
                                  multiplier=D("0.02"), allocation=D(2000), start_equity=D(2000),
                                  high_water_mark=D(2000), peak_equity=D(2000))
        amounts = [1000 + 100 * i for i in range(6)]  # the copies: 20, 22, ... 30 XRP
        async with watching(h, strategy) as master:
            for n, amount in enumerate(amounts, start=1):
                await master_order(master, n, "buy", str(amount))
            await bob.wait_for(f"Trade copied: BUY {amounts[-1] // 50} XRP/USDT", timeout=WAIT)
        assert h.notifier is not None
        await h.notifier.drain()
        assert [text.split(" XRP")[0] for text in notifications(bob)] == [
            f"✅ Trade copied: BUY {amount // 50}" for amount in amounts]
        assert h.sandbox.flood.total_hits >= 1
        assert h.notifier.stats.rate_limited == h.sandbox.flood.total_hits  # every 429 was the notifier's, waited out
        assert h.notifier.stats.failed == 0 and h.notifier.stats.delivered == len(amounts)
