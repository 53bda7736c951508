"""Typed callback data of every inline button (aiogram packs them as "prefix:field:…", ≤ 64 bytes).

Other routers own their own prefixes; `StrategyCallback` is declared here because onboarding shows
its "View strategy" button for a deep link, while the subscribe flow (another router) handles it.
"""
from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

MAX_ROW_ID = 2**31 - 1  # integer primary keys are PostgreSQL `integer`s
# An integer row id from the client: anything the database could not even compare is refused at
# unpacking (the button's filter does not match), instead of failing inside the query.
RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]


class LanguageCallback(CallbackData, prefix="lang"):
    """Pick a language during onboarding ("onboarding") or from Settings ("settings")."""

    code: str
    origin: Literal["onboarding", "settings"]


class DisclaimerCallback(CallbackData, prefix="disclaimer"):
    action: Literal["accept"]


class MenuCallback(CallbackData, prefix="menu"):
    """A main-menu entry; `action` is the entry's key ("main" redraws the menu itself)."""

    action: str


class StrategyCallback(CallbackData, prefix="strategy"):
    """Handled by the strategies/subscribe routers: `action="view"` opens a strategy card."""

    action: str
    strategy_id: RowId


class ExchangeCallback(CallbackData, prefix="exch"):
    """The exchange chosen when adding a key."""

    exchange: str


class KeyCallback(CallbackData, prefix="key"):
    """An action on one of the user's exchange accounts; the service checks ownership."""

    action: Literal["open", "recheck", "delete", "confirm_delete"]
    account_id: UUID


class KeysCallback(CallbackData, prefix="keys"):
    """Actions on the key list itself."""

    action: Literal["list", "add", "demo", "cancel"]
