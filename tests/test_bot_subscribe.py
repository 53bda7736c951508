"""The three-step subscribe flow end to end on a demo account: deep link → card → account, amount
and risk limits → confirm → ACTIVE with the right k; and every refused value with its own reason,
the same step asked again and nothing written."""
from __future__ import annotations

from decimal import Decimal

from bot.sandbox import UserDriver
from bot.sandbox.state import StoredMessage
from core.db.models import Position, Subscription, SubscriptionStatus
from core.events import utcnow
from tests import factories
from tests.bot_harness import BotHarness, harness  # noqa: F401  (fixture)
from tests.trading_world import demo_account, published

D = Decimal
PROMPT = "How much should copy this trader?"
TERMS = dict(min_deposit=D(1000), subscription_step=D(100), recommended_deposit=D(2000), fee_fixed=D(10),
             profit_share_pct=D(20))


async def to_amount_step(h: BotHarness, user: UserDriver, strategy_id: int) -> StoredMessage:
    """Deep link → "View strategy" → card → Subscribe → the demo account: the amount prompt."""
    await user.send(f"/start s_{strategy_id}")
    await user.wait_for("View strategy")
    await user.press("🔎 View strategy")
    await user.wait_for(lambda m: m.has_photo)
    await user.press("✅ Subscribe")
    await user.wait_for("step 2 of 3")
    await user.press("🎮 Demo · 10000.00 USDT")
    return await user.wait_for(PROMPT, kinds=("edit",))


async def test_full_flow_on_a_demo_account_ends_active_with_the_right_k(harness: BotHarness) -> None:
    strategy = await published("Alpha", [1000, 1100], **TERMS)
    ann = harness.user("Ann")
    await harness.onboard(ann)
    account = await demo_account(harness, ann)
    assert await harness.engine.book.followers(strategy.id) == []  # the engine has the (empty) list cached

    prompt = await to_amount_step(harness, ann, strategy.id)
    assert "Minimum deposit: 1000.00 USDT. At most 5000.00 USDT (50.00% of the balance)" in prompt.content
    assert "Demo (balance 10000.00 USDT)" in prompt.content
    await ann.send("3456.78")  # snapped onto the strategy's grid: 1,000 + 24 × 100
    drawdown = await ann.wait_for("Maximum drawdown")
    assert "Default: 30.00%" in drawdown.content and drawdown.buttons == ["Skip", "Cancel"]
    await ann.press("Skip")
    await ann.wait_for("Stop-loss", kinds=("edit",))
    await ann.send("150")
    again = await ann.wait_for("Stop-loss")
    assert "between 0 and 100" in again.content
    await ann.send("10")
    await ann.wait_for("Take-profit")
    await ann.press("Skip")
    confirm = await ann.wait_for("step 3 of 3", kinds=("edit",))
    for line in ("Account: Demo", "Amount: 3400.00 USDT (34.00% of 10000.00 USDT)", "Copy ratio k: 0.034000",
                 "Multiplier of the recommended deposit: 1.70",
                 "Maximum drawdown: 30.00% · stop-loss: 10.00% · take-profit: —",
                 "Fees: 10.00 USDT per 30 days · profit share 20.00%"):
        assert line in confirm.content, line
    assert await Subscription.all().count() == 0  # nothing before Confirm

    await ann.press("✅ Confirm")
    done = await ann.wait_for("You are subscribed", kinds=("edit",))
    assert "3400.00 USDT (k = 0.034000)" in done.content
    sub = await Subscription.get(follower__telegram_id=ann.id)
    assert (sub.status, sub.multiplier, sub.allocation, sub.account_id, sub.strategy_id) == (  # type: ignore[attr-defined]
        SubscriptionStatus.ACTIVE, D("0.034"), D(3400), account.id, strategy.id)
    assert (sub.max_drawdown_pct, sub.stop_loss_pct, sub.take_profit_pct) == (D(30), D(10), None)
    assert [f.id for f in await harness.engine.book.followers(strategy.id)] == [sub.id]  # invalidated, reloaded

    await ann.send("/menu")
    assert "🔎 View strategy" not in (await ann.wait_for("Main menu")).buttons  # the deep link is used up


