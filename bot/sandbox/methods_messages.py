"""Bot API methods that write to chats: send, edit, delete, answer callbacks, chat actions, files."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.sandbox.api import Params, Upload, bad_request
from bot.sandbox.html_text import format_text
from bot.sandbox.markup import check_reply_markup
from bot.sandbox.state import CallbackAnswer, Conversation, StoredMessage, now
from bot.sandbox.world import BotAccount, World

Handler = Callable[[World, BotAccount, Params], Awaitable[Any]]
MAX_TEXT = 4096
MAX_CAPTION = 1024
CHAT_ACTIONS = frozenset({"typing", "upload_photo", "record_video", "upload_video", "record_voice",
                          "upload_voice", "upload_document", "choose_sticker", "find_location",
                          "record_video_note", "upload_video_note"})
NOT_MODIFIED = ("message is not modified: specified new message content and reply markup are exactly "
                "the same as a current content and reply markup of the message")


def _formatted(p: Params, field: str, limit: int, too_long: str) -> tuple[str, str, list[dict[str, Any]]]:
    """(raw as given, plain text, entities) for a text or caption parameter."""
    raw = p.text(field) or ""
    text, entities = format_text(raw, p.text("parse_mode"))
    entities_field = "entities" if field == "text" else "caption_entities"
    if not p.text("parse_mode") and p.has(entities_field):
        entities = p.obj(entities_field)
    if len(text) > limit:
        raise bad_request(too_long)
    return raw, text, entities


def _writable(world: World, account: BotAccount, p: Params) -> Conversation:
    conv = world.conversation(account, world.resolve_chat(p.text("chat_id")))
    world.check_can_write(account, conv)
    return conv


def _post(account: BotAccount, conv: Conversation, **fields: Any) -> dict[str, Any]:
    message = StoredMessage(conv.chat, conv.next_message_id(), now(), account.me, **fields)
    conv.messages[message.message_id] = message
    conv.record("new", message)
    return message.to_api()


async def send_message(world: World, account: BotAccount, p: Params) -> Any:
    conv = _writable(world, account, p)
    raw, text, entities = _formatted(p, "text", MAX_TEXT, "message is too long")
    if not text.strip():
        raise bad_request("message text is empty")
    markup = check_reply_markup(p.obj("reply_markup"))
    world.check_flood(account, "sendMessage", conv.chat)
    return _post(account, conv, text=text, html=raw, entities=entities, reply_markup=markup)


async def send_photo(world: World, account: BotAccount, p: Params) -> Any:
    conv = _writable(world, account, p)
    source = p.file("photo")
    if source is None:
        raise bad_request("there is no photo in the request")
    if isinstance(source, Upload):
        stored = world.files.put(source.content, source.filename, "photos")
    else:
        stored = world.files.get(source)  # a URL cannot be fetched offline: "wrong file identifier"
    sizes = world.files.photo_sizes(stored)
    raw, caption, entities = _formatted(p, "caption", MAX_CAPTION, "message caption is too long")
    markup = check_reply_markup(p.obj("reply_markup"))
    world.check_flood(account, "sendPhoto", conv.chat)
    return _post(account, conv, caption=caption or None, html=raw or None, entities=entities,
                 photo=sizes, reply_markup=markup)


def _own_message(world: World, account: BotAccount, p: Params, missing: str) -> tuple[Conversation, StoredMessage]:
    if p.has("inline_message_id"):
        raise bad_request(missing)  # inline mode is not emulated
    conv = world.conversation(account, world.resolve_chat(p.text("chat_id")))
    message = conv.find(p.integer("message_id", required=True) or 0)
    if message is None:
        raise bad_request(missing)
    if message.sender is not account.me:
        raise bad_request("message can't be edited")
    return conv, message


def _apply_edit(conv: Conversation, message: StoredMessage, changes: dict[str, Any]) -> dict[str, Any]:
    if all(getattr(message, key) == value for key, value in changes.items() if key != "html"):
        raise bad_request(NOT_MODIFIED)
    message.history.append(message.html if message.html is not None else message.content)
    for key, value in changes.items():
        setattr(message, key, value)
    message.edit_date = now()
    conv.record("edit", message)
    return message.to_api()


async def edit_message_text(world: World, account: BotAccount, p: Params) -> Any:
    conv, message = _own_message(world, account, p, "message to edit not found")
    if message.text is None:
        raise bad_request("there is no text in the message to edit")
    raw, text, entities = _formatted(p, "text", MAX_TEXT, "message is too long")
    if not text.strip():
        raise bad_request("message text is empty")
    # Like Telegram, an edit without reply_markup removes the inline keyboard.
    markup = check_reply_markup(p.obj("reply_markup"), inline_only=True)
    return _apply_edit(conv, message, {"text": text, "html": raw, "entities": entities, "reply_markup": markup})


async def edit_message_caption(world: World, account: BotAccount, p: Params) -> Any:
    conv, message = _own_message(world, account, p, "message to edit not found")
    if not message.photo:
        raise bad_request("there is no caption in the message to edit")
    raw, caption, entities = _formatted(p, "caption", MAX_CAPTION, "message caption is too long")
    markup = check_reply_markup(p.obj("reply_markup"), inline_only=True)
    return _apply_edit(conv, message, {"caption": caption or None, "html": raw or None,
                                       "entities": entities, "reply_markup": markup})


async def edit_message_reply_markup(world: World, account: BotAccount, p: Params) -> Any:
    conv, message = _own_message(world, account, p, "message to edit not found")
    markup = check_reply_markup(p.obj("reply_markup"), inline_only=True)
    return _apply_edit(conv, message, {"reply_markup": markup})


async def delete_message(world: World, account: BotAccount, p: Params) -> Any:
    conv = world.conversation(account, world.resolve_chat(p.text("chat_id")))
    message = conv.find(p.integer("message_id", required=True) or 0)
    if message is None:
        raise bad_request("message to delete not found")
    message.deleted = True
    conv.record("delete", message)
    return True


async def answer_callback_query(world: World, account: BotAccount, p: Params) -> Any:
    query = account.open_queries.pop(p.text("callback_query_id") or "", None)
    if query is None:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    conv, data = query
    text = p.text("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    conv.callback_answers.append(CallbackAnswer(p.text("callback_query_id") or "", data, text,
                                                p.flag("show_alert"), p.text("url")))
    conv.changed.fire()
    return True


async def send_chat_action(world: World, account: BotAccount, p: Params) -> Any:
    conv = _writable(world, account, p)
    action = p.text("action", required=True) or ""
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    conv.chat_actions.append(action)
    return True


async def get_file(world: World, account: BotAccount, p: Params) -> Any:
    stored = world.files.get(p.text("file_id", required=True) or "")
    return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content), "file_path": stored.file_path}


MESSAGE_METHODS: dict[str, Handler] = {
    "sendmessage": send_message, "sendphoto": send_photo, "editmessagetext": edit_message_text,
    "editmessagecaption": edit_message_caption, "editmessagereplymarkup": edit_message_reply_markup,
    "deletemessage": delete_message, "answercallbackquery": answer_callback_query,
    "sendchataction": send_chat_action, "getfile": get_file,
}
