"""API keys the emulator knows, with the permissions each exchange reports for them."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class EmulatedKey:
    exchange: str
    api_key: str
    secret: str
    passphrase: str | None = None
    read: bool = True
    trade: bool = True
    withdraw: bool = False
    account_id: str = ""  # which emulated account (balances, orders) the key opens


class KeyRegistry:
    def __init__(self) -> None:
        self._keys: dict[tuple[str, str], EmulatedKey] = {}

    def add(self, key: EmulatedKey) -> EmulatedKey:
        if not key.account_id:
            key.account_id = f"{key.exchange}:{key.api_key}"
        self._keys[(key.exchange, key.api_key)] = key
        return key

    def get(self, exchange: str, api_key: str | None) -> EmulatedKey | None:
        return self._keys.get((exchange, api_key or ""))
