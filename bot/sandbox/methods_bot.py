"""Bot API methods about the bot itself and about chats: getMe, updates, webhook, commands, members."""
from __future__ import annotations

import json
import re
from typing import Any

from bot.sandbox.api import ApiError, Params, bad_request
from bot.sandbox.methods_messages import Handler
from bot.sandbox.world import BotAccount, World, member_api

_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")


async def get_me(world: World, account: BotAccount, p: Params) -> Any:
    return {**account.me.to_api(), "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False, "can_connect_to_business": False, "has_main_web_app": False}


async def get_updates(world: World, account: BotAccount, p: Params) -> Any:
    if account.webhook_url:
        raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                            "use deleteWebhook to delete the webhook first")
    return await account.updates.get(offset=p.integer("offset"), limit=p.integer("limit", 100) or 100,
                                     timeout=p.integer("timeout", 0) or 0, allowed=p.obj("allowed_updates"))


async def set_webhook(world: World, account: BotAccount, p: Params) -> Any:
    """Stored only: the sandbox delivers updates through getUpdates, never by calling a webhook."""
    url = p.text("url") or ""
    if url and not url.startswith("https://"):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if p.flag("drop_pending_updates"):
        account.updates.drop_pending()
    account.webhook_url = url
    return True


async def delete_webhook(world: World, account: BotAccount, p: Params) -> Any:
    if p.flag("drop_pending_updates"):
        account.updates.drop_pending()
    account.webhook_url = ""
    return True


async def get_webhook_info(world: World, account: BotAccount, p: Params) -> Any:
    return {"url": account.webhook_url, "has_custom_certificate": False,
            "pending_update_count": account.updates.pending_count}


def _commands_key(p: Params) -> tuple[str, str]:
    scope = p.obj("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), p.text("language_code") or ""


async def set_my_commands(world: World, account: BotAccount, p: Params) -> Any:
    commands = p.obj("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("commands must be a list of at most 100 BotCommand")
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND_NAME.match(str(command.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    account.commands[_commands_key(p)] = [{"command": c["command"], "description": c["description"]}
                                          for c in commands]
    return True


async def get_my_commands(world: World, account: BotAccount, p: Params) -> Any:
    return account.commands.get(_commands_key(p), [])


async def delete_my_commands(world: World, account: BotAccount, p: Params) -> Any:
    account.commands.pop(_commands_key(p), None)
    return True


async def get_chat(world: World, account: BotAccount, p: Params) -> Any:
    return world.resolve_chat(p.text("chat_id")).full_info()


async def get_chat_member(world: World, account: BotAccount, p: Params) -> Any:
    chat = world.resolve_chat(p.text("chat_id"))
    person = world.people.get(p.integer("user_id", required=True) or 0)
    if person is None:
        raise bad_request("user not found")
    if chat.type == "private":
        return member_api(person, "member" if person.id in (chat.id, account.me.id) else "left")
    return member_api(person, chat.status_of(person.id))


async def get_chat_administrators(world: World, account: BotAccount, p: Params) -> Any:
    chat = world.resolve_chat(p.text("chat_id"))
    return [member_api(world.people[uid], status) for uid, status in chat.members.items()
            if status in ("creator", "administrator")]


BOT_METHODS: dict[str, Handler] = {
    "getme": get_me, "getupdates": get_updates, "setwebhook": set_webhook, "deletewebhook": delete_webhook,
    "getwebhookinfo": get_webhook_info, "setmycommands": set_my_commands, "getmycommands": get_my_commands,
    "deletemycommands": delete_my_commands, "getchat": get_chat, "getchatmember": get_chat_member,
    "getchatadministrators": get_chat_administrators,
}
