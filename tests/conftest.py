"""Shared fixtures.

`db`: a fresh schema per test, on SQLite (a temp file) by default, or on the PostgreSQL database that
DATABASE_URL names (its public schema is dropped and recreated, so point it at a test database).
`emulator`: the local exchange emulator on a free port.
Async tests run on the event loop the application runs on (core/loop.py: uvloop where installed).
"""
from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from tortoise import Tortoise, connections

from core import loop
from core.db import close_db, init_db

PG_PREFIXES = ("postgres://", "postgresql://")


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    """Every async test runs on the loop `copytrade` runs on (core/loop.py)."""
    return {"app": loop.loop_factory()}


def database_url(tmp_path: Path) -> str:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(PG_PREFIXES) else f"sqlite://{tmp_path / 'test.sqlite3'}"


async def reset_postgres(url: str) -> None:
    await init_db(url)
    conn = connections.get("default")
    await conn.execute_script("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    await close_db()


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[str]:
    """Yield the database URL with all tables created."""
    url = database_url(tmp_path)
    if url.startswith(PG_PREFIXES):
        await reset_postgres(url)
    await init_db(url)
    await Tortoise.generate_schemas()
    try:
        yield url
    finally:
        await close_db()


@pytest.fixture
async def emulator():  # type: ignore[no-untyped-def]
    from core.emulator.server import ExchangeEmulator

    emu = ExchangeEmulator()
    await emu.start()
    try:
        yield emu
    finally:
        await emu.stop()


@pytest.fixture
async def ccxt_shared():  # type: ignore[no-untyped-def]
    """The process-wide ccxt resources (session, SSL context, throttlers, markets), with short timeouts:
    a "timeout" fault hangs until the client gives up. 1.5 s: a fresh checkout's first request (imports
    compiled on the way, markets parsed) once took longer than 0.6 s under CI load, and a timed-out
    order must still leave room for a retry inside engine_harness.FAST_RETRY's 2 s outage window."""
    from core.exchange.ccxt_shared import CcxtShared

    shared = CcxtShared(timeout_ms=1500)
    try:
        yield shared
    finally:
        await shared.close()