async def test_a_percent_of_the_balance(harness: BotHarness) -> None:
    strategy = await published("Alpha", [1000, 1100], **TERMS)
    bob = harness.user("Bob")
    await harness.onboard(bob)
    await demo_account(harness, bob)
    await to_amount_step(harness, bob, strategy.id)
    await bob.send("20%")
    await bob.wait_for("Maximum drawdown")
    await bob.send("25")
    await bob.wait_for("Stop-loss")
    await bob.send("40")
    await bob.wait_for("Take-profit")
    await bob.send("20000")  # a typo: refused with the bounds, and the step is asked again
    assert "Take-profit" in (await bob.wait_for("above 0 and at most 10000")).content
    await bob.send("40")
    assert "Amount: 2000.00 USDT (20.00% of 10000.00 USDT)" in (await bob.wait_for("step 3 of 3")).content
    await bob.press("✅ Confirm")
    await bob.wait_for("You are subscribed", kinds=("edit",))
    sub = await Subscription.get(follower__telegram_id=bob.id)
    assert (sub.multiplier, sub.max_drawdown_pct, sub.stop_loss_pct, sub.take_profit_pct) == (D("0.02"), D(25), D(40), D(40))


async def test_each_invalid_amount_gets_its_own_reason_and_the_same_step(harness: BotHarness) -> None:
    strategy = await published("Alpha", [1000, 1100], **TERMS)
    cleo = harness.user("Cleo")
    await harness.onboard(cleo)
    await demo_account(harness, cleo)
    await to_amount_step(harness, cleo, strategy.id)
    reasons = {
        "-5": "The amount cannot be negative.",
        "0": "The amount must be more than zero.",
        "abc": "That is not a number.",
        "9950": "That is more than 99.00% of your balance: at most 9900.00 USDT can be used.",
        "150%": "That is more than 99.00% of your balance",
        "5001": "That is above the limit of 50.00% of your balance per trader: at most 5000.00 USDT.",
        "999": "That is below the strategy's minimum deposit of 1000.00 USDT.",
        "NaN": "That is not a number.",
    }
    for value, reason in reasons.items():
        await cleo.send(value)
        reply = await cleo.wait_for(PROMPT)
        assert reply.content.startswith(reason), (value, reply.content)
    assert await Subscription.all().count() == 0
    state = harness.dispatcher.fsm.get_context(harness.bot, chat_id=cleo.id, user_id=cleo.id)
    assert await state.get_state() == "Subscribe:amount"  # still on the amount step
    await cleo.send("2000")
    await cleo.wait_for("Maximum drawdown")


async def test_a_busy_account_and_one_with_open_positions_are_refused_at_once(harness: BotHarness) -> None:
    strategy = await published("Alpha", [1000, 1100], **TERMS)
    other = await published("Bravo", [1000, 1100])
    dan = harness.user("Dan")
    await harness.onboard(dan)
    account = await demo_account(harness, dan)
    await factories.subscription(other, account, k=D("0.1"))
    await dan.send(f"/start s_{strategy.id}")
    await dan.wait_for("View strategy")
    await dan.press("🔎 View strategy")
    await dan.wait_for(lambda m: m.has_photo)
    await dan.press("✅ Subscribe")
    await dan.wait_for("step 2 of 3")
    await dan.press("🎮 Demo · 10000.00 USDT")
    refused = await dan.wait_for("already copies", kinds=("edit",))
    assert "step 2 of 3" in refused.content and "🎮 Demo · 10000.00 USDT" in refused.buttons  # the same step again

    await Subscription.filter(account_id=account.id).update(status=SubscriptionStatus.CANCELLED)
    await Position.create(account=account, symbol="XRP/USDT", side="long", amount=D(5), opened_at=utcnow())
    await dan.send(f"/start s_{strategy.id}")
    await dan.wait_for("View strategy")
    await dan.press("🔎 View strategy")
    await dan.wait_for(lambda m: m.has_photo)
    await dan.press("✅ Subscribe")
    await dan.wait_for("step 2 of 3")
    await dan.press("🎮 Demo · 10000.00 USDT")
    assert "has open positions" in (await dan.wait_for("open positions", kinds=("edit",))).content
    assert await Subscription.filter(strategy_id=strategy.id).count() == 0


