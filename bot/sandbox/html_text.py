"""Telegram's HTML parse mode: validate like Telegram, and turn markup into text plus entities.

A bot that puts unescaped user input into HTML gets 400 "can't parse entities" from Telegram; the
sandbox answers the same, so such bugs fail in tests rather than in production.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from bot.sandbox.api import ApiError, bad_request

SIMPLE_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "code": "code",
    "pre": "pre", "tg-spoiler": "spoiler", "blockquote": "blockquote",
}
OTHER_TAGS = {"a", "span", "tg-emoji"}
NAMED_ENTITIES = {"lt", "gt", "amp", "quot"}
_STRAY_LT = re.compile(r"<(?![a-zA-Z/])")
_ENTITY = re.compile(r"&([a-zA-Z]+);")
_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _parse_error(text: str) -> ApiError:
    return bad_request(f"can't parse entities: {text}")


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.entities: list[dict[str, Any]] = []
        self.open: list[tuple[str, int, dict[str, Any]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        extra: dict[str, Any] = {}
        attr = dict(attrs)
        if tag in SIMPLE_TAGS:
            extra["type"] = SIMPLE_TAGS[tag]
        elif tag == "a":
            extra = {"type": "text_link", "url": attr.get("href") or ""}
        elif tag == "span" and attr.get("class") == "tg-spoiler":
            extra["type"] = "spoiler"
        elif tag == "tg-emoji":
            extra = {"type": "custom_emoji", "custom_emoji_id": attr.get("emoji-id") or ""}
        else:
            raise _parse_error(f'Unsupported start tag "{tag}" at byte offset {self._offset()}')
        self.open.append((tag, utf16_len(self.text), extra))

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1][0] != tag:
            expected = f'"</{self.open[-1][0]}>"' if self.open else "no end tag"
            raise _parse_error(f'Unmatched end tag at byte offset {self._offset()}, '
                               f'expected {expected}, found "</{tag}>"')
        _, start, extra = self.open.pop()
        length = utf16_len(self.text) - start
        if length > 0:
            self.entities.append({**extra, "offset": start, "length": length})

    def handle_data(self, data: str) -> None:
        self.text += data

    def _offset(self) -> int:
        return len(self.rawdata[: self._pos()].encode())

    def _pos(self) -> int:
        line, col = self.getpos()
        lines = self.rawdata.split("\n")
        return sum(len(x) + 1 for x in lines[: line - 1]) + col


def parse_html(raw: str) -> tuple[str, list[dict[str, Any]]]:
    """Return (plain text, entities) or raise 400 the way Telegram does for bad markup."""
    stray = _STRAY_LT.search(raw)
    if stray:
        raise _parse_error(f'Unsupported start tag "" at byte offset {len(raw[: stray.start()].encode())}')
    for name in _ENTITY.findall(raw):
        if name not in NAMED_ENTITIES:
            raise _parse_error(f'Unsupported HTML entity "&{name};"')
    parser = _Parser()
    parser.feed(raw)
    parser.close()
    if parser.open:
        raise _parse_error(f'Can\'t find end tag corresponding to start tag "{parser.open[-1][0]}"')
    parser.entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return parser.text, parser.entities


def format_text(raw: str, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
    """Apply a parse mode. Markdown modes are stored as given (no entities): the bot uses HTML."""
    if parse_mode is None or parse_mode == "":
        return raw, []
    if parse_mode.lower() == "html":
        return parse_html(raw)
    if parse_mode.lower() in ("markdown", "markdownv2"):
        return raw, []
    raise bad_request("unsupported parse_mode")


def command_entities(text: str) -> list[dict[str, Any]]:
    """bot_command entities, as Telegram's clients attach them to "/start payload" and the like."""
    return [{"type": "bot_command", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group())}
            for m in _COMMAND.finditer(text)]
