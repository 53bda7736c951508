"""reply_markup checks with Telegram's error texts, and button lookup for the user driver."""
from __future__ import annotations

from typing import Any

from bot.sandbox.api import bad_request

INLINE_ACTIONS = ("callback_data", "url", "login_url", "switch_inline_query",
                  "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
                  "copy_text", "web_app", "callback_game", "pay")
MAX_CALLBACK_DATA = 64  # bytes


def check_reply_markup(markup: Any, *, inline_only: bool = False) -> dict[str, Any] | None:
    """Validate an inline keyboard, reply keyboard, ReplyKeyboardRemove or ForceReply."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        for row in _rows(markup["inline_keyboard"]):
            for button in row:
                _check_inline_button(button)
        return markup
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in markup:
        for row in _rows(markup["keyboard"]):
            for button in row:
                if not isinstance(button, (dict, str)) or (isinstance(button, dict) and not button.get("text")):
                    raise bad_request("can't parse keyboard button: Text is not specified")
        return markup
    if markup.get("remove_keyboard") or markup.get("force_reply"):
        return markup
    raise bad_request("can't parse reply keyboard markup JSON object")


def _rows(rows: Any) -> list[list[Any]]:
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise bad_request("field \"inline_keyboard\" of the InlineKeyboardMarkup should be an Array of Arrays")
    return rows


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not button.get("text"):
        raise bad_request("can't parse inline keyboard button: Text is not specified")
    actions = [key for key in INLINE_ACTIONS if key in button]
    if not actions:
        raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
    data = button.get("callback_data")
    if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
        raise bad_request("BUTTON_DATA_INVALID")
    url = button.get("url")
    if url is not None and not str(url).startswith(("http://", "https://", "tg://")):
        raise bad_request("BUTTON_URL_INVALID")


def inline_button(markup: dict[str, Any] | None, label: str) -> dict[str, Any] | None:
    if not markup:
        return None
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if button.get("text") == label:
                return button
    return None


def reply_button(markup: dict[str, Any] | None, label: str) -> bool:
    if not markup:
        return False
    return any((b if isinstance(b, str) else b.get("text")) == label
               for row in markup.get("keyboard", []) for b in row)
