"""A request middleware of the Bot's session: a 429 from Telegram is waited out and the call made again.

Telegram lets a bot send about one message per second into a private chat (a short burst more);
a user who answers a few prompts quickly makes the handlers' replies cross that line, and the
reply must then arrive late, not fail into the error handler. Only the wait Telegram names is
slept, and only while the waits of one call stay under `max_wait`; after that the 429 is raised.

The notifier sends through a Bot without this middleware: its delivery queue paces every chat
itself and holds a chat (or the whole bot) on a 429, which a hidden retry here would defeat.
"""
from __future__ import annotations

import asyncio
import logging

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

log = logging.getLogger(__name__)


class FloodWait(BaseRequestMiddleware):
    def __init__(self, max_wait: float = 30.0) -> None:
        self.max_wait = max_wait

    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                       method: TelegramMethod[TelegramType]) -> Response[TelegramType]:
        waited = 0.0
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if waited + exc.retry_after > self.max_wait:
                    raise
                waited += exc.retry_after
                log.info("%s hit Telegram's flood control; sending again in %ss", type(method).__name__, exc.retry_after)
                await asyncio.sleep(exc.retry_after)
