"""Loads (or creates on first contact) the `User` row of whoever sent the update; drops banned users.

The row is put in the handler data as `user`. A new row takes its language from Telegram's
`language_code` (else the default); onboarding lets the user change it before anything else.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from aiogram.types import User as TelegramUser

from bot.i18n import detect_language
from core.db.models import User, UserStatus

log = logging.getLogger(__name__)


class DbUserMiddleware(BaseMiddleware):
    def __init__(self, default_language: str) -> None:
        self.default_language = default_language

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        sender: TelegramUser | None = data.get("event_from_user")
        if sender is None or sender.is_bot:
            return await handler(event, data)
        user, created = await User.get_or_create(telegram_id=sender.id, defaults={
            "username": sender.username,
            "full_name": sender.full_name[:256],
            "language": detect_language(sender.language_code, self.default_language),
        })
        if not created and (user.username, user.full_name) != (sender.username, sender.full_name[:256]):
            user.username, user.full_name = sender.username, sender.full_name[:256]
            await user.save(update_fields=["username", "full_name"])
        if user.status == UserStatus.BANNED:
            log.info("update from banned user %s dropped", user.id)
            return None
        data["user"] = user
        return await handler(event, data)
