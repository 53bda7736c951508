"""Write the next migration for both dialects: `python -m core.db.makemigration NAME`.

aerich writes SQL for the one database it is connected to. This brings a scratch SQLite file and a
scratch PostgreSQL database (created next to `--postgres`, dropped afterwards) to the current head,
runs aerich's diff against each, and merges the two results into one file in migrations/models/
that picks its SQL per dialect (see core/db/migrate.py). Each aerich run is in a fresh process:
aerich keeps pending operations in class attributes and tortoise caches queries per connection
name, so neither survives a switch of dialect within one process.
"""
from __future__ import annotations

import argparse
import asyncio
import importlib.util
import multiprocessing
import shutil
import sys
import tempfile
import uuid
from pathlib import Path
from types import ModuleType

import asyncpg
from aerich import Command
from tortoise import Tortoise

from core.db import tortoise_config
from core.db.migrate import APP, MIGRATIONS, migrate

DIALECTS = ("sqlite", "postgres")


async def _diff(url: str, name: str, location: Path) -> str:
    await migrate(url)
    shutil.copytree(MIGRATIONS, location)
    config = tortoise_config(url)
    await Tortoise.init(config=config)
    try:
        command = Command(config, app=APP, location=str(location))
        await command.init()
        return await command.migrate(name, no_input=True)
    finally:
        await Tortoise.close_connections()


def _generate(url: str, name: str, location: str) -> str:
    """Child-process entry: the file name aerich wrote under `location`, or "" for no changes."""
    return asyncio.run(_diff(url, name, Path(location)))


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sql_literal(sql: str) -> str:
    sql = sql.strip()
    if '"""' in sql:
        raise ValueError('generated SQL contains """; write this migration by hand')
    return ('r"""' if "\\" in sql else '"""') + "\n" + sql + '\n"""'


def render(description: str, generated: dict[str, Path]) -> str:
    """One migration file from aerich's per-dialect files (same models state in each)."""
    modules = {dialect: _load(path) for dialect, path in generated.items()}
    states = {module.MODELS_STATE for module in modules.values()}
    if len(states) != 1:
        raise ValueError("aerich recorded different model states per dialect")

    def table(step: str) -> str:
        rows = "".join(
            f'    "{d}": {_sql_literal(asyncio.run(getattr(m, step)(None)))},\n' for d, m in modules.items()
        )
        return "{\n" + rows + "}"

    state = generated["sqlite"].read_text(encoding="utf-8").split("MODELS_STATE = (", 1)[1]
    return f'''"""{description}"""
from tortoise import BaseDBAsyncClient

from core.db.migrate import for_dialect

RUN_IN_TRANSACTION = True

UPGRADE = {table("upgrade")}

DOWNGRADE = {table("downgrade")}


async def upgrade(db: BaseDBAsyncClient) -> str:
    return for_dialect(db, UPGRADE)


async def downgrade(db: BaseDBAsyncClient) -> str:
    return for_dialect(db, DOWNGRADE)


MODELS_STATE = ({state}'''


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.db.makemigration", description=__doc__.splitlines()[0])
    parser.add_argument("name", help="short snake_case name, e.g. add_fee_currency")
    parser.add_argument("description", help="one sentence for the file's docstring: what changes and why")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres",
                        help="a PostgreSQL server URL whose user may CREATE DATABASE (a scratch one is made)")
    args = parser.parse_args(argv)

    scratch_db = f"copytrade_makemigration_{uuid.uuid4().hex[:8]}"
    server, _, _ = args.postgres.rpartition("/")
    spawn = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        urls = {"sqlite": f"sqlite://{work / 'scratch.sqlite3'}", "postgres": f"{server}/{scratch_db}"}
        asyncio.run(_admin(args.postgres, f'CREATE DATABASE "{scratch_db}"'))
        try:
            generated: dict[str, Path] = {}
            for dialect in DIALECTS:
                with spawn.Pool(1) as pool:
                    version = pool.apply(_generate, (urls[dialect], args.name, str(work / dialect)))
                if not version:
                    print("No model changes: nothing to migrate.")
                    return 0
                generated[dialect] = work / dialect / APP / version
        finally:
            asyncio.run(_admin(args.postgres, f'DROP DATABASE IF EXISTS "{scratch_db}"'))
        if generated["sqlite"].name.split("_")[0] != generated["postgres"].name.split("_")[0]:
            raise SystemExit("aerich numbered the two dialects' migrations differently")
        target = MIGRATIONS / APP / generated["sqlite"].name
        target.write_text(render(args.description, generated), encoding="utf-8")
    print(f"Wrote {target.relative_to(MIGRATIONS.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
