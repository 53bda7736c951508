"""The Telegram notifier: core events in, localized messages out, inside Telegram's limits.

    notifier = Notifier(bot, i18n, admin=AdminChat(settings.admin_chat_id, settings.default_language))
    bus.subscribe(notifier.on_event)
    ...
    await notifier.close()  # delivers what is queued, then stops

`on_event` only appends to an intake queue, so the bus (and the engine behind it) never waits for
the database or Telegram. One task takes the intake in batches, resolves recipients with one
query per batch, renders per recipient language and hands the texts to the delivery queue.
"""
from __future__ import annotations

import asyncio
import logging

from aiogram import Bot
from aiogram.utils.i18n import I18n

from bot.notifier.queue import DeliveryLimits, DeliveryQueue, DeliveryStats, Notice
from bot.notifier.recipients import AdminChat, Recipient, resolve
from bot.notifier.render import UnknownEvent, digest_header, render
from core.db.models import User, UserStatus
from core.events import Event

__all__ = ["AdminChat", "DeliveryLimits", "DeliveryStats", "Notifier", "Recipient", "render"]

log = logging.getLogger(__name__)
BATCH = 500  # events resolved per users query


class Notifier:
    def __init__(self, bot: Bot, i18n: I18n, *, admin: AdminChat | None = None,
                 limits: DeliveryLimits | None = None) -> None:
        self.i18n = i18n
        self.admin = admin
        self.queue = DeliveryQueue(bot, self._digest_header, limits=limits, on_blocked=self._mark_blocked)
        self._intake: asyncio.Queue[Event] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None

    @property
    def stats(self) -> DeliveryStats:
        return self.queue.stats

    async def on_event(self, event: Event) -> None:
        """Bus handler: enqueue and return."""
        self._intake.put_nowait(event)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(self._resolve_forever())

    async def drain(self) -> None:
        """Return when every event so far has been delivered or given up on (tests, shutdown)."""
        await self._intake.join()
        await self.queue.drain()

    async def close(self) -> None:
        await self.drain()
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
            self._worker = None
        await self.queue.close()

    async def _resolve_forever(self) -> None:
        while True:
            batch = [await self._intake.get()]
            while len(batch) < BATCH and not self._intake.empty():
                batch.append(self._intake.get_nowait())
            try:
                self._enqueue(batch, await resolve(batch, self.admin))
            except Exception:
                log.exception("could not resolve recipients for %d events", len(batch))
            finally:
                for _ in batch:
                    self._intake.task_done()

    def _enqueue(self, events: list[Event], recipients: list[list[Recipient]]) -> None:
        for event, chats in zip(events, recipients, strict=True):
            for chat in chats:
                try:
                    text = render(event, chat.language, self.i18n, admin=chat.admin)
                except UnknownEvent:
                    log.error("no text for event %s", type(event).__name__)
                    break
                self.queue.put(chat.chat_id, Notice(text, chat.language))

    def _digest_header(self, count: int, lang: str) -> str:
        return digest_header(count, lang, self.i18n)

    async def _mark_blocked(self, chat_id: int) -> None:
        """The user blocked the bot: stop notifying them until they come back (the bot resets it)."""
        updated = await User.filter(telegram_id=chat_id).update(status=UserStatus.BLOCKED_BOT)
        log.info("user with chat %s blocked the bot (%d rows marked)", chat_id, updated)
