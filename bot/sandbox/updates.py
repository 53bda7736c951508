"""A bot's pending updates and getUpdates long polling, with Telegram's semantics.

Updates stay queued until a later getUpdates confirms them with an offset above their id. A new
getUpdates while another waits terminates the older one with 409 Conflict, as Telegram does, so a
second polling instance shows up in tests instead of silently sharing updates.
"""
from __future__ import annotations

from typing import Any

from bot.sandbox.api import ApiError
from bot.sandbox.pulse import Pulse

# Delivered when allowed_updates was never set or set to []: everything except these.
OPT_IN_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class UpdateQueue:
    def __init__(self) -> None:
        self._pending: list[dict[str, Any]] = []
        self._next_id = 1
        self._allowed: frozenset[str] | None = None
        self._poller = 0  # generation of the getUpdates call allowed to wait
        self._closed = False
        self.arrived = Pulse()

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    def wants(self, update_type: str) -> bool:
        if self._allowed is None:
            return update_type not in OPT_IN_TYPES
        return update_type in self._allowed

    def push(self, update_type: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Queue an update unless the bot's allowed_updates filters that type out."""
        if not self.wants(update_type):
            return None
        update = {"update_id": self._next_id, update_type: payload}
        self._next_id += 1
        self._pending.append(update)
        self.arrived.fire()
        return update

    def drop_pending(self) -> None:
        self._pending.clear()

    def close(self) -> None:
        """Release every waiting getUpdates (server shutdown)."""
        self._closed = True
        self.arrived.fire()

    def _confirm(self, offset: int | None) -> None:
        if offset is None or offset == 0:
            return
        if offset < 0:
            self._pending = self._pending[offset:]
        else:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]

    def _set_allowed(self, allowed: list[str] | None) -> None:
        if allowed is None:
            return
        # Like Telegram, this filters updates created from now on, not those already queued.
        self._allowed = frozenset(allowed) if allowed else None

    async def get(self, offset: int | None, limit: int, timeout: float,
                  allowed: list[str] | None) -> list[dict[str, Any]]:
        self._confirm(offset)
        self._set_allowed(allowed)
        limit = min(max(limit, 1), 100)
        self._poller += 1
        me = self._poller
        self.arrived.fire()  # wake (and so terminate) an older waiting call

        def ready() -> list[dict[str, Any]] | None:
            if me != self._poller:
                raise ApiError(409, "Conflict: terminated by other getUpdates request; "
                                    "make sure that only one bot instance is running")
            if self._pending or self._closed:
                return self._pending[:limit]
            return None

        return await self.arrived.wait_until(ready, max(timeout, 0)) or []
