"""Delivery that keeps inside Telegram's limits and still delivers everything it can.

Telegram allows about 30 messages/s per bot, 1/s per private chat and 20/min per group or channel;
beyond that it answers 429 with `retry_after`. Each limit is a token bucket here, set a little
under Telegram's burst allowance so the sender paces itself instead of collecting 429s.

Per chat the order is FIFO and at most one message is in flight. One scheduler picks chats
round-robin from those whose bucket has a token, so a chat with a thousand pending messages
gets one slot per turn like everyone else. When a chat's backlog passes `digest_threshold`, the
pending notices are merged into one digest message (as many as fit in Telegram's 4096
characters): a follower whose trader fires 50 orders in a second gets a few messages, not 50.

Failures: a 429 holds that chat for `retry_after` (and the whole bot when a second chat is
limited within the same window: then the limit is the bot's, not the chat's) and the message
is retried; a 403 means the user blocked the bot or the bot left the chat: the chat's queue is
dropped and `on_blocked` is told; a 400 will not get better by resending and is logged; other
errors (network, 5xx) are retried with backoff up to `max_attempts`, then logged.
"""
from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramRetryAfter,
)
from aiogram.types import LinkPreviewOptions

from core.logging import correlate

log = logging.getLogger(__name__)
MAX_TEXT = 4096  # Telegram's limit for one message
HEADER_RESERVE = 80  # room for the digest header
SEPARATOR = "\n\n"


@dataclass(frozen=True)
class DeliveryLimits:
    global_rate: float = 30.0  # messages/s for the whole bot
    global_burst: float = 5.0
    private_rate: float = 1.0  # messages/s in one private chat
    private_burst: float = 1.0
    group_rate: float = 20 / 60  # groups, supergroups and channels
    group_burst: float = 1.0
    digest_threshold: int = 5  # more pending than this in one chat: merge them into a digest
    max_attempts: int = 5  # for errors other than 429 and 403
    retry_backoff: float = 1.0  # seconds before the first retry, doubled each time
    concurrency: int = 64  # requests in flight at once


@dataclass(slots=True)
class Notice:
    """One rendered message for one chat."""

    text: str
    lang: str
    attempts: int = 0


@dataclass(slots=True)
class DeliveryStats:
    sent: int = 0  # messages Telegram accepted
    delivered: int = 0  # notices inside them (a digest carries several)
    digests: int = 0
    rate_limited: int = 0  # 429 answers received
    global_backoffs: int = 0  # times the whole bot paused after 429s from two chats
    blocked: int = 0  # chats dropped after a 403
    retries: int = 0
    failed: int = 0  # notices given up on (400, retries exhausted, dropped with a blocked chat)


class TokenBucket:
    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate, self.burst, self.tokens, self.stamp = rate, burst, burst, now

    def wait(self, now: float) -> float:
        """Seconds until a token is available (0 if one is); refills first."""
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1

    def full(self, now: float) -> bool:
        self.wait(now)
        return self.tokens >= self.burst


@dataclass(eq=False, slots=True)
class _Chat:
    id: int
    bucket: TokenBucket
    pending: deque[Notice] = field(default_factory=deque)
    ready_at: float = 0.0  # held until then after a 429 or an error
    in_flight: bool = False
    scheduled: bool = False  # in the ready ring or the waiting heap

    @property
    def private(self) -> bool:
        return self.id > 0  # Telegram: users positive, groups and channels negative


