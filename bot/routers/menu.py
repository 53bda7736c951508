"""The main menu: /menu, the "main" button, and the two entries whose features live elsewhere.

Entries come from the `MainMenu` registry (bot/menu_registry.py). "Discover traders" and "My
portfolio" are registered here as placeholders with their final keys; the strategies and portfolio
routers handle `MenuCallback(action="discover" | "portfolio")` and may re-add the entries to
change them. Until then the fallback router says the section is not available yet.
"""
from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from bot.callbacks import MenuCallback
from bot.filters import Onboarded
from bot.menu_registry import MainMenu, MenuEntry
from bot.replies import edit_screen
from bot.states import PENDING_STRATEGY
from core.db.models import User

DISCOVER = MenuEntry("discover", __("🔎 Discover traders"), order=10)
PORTFOLIO = MenuEntry("portfolio", __("💼 My portfolio"), order=20)


async def show_menu(target: Message | CallbackQuery, user: User, state: FSMContext, main_menu: MainMenu) -> None:
    """Draw the menu: in place of the pressed button's screen, or as a new message."""
    pending = (await state.get_data()).get(PENDING_STRATEGY)
    text = _("<b>Main menu</b>\nWhat would you like to do?")
    if pending is not None:
        text += "\n\n" + _("You followed a link to a strategy: press “View strategy” to open it.")
    keyboard = main_menu.keyboard(user, pending)
    if isinstance(target, CallbackQuery):
        await edit_screen(target, text, keyboard)
    else:
        await target.answer(text, reply_markup=keyboard)


def create_router(main_menu: MainMenu) -> Router:
    main_menu.add(DISCOVER)
    main_menu.add(PORTFOLIO)
    router = Router(name="menu")
    router.message.filter(Onboarded())
    router.callback_query.filter(Onboarded())

    @router.message(Command("menu"))
    async def menu_command(message: Message, user: User, state: FSMContext, main_menu: MainMenu) -> None:
        await state.set_state(None)
        await show_menu(message, user, state, main_menu)

    @router.callback_query(MenuCallback.filter(F.action == "main"))
    async def menu_button(query: CallbackQuery, user: User, state: FSMContext, main_menu: MainMenu) -> None:
        await state.set_state(None)
        await show_menu(query, user, state, main_menu)
        await query.answer()

    return router
