"""Decide whether an API key may be stored, from what its exchange says the key can do.

Design invariant 4: a key that can withdraw is never stored. A follower's key must also be able to
trade, or every copied order would fail later; a trader's key only needs to read (we watch it).
"""
from __future__ import annotations

from typing import Literal

from core.errors import AuthenticationFailed, KeyRefused
from core.exchange.base import Gateway, KeyPermissions

Role = Literal["follower", "trader"]


async def validate_key(gateway: Gateway, role: Role) -> KeyPermissions:
    """The key's permissions when it is acceptable for `role`; KeyRefused(reason) otherwise."""
    try:
        permissions = await gateway.inspect_key()
    except AuthenticationFailed:
        raise KeyRefused("auth_failed", exchange=gateway.exchange) from None
    if permissions.withdraw:
        raise KeyRefused("withdraw_enabled", exchange=gateway.exchange)
    if role == "follower" and not permissions.trade:
        raise KeyRefused("cannot_trade", exchange=gateway.exchange)
    return permissions
