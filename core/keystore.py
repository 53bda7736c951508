"""API keys of exchange accounts at rest: one vault ciphertext per row, bound to the row's UUID.

`ExchangeAccount.credentials` holds the vault text of a JSON {api_key, secret, passphrase}; the
associated data is the account id, so a ciphertext copied onto another account does not decrypt.

Rotating the vault key:
  1. `copytrade keygen` prints a new key.
  2. Set VAULT_KEY to the new key and VAULT_PREVIOUS_KEYS to the old one (comma-separate several),
     and restart: everything still decrypts and new keys are sealed under the new key.
  3. `copytrade rotate-key` (`rotate_command`) re-encrypts every stored key under VAULT_KEY.
  4. Remove the old key from VAULT_PREVIOUS_KEYS.
"""
from __future__ import annotations

import json
import logging
from uuid import UUID

from tortoise.transactions import in_transaction

from core.config import Settings
from core.db import close_db, init_db
from core.db.models import ExchangeAccount
from core.errors import VaultError
from core.exchange.base import Credentials
from core.vault import Vault

log = logging.getLogger(__name__)

ROTATE_BATCH = 500


def account_ad(account_id: UUID | str) -> bytes:
    """Associated data that binds a ciphertext to one exchange account row."""
    return b"exchange_account:" + str(account_id).encode()


def seal_credentials(vault: Vault, account: ExchangeAccount, credentials: Credentials) -> None:
    """Put the encrypted key and its hint on `account` (unsaved: the caller saves, e.g. on create).

    The UUID primary key exists before the first save, so a new row can be sealed before its insert."""
    payload = {"api_key": credentials.api_key, "secret": credentials.secret, "passphrase": credentials.passphrase}
    account.credentials = vault.encrypt(json.dumps(payload).encode(), account_ad(account.id))
    account.key_hint = credentials.hint


async def store_credentials(vault: Vault, account: ExchangeAccount, credentials: Credentials) -> None:
    """Replace the stored key of a saved account."""
    seal_credentials(vault, account, credentials)
    await account.save(update_fields=["credentials", "key_hint"])


def load_credentials(vault: Vault, account: ExchangeAccount) -> Credentials:
    """Decrypt an account's key. Only a gateway should call this, and keep the result in memory."""
    if account.credentials is None:
        raise VaultError(f"exchange account {account.id} has no stored key")
    plain = vault.decrypt(account.credentials, account_ad(account.id))
    try:
        data = json.loads(plain)
        return Credentials(api_key=data["api_key"], secret=data["secret"], passphrase=data.get("passphrase"))
    except (ValueError, KeyError, TypeError):
        raise VaultError(f"exchange account {account.id}: stored key is not a credentials record") from None


async def rotate_all(vault: Vault, batch_size: int = ROTATE_BATCH) -> int:
    """Re-encrypt every stored key that is not under the active vault key; return how many changed.

    One transaction: if any row fails to decrypt (its key missing from VAULT_PREVIOUS_KEYS, or a
    damaged row), nothing is changed and the error names the account. Rows are read in batches by
    id. Running it again changes nothing and returns 0."""
    rotated = 0
    async with in_transaction() as conn:
        last_id: UUID | None = None
        while True:
            query = ExchangeAccount.filter(credentials__isnull=False).using_db(conn)
            if last_id is not None:
                query = query.filter(id__gt=last_id)
            rows = await query.order_by("id").limit(batch_size).values_list("id", "credentials")
            if not rows:
                break
            for account_id, token in rows:
                if not vault.needs_rotation(token):
                    continue
                ad = account_ad(account_id)
                try:
                    plain = vault.decrypt(token, ad)
                except VaultError as exc:
                    raise type(exc)(f"exchange account {account_id}: {exc}") from None
                await ExchangeAccount.filter(id=account_id).using_db(conn).update(credentials=vault.encrypt(plain, ad))
                rotated += 1
            last_id = rows[-1][0]
    log.info("vault rotation: %d stored keys re-encrypted under key %s", rotated, vault.active_key_id)
    return rotated


async def rotate_command(settings: Settings) -> int:
    """`copytrade rotate-key`: rotate every stored key in the configured database."""
    vault = Vault.from_settings(settings)
    await init_db(settings.database_url)
    try:
        return await rotate_all(vault)
    finally:
        await close_db()
