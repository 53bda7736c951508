"""Flood control shaped like Telegram's, so the bot's pacing and 429 handling are exercised.

Telegram documents roughly 1 message/s per chat (short bursts tolerated), 20 messages/min per
group and about 30 messages/s per bot overall. Each is a token bucket here: `burst` messages may
go at once, then they refill at `rate` per second. A request over any bucket gets 429 with
`retry_after` (whole seconds until every bucket involved has a token) and consumes nothing.
Channels count like groups.
"""
from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.sandbox.api import ApiError

SENDING_METHODS = frozenset({
    "sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "copyMessage", "forwardMessage",
})


@dataclass(frozen=True)
class FloodLimits:
    enabled: bool = True
    bot_rate: float = 30.0  # per second, all chats of one bot
    bot_burst: float = 30.0
    private_rate: float = 1.0  # per second, one private chat
    private_burst: float = 3.0
    group_rate: float = 20 / 60  # per second, one group, supergroup or channel
    group_burst: float = 20.0
    methods: frozenset[str] = field(default=SENDING_METHODS)  # edits and answers are not counted

    @classmethod
    def off(cls) -> FloodLimits:
        return cls(enabled=False)


class _Bucket:
    def __init__(self, rate: float, burst: float, stamp: float) -> None:
        self.rate, self.burst, self.tokens, self.stamp = rate, burst, burst, stamp

    def wait_needed(self, at: float) -> float:
        """Seconds until one token is available (0 if it is now); refills first."""
        self.tokens = min(self.burst, self.tokens + (at - self.stamp) * self.rate)
        self.stamp = at
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


class FloodControl:
    def __init__(self, limits: FloodLimits | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits or FloodLimits()
        self.clock = clock
        self.hits: Counter[int] = Counter()  # 429s answered, per bot id
        self._buckets: dict[tuple[int, int | None], _Bucket] = {}

    @property
    def total_hits(self) -> int:
        return sum(self.hits.values())

    def _bucket(self, bot_id: int, chat_id: int | None, private: bool, at: float) -> _Bucket:
        key = (bot_id, chat_id)
        if key not in self._buckets:
            lim = self.limits
            if chat_id is None:
                rate, burst = lim.bot_rate, lim.bot_burst
            elif private:
                rate, burst = lim.private_rate, lim.private_burst
            else:
                rate, burst = lim.group_rate, lim.group_burst
            self._buckets[key] = _Bucket(rate, burst, at)
        return self._buckets[key]

    def check(self, bot_id: int, method: str, chat_id: int, private: bool) -> None:
        """Take one token from the bot's and the chat's buckets, or raise 429."""
        if not self.limits.enabled or method not in self.limits.methods:
            return
        at = self.clock()
        buckets = [self._bucket(bot_id, None, private, at), self._bucket(bot_id, chat_id, private, at)]
        wait = max(b.wait_needed(at) for b in buckets)
        if wait > 0:
            self.hits[bot_id] += 1
            retry_after = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)
        for bucket in buckets:
            bucket.tokens -= 1