class DeliveryQueue:
    def __init__(self, bot: Bot, digest_header: Callable[[int, str], str], *,
                 limits: DeliveryLimits | None = None,
                 on_blocked: Callable[[int], Awaitable[None]] | None = None) -> None:
        self.bot = bot
        self.limits = limits or DeliveryLimits()
        self.stats = DeliveryStats()
        self._header = digest_header
        self._on_blocked = on_blocked
        now = time.monotonic()
        self._bucket = TokenBucket(self.limits.global_rate, self.limits.global_burst, now)
        self._global_until = 0.0
        self._last_limited: tuple[int, float] = (0, 0.0)  # (chat, until) of the latest 429
        self._chats: dict[int, _Chat] = {}
        self._ready: deque[_Chat] = deque()
        self._waiting: list[tuple[float, int, _Chat]] = []
        self._seq = itertools.count()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._outstanding = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._last_purge = now

    @property
    def pending(self) -> int:
        """Notices queued or in flight."""
        return self._outstanding

    def put(self, chat_id: int, notice: Notice) -> None:
        """Queue a notice; returns at once."""
        chat = self._chats.get(chat_id)
        if chat is None:
            lim = self.limits
            rate, burst = (lim.private_rate, lim.private_burst) if chat_id > 0 else (lim.group_rate, lim.group_burst)
            chat = self._chats[chat_id] = _Chat(chat_id, TokenBucket(rate, burst, time.monotonic()))
        chat.pending.append(notice)
        self._outstanding += 1
        self._idle.clear()
        if not chat.in_flight and not chat.scheduled:
            self._schedule(chat)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        self._wake.set()

    async def drain(self) -> None:
        """Return when every queued notice was delivered or given up on."""
        await self._idle.wait()

    async def close(self) -> None:
        await self.drain()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    # --- scheduling ---------------------------------------------------------------------------
    def _schedule(self, chat: _Chat) -> None:
        now = time.monotonic()
        at = max(chat.ready_at, now + chat.bucket.wait(now))
        chat.scheduled = True
        if at <= now:
            self._ready.append(chat)
        else:
            heapq.heappush(self._waiting, (at, next(self._seq), chat))

    async def _run(self) -> None:
        while True:
            now = time.monotonic()
            while self._waiting and self._waiting[0][0] <= now:
                self._ready.append(heapq.heappop(self._waiting)[2])
            if not self._ready or len(self._in_flight) >= self.limits.concurrency:
                await self._sleep(self._waiting[0][0] - now if self._waiting else None)
                continue
            pause = max(self._global_until - now, self._bucket.wait(now))
            if pause > 0:
                await asyncio.sleep(pause)
                continue
            chat = self._ready.popleft()
            chat.scheduled = False
            if chat.bucket.wait(now) > 0:  # re-check: the ring may hold it longer than planned
                self._schedule(chat)
                continue
            batch = self._take(chat)
            self._bucket.take()
            chat.bucket.take()
            chat.in_flight = True
            task = asyncio.create_task(self._send(chat, batch))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

    async def _sleep(self, timeout: float | None) -> None:
        """Until a put or a finished send wakes the scheduler, or `timeout` passes."""
        if timeout is None:
            self._purge()
        self._wake.clear()
        try:
            async with asyncio.timeout(timeout):
                await self._wake.wait()
        except TimeoutError:
            pass

    def _purge(self) -> None:
        """Forget idle chats whose bucket is full again: they would start the same from scratch."""
        now = time.monotonic()
        if now - self._last_purge < 30:
            return
        self._last_purge = now
        for chat_id, chat in list(self._chats.items()):
            if not (chat.pending or chat.in_flight or chat.scheduled) and chat.ready_at <= now and chat.bucket.full(now):
                del self._chats[chat_id]

    def _take(self, chat: _Chat) -> list[Notice]:
        """The next notice, or a digest's worth when the backlog is past the threshold."""
        if len(chat.pending) <= self.limits.digest_threshold:
            return [chat.pending.popleft()]
        batch: list[Notice] = []
        size = HEADER_RESERVE
        while chat.pending and (not batch or size + len(SEPARATOR) + len(chat.pending[0].text) <= MAX_TEXT):
            notice = chat.pending.popleft()
            size += len(SEPARATOR) + len(notice.text)
            batch.append(notice)
        return batch

    def _compose(self, batch: list[Notice]) -> str:
        if len(batch) == 1:
            return batch[0].text
        return SEPARATOR.join([self._header(len(batch), batch[-1].lang), *(n.text for n in batch)])

    # --- sending ------------------------------------------------------------------------------
    async def _send(self, chat: _Chat, batch: list[Notice]) -> None:
        resolved = 0  # notices finished with (delivered or given up on)
        try:
            with correlate(chat=chat.id):
                resolved = await self._attempt(chat, batch)
        finally:
            chat.in_flight = False
            if chat.pending and not chat.scheduled:
                self._schedule(chat)
            self._outstanding -= resolved
            if self._outstanding == 0:
                self._idle.set()
            self._wake.set()

    async def _attempt(self, chat: _Chat, batch: list[Notice]) -> int:
        """Send once; returns how many notices are finished with (the rest are queued again)."""
        try:
            await self.bot.send_message(chat.id, self._compose(batch), parse_mode="HTML",
                                        link_preview_options=LinkPreviewOptions(is_disabled=True))
        except TelegramRetryAfter as exc:
            self.stats.rate_limited += 1
            self._rate_limited(chat, exc.retry_after)
            chat.pending.extendleft(reversed(batch))
            return 0
        except TelegramForbiddenError as exc:
            dropped = len(batch) + len(chat.pending)
            chat.pending.clear()
            self.stats.blocked += 1
            self.stats.failed += dropped
            log.info("chat refuses the bot (%s); dropped %d notices", exc.message, dropped)
            if chat.private and self._on_blocked is not None:
                try:
                    await self._on_blocked(chat.id)
                except Exception:
                    log.exception("could not record the blocked chat")
            return dropped
        except TelegramMigrateToChat as exc:
            log.warning("group %s became supergroup %s; update any setting that names it",
                        chat.id, exc.migrate_to_chat_id)
            moved = [*batch, *chat.pending]
            chat.pending.clear()
            for notice in moved:
                self.put(exc.migrate_to_chat_id, notice)
            return len(moved)
        except TelegramBadRequest as exc:
            self.stats.failed += len(batch)
            log.error("Telegram refused a notice: %s", exc.message)
            return len(batch)
        except Exception as exc:  # network, 5xx, timeouts: worth a bounded number of retries
            for notice in batch:
                notice.attempts += 1
            attempts = max(n.attempts for n in batch)
            if attempts >= self.limits.max_attempts:
                self.stats.failed += len(batch)
                log.error("gave up on %d notices after %d attempts: %r", len(batch), attempts, exc)
                return len(batch)
            self.stats.retries += 1
            chat.ready_at = time.monotonic() + self.limits.retry_backoff * 2 ** (attempts - 1)
            chat.pending.extendleft(reversed(batch))
            return 0
        self.stats.sent += 1
        self.stats.delivered += len(batch)
        self.stats.digests += len(batch) > 1
        return len(batch)

    def _rate_limited(self, chat: _Chat, retry_after: float) -> None:
        """Hold the chat; when another chat is held too, the limit is the bot's: hold everyone."""
        now = time.monotonic()
        until = now + retry_after
        chat.ready_at = max(chat.ready_at, until)
        other, other_until = self._last_limited
        if other != chat.id and other_until > now:
            if self._global_until <= now:
                self.stats.global_backoffs += 1
            self._global_until = max(self._global_until, until)
        self._last_limited = (chat.id, until)
