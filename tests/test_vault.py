"""The vault: AES-256-GCM round trips, and every way a ciphertext must refuse to open."""
from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.config import load_settings
from core.errors import DecryptionFailed, UnknownVaultKey
from core.vault import Vault, generate_key, key_id, token_key_id

KEY_A = bytes(range(32))
KEY_B = bytes(range(32, 64))
AD = b"exchange_account:7d1f0c1e-0000-4000-8000-000000000001"


def flip(token: str, index: int) -> str:
    """The token with one bit of its decoded payload flipped."""
    head, b64 = token.rsplit(":", 1)
    blob = bytearray(base64.b64decode(b64))
    blob[index] ^= 0x01
    return f"{head}:{base64.b64encode(bytes(blob)).decode()}"


def test_round_trip_and_text_format() -> None:
    vault = Vault(KEY_A)
    token = vault.encrypt(b"s3cret", AD)
    version, kid, payload = token.split(":")
    assert (version, kid) == ("v1", key_id(KEY_A))
    assert len(base64.b64decode(payload)) == 12 + len(b"s3cret") + 16
    assert b"s3cret" not in token.encode()
    assert vault.decrypt(token, AD) == b"s3cret"


@pytest.mark.parametrize("index", [0, 11, 12, -1])  # nonce, nonce end, ciphertext, tag
def test_tampered_payload_fails(index: int) -> None:
    vault = Vault(KEY_A)
    token = vault.encrypt(b"s3cret", AD)
    with pytest.raises(DecryptionFailed):
        vault.decrypt(flip(token, index), AD)


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-4],  # truncated
    lambda t: t.rsplit(":", 1)[0] + ":" + base64.b64encode(b"short").decode(),
    lambda t: t + "!",  # not base64
    lambda t: "v2" + t[2:],  # unknown version
    lambda t: "garbage",
])
def test_malformed_text_fails(mangle: Callable[[str], str]) -> None:
    vault = Vault(KEY_A)
    with pytest.raises(DecryptionFailed):
        vault.decrypt(mangle(vault.encrypt(b"s3cret", AD)), AD)


def test_wrong_associated_data_fails() -> None:
    vault = Vault(KEY_A)
    token = vault.encrypt(b"s3cret", AD)
    with pytest.raises(DecryptionFailed):
        vault.decrypt(token, b"exchange_account:another-row")


def test_wrong_key_with_a_known_id_fails() -> None:
    """A header edited to name another key the vault holds still fails: the header is authenticated."""
    token = Vault(KEY_B).encrypt(b"s3cret", AD)
    forged = token.replace(key_id(KEY_B), key_id(KEY_A))
    with pytest.raises(DecryptionFailed):
        Vault(KEY_A, [KEY_B]).decrypt(forged, AD)


def test_unknown_key_id_is_reported_as_such() -> None:
    token = Vault(KEY_B).encrypt(b"s3cret", AD)
    with pytest.raises(UnknownVaultKey) as info:
        Vault(KEY_A).decrypt(token, AD)
    assert key_id(KEY_B) in str(info.value)


def test_fresh_nonce_each_time() -> None:
    vault = Vault(KEY_A)
    tokens = {vault.encrypt(b"same plaintext", AD) for _ in range(50)}
    assert len(tokens) == 50
    nonces = {base64.b64decode(t.rsplit(":", 1)[1])[:12] for t in tokens}
    assert len(nonces) == 50


def test_rotation_opens_old_and_seals_under_active() -> None:
    old_token = Vault(KEY_A).encrypt(b"s3cret", AD)
    rotated = Vault(KEY_B, [KEY_A])
    assert rotated.decrypt(old_token, AD) == b"s3cret"
    assert rotated.needs_rotation(old_token)
    new_token = rotated.encrypt(b"s3cret", AD)
    assert token_key_id(new_token) == key_id(KEY_B) == rotated.active_key_id
    assert not rotated.needs_rotation(new_token)
    assert Vault(KEY_B).decrypt(new_token, AD) == b"s3cret"


def test_repr_and_str_never_show_keys() -> None:
    vault = Vault(KEY_A, [KEY_B])
    for text in (repr(vault), str(vault), f"{vault}"):
        for key in (KEY_A, KEY_B):
            assert base64.b64encode(key).decode() not in text
            assert key.hex() not in text
            assert repr(key) not in text
    assert key_id(KEY_A) in repr(vault)


def test_key_id_is_not_a_prefix_of_the_key() -> None:
    assert key_id(KEY_A) not in KEY_A.hex()
    assert key_id(KEY_A) != key_id(KEY_B)


def test_generate_key_is_accepted_by_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    new, old = generate_key(), generate_key()
    assert new != old and len(base64.b64decode(new)) == 32
    monkeypatch.setenv("VAULT_KEY", new)
    monkeypatch.setenv("VAULT_PREVIOUS_KEYS", old)
    vault = Vault.from_settings(load_settings())
    assert vault.active_key_id == key_id(base64.b64decode(new))
    old_token = Vault(base64.b64decode(old)).encrypt(b"x", AD)
    assert vault.decrypt(old_token, AD) == b"x"


@given(plaintext=st.binary(max_size=2048), ad=st.binary(max_size=128), key=st.binary(min_size=32, max_size=32))
def test_round_trip_property(plaintext: bytes, ad: bytes, key: bytes) -> None:
    vault = Vault(key)
    token = vault.encrypt(plaintext, ad)
    assert vault.decrypt(token, ad) == plaintext
    with pytest.raises(DecryptionFailed):
        vault.decrypt(token, ad + b"\x00")

