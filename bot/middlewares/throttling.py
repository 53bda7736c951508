"""Per-user flood guard: at most `limit` updates per `window` seconds; the excess is dropped.

A dropped button press is answered (so the client stops its spinner) with a short localized note;
dropped messages get no reply, which would only feed the flood. State is in memory, per process.
"""
from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, TelegramObject, Update
from aiogram.types import User as TelegramUser
from aiogram.utils.i18n import gettext as _


class ThrottlingMiddleware(BaseMiddleware):
    def __init__(self, limit: int = 8, window: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._recent: dict[int, deque[float]] = {}

    def allow(self, user_id: int) -> bool:
        now = self.clock()
        recent = self._recent.setdefault(user_id, deque())
        while recent and now - recent[0] >= self.window:
            recent.popleft()
        if len(recent) >= self.limit:
            return False
        recent.append(now)
        return True

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        sender: TelegramUser | None = data.get("event_from_user")
        if sender is None or self.allow(sender.id):
            return await handler(event, data)
        query = event.callback_query if isinstance(event, Update) else event
        if isinstance(query, CallbackQuery):
            await query.answer(_("Too many requests — please wait a moment."))
        return None
