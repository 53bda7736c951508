"""One process may open a SQLite database and then another database (the offline demo runs on a
temporary SQLite file inside a process that may otherwise use PostgreSQL): rows still insert."""
from __future__ import annotations

from pathlib import Path

from tortoise import Tortoise

from core.db import close_db, init_db
from core.db.models import User
from tests.conftest import PG_PREFIXES, database_url, reset_postgres


async def test_insert_after_switching_databases(tmp_path: Path) -> None:
    await init_db(f"sqlite://{tmp_path / 'first.sqlite3'}")
    await Tortoise.generate_schemas()
    await User.create(telegram_id=1)
    await close_db()

    url = database_url(tmp_path / "second")  # PostgreSQL when DATABASE_URL names it, else a second file
    if url.startswith(PG_PREFIXES):
        await reset_postgres(url)
    await init_db(url)
    try:
        await Tortoise.generate_schemas()
        await User.create(telegram_id=2)
        assert await User.filter(telegram_id=2).count() == 1
    finally:
        await close_db()
