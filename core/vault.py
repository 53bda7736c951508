"""The key vault: AES-256-GCM encryption of secrets at rest, with key rotation.

A ciphertext is text: `v1:<key id>:<base64(nonce ‖ ciphertext ‖ tag)>`. The key id names the key
that sealed it (a hash prefix, never the key), so a vault holding the active key and the previous
ones decrypts anything sealed under any of them while always sealing under the active key. The
caller's associated data binds a ciphertext to its row: copied to another row, it no longer
decrypts. The header is authenticated too, so it cannot be edited to point at another key.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.config import Settings
from core.errors import DecryptionFailed, UnknownVaultKey, VaultError

VERSION = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12  # 96 bits, random per encryption (GCM's recommended nonce size)
TAG_BYTES = 16


def generate_key() -> str:
    """A new vault key for VAULT_KEY: base64 of 32 random bytes (`copytrade keygen`)."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def key_id(key: bytes) -> str:
    """A short public name for a key: 8 hex digits of a domain-separated SHA-256 of it."""
    return hashlib.sha256(b"copytrade-vault-key-id\x00" + key).hexdigest()[:8]


def token_key_id(token: str) -> str:
    """The id of the key that sealed `token` (no decryption); DecryptionFailed if it is no vault text."""
    parts = token.split(":")
    if len(parts) != 3 or parts[0] != VERSION or len(parts[1]) != 8:
        raise DecryptionFailed("not a vault ciphertext")
    return parts[1]


class Vault:
    """Seals under the active key; opens under the active key or any previous one."""

    __slots__ = ("_active_id", "_ciphers")

    def __init__(self, active: bytes, previous: Iterable[bytes] = ()) -> None:
        keys = [active, *previous]
        if any(len(key) != KEY_BYTES for key in keys):
            raise VaultError("vault keys must be 32 bytes")
        self._active_id = key_id(active)
        # Reversed so that the active key wins should a previous key repeat it.
        self._ciphers = {key_id(key): AESGCM(key) for key in reversed(keys)}

    @classmethod
    def from_settings(cls, settings: Settings) -> Vault:
        active, previous = settings.vault_keys()
        return cls(active, previous)

    @property
    def active_key_id(self) -> str:
        return self._active_id

    def encrypt(self, plaintext: bytes, associated_data: bytes) -> str:
        """Seal `plaintext` under the active key, bound to `associated_data` (e.g. the row's id)."""
        header = f"{VERSION}:{self._active_id}:"
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[self._active_id].encrypt(nonce, plaintext, header.encode() + associated_data)
        return header + base64.b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, token: str, associated_data: bytes) -> bytes:
        """Open a ciphertext. Wrong key, wrong associated data and tampering all raise the same
        DecryptionFailed; a key id this vault does not hold raises UnknownVaultKey."""
        kid = token_key_id(token)
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise UnknownVaultKey(f"ciphertext sealed under vault key {kid}, which is neither VAULT_KEY "
                                  "nor in VAULT_PREVIOUS_KEYS")
        try:
            blob = base64.b64decode(token.rsplit(":", 1)[1], validate=True)
        except (binascii.Error, ValueError):
            raise DecryptionFailed() from None
        if len(blob) < NONCE_BYTES + TAG_BYTES:
            raise DecryptionFailed()
        header = f"{VERSION}:{kid}:".encode()
        try:
            return cipher.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], header + associated_data)
        except InvalidTag:
            raise DecryptionFailed() from None

    def needs_rotation(self, token: str) -> bool:
        """True when `token` is sealed under a key other than the active one."""
        return token_key_id(token) != self._active_id

    def __repr__(self) -> str:
        return f"Vault(active_key_id={self._active_id!r}, keys={len(self._ciphers)})"

    __str__ = __repr__
