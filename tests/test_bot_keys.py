"""The keys flows end to end: the real dispatcher, real ccxt against the exchange emulator, the vault.

Every key goes through `validate_key` on the emulator, which checks signatures and reports each
exchange's own permission flags; a refused key must leave no row behind and no secret in the chat.
"""
from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from bot.sandbox import UserDriver
from bot.sandbox.state import StoredMessage
from core.db.models import AccountStatus, ExchangeAccount, Strategy, Subscription, User
from core.emulator.keys import EmulatedKey
from core.keystore import load_credentials
from tests.bot_harness import BotHarness, chat_texts, events_since, harness, start_bot  # noqa: F401  (fixture)

ADD = "➕ Add a key"


async def open_keys(h: BotHarness, user: UserDriver) -> StoredMessage:
    await h.onboard(user)
    await user.press("🔑 My keys")
    return await user.wait_for("My keys", kinds=("edit",))


async def send_key(user: UserDriver, exchange_label: str, text: str) -> tuple[StoredMessage, int]:
    """Add a key through the buttons; the user's message that carried it, and the chat's event count
    just before it was sent."""
    await user.press(ADD)
    await user.wait_for("Which exchange", kinds=("edit",))
    await user.press(exchange_label)
    await user.wait_for("one message", kinds=("edit",))
    mark = len(user.conv.events)
    return await user.send(text), mark


def deleted_before_any_reply(user: UserDriver, sent: StoredMessage, mark: int) -> bool:
    """The first thing the bot did after the user sent the key was to delete that message."""
    events = events_since(user, mark)
    return bool(events) and events[0].kind == "delete" and events[0].message is sent


async def test_withdrawal_key_is_refused_deleted_and_not_stored(harness: BotHarness) -> None:
    assert harness.emulator is not None
    key = harness.emulator.add_key("binance", withdraw=True)
    ann = harness.user("Ann")
    await open_keys(harness, ann)
    sent, mark = await send_key(ann, "Binance", f"{key.api_key} {key.secret}")
    refusal = await ann.wait_for("withdraw funds", kinds=("edit",))
    assert sent.deleted and deleted_before_any_reply(ann, sent, mark)
    assert "Enable Withdrawals" in refusal.content  # Binance's own steps
    assert refusal.buttons == ["Try again", "⬅️ My keys"]
    assert await ExchangeAccount.all().count() == 0
    assert not any(key.secret in text for text in chat_texts(ann))


async def test_good_key_is_stored_sealed_and_listed_masked(harness: BotHarness, caplog: pytest.LogCaptureFixture) -> None:
    assert harness.emulator is not None
    caplog.set_level(logging.DEBUG)
    key = harness.emulator.add_key("binance", balances={"USDT": Decimal("1234.5"), "BTC": Decimal("0.01")})
    bob = harness.user("Bob")
    await open_keys(harness, bob)
    sent, mark = await send_key(bob, "Binance", f"  {key.api_key}\n{key.secret}  ")
    added = await bob.wait_for("Key added", kinds=("edit",))
    hint = f"{key.api_key[:4]}…{key.api_key[-4:]}"
    assert sent.deleted and deleted_before_any_reply(bob, sent, mark)
    assert hint in added.content and "1834.50 USDT" in added.content  # 1234.5 USDT + 0.01 BTC at 60,000
    assert "Binance 1" in added.content

    await bob.press("⬅️ My keys")
    listing = await bob.wait_for("Binance 1", kinds=("edit",))
    assert hint in listing.content and "✅ active" in listing.content and "Balance: 1834.50 USDT" in listing.content
    assert listing.buttons[0] == "⚙️ Binance 1"

    account = await ExchangeAccount.get(owner__telegram_id=bob.id)
    assert (account.exchange, account.key_hint, account.can_trade, account.can_withdraw) == ("binance", hint, True, False)
    assert account.equity == Decimal("1834.5")
    assert account.credentials and key.secret not in account.credentials and key.api_key not in account.credentials
    stored = load_credentials(harness.vault, account)
    assert (stored.api_key, stored.secret) == (key.api_key, key.secret)
    assert not any(key.secret in text for text in chat_texts(bob))
    assert not any(key.secret in record.getMessage() or key.secret in (record.exc_text or "") for record in caplog.records)


