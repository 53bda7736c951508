"""Keyboards of discovery: the leaderboard (entries, sort orders, pages, search) and the card."""
from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.callbacks import StrategyCallback
from bot.callbacks_trading import BoardCallback, CardCallback
from bot.discover_texts import SORT_LABELS
from bot.keyboards.common import menu_button
from core.services.leaderboard import SORTS, Page


def _button(text: str, data: BoardCallback | CardCallback | StrategyCallback) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def board_keyboard(page: Page) -> InlineKeyboardMarkup:
    rows = [[_button(f"{number}. {entry.strategy.name}", CardCallback(
        strategy_id=entry.strategy.id, page=page.page, sort=page.sort))]
        for number, entry in enumerate(page.entries, start=page.first)]
    sorts = [_button(("✓ " if sort == page.sort else "") + str(SORT_LABELS[sort]),
                     BoardCallback(action="show", page=0, sort=sort)) for sort in SORTS]
    rows += [sorts[:3], sorts[3:]]
    if page.pages > 1:
        rows.append([
            _button("◀️", BoardCallback(action="show", page=(page.page - 1) % page.pages, sort=page.sort)),
            _button(f"{page.page + 1}/{page.pages}", BoardCallback(action="show", page=page.page, sort=page.sort)),
            _button("▶️", BoardCallback(action="show", page=(page.page + 1) % page.pages, sort=page.sort)),
        ])
    search = [_button(_("🔍 Search by name"), BoardCallback(action="search", sort=page.sort))]
    if page.query:
        search.append(_button(_("✖️ Clear search"), BoardCallback(action="clear", sort=page.sort)))
    rows += [search, [menu_button()]]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def search_keyboard(sort: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_button(_("Cancel"), BoardCallback(action="show", sort=sort))]])


def card_keyboard(strategy_id: int, page: int, sort: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        _button(_("✅ Subscribe"), StrategyCallback(action="subscribe", strategy_id=strategy_id)),
        _button(_("⬅️ Back"), BoardCallback(action="show", page=page, sort=sort)),
    ]])
