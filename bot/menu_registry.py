"""The main menu as a registry, so a feature adds its entry without editing the menu router.

A feature's router factory receives the `MainMenu` and calls `menu.add(MenuEntry(...))`; the entry's
button sends `MenuCallback(action=entry.key)`, which that feature's router handles. Entries are shown
in `order`, two per row, to the users their `visible` predicate admits (e.g. traders, admins).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel.support import LazyProxy

from bot.callbacks import MenuCallback, StrategyCallback
from core.db.models import User

Visible = Callable[[User], bool]


def everyone(user: User) -> bool:
    return True


def traders(user: User) -> bool:
    return user.is_trader


@dataclass(frozen=True, slots=True)
class MenuEntry:
    key: str  # MenuCallback.action of the button; unique in the menu
    text: LazyProxy | str  # lazy_gettext label, translated when the menu is drawn
    order: int = 100
    visible: Visible = everyone


class MainMenu:
    def __init__(self) -> None:
        self._entries: dict[str, MenuEntry] = {}

    def add(self, entry: MenuEntry) -> None:
        """Add an entry, or replace the one with the same key (a feature taking over a placeholder)."""
        self._entries[entry.key] = entry

    def entries_for(self, user: User) -> list[MenuEntry]:
        return sorted((e for e in self._entries.values() if e.visible(user)), key=lambda e: (e.order, e.key))

    def keyboard(self, user: User, pending_strategy_id: int | None = None) -> InlineKeyboardMarkup:
        builder = InlineKeyboardBuilder()
        if pending_strategy_id is not None:
            builder.row(InlineKeyboardButton(
                text=_("🔎 View strategy"),
                callback_data=StrategyCallback(action="view", strategy_id=pending_strategy_id).pack(),
            ))
        buttons = [InlineKeyboardButton(text=str(e.text), callback_data=MenuCallback(action=e.key).pack())
                   for e in self.entries_for(user)]
        for start in range(0, len(buttons), 2):
            builder.row(*buttons[start:start + 2])
        return builder.as_markup()