async def test_key_that_fails_auth_or_cannot_trade_is_refused(harness: BotHarness) -> None:
    assert harness.emulator is not None
    key = harness.emulator.add_key("binance")
    read_only = harness.emulator.add_key("binance", trade=False)
    cleo = harness.user("Cleo")
    await open_keys(harness, cleo)
    await send_key(cleo, "Binance", f"{key.api_key} {'0' * 64}")
    assert "did not accept this key" in (await cleo.wait_for("⛔", kinds=("edit",))).content
    await cleo.press("Try again")
    await cleo.wait_for("Which exchange", kinds=("edit",))
    await cleo.press("Binance")
    await cleo.wait_for("one message", kinds=("edit",))
    await cleo.send(f"{read_only.api_key} {read_only.secret}")
    assert "cannot trade" in (await cleo.wait_for("⛔", kinds=("edit",))).content
    assert await ExchangeAccount.all().count() == 0


async def test_exchange_down_stores_nothing(harness: BotHarness) -> None:
    assert harness.emulator is not None
    key = harness.emulator.add_key("binance")
    harness.emulator.faults.add("binance", "/sapi/v1/account/apiRestrictions", "unavailable")
    dan = harness.user("Dan")
    await open_keys(harness, dan)
    await send_key(dan, "Binance", f"{key.api_key} {key.secret}")
    assert "not answering right now" in (await dan.wait_for("⏳", kinds=("edit",))).content
    assert await ExchangeAccount.all().count() == 0


async def test_passphrase_exchange_needs_three_parts(harness: BotHarness) -> None:
    eve = harness.user("Eve")
    await open_keys(harness, eve)
    await eve.press(ADD)
    await eve.wait_for("Which exchange", kinds=("edit",))
    await eve.press("OKX")
    prompt = await eve.wait_for("PASSPHRASE", kinds=("edit",))
    assert "KEY SECRET PASSPHRASE" in prompt.content
    sent = await eve.send("only-a-key and-a-secret")
    reply = await eve.wait_for("does not look right")
    assert sent.deleted and "KEY SECRET PASSPHRASE" in reply.content
    assert reply.buttons == ["Cancel"]
    await eve.press("Cancel")
    await eve.wait_for("You have no exchange accounts", kinds=("edit",))


async def added_account(h: BotHarness, user: UserDriver, key: EmulatedKey) -> ExchangeAccount:
    await open_keys(h, user)
    await send_key(user, "Binance", f"{key.api_key} {key.secret}")
    await user.wait_for("Key added", kinds=("edit",))
    return await ExchangeAccount.get(owner__telegram_id=user.id)


async def test_delete_a_key(harness: BotHarness) -> None:
    assert harness.emulator is not None
    fay = harness.user("Fay")
    account = await added_account(harness, fay, harness.emulator.add_key("binance"))
    await fay.press("⬅️ My keys")
    await fay.wait_for("Binance 1", kinds=("edit",))
    await fay.press("⚙️ Binance 1")
    await fay.wait_for(lambda m: "🗑 Delete" in m.buttons, kinds=("edit",))
    await fay.press("🗑 Delete")
    await fay.wait_for("Delete Binance 1?", kinds=("edit",))
    await fay.press("Yes, delete")
    await fay.wait_for("You have no exchange accounts", kinds=("edit",))
    assert (await fay.wait_for_answer()).text == "Key deleted."
    await account.refresh_from_db()
    assert account.status == AccountStatus.DISABLED and account.credentials is None


async def test_delete_is_refused_while_a_subscription_uses_the_key(harness: BotHarness) -> None:
    assert harness.emulator is not None
    gus = harness.user("Gus")
    account = await added_account(harness, gus, harness.emulator.add_key("binance"))
    trader = await User.create(telegram_id=1, full_name="Trader", is_trader=True)
    master = await ExchangeAccount.create(owner=trader, exchange="binance")
    strategy = await Strategy.create(trader=trader, account=master, name="Alpha")
    await Subscription.create(follower=await harness.db_user(gus), strategy=strategy, account=account)
    await gus.press("⬅️ My keys")
    await gus.wait_for("Binance 1", kinds=("edit",))
    await gus.press("⚙️ Binance 1")
    await gus.wait_for(lambda m: "🗑 Delete" in m.buttons, kinds=("edit",))
    await gus.press("🗑 Delete")
    await gus.wait_for("Delete Binance 1?", kinds=("edit",))
    await gus.press("Yes, delete")
    assert "used by an active subscription" in ((await gus.wait_for_answer()).text or "")
    await account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE and account.credentials is not None


