"""Settings: switch the language (the rest of the settings belong to their features)."""
from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from bot.callbacks import LanguageCallback, MenuCallback
from bot.filters import Onboarded
from bot.i18n import LANGUAGES
from bot.keyboards.common import language_keyboard
from bot.menu_registry import MainMenu, MenuEntry
from bot.replies import edit_screen
from bot.routers.menu import show_menu
from core.db.models import User

SETTINGS = MenuEntry("settings", __("⚙️ Settings"), order=90)


def settings_text() -> str:
    return _("<b>Settings</b>\nLanguage of the bot:")


def create_router(main_menu: MainMenu) -> Router:
    main_menu.add(SETTINGS)
    router = Router(name="settings")
    router.message.filter(Onboarded())
    router.callback_query.filter(Onboarded())

    @router.message(Command("settings"))
    async def settings_command(message: Message, user: User, state: FSMContext) -> None:
        await state.set_state(None)
        await message.answer(settings_text(), reply_markup=language_keyboard("settings", user.language))

    @router.callback_query(MenuCallback.filter(F.action == SETTINGS.key))
    async def settings_button(query: CallbackQuery, user: User) -> None:
        await edit_screen(query, settings_text(), language_keyboard("settings", user.language))
        await query.answer()

    @router.callback_query(LanguageCallback.filter(F.origin == "settings"))
    async def language_switched(query: CallbackQuery, callback_data: LanguageCallback, user: User, i18n: I18n,
                                state: FSMContext, main_menu: MainMenu) -> None:
        if callback_data.code in LANGUAGES and callback_data.code != user.language:
            user.language = callback_data.code
            await user.save(update_fields=["language"])
            i18n.current_locale = user.language
        await query.answer(_("Language: English"))
        await show_menu(query, user, state, main_menu)

    return router
