"""A known secret goes through the whole key path and must appear in no log line, no error text,
no repr and nowhere in the database (the SQLite file itself, or every row on PostgreSQL)."""
from __future__ import annotations

import io
import logging
import os
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from tortoise import Tortoise, connections

from core.config import ExchangeOptions, Settings
from core.db.models import ExchangeAccount, User
from core.errors import AuthenticationFailed, KeyRefused
from core.exchange.base import Credentials, OrderRequest
from core.exchange.keys import validate_key
from core.exchange.provider import Gateways
from core.keystore import rotate_all, seal_credentials
from core.logging import setup_logging
from core.vault import Vault

SECRET = "S3cr3t-" + uuid.uuid4().hex  # unique, so a hit cannot be a coincidence
API_KEY = "AK" + uuid.uuid4().hex
PASSPHRASE = "pp-" + uuid.uuid4().hex


async def _database_text(url: str) -> bytes:
    if url.startswith("sqlite://"):
        await Tortoise.close_connections()  # flush everything to the file before reading it
        path = Path(url.removeprefix("sqlite://"))
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    conn = connections.get("default")
    tables = [r["tablename"] for r in await conn.execute_query_dict(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
    dump = [str(await conn.execute_query_dict(f'SELECT * FROM "{t}"')) for t in tables]
    return "\n".join(dump).encode()


async def test_secret_is_never_logged_echoed_or_stored(db: str, emulator, ccxt_shared) -> None:  # type: ignore[no-untyped-def]
    log_output = io.StringIO()
    setup_logging("DEBUG", stream=log_output)  # the production handler, at its most verbose
    emulator.add_key("binance", api_key=API_KEY, secret=SECRET, balances={"USDT": Decimal(1000)})
    emulator.add_key("okx", api_key=API_KEY, secret=SECRET, passphrase=PASSPHRASE, withdraw=True)
    settings = Settings(
        binance=ExchangeOptions(base_url=emulator.base_url("binance")),
        okx=ExchangeOptions(base_url=emulator.base_url("okx")),
    )
    old_key = os.urandom(32)
    old_vault = Vault(old_key)
    owner = await User.create(telegram_id=4242)
    accounts = {}
    for exchange in ("binance", "okx"):
        account = ExchangeAccount(owner=owner, exchange=exchange)
        seal_credentials(old_vault, account, Credentials(API_KEY, SECRET, PASSPHRASE if exchange == "okx" else None))
        await account.save()
        accounts[exchange] = account
    texts: list[str] = []

    gateways = Gateways(settings, vault=old_vault, shared=ccxt_shared)
    async with gateways.lease(accounts["binance"]) as gateway:
        texts += [repr(gateway), str(gateway)]
        await validate_key(gateway, "follower")
        await gateway.fetch_balance()
        order = gateway.prepare_order(OrderRequest("XRP/USDT", "buy", "market", Decimal(20), "ctleak1"),
                                      reference_price=Decimal(1))
        emulator.set_price("XRP/USDT", Decimal(1))
        await gateway.create_order(order)
    async with gateways.lease(accounts["okx"]) as gateway:
        with pytest.raises(KeyRefused) as refused:
            await validate_key(gateway, "follower")
        texts.append(str(refused.value))

    # a key the exchange rejects: the error text and its logged traceback must not carry the secret
    emulator.keys.get("binance", API_KEY).secret = "another-secret"  # type: ignore[union-attr]
    await gateways.forget(accounts["binance"])
    async with gateways.lease(accounts["binance"]) as gateway:
        with pytest.raises(AuthenticationFailed) as failed:
            await gateway.fetch_balance()
        logging.getLogger("test").exception("auth failed", exc_info=failed.value)
        texts.append(str(failed.value))
    await gateways.close()

    new_vault = Vault(os.urandom(32), [old_key])
    assert await rotate_all(new_vault) == 2
    texts += [repr(new_vault), repr(Credentials(API_KEY, SECRET, PASSPHRASE))]

    texts.append(log_output.getvalue())
    stored = await _database_text(db)
    for secret in (SECRET, PASSPHRASE, API_KEY):
        for text in texts:
            assert secret not in text
        assert secret.encode() not in stored
    assert "auth failed" in texts[-1] and "vault rotation" in texts[-1], "the scanned log must hold the run's records"

