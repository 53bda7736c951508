"""Database wiring: one tortoise app named "models", SQLite by default, PostgreSQL by URL."""
from __future__ import annotations

import os
from pathlib import Path

from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE

DEFAULT_URL = "sqlite://data/copytrade.sqlite3"
MODELS = ["core.db.models", "aerich.models"]


def normalize_url(url: str) -> str:
    """Accept postgresql:// as well as tortoise's postgres://, and create the SQLite folder."""
    if url.startswith("postgresql://"):
        url = "postgres://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite://") and url != "sqlite://:memory:":
        path, _, query = url.removeprefix("sqlite://").partition("?")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        if "synchronous=" not in query:
            # WAL (tortoise's default) with NORMAL sync survives a process crash; FULL would fsync
            # on every commit, which costs more than the replication itself.
            url += ("&" if query else "?") + "synchronous=NORMAL"
    return url


def tortoise_config(url: str) -> dict:
    return {
        "connections": {"default": normalize_url(url)},
        "apps": {"models": {"models": MODELS, "default_connection": "default"}},
        "use_tz": True,
        "timezone": "UTC",
    }


def __getattr__(name: str) -> dict:
    """`TORTOISE_ORM`, which aerich reads (pyproject [tool.aerich]), with the URL from the environment
    like the app's. Built on access, so importing core.db creates no data/ folder in the working
    directory (the offline demo and the tests never use it)."""
    if name == "TORTOISE_ORM":
        return tortoise_config(os.environ.get("DATABASE_URL", DEFAULT_URL))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def forget_prepared_queries() -> None:
    """Drop tortoise's prepared insert statements, which it caches by connection name ("default"),
    not by dialect: after a SQLite database (the offline demo runs on one) they would be replayed,
    `?` placeholders and all, against PostgreSQL in the same process."""
    EXECUTOR_CACHE.clear()


async def init_db(url: str) -> None:
    forget_prepared_queries()
    await Tortoise.init(config=tortoise_config(url))


async def close_db() -> None:
    await Tortoise.close_connections()
