"""Onboarding, the main menu, settings and the update middlewares, through the real dispatcher."""
from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram.types import User as TelegramUser

from bot.i18n import detect_language
from bot.middlewares import DbUserMiddleware, ThrottlingMiddleware
from bot.routers.start import strategy_from_payload
from bot.states import PENDING_STRATEGY
from core.db.models import User, UserStatus
from tests.bot_harness import BotHarness, harness, press_like, start_bot  # noqa: F401  (fixture)

MENU_EN = ["🔎 Discover traders", "💼 My portfolio", "🔑 My keys", "⚙️ Settings"]
MENU_RU = ["🔎 Найти трейдеров", "💼 Мой портфель", "🔑 Мои ключи", "⚙️ Настройки"]


async def test_new_user_picks_language_accepts_disclaimer_and_reaches_the_menu(harness: BotHarness) -> None:
    ann = harness.user("Ann", language_code="en-GB")
    await ann.send("/start")
    welcome = await ann.wait_for("Choose your language")
    assert welcome.buttons == ["✓ English", "Русский"]  # detected language first, marked

    await press_like(ann, "English")
    disclaimer = await ann.wait_for("Risks", kinds=("edit",))
    assert "cannot withdraw" in disclaimer.content and "lose part or all" in disclaimer.content
    assert disclaimer.buttons == ["✅ I understand and accept"]
    stored = await harness.db_user(ann)
    assert stored.disclaimer_accepted_at is None and stored.language == "en"

    await ann.press("✅ I understand and accept")
    menu = await ann.wait_for("Main menu", kinds=("edit",))
    assert menu.buttons == MENU_EN
    assert (await ann.wait_for_answer()).text == "Thank you!"
    assert (await harness.db_user(ann)).disclaimer_accepted_at is not None


async def test_commands_menu_is_set_in_english_and_russian(harness: BotHarness) -> None:
    commands = harness.account.commands
    by_language = {language: [c["description"] for c in listed] for (_, language), listed in commands.items()}
    assert by_language["en"][1] == "Main menu" and by_language["ru"][1] == "Главное меню"
    assert [c["command"] for c in commands[next(iter(commands))]] == ["start", "menu", "keys", "settings"]


async def test_russian_speaker_sees_russian(harness: BotHarness) -> None:
    ivan = harness.user("Иван", language_code="ru")
    await ivan.send("/start")
    welcome = await ivan.wait_for("Выберите язык")
    assert welcome.buttons == ["✓ Русский", "English"]
    await press_like(ivan, "Русский")
    disclaimer = await ivan.wait_for("Риски", kinds=("edit",))
    assert disclaimer.buttons == ["✅ Понимаю и принимаю"]
    await ivan.press("✅ Понимаю и принимаю")
    menu = await ivan.wait_for("Главное меню", kinds=("edit",))
    assert menu.buttons == MENU_RU
    assert (await harness.db_user(ivan)).language == "ru"


async def test_chosen_language_wins_over_telegram_language(harness: BotHarness) -> None:
    olga = harness.user("Olga", language_code="ru")
    menu = await harness.onboard(olga, language="en")
    assert menu.buttons == MENU_EN
    await olga.send("/menu")
    assert (await olga.wait_for("Main menu")).buttons == MENU_EN


async def test_returning_user_goes_straight_to_the_menu(harness: BotHarness) -> None:
    ben = harness.user("Ben")
    await harness.onboard(ben)
    await ben.send("/start")
    again = await ben.wait_for(lambda m: bool(m.buttons))
    assert "Main menu" in again.content and again.buttons == MENU_EN


async def test_deep_link_survives_onboarding_and_offers_the_strategy(harness: BotHarness) -> None:
    cleo = harness.user("Cleo")
    await cleo.send("/start s_42")
    await cleo.wait_for("Choose your language")
    await press_like(cleo, "English")
    await cleo.wait_for("Risks", kinds=("edit",))
    await cleo.press("✅ I understand and accept")
    menu = await cleo.wait_for("Main menu", kinds=("edit",))
    assert menu.buttons == ["🔎 View strategy", *MENU_EN]
    view = (menu.reply_markup or {})["inline_keyboard"][0][0]
    assert view["callback_data"] == "strategy:view:42"
    state = harness.dispatcher.fsm.get_context(harness.bot, chat_id=cleo.id, user_id=cleo.id)
    assert (await state.get_data())[PENDING_STRATEGY] == 42

    await cleo.press("🔎 View strategy")  # strategy 42 does not exist: an honest answer
    assert (await cleo.wait_for_answer()).text == "This strategy is not available."


async def test_returning_user_deep_link_shows_view_strategy(harness: BotHarness) -> None:
    dan = harness.user("Dan")
    await harness.onboard(dan)
    await dan.send("/start s_7")
    menu = await dan.wait_for("View strategy")
    assert menu.buttons[0] == "🔎 View strategy"