async def test_recheck_marks_a_key_that_gained_withdrawal_invalid_and_wipes_it(harness: BotHarness) -> None:
    assert harness.emulator is not None
    key = harness.emulator.add_key("binance")
    hal = harness.user("Hal")
    account = await added_account(harness, hal, key)
    await hal.press("⬅️ My keys")
    await hal.wait_for("Binance 1", kinds=("edit",))
    await hal.press("⚙️ Binance 1")
    await hal.wait_for(lambda m: "🔄 Re-check" in m.buttons, kinds=("edit",))
    await hal.press("🔄 Re-check")
    assert "The key works" in (await hal.wait_for("✅ The key works", kinds=("edit",))).content

    key.withdraw = True  # the user switched withdrawals on at the exchange
    await hal.press("🔄 Re-check")
    card = await hal.wait_for("withdraw funds", kinds=("edit",))
    assert "⚠️ invalid" in card.content and "withdraw_enabled" in card.content
    await account.refresh_from_db()
    assert account.status == AccountStatus.INVALID and account.last_error == "withdraw_enabled"
    assert account.credentials is None and account.can_withdraw


async def test_demo_account_needs_no_key(harness: BotHarness) -> None:
    ivy = harness.user("Ivy")
    await open_keys(harness, ivy)
    await ivy.press("🎮 Demo account")
    ready = await ivy.wait_for("demo account is ready", kinds=("edit",))
    assert "10000.00 USDT" in ready.content
    account = await ExchangeAccount.get(owner__telegram_id=ivy.id)
    assert (account.exchange, account.is_demo, account.credentials) == ("paper", True, None)
    balances = await harness.paper.gateway(str(account.id)).fetch_balance()
    assert balances["USDT"].total == Decimal("10000")

    await ivy.press("⬅️ My keys")
    listing = await ivy.wait_for("Demo", kinds=("edit",))
    assert "demo account (virtual money)" in listing.content and "Balance: 10000.00 USDT" in listing.content
    await ivy.press("🎮 Demo account")
    await ivy.wait_for("You already have a demo account", kinds=("edit",))
    assert await ExchangeAccount.filter(owner__telegram_id=ivy.id).count() == 1


async def test_someone_elses_account_is_out_of_reach(harness: BotHarness) -> None:
    assert harness.emulator is not None
    owner = harness.user("Jo")
    account = await added_account(harness, owner, harness.emulator.add_key("binance"))
    thief = harness.user("Kim")
    menu = await harness.onboard(thief)
    for action in ("open", "confirm_delete"):
        await thief.press_data(menu.message_id, f"key:{action}:{account.id}")
        assert (await thief.wait_for_answer()).text == "This account no longer exists."
    await account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE


class BrokenAccounts:
    """An account service whose database is gone: every call fails unexpectedly."""

    async def list_accounts(self, owner: User) -> list[ExchangeAccount]:
        raise RuntimeError("database connection lost")


async def test_unexpected_error_gets_an_apology_with_a_reference(db: str, caplog: pytest.LogCaptureFixture) -> None:
    async with start_bot(db, services={"accounts": BrokenAccounts()}) as running:
        lee = running.user("Lee", language_code="ru")
        await running.onboard(lee, language="ru")
        await lee.press("🔑 Мои ключи")
        apology = await lee.wait_for("что-то пошло не так")
    reference = apology.html.split("<code>")[1].split("</code>")[0] if apology.html else ""
    assert len(reference) == 8
    logged = [r for r in caplog.records if r.name == "bot.errors" and reference in r.getMessage()]
    assert logged and logged[0].exc_info and "database connection lost" in str(logged[0].exc_info[1])
