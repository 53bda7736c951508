"""The sandbox's registry: bots, people, chats and memberships, and who may write where."""
from __future__ import annotations

import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.api import bad_request, forbidden
from bot.sandbox.files import FileStore
from bot.sandbox.flood import FloodControl, FloodLimits
from bot.sandbox.state import MEMBER_STATUSES, Chat, Conversation, Person, now
from bot.sandbox.updates import UpdateQueue

PRESENT = ("creator", "administrator", "member", "restricted")
_ADMIN_RIGHTS = ("can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
                 "can_promote_members", "can_change_info", "can_invite_users", "can_post_stories",
                 "can_edit_stories", "can_delete_stories", "can_send_welcome_messages", "can_post_messages",
                 "can_edit_messages", "can_pin_messages")
_RESTRICTED_RIGHTS = ("can_send_messages", "can_send_audios", "can_send_documents", "can_send_photos",
                      "can_send_videos", "can_send_video_notes", "can_send_voice_notes", "can_send_polls",
                      "can_send_other_messages", "can_add_web_page_previews", "can_react_to_messages",
                      "can_edit_tag", "can_change_info", "can_invite_users", "can_pin_messages",
                      "can_manage_topics")


@dataclass
class BotAccount:
    me: Person
    token: str
    updates: UpdateQueue = field(default_factory=UpdateQueue)
    commands: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    webhook_url: str = ""
    conversations: dict[int, Conversation] = field(default_factory=dict)
    open_queries: dict[str, tuple[Conversation, str | None]] = field(default_factory=dict)


def member_api(person: Person, status: str) -> dict[str, Any]:
    """A ChatMember object of the given status with the fields Telegram always sends."""
    data: dict[str, Any] = {"status": status, "user": person.to_api()}
    if status == "creator":
        data["is_anonymous"] = False
    elif status == "administrator":
        data.update({"can_be_edited": False, "is_anonymous": False, **{r: True for r in _ADMIN_RIGHTS}})
    elif status == "kicked":
        data["until_date"] = 0
    elif status == "restricted":
        data.update({"is_member": True, "until_date": 0, **{r: False for r in _RESTRICTED_RIGHTS}})
    return data


class World:
    def __init__(self, flood: FloodLimits | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.bots: dict[str, BotAccount] = {}
        self.people: dict[int, Person] = {}
        self.chats: dict[int, Chat] = {}
        self.files = FileStore()
        self.flood = FloodControl(flood, clock)
        self.calls: Counter[str] = Counter()  # requests per method name

    def add_bot(self, username: str = "copytrade_bot", first_name: str = "CopyTrade",
                bot_id: int | None = None) -> BotAccount:
        """Register a bot; its token is "<id>:<secret>" like a real one."""
        bot_id = bot_id or 7_000_000_000 + len(self.bots) + 1
        person = Person(bot_id, first_name, username=username, is_bot=True)
        self.people[bot_id] = person
        account = BotAccount(person, f"{bot_id}:{secrets.token_urlsafe(26)}")
        self.bots[account.token] = account
        return account

    def add_person(self, user_id: int, first_name: str, *, username: str | None = None,
                   language_code: str | None = "en", last_name: str | None = None) -> Person:
        person = self.people.get(user_id)
        if person is None:
            person = Person(user_id, first_name, username, language_code, last_name)
            self.people[user_id] = person
            self.chats[user_id] = Chat(user_id, "private", username=username, first_name=first_name)
        return person

    def add_chat(self, chat_id: int, chat_type: str, title: str, *, username: str | None = None) -> Chat:
        """A group, supergroup or channel (negative id, like Telegram's)."""
        if chat_type not in ("group", "supergroup", "channel") or chat_id >= 0:
            raise ValueError("groups and channels have negative ids and type group/supergroup/channel")
        chat = Chat(chat_id, chat_type, title=title, username=username)
        self.chats[chat_id] = chat
        return chat

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        if status not in MEMBER_STATUSES:
            raise ValueError(f"unknown member status {status!r}")
        self.chats[chat_id].members[user_id] = status

    def add_bot_to_chat(self, account: BotAccount, chat_id: int, status: str = "administrator",
                        by: int | None = None) -> None:
        """Change the bot's membership and tell the bot with a my_chat_member update, as Telegram does."""
        chat = self.chats[chat_id]
        old = chat.status_of(account.me.id)
        self.set_member(chat_id, account.me.id, status)
        actor = self.people[by] if by is not None else account.me
        self.push_member_update(account, chat, actor, old, status)

    def push_member_update(self, account: BotAccount, chat: Chat, actor: Person, old: str, new: str) -> None:
        account.updates.push("my_chat_member", {
            "chat": chat.to_api(), "from": actor.to_api(), "date": now(),
            "old_chat_member": member_api(account.me, old), "new_chat_member": member_api(account.me, new)})

    def resolve_chat(self, chat_ref: str | None) -> Chat:
        if chat_ref is None:
            raise bad_request("chat_id is empty")
        if chat_ref.startswith("@"):
            name = chat_ref[1:].lower()
            found = next((c for c in self.chats.values() if c.type != "private"
                          and (c.username or "").lower() == name), None)
        else:
            try:
                found = self.chats.get(int(chat_ref))
            except ValueError:
                found = None
        if found is None:
            raise bad_request("chat not found")
        return found

    def conversation(self, account: BotAccount, chat: Chat) -> Conversation:
        conv = account.conversations.get(chat.id)
        if conv is None:
            conv = account.conversations[chat.id] = Conversation(chat)
        return conv

    def check_can_write(self, account: BotAccount, conv: Conversation) -> None:
        """Raise the 403/400 Telegram gives when the bot may not post in this chat."""
        chat = conv.chat
        if chat.type == "private":
            if conv.blocked:
                raise forbidden("bot was blocked by the user")
            if not conv.started:
                raise forbidden("bot can't initiate conversation with a user")
            return
        status = chat.status_of(account.me.id)
        if status == "kicked":
            raise forbidden(f"bot was kicked from the {chat.type} chat")
        if status not in PRESENT:
            raise forbidden(f"bot is not a member of the {chat.type} chat")
        if chat.type == "channel" and status not in ("creator", "administrator"):
            raise bad_request("need administrator rights in the channel chat")

    def check_flood(self, account: BotAccount, method: str, chat: Chat) -> None:
        self.flood.check(account.me.id, method, chat.id, chat.type == "private")
