"""Migrations: the one chain in migrations/models/ builds the schema the models describe, on SQLite
and on PostgreSQL, and upgrades a database that is at an earlier migration without losing rows.

Runs on a temp SQLite file, or on the PostgreSQL database DATABASE_URL names (schema reset first).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from aerich import Command
from tortoise import BaseDBAsyncClient, Tortoise, connections
from tortoise.exceptions import IntegrityError

from core.db import close_db, init_db, tortoise_config
from core.db.migrate import APP, MIGRATIONS, migrate
from core.db.models import CopyOrder, ExchangeAccount, JobRun, MasterEvent, User
from tests.conftest import PG_PREFIXES, database_url, reset_postgres

VERSIONS = sorted((p.name for p in (MIGRATIONS / APP).glob("[0-9]*_*.py")), key=lambda n: int(n.split("_")[0]))


async def fresh_database(tmp_path: Path, name: str) -> str:
    """An empty database: a new SQLite file, or the PostgreSQL test database with its schema reset."""
    url = database_url(tmp_path / name)
    if url.startswith(PG_PREFIXES):
        await reset_postgres(url)
    return url


async def schema(conn: BaseDBAsyncClient) -> dict[str, object]:
    """Tables with their columns (name, type, nullability, primary key) and unique indexes, as the database
    reports them. Column order and defaults are left out: a column added by a later migration comes last
    and keeps the DEFAULT that filled existing rows, which the models (whose defaults live in Python) lack."""
    if conn.schema_generator.DIALECT == "postgres":
        _, cols = await conn.execute_query(
            "SELECT table_name, column_name, data_type, character_maximum_length, numeric_precision, "
            "numeric_scale, is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'public'"
        )
        _, idx = await conn.execute_query("SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'")
        return {
            "columns": sorted(tuple(row)[:-1] for row in cols),  # without column_default (see docstring)
            "indexes": sorted(tuple(row) for row in idx),
        }
    _, tables = await conn.execute_query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    result: dict[str, object] = {}
    for (table,) in sorted(tuple(t) for t in tables):
        _, cols = await conn.execute_query(f'PRAGMA table_info("{table}")')
        _, indexes = await conn.execute_query(f'PRAGMA index_list("{table}")')
        unique = []
        for index in indexes:
            if index["unique"]:
                _, info = await conn.execute_query(f'PRAGMA index_info("{index["name"]}")')
                unique.append(tuple(i["name"] for i in info))
        columns = sorted((c["name"], c["type"], c["notnull"], c["pk"]) for c in cols)
        result[table] = {"columns": columns, "unique": sorted(unique)}
    return result


async def table_names(url: str) -> set[str]:
    await init_db(url)
    try:
        conn = connections.get("default")
        if conn.schema_generator.DIALECT == "postgres":
            _, rows = await conn.execute_query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        else:
            _, rows = await conn.execute_query("SELECT name AS tablename FROM sqlite_master WHERE type = 'table'")
        return {row["tablename"] for row in rows}
    finally:
        await close_db()


async def apply_migrations(url: str, tmp_path: Path, versions: list[str]) -> None:
    """Bring a database to the given migrations with aerich itself, from a folder holding only those files."""
    location = tmp_path / "migrations_partial"
    (location / APP).mkdir(parents=True)
    for version in versions:
        shutil.copy(MIGRATIONS / APP / version, location / APP / version)
    config = tortoise_config(url)
    await Tortoise.init(config=config)
    try:
        command = Command(config, app=APP, location=str(location))
        await command.init()
        assert await command.upgrade() == versions
    finally:
        await Tortoise.close_connections()


async def insert(table: str, values: dict[str, object]) -> None:
    """A row written with plain SQL, as an older release would have written it (the ORM is ahead)."""
    conn = connections.get("default")
    columns = ", ".join(f'"{c}"' for c in values)
    literals = ", ".join("NULL" if v is None else repr(v) if not isinstance(v, str) else "'" + v + "'" for v in values.values())
    await conn.execute_script(f'INSERT INTO "{table}" ({columns}) VALUES ({literals})')


async def write_rows_of_an_older_release() -> None:
    """A user, a key, a strategy, a subscription, a master event and a copy order, at migration 1."""
    now = "2025-01-01 00:00:00+00:00"
    account = "00000000-0000-0000-0000-0000000000aa"
    await insert("users", {"id": 1, "telegram_id": 42, "username": "early", "full_name": "", "language": "en",
                           "status": "active", "is_trader": False, "created_at": now})
    await insert("exchange_accounts", {"id": account, "owner_id": 1, "exchange": "binance", "market_type": "spot",
                                       "label": "", "credentials": "v1:abc:xyz", "key_hint": "", "is_demo": False,
                                       "status": "active", "can_trade": True, "can_withdraw": False, "created_at": now})
    await insert("strategies", {"id": 1, "trader_id": 1, "account_id": account, "name": "s", "description": "",
                                "status": "approved", "is_public": True, "is_margin": False, "quote_currency": "USDT",
                                "min_deposit": 0, "recommended_deposit": 0, "subscription_step": 0, "fee_fixed": 0,
                                "fee_period_days": 30, "profit_share_pct": 0, "created_at": now})
    await insert("subscriptions", {"id": 1, "follower_id": 1, "strategy_id": 1, "account_id": account,
                                   "status": "active", "sizing_mode": "proportional", "multiplier": "0.5",
                                   "allocation": 100, "max_allocation_pct": 30, "drawdown_action": "pause",
                                   "slippage_tolerance_pct": 1, "round_up_to_min": False, "start_equity": 100,
                                   "high_water_mark": 100, "created_at": now, "updated_at": now})
    await insert("master_events", {"id": 1, "strategy_id": 1, "exchange_event_id": "t:1", "kind": "fill",
                                   "symbol": "XRP/USDT", "side": "buy", "order_type": "market", "amount": 10,
                                   "filled": 10, "payload": "{}", "occurred_at": now, "detected_at": now})
    await insert("copy_orders", {"master_event_id": 1, "subscription_id": 1, "client_order_id": "ct1",
                                 "symbol": "XRP/USDT", "side": "buy", "order_type": "market", "amount": 5,
                                 "status": "filled", "filled": 5, "fee": 0, "attempts": 1, "created_at": now})


def test_there_is_a_previous_migration_to_upgrade_from() -> None:
    assert len(VERSIONS) >= 2 and [v.split("_")[0] for v in VERSIONS] == [str(n) for n in range(len(VERSIONS))]


async def test_migrations_build_an_empty_database(tmp_path: Path) -> None:
    url = await fresh_database(tmp_path, "empty")
    assert await migrate(url) == VERSIONS
    assert await migrate(url) == []  # already current
    assert {"users", "exchange_accounts", "copy_orders", "job_runs", "aerich"} <= await table_names(url)

    await init_db(url)
    try:
        await JobRun.create(job="daily_k", period_key="2025-01-31")
        with pytest.raises(IntegrityError):  # the migrated table carries the unique (job, period_key)
            await JobRun.create(job="daily_k", period_key="2025-01-31")
    finally:
        await close_db()


async def test_database_at_previous_migration_upgrades_in_place(tmp_path: Path) -> None:
    url = await fresh_database(tmp_path, "previous")
    await apply_migrations(url, tmp_path, VERSIONS[:-1])
    await init_db(url)
    try:
        await insert("users", {"telegram_id": 42, "username": "early", "full_name": "", "language": "en",
                               "status": "active", "is_trader": False, "created_at": "2025-01-01 00:00:00+00:00"})
    finally:
        await close_db()

    assert await migrate(url) == VERSIONS[-1:]
    await init_db(url)
    try:
        assert await User.get(telegram_id=42).values_list("username", flat=True) == "early"
    finally:
        await close_db()


async def test_rows_of_an_older_release_survive_the_copy_order_rebuild(tmp_path: Path) -> None:
    """Migration 2 rebuilds copy_orders (a new unique key); everything written at migration 1 survives."""
    url = await fresh_database(tmp_path, "older")
    await apply_migrations(url, tmp_path, VERSIONS[:2])
    await init_db(url)
    try:
        await write_rows_of_an_older_release()
    finally:
        await close_db()

    assert await migrate(url) == VERSIONS[2:]

    await init_db(url)
    try:
        kept = await ExchangeAccount.get(credentials="v1:abc:xyz").prefetch_related("owner")
        assert kept.owner.username == "early" and kept.equity == 0
        order = await CopyOrder.get(client_order_id="ct1")  # carried through the table's rebuild
        assert (order.leg, order.reduce_only, order.target_id, order.filled) == (0, False, None, 5)
        event = await MasterEvent.get(exchange_event_id="t:1")
        assert (event.position_before, event.fanned_out_at) == (0, None)
        # the new unique key allows a second leg for the same event and subscription
        await CopyOrder.create(master_event=event, subscription_id=1, leg=1, client_order_id="ct2",
                               symbol="XRP/USDT", side="sell", amount=1)
        with pytest.raises(IntegrityError):
            await CopyOrder.create(master_event=event, subscription_id=1, leg=1, client_order_id="ct3",
                                   symbol="XRP/USDT", side="sell", amount=1)
        await JobRun.create(job="fees", period_key="2025-01")
    finally:
        await close_db()


async def test_migrated_schema_equals_the_models_schema(tmp_path: Path) -> None:
    """What the migrations build is exactly what tortoise would create from the models today."""
    url = await fresh_database(tmp_path, "from_models")
    await init_db(url)
    try:
        await Tortoise.generate_schemas()
        expected = await schema(connections.get("default"))
    finally:
        await close_db()

    url = await fresh_database(tmp_path, "from_migrations")
    await migrate(url)
    await init_db(url)
    try:
        assert await schema(connections.get("default")) == expected
    finally:
        await close_db()


async def test_aerich_sees_no_pending_model_changes(tmp_path: Path) -> None:
    """The last migration's recorded model state matches the models: `aerich migrate` has nothing to write.

    Runs against a copy of the migrations folder so a failure cannot leave a new file in the repository."""
    url = await fresh_database(tmp_path, "pending")
    await migrate(url)
    location = tmp_path / "migrations_copy"
    shutil.copytree(MIGRATIONS, location)
    config = tortoise_config(url)
    await Tortoise.init(config=config)
    try:
        command = Command(config, app=APP, location=str(location))
        await command.init()
        assert await command.migrate("pending", no_input=True) == ""
    finally:
        await Tortoise.close_connections()
    assert sorted(p.name for p in (location / APP).glob("*.py")) == sorted(VERSIONS)


@pytest.mark.skipif(not database_url(Path()).startswith(PG_PREFIXES), reason="needs the PostgreSQL server")
def test_makemigration_writes_nothing_when_models_match(capsys: pytest.CaptureFixture[str]) -> None:
    """The two-dialect generator runs end to end (scratch SQLite + scratch PostgreSQL database)."""
    from core.db.makemigration import main

    server = database_url(Path()).rpartition("/")[0]
    assert main(["noop", "no-op", "--postgres", f"{server}/postgres"]) == 0
    assert "nothing to migrate" in capsys.readouterr().out
    assert sorted(p.name for p in (MIGRATIONS / APP).glob("*.py")) == sorted(VERSIONS)
