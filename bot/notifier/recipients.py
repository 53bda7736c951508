"""Who hears about an event: the follower, the trader, the admin chat.

Resolved in batches (one users query for a burst of events), because a master trade fans out to
thousands of followers at once. Users who blocked the bot are skipped: sending to them only
earns a 403.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.db.models import User, UserStatus
from core.events import (
    DriftDetected,
    Event,
    ExchangeDown,
    KeyInvalid,
    SubscriptionEvent,
    TraderResumed,
    TraderSuspended,
)

ADMIN_EVENTS: tuple[type[Event], ...] = (DriftDetected, TraderSuspended, ExchangeDown)


@dataclass(frozen=True, slots=True)
class Recipient:
    chat_id: int
    language: str
    admin: bool = False  # the admin copy (ids and exchange detail added)


@dataclass(frozen=True, slots=True)
class AdminChat:
    chat_id: int
    language: str


def subject_user_id(event: Event) -> int | None:
    """The users.id the event is about, if it concerns one person."""
    if isinstance(event, SubscriptionEvent | KeyInvalid):
        return event.user_id
    if isinstance(event, TraderSuspended | TraderResumed):
        return event.trader_user_id
    return None


def goes_to_admin(event: Event) -> bool:
    return event.admin or isinstance(event, ADMIN_EVENTS)


async def resolve(events: Sequence[Event], admin: AdminChat | None) -> list[list[Recipient]]:
    """Recipients per event, in the events' order; one chat gets one copy (the admin's if both)."""
    ids = {uid for uid in map(subject_user_id, events) if uid is not None}
    users: dict[int, Recipient] = {}
    if ids:
        rows = await User.filter(id__in=ids).exclude(status=UserStatus.BLOCKED_BOT).values(
            "id", "telegram_id", "language")
        users = {row["id"]: Recipient(row["telegram_id"], row["language"]) for row in rows}
    result: list[list[Recipient]] = []
    for event in events:
        chats: dict[int, Recipient] = {}
        uid = subject_user_id(event)
        if uid is not None and uid in users:
            chats[users[uid].chat_id] = users[uid]
        if admin is not None and goes_to_admin(event):
            chats[admin.chat_id] = Recipient(admin.chat_id, admin.language, admin=True)
        result.append(list(chats.values()))
    return result
