"""Onboarding: /start → language → what the bot does + risk disclaimer (must accept) → main menu.

A returning user goes straight to the menu. A deep link `/start s_<strategy_id>` is remembered in
the FSM data (`PENDING_STRATEGY`) through onboarding; the menu then shows a "View strategy" button
(`StrategyCallback(action="view")`) that the subscribe flow's router handles.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime

from aiogram import F, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.callbacks import MAX_ROW_ID, DisclaimerCallback, LanguageCallback
from bot.i18n import LANGUAGES
from bot.keyboards.common import disclaimer_keyboard, language_keyboard
from bot.menu_registry import MainMenu
from bot.replies import edit_screen
from bot.routers.menu import show_menu
from bot.states import PENDING_STRATEGY, Onboarding
from core.db.models import User

STRATEGY_LINK = re.compile(r"s_(\d{1,10})")


def strategy_from_payload(payload: str | None) -> int | None:
    """The strategy id of a `s_<id>` deep-link payload; None for anything else (an id no row can have too)."""
    match = STRATEGY_LINK.fullmatch(payload or "")
    strategy_id = int(match.group(1)) if match else 0
    return strategy_id if 0 < strategy_id <= MAX_ROW_ID else None


def disclaimer_text() -> str:
    return _(
        "<b>How it works</b>\n"
        "You pick a trader; every trade they make is copied to your own exchange account, sized to "
        "your balance. Your money stays on your exchange: we only use an API key that can trade and "
        "<b>cannot withdraw</b>.\n\n"
        "<b>Risks</b>\n"
        "Trading crypto-assets is risky: you can lose part or all of the money you allocate. Past "
        "results of a trader do not guarantee future results. Copies can differ from the trader's "
        "orders (prices, fees, exchange minimums, delays). This is not financial advice; you decide "
        "and you are responsible for your trading.\n\n"
        "Press the button to confirm that you understand and accept these risks."
    )


def create_router() -> Router:
    router = Router(name="start")

    @router.message(CommandStart())
    async def start(message: Message, command: CommandObject, state: FSMContext, user: User, main_menu: MainMenu) -> None:
        strategy_id = strategy_from_payload(command.args)
        if strategy_id is not None:
            await state.update_data({PENDING_STRATEGY: strategy_id})
        if user.disclaimer_accepted_at is not None:
            await state.set_state(None)
            await show_menu(message, user, state, main_menu)
            return
        await state.set_state(Onboarding.language)
        await message.answer(_("👋 Welcome! Choose your language:"),
                             reply_markup=language_keyboard("onboarding", user.language))

    @router.callback_query(LanguageCallback.filter(F.origin == "onboarding"))
    async def language_chosen(query: CallbackQuery, callback_data: LanguageCallback, state: FSMContext,
                              user: User, i18n: I18n) -> None:
        if callback_data.code in LANGUAGES:
            user.language = callback_data.code
            await user.save(update_fields=["language"])
            i18n.current_locale = user.language
        await state.set_state(Onboarding.disclaimer)
        await edit_screen(query, disclaimer_text(), disclaimer_keyboard())
        await query.answer()

    @router.callback_query(DisclaimerCallback.filter(F.action == "accept"))
    async def accepted(query: CallbackQuery, state: FSMContext, user: User, main_menu: MainMenu) -> None:
        if user.disclaimer_accepted_at is None:
            user.disclaimer_accepted_at = datetime.now(UTC)
            await user.save(update_fields=["disclaimer_accepted_at"])
        await state.set_state(None)
        await query.answer(_("Thank you!"))
        await show_menu(query, user, state, main_menu)

    return router
