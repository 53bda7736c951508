"""Screens that start from, or turn into, a photo message (the strategy card with its chart).

Telegram cannot turn a photo message into a text message (editMessageText fails on it), so a
screen shown from the card's buttons replaces the card: the new message is sent first, then the
card is deleted, which keeps the chat to one live screen without ever losing it.
"""
from __future__ import annotations

import contextlib

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message

from bot.replies import edit_screen


async def show_screen(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """`edit_screen`, except that a photo message is replaced by a new text message."""
    message = query.message
    if isinstance(message, Message) and message.photo:
        await message.answer(text, reply_markup=markup)
        with contextlib.suppress(TelegramBadRequest):
            await message.delete()
        return
    await edit_screen(query, text, markup)


async def show_photo(query: CallbackQuery, photo: bytes, caption: str, markup: InlineKeyboardMarkup) -> None:
    """Send a photo screen in place of the pressed button's message."""
    message = query.message
    if not isinstance(message, Message):
        if query.bot is not None:
            await query.bot.send_photo(query.from_user.id, BufferedInputFile(photo, "chart.png"),
                                       caption=caption, reply_markup=markup)
        return
    await message.answer_photo(BufferedInputFile(photo, "chart.png"), caption=caption, reply_markup=markup)
    with contextlib.suppress(TelegramBadRequest):
        await message.delete()
