"""Stored exchange keys: sealed per row, unreadable on another row, and rotated all at once."""
from __future__ import annotations

from uuid import UUID

import pytest

from core.db.models import ExchangeAccount, User
from core.errors import DecryptionFailed, UnknownVaultKey, VaultError
from core.exchange.base import Credentials
from core.keystore import load_credentials, rotate_all, seal_credentials, store_credentials
from core.vault import Vault, key_id, token_key_id

OLD_KEY = bytes(range(32))
NEW_KEY = bytes(range(100, 132))
CREDS = Credentials(api_key="AKIAexamplekey1234", secret="very-secret-value", passphrase="pass phrase")


async def new_account(owner: User, vault: Vault, creds: Credentials = CREDS) -> ExchangeAccount:
    account = ExchangeAccount(owner=owner, exchange="okx")
    seal_credentials(vault, account, creds)  # before the insert: the UUID already exists
    await account.save()
    return account


@pytest.fixture
async def owner(db: str) -> User:
    return await User.create(telegram_id=1001)


async def test_store_and_load(owner: User) -> None:
    vault = Vault(OLD_KEY)
    account = await new_account(owner, vault)
    fresh = await ExchangeAccount.get(id=account.id)
    assert fresh.key_hint == "AKIA…1234"
    assert fresh.credentials is not None
    for secret in (CREDS.api_key, CREDS.secret, "pass phrase"):
        assert secret not in fresh.credentials
    assert load_credentials(vault, fresh) == CREDS


async def test_store_replaces_key_of_saved_account(owner: User) -> None:
    vault = Vault(OLD_KEY)
    account = await new_account(owner, vault)
    replacement = Credentials(api_key="BNBnewkey99998888", secret="other")
    await store_credentials(vault, account, replacement)
    fresh = await ExchangeAccount.get(id=account.id)
    assert load_credentials(vault, fresh) == replacement
    assert fresh.key_hint == "BNBn…8888"


async def test_ciphertext_copied_to_another_row_fails(owner: User) -> None:
    vault = Vault(OLD_KEY)
    victim = await new_account(owner, vault)
    attacker = await new_account(owner, vault, Credentials(api_key="attacker-key-0000", secret="x"))
    await ExchangeAccount.filter(id=attacker.id).update(credentials=victim.credentials)
    with pytest.raises(DecryptionFailed):
        load_credentials(vault, await ExchangeAccount.get(id=attacker.id))


async def test_account_without_key_is_a_vault_error(owner: User) -> None:
    account = await ExchangeAccount.create(owner=owner, exchange="paper", is_demo=True)
    with pytest.raises(VaultError):
        load_credentials(Vault(OLD_KEY), account)


async def test_rotation_reencrypts_every_row(owner: User) -> None:
    old_vault = Vault(OLD_KEY)
    creds = [Credentials(api_key=f"key-{i:04d}-abcdefgh", secret=f"secret-{i}") for i in range(7)]
    accounts = [await new_account(owner, old_vault, c) for c in creds]
    await ExchangeAccount.create(owner=owner, exchange="paper", is_demo=True)  # no key: left alone

    rotating = Vault(NEW_KEY, [OLD_KEY])
    assert await rotate_all(rotating, batch_size=3) == len(accounts)  # several batches

    stored = dict(await ExchangeAccount.filter(credentials__isnull=False).values_list("id", "credentials"))
    assert len(stored) == len(accounts)
    assert {token_key_id(token) for token in stored.values()} == {key_id(NEW_KEY)}
    only_new = Vault(NEW_KEY)
    for account, expected in zip(accounts, creds):
        assert load_credentials(only_new, await ExchangeAccount.get(id=account.id)) == expected

    assert await rotate_all(rotating) == 0  # idempotent
    assert dict(await ExchangeAccount.filter(credentials__isnull=False).values_list("id", "credentials")) == stored


async def test_rotation_is_all_or_nothing(owner: User) -> None:
    """A row sealed under a key the vault lacks aborts the rotation after other rows were re-encrypted:
    the transaction rolls them back, and the error names the account (it is read last, highest id)."""
    for _ in range(4):
        await new_account(owner, Vault(OLD_KEY))
    stranded = ExchangeAccount(id=UUID(int=(1 << 128) - 1), owner=owner, exchange="okx")
    seal_credentials(Vault(bytes(32)), stranded, CREDS)
    await stranded.save()
    before = dict(await ExchangeAccount.all().values_list("id", "credentials"))
    with pytest.raises(UnknownVaultKey) as info:
        await rotate_all(Vault(NEW_KEY, [OLD_KEY]), batch_size=2)
    assert str(stranded.id) in str(info.value)
    assert dict(await ExchangeAccount.all().values_list("id", "credentials")) == before
