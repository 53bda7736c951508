"""Structured logs with correlation ids.

`correlate(strategy=…, subscription=…, event=…)` binds ids to the current task (contextvars),
and every log line emitted inside carries them, so a master event can be followed through the
fan-out. Output is `key=value` text, or one JSON object per line with LOG_JSON=true.
"""
from __future__ import annotations

import contextvars
import json
import logging
import re
from typing import TextIO

_context: contextvars.ContextVar[dict[str, object]] = contextvars.ContextVar("copytrade_log_context", default={})


class correlate:  # noqa: N801  (used like the context-manager function it is)
    """`with correlate(strategy=…, event=…):` binds the ids to the log lines emitted inside.

    A class rather than a generator-based context manager: the engine enters one per follower order."""

    __slots__ = ("_ids", "_token")

    def __init__(self, **ids: object) -> None:
        self._ids = ids
        self._token: contextvars.Token[dict[str, object]] | None = None

    def __enter__(self) -> None:
        merged = _context.get().copy()
        for key, value in self._ids.items():
            if value is not None:
                merged[key] = value
        self._token = _context.set(merged)

    def __exit__(self, *exc: object) -> None:
        assert self._token is not None
        _context.reset(self._token)


def current_ids() -> dict[str, object]:
    return dict(_context.get())


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.ctx = _context.get()
        return True


# Header and query values that carry credentials, in the shapes the four exchanges use.
_SECRET_FIELDS = re.compile(
    r"(?i)((?:X-MBX-APIKEY|OK-ACCESS-(?:KEY|SIGN|PASSPHRASE)|ACCESS-(?:KEY|SIGN|PASSPHRASE)|X-BAPI-(?:API-KEY|SIGN)"
    r"|apiKey|secret|password|passphrase)['\"]?\s*[:=]\s*['\"]?)[^'\",\s}&]+"
    r"|(signature=)[0-9a-fA-F]+"
)


def redact(text: str) -> str:
    return _SECRET_FIELDS.sub(lambda m: (m.group(1) or m.group(2)) + "***", text)


class _RedactFilter(logging.Filter):
    """Last line of defence: a credential that reaches a log record anyway is masked in its text."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ctx = " ".join(f"{k}={v}" for k, v in getattr(record, "ctx", {}).items())
        line = f"{self.formatTime(record)} {record.levelname:<7} {record.name}: {record.getMessage()}"
        if ctx:
            line += f" [{ctx}]"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "ts": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            **getattr(record, "ctx", {}),
        }
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str, ensure_ascii=False)


def setup_logging(level: str = "INFO", as_json: bool = False, stream: TextIO | None = None) -> None:
    handler = logging.StreamHandler(stream)
    handler.addFilter(_ContextFilter())
    handler.addFilter(_RedactFilter())
    handler.setFormatter(_JsonFormatter() if as_json else _TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiosqlite", "tortoise", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # ccxt's DEBUG lines dump whole requests, headers with API keys and passphrases included.
    logging.getLogger("ccxt").setLevel(logging.INFO)
