"""Replying by editing the bot's own message, which keeps a chat to one live screen per flow."""
from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message


async def edit_screen(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Show `text` in the message whose button was pressed (a new message if that one is gone).

    Pressing a button whose screen is already shown is not an error for the user."""
    message = query.message
    if not isinstance(message, Message):
        if query.from_user and query.bot:
            await query.bot.send_message(query.from_user.id, text, reply_markup=markup)
        return
    try:
        await message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as exc:
        if "message is not modified" not in exc.message:
            raise
