"""Schema migrations with aerich, one chain for SQLite and PostgreSQL.

aerich 0.10 writes a migration as `async def upgrade(db) -> str` returning SQL in the dialect of the
database it was generated against. Our migration files (migrations/models/) hold the SQL aerich
generated against each supported dialect and pick one with `for_dialect`, so the same chain, and the
same rows in aerich's version table, upgrade either database in place.

Adding a migration: change core/db/models.py, then `python -m core.db.makemigration NAME "why"`
(needs the local PostgreSQL server to create a scratch database) writes the merged file.
"""
from __future__ import annotations

from pathlib import Path

from aerich import Command
from tortoise import BaseDBAsyncClient, Tortoise

from core.db import forget_prepared_queries, tortoise_config
from core.errors import ConfigError

APP = "models"


def _migrations_dir() -> Path:
    """The checkout's migrations folder (pyproject [tool.aerich] location) whatever the cwd; when the
    package is installed as a wheel (Docker), ./migrations next to the app."""
    checkout = Path(__file__).resolve().parents[2] / "migrations"
    return checkout if checkout.is_dir() else Path.cwd() / "migrations"


MIGRATIONS = _migrations_dir()


def for_dialect(db: BaseDBAsyncClient | None, sql: dict[str, str]) -> str:
    """The SQL of one migration step for the dialect of `db`; unknown dialects fail loudly.

    aerich's diff reads earlier steps with no connection (`upgrade(None)`) to tell PostgreSQL unique
    constraints from unique indexes; it only does so for PostgreSQL, so that is the SQL it gets."""
    dialect = db.schema_generator.DIALECT if db is not None else "postgres"
    if dialect not in sql:
        raise NotImplementedError(f"no migration SQL for the {dialect} dialect (have: {', '.join(sql)})")
    return sql[dialect]


async def migrate(url: str) -> list[str]:
    """Upgrade the database at `url` in place to the latest migration; return the versions applied now.

    Each migration runs in its own transaction. The database may be empty, at any earlier migration,
    or already current (then nothing is applied). Opens and closes its own tortoise connections, so
    call it before `init_db`, not while the app holds connections."""
    if not any((MIGRATIONS / APP).glob("0_*.py")):
        raise ConfigError(f"no migrations found in {MIGRATIONS / APP}: run from the directory that holds migrations/")
    config = tortoise_config(url)
    # Init explicitly: aerich only inits when tortoise was never inited, and tortoise stays "inited"
    # (with a stale config) after close_connections.
    forget_prepared_queries()
    await Tortoise.init(config=config)
    try:
        command = Command(config, app=APP, location=str(MIGRATIONS))
        await command.init()
        return await command.upgrade(run_in_transaction=True)
    finally:
        await Tortoise.close_connections()
