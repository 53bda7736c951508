"""What the sandbox remembers: accounts, chats, and the messages of each bot's conversations."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.pulse import Pulse


def now() -> int:
    return int(time.time())


@dataclass
class Person:
    """A Telegram account, human or bot."""

    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = None
    last_name: str | None = None
    is_bot: bool = False

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        return data


MEMBER_STATUSES = ("creator", "administrator", "member", "restricted", "left", "kicked")


@dataclass
class Chat:
    """A private chat (id = the user's id), a group, a supergroup or a channel."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    members: dict[int, str] = field(default_factory=dict)  # user id -> status

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        for key in ("title", "username", "first_name"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        return data

    def full_info(self) -> dict[str, Any]:
        """getChat's ChatFullInfo: the required fields with Telegram's defaults."""
        return {**self.to_api(), "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                        "unique_gifts": False, "premium_subscription": False,
                                        "gifts_from_channels": False}}

    def status_of(self, user_id: int) -> str:
        return self.members.get(user_id, "left")


@dataclass
class StoredMessage:
    """One message of a conversation, with what the driver needs to read it back."""

    chat: Chat
    message_id: int
    date: int
    sender: Person | None
    text: str | None = None
    html: str | None = None  # the text exactly as the bot sent it (parse_mode HTML)
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    photo: list[dict[str, Any]] | None = None
    reply_markup: dict[str, Any] | None = None
    edit_date: int | None = None
    history: list[str | None] = field(default_factory=list)  # earlier texts/captions, oldest first
    deleted: bool = False

    @property
    def from_bot(self) -> bool:
        return self.sender is None or self.sender.is_bot

    @property
    def edited(self) -> bool:
        return self.edit_date is not None

    @property
    def has_photo(self) -> bool:
        return bool(self.photo)

    @property
    def buttons(self) -> list[str]:
        """Labels of the inline keyboard, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button["text"] for row in rows for button in row]

    @property
    def content(self) -> str:
        """Text or caption, as the reader sees it (tags stripped)."""
        return self.text if self.text is not None else (self.caption or "")

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"message_id": self.message_id, "date": self.date, "chat": self.chat.to_api()}
        if self.chat.type == "channel":
            data["sender_chat"] = self.chat.to_api()
        elif self.sender is not None:
            data["from"] = self.sender.to_api()
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if self.text is not None:
            data["text"] = self.text
            if self.entities:
                data["entities"] = self.entities
        if self.photo:
            data["photo"] = self.photo
            if self.caption:
                data["caption"] = self.caption
                if self.entities:
                    data["caption_entities"] = self.entities
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            data["reply_markup"] = self.reply_markup
        return data


@dataclass
class ChatEvent:
    """Something the bot did in a conversation, in order: "new", "edit" or "delete"."""

    kind: str
    message: StoredMessage
    # What the message showed at this moment (the message itself changes with later edits):
    content: str = ""
    keyboard: list[list[str]] = field(default_factory=list)  # inline button labels, row by row


@dataclass
class CallbackAnswer:
    query_id: str
    data: str | None
    text: str | None
    show_alert: bool
    url: str | None


@dataclass
class Conversation:
    """One bot's view of one chat: its message history and what the driver watches."""

    chat: Chat
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    events: list[ChatEvent] = field(default_factory=list)
    callback_answers: list[CallbackAnswer] = field(default_factory=list)
    chat_actions: list[str] = field(default_factory=list)
    started: bool = False  # a private chat opens when the user first writes to the bot
    blocked: bool = False
    changed: Pulse = field(default_factory=Pulse)
    _next_id: int = 1

    def next_message_id(self) -> int:
        message_id, self._next_id = self._next_id, self._next_id + 1
        return message_id

    def record(self, kind: str, message: StoredMessage) -> None:
        rows = (message.reply_markup or {}).get("inline_keyboard", [])
        self.events.append(ChatEvent(kind, message, message.content, [[b["text"] for b in row] for row in rows]))
        self.changed.fire()

    def find(self, message_id: int) -> StoredMessage | None:
        message = self.messages.get(message_id)
        return None if message is None or message.deleted else message