async def test_an_account_too_small_for_the_minimum_is_told_not_enough_money(harness: BotHarness) -> None:
    strategy = await published("Alpha", [1000, 1100], **{**TERMS, "min_deposit": D(6000)})
    fay = harness.user("Fay")
    await harness.onboard(fay)
    await demo_account(harness, fay)
    await fay.send(f"/start s_{strategy.id}")
    await fay.wait_for("View strategy")
    await fay.press("🔎 View strategy")
    await fay.wait_for(lambda m: m.has_photo)
    await fay.press("✅ Subscribe")
    await fay.wait_for("step 2 of 3")
    await fay.press("🎮 Demo · 10000.00 USDT")
    refused = await fay.wait_for("Not enough money", kinds=("edit",))
    assert ("minimum deposit is 6000.00 USDT, and at most 50.00% of this account's 10000.00 USDT" in refused.content
            and "step 2 of 3" in refused.content)
    state = harness.dispatcher.fsm.get_context(harness.bot, chat_id=fay.id, user_id=fay.id)
    assert await state.get_state() is None


async def test_no_account_offers_a_demo_and_someone_elses_account_is_refused(harness: BotHarness) -> None:
    strategy = await published("Alpha", [1000, 1100], **TERMS)
    eve, mallory = harness.user("Eve"), harness.user("Mallory")
    await harness.onboard(eve)
    victim = await demo_account(harness, eve)
    menu = await harness.onboard(mallory)
    await mallory.press_data(menu.message_id, f"strategy:subscribe:{strategy.id}")
    offer = await mallory.wait_for("no working exchange account", kinds=("edit",))
    assert offer.buttons[:2] == ["🎮 Demo account", "➕ Add a key"]
    await mallory.press_data(offer.message_id, f"subacc:{strategy.id}:{victim.id}")
    assert (await mallory.wait_for_answer()).text == "This account no longer exists."
    await mallory.press_data(offer.message_id, "substep:confirm")
    assert (await mallory.wait_for_answer()).text == "This step is over. Please start again."
    assert await Subscription.all().count() == 0


async def test_russian_speaker_gets_russian_reasons(harness: BotHarness) -> None:
    strategy = await published("Alpha", [1000, 1100], **TERMS)
    ivan = harness.user("Иван", language_code="ru")
    await harness.onboard(ivan, language="ru")
    await demo_account(harness, ivan)
    await ivan.send(f"/start s_{strategy.id}")
    await ivan.wait_for("Открыть стратегию")
    await ivan.press("🔎 Открыть стратегию")
    card = await ivan.wait_for(lambda m: m.has_photo)
    assert "👥 Подписчики: 0" in card.content and card.buttons == ["✅ Подписаться", "⬅️ Назад"]
    await ivan.press("✅ Подписаться")
    await ivan.wait_for("шаг 2 из 3")
    await ivan.press("🎮 Demo · 10000.00 USDT")
    await ivan.wait_for("Сколько выделить", kinds=("edit",))
    for value, reason in (("abc", "Это не число."), ("-5", "Сумма не может быть отрицательной."),
                          ("999", "Это меньше минимального депозита стратегии — 1000.00 USDT.")):
        await ivan.send(value)
        assert (await ivan.wait_for("Сколько выделить")).content.startswith(reason)
    await ivan.send("2000")
    assert (await ivan.wait_for("Максимальная просадка")).buttons == ["Пропустить", "Отмена"]