@pytest.mark.parametrize(("payload", "expected"), [("s_42", 42), ("s_", None), ("s_4x", None), ("ref_1", None), (None, None)])
def test_strategy_payload(payload: str | None, expected: int | None) -> None:
    assert strategy_from_payload(payload) == expected


async def test_features_are_closed_before_onboarding(harness: BotHarness) -> None:
    eve = harness.user("Eve")
    await eve.send("/keys")
    assert (await eve.wait_for("/start")).text == "Please press /start to begin."
    await eve.send("/start")
    welcome = await eve.wait_for("Choose your language")
    await eve.press_data(welcome.message_id, "menu:keys")  # a forged button: the menu is not open yet
    assert (await eve.wait_for_answer()).text == "Please press /start first."


async def test_settings_switch_the_language(harness: BotHarness) -> None:
    fay = harness.user("Fay")
    await harness.onboard(fay)
    await fay.press("⚙️ Settings")
    settings = await fay.wait_for("Language of the bot", kinds=("edit",))
    assert settings.buttons == ["✓ English", "Русский", "⬅️ Main menu"]
    await fay.press("Русский")
    menu = await fay.wait_for("Главное меню", kinds=("edit",))
    assert menu.buttons == MENU_RU
    assert (await fay.wait_for_answer()).text == "Язык: русский"
    assert (await harness.db_user(fay)).language == "ru"


async def test_unknown_text_after_onboarding_points_to_the_menu(harness: BotHarness) -> None:
    gus = harness.user("Gus")
    await harness.onboard(gus)
    await gus.send("hello?")
    assert (await gus.wait_for("/menu")).text == "I did not understand that. Open the menu: /menu"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_flooding_user_is_throttled(db: str) -> None:
    clock = Clock()
    async with start_bot(db, throttling=ThrottlingMiddleware(limit=2, window=10, clock=clock)) as running:
        hal = running.user("Hal")
        await hal.send("/start")  # 1
        await hal.wait_for("Choose your language")
        await press_like(hal, "English")  # 2
        await hal.wait_for("Risks", kinds=("edit",))
        await hal.press("✅ I understand and accept")  # 3: over the limit, dropped
        assert (await hal.wait_for_answer()).text == "Too many requests — please wait a moment."
        assert (await running.db_user(hal)).disclaimer_accepted_at is None
        clock.now += 10
        await hal.press("✅ I understand and accept")
        await hal.wait_for("Main menu", kinds=("edit",))


# --- the db user middleware on its own ----------------------------------------------------------
async def _through(middleware: DbUserMiddleware, sender: TelegramUser) -> dict[str, Any] | None:
    seen: dict[str, Any] = {}

    async def handler(event: object, data: dict[str, Any]) -> str:
        seen.update(data)
        return "handled"

    result = await middleware(handler, sender, {"event_from_user": sender})
    return seen if result == "handled" else None


@pytest.fixture
async def middleware(db: str) -> AsyncIterator[DbUserMiddleware]:
    yield DbUserMiddleware(default_language="en")


async def test_db_user_is_created_once_and_kept_current(middleware: DbUserMiddleware) -> None:
    sender = TelegramUser(id=555, is_bot=False, first_name="Ivy", username="ivy", language_code="ru")
    first = await _through(middleware, sender)
    assert first is not None and first["user"].language == "ru" and first["user"].full_name == "Ivy"
    renamed = TelegramUser(id=555, is_bot=False, first_name="Ivy", last_name="Lee", username="ivylee")
    second = await _through(middleware, renamed)
    assert second is not None and second["user"].id == first["user"].id
    stored = await User.get(telegram_id=555)
    assert (stored.username, stored.full_name, stored.language) == ("ivylee", "Ivy Lee", "ru")
    assert await User.filter(telegram_id=555).count() == 1


async def test_banned_user_is_dropped(middleware: DbUserMiddleware) -> None:
    await User.create(telegram_id=666, full_name="Mallory", status=UserStatus.BANNED)
    assert await _through(middleware, TelegramUser(id=666, is_bot=False, first_name="Mallory")) is None


@pytest.mark.parametrize(("code", "expected"), [("ru", "ru"), ("ru-RU", "ru"), ("en-GB", "en"), ("de", "en"), (None, "en")])
def test_language_detection(code: str | None, expected: str) -> None:
    assert detect_language(code, "en") == expected


def test_throttling_window_slides() -> None:
    clock = Clock()
    guard = ThrottlingMiddleware(limit=2, window=1.0, clock=clock)
    assert guard.allow(1) and guard.allow(1) and not guard.allow(1)
    assert guard.allow(2)  # per user
    clock.now = 1.0
    assert guard.allow(1)
