"""The last line of defence: an unhandled exception in a handler.

The user gets a localized apology with a short reference id; the log gets the exception with that
reference and the update's ids (`core.logging.correlate`), so support can find one from the other.
Feature routers may handle their own expected errors first (`router.error(ExceptionTypeFilter(...))`);
this router is included last so it only sees what nobody else handled.
"""
from __future__ import annotations

import contextlib
import logging
import secrets

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Chat, ErrorEvent, User
from aiogram.utils.i18n import gettext as _

from core.logging import correlate

log = logging.getLogger(__name__)


def new_reference() -> str:
    return secrets.token_hex(4).upper()


def create_router() -> Router:
    router = Router(name="errors")

    @router.error()
    async def on_error(event: ErrorEvent, bot: Bot, event_from_user: User | None = None,
                       event_chat: Chat | None = None) -> bool:
        reference = new_reference()
        update = event.update
        sender = event_from_user
        with correlate(ref=reference, update=update.update_id, telegram_user=sender.id if sender else None):
            log.error("unhandled error in a handler (ref %s): %s", reference, type(event.exception).__name__,
                      exc_info=event.exception)
        text = _("😔 Sorry, something went wrong on our side. Please try again; if it happens again, "
                 "send this reference to support: <code>{reference}</code>").format(reference=reference)
        if update.callback_query is not None:
            with contextlib.suppress(TelegramAPIError):  # may have been answered before the failure
                await update.callback_query.answer()
        chat_id = event_chat.id if event_chat else (sender.id if sender else None)
        if chat_id is not None:
            try:
                await bot.send_message(chat_id, text)
            except TelegramAPIError as exc:
                log.warning("could not tell the user about error ref %s: %s", reference, exc)
        return True

    return router
