"""Filters shared by routers."""
from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import TelegramObject

from core.db.models import User


class Onboarded(Filter):
    """The user chose a language and accepted the risk disclaimer; features are closed before that."""

    async def __call__(self, event: TelegramObject, user: User | None = None) -> bool:
        return user is not None and user.disclaimer_accepted_at is not None
