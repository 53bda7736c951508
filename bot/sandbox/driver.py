"""The user's side of the sandbox: a person who writes to the bot, presses buttons and reads replies.

Waiting is driven by the sandbox's events (a message, an edit, a delete, a callback answer), never by
sleeping. `wait_for` looks only at what the bot did after the user's last action, so an older
message that happens to match cannot satisfy it.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.sandbox.html_text import command_entities
from bot.sandbox.markup import inline_button, reply_button
from bot.sandbox.state import CallbackAnswer, Person, StoredMessage, now

if TYPE_CHECKING:
    from bot.sandbox.world import BotAccount, World

Match = str | Callable[[StoredMessage], bool]


class UserDriver:
    def __init__(self, world: World, bot: BotAccount, person: Person) -> None:
        self.world = world
        self.bot = bot
        self.person = person
        self.conv = world.conversation(bot, world.chats[person.id])
        self._mark = len(self.conv.events)
        self._last_query: str | None = None

    @property
    def id(self) -> int:
        return self.person.id

    @property
    def messages(self) -> list[StoredMessage]:
        """Everything the bot sent in this chat, oldest first, deleted ones included (flagged)."""
        return [m for m in self.conv.messages.values() if m.from_bot]

    @property
    def last_message(self) -> StoredMessage | None:
        visible = [m for m in self.messages if not m.deleted]
        return visible[-1] if visible else None

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        return self.conv.callback_answers

    @property
    def chat_actions(self) -> list[str]:
        return self.conv.chat_actions

    @property
    def reply_keyboard(self) -> dict[str, object] | None:
        """The reply keyboard the user currently sees, if any."""
        for message in reversed(self.messages):
            markup = message.reply_markup or {}
            if "keyboard" in markup:
                return markup
            if markup.get("remove_keyboard"):
                return None
        return None

    def photo_bytes(self, message: StoredMessage) -> bytes:
        if not message.photo:
            raise ValueError(f"message {message.message_id} has no photo")
        return self.world.files.get(message.photo[-1]["file_id"]).content

    async def send(self, text: str) -> StoredMessage:
        """Write to the bot; "/start payload" arrives as a command with its deep-link payload."""
        if self.conv.blocked:
            raise RuntimeError("the user blocked the bot; unblock() first")
        self.conv.started = True
        message = StoredMessage(self.conv.chat, self.conv.next_message_id(), now(), self.person,
                                text=text, entities=command_entities(text))
        self.conv.messages[message.message_id] = message
        self._mark = len(self.conv.events)
        self.bot.updates.push("message", message.to_api())
        return message

    async def press(self, label: str) -> str | None:
        """Press the button labelled `label` on the newest message showing it.

        Inline callback buttons send a callback_query (the query id is returned); a reply-keyboard
        button sends its label as a message. URL and other non-callback buttons cannot be pressed.
        """
        for message in reversed(self.messages):
            if message.deleted:
                continue
            button = inline_button(message.reply_markup, label)
            if button is None:
                continue
            if "callback_data" not in button:
                raise ValueError(f"button {label!r} is not a callback button: {button}")
            return await self._callback(message, str(button["callback_data"]))
        if reply_button(self.reply_keyboard, label):
            await self.send(label)
            return None
        shown = [m.buttons for m in self.messages if m.buttons and not m.deleted]
        raise LookupError(f"no button {label!r}; inline keyboards shown: {shown}")

    async def press_data(self, message_id: int, data: str) -> str:
        """Send arbitrary callback data from a message, as a modified client could (security tests)."""
        message = self.conv.find(message_id)
        if message is None:
            raise LookupError(f"no message {message_id} in the chat")
        return await self._callback(message, data)

    async def _callback(self, message: StoredMessage, data: str) -> str:
        if self.conv.blocked:
            raise RuntimeError("the user blocked the bot; unblock() first")
        query_id = str(secrets.randbits(63))
        self.bot.open_queries[query_id] = (self.conv, data)
        self._mark = len(self.conv.events)
        self._last_query = query_id
        self.bot.updates.push("callback_query", {
            "id": query_id, "from": self.person.to_api(), "message": message.to_api(),
            "chat_instance": str(hash((self.bot.me.id, self.conv.chat.id))), "data": data})
        return query_id

    def block(self) -> None:
        """Block the bot: its sends now fail with 403, and it gets a my_chat_member update."""
        self.conv.blocked = True
        self.world.push_member_update(self.bot, self.conv.chat, self.person, "member", "kicked")

    def unblock(self) -> None:
        self.conv.blocked = False
        self.world.push_member_update(self.bot, self.conv.chat, self.person, "kicked", "member")

    async def wait_for(self, match: Match, timeout: float = 5.0,
                       kinds: tuple[str, ...] = ("new", "edit")) -> StoredMessage:
        """The first message the bot sent or edited since the user's last action that matches.

        `match` is a text fragment (searched in the text or caption) or a predicate.
        `kinds` picks events: "new", "edit", "delete".
        """
        start = self._mark

        def matches(message: StoredMessage) -> bool:
            return match in message.content if isinstance(match, str) else bool(match(message))

        def check() -> StoredMessage | None:
            for event in self.conv.events[start:]:
                if event.kind in kinds and matches(event.message):
                    return event.message
            return None

        found = await self.conv.changed.wait_until(check, timeout)
        if found is None:
            seen = [(e.kind, e.message.content[:80]) for e in self.conv.events[start:]]
            raise TimeoutError(f"no bot message matching {match!r} within {timeout}s; since last action: {seen}")
        return found

    async def wait_for_answer(self, timeout: float = 5.0) -> CallbackAnswer:
        """The bot's answerCallbackQuery to the last pressed button."""
        query_id = self._last_query
        if query_id is None:
            raise RuntimeError("no button pressed yet")

        def check() -> CallbackAnswer | None:
            return next((a for a in self.conv.callback_answers if a.query_id == query_id), None)

        found = await self.conv.changed.wait_until(check, timeout)
        if found is None:
            raise TimeoutError(f"callback query {query_id} was not answered within {timeout}s")
        return found
