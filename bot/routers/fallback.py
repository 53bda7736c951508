"""Last router: whatever no feature handled gets a short, honest answer instead of silence.

It must stay the last router with message/callback handlers (see `bot.routers.build_routers`).
"""
from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.filters import Onboarded


def create_router() -> Router:
    router = Router(name="fallback")

    @router.callback_query(~Onboarded())
    async def not_started_button(query: CallbackQuery) -> None:
        await query.answer(_("Please press /start first."), show_alert=True)

    @router.callback_query()
    async def not_available(query: CallbackQuery) -> None:
        await query.answer(_("This section is not available yet."), show_alert=True)

    @router.message(~Onboarded())
    async def not_started(message: Message) -> None:
        await message.answer(_("Please press /start to begin."))

    @router.message()
    async def not_understood(message: Message) -> None:
        await message.answer(_("I did not understand that. Open the menu: /menu"))

    return router
