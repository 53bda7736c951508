"""Keyboards of the subscribe flow: the account list, skip/cancel under a step, confirm."""
from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.callbacks import KeysCallback, MenuCallback
from bot.callbacks_trading import AccountPick, SubscribeStep
from bot.keyboards.common import menu_button
from core.db.models import ExchangeAccount
from core.money import fmt

Data = AccountPick | SubscribeStep | KeysCallback | MenuCallback


def _button(text: str, data: Data) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def cancel_row() -> list[InlineKeyboardButton]:
    return [_button(_("Cancel"), SubscribeStep(action="cancel"))]


def accounts_keyboard(strategy_id: int, accounts: list[ExchangeAccount]) -> InlineKeyboardMarkup:
    rows = [[_button(f"{'🎮' if account.is_demo else '🏦'} {account.label} · {fmt(account.equity)} USDT",
                     AccountPick(strategy_id=strategy_id, account_id=account.id))] for account in accounts]
    return InlineKeyboardMarkup(inline_keyboard=[*rows, cancel_row()])


def no_accounts_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [_button(_("🎮 Demo account"), KeysCallback(action="demo")), _button(_("➕ Add a key"), KeysCallback(action="add"))],
        [menu_button()],
    ])


def step_keyboard(skippable: bool = False) -> InlineKeyboardMarkup:
    rows = [[_button(_("Skip"), SubscribeStep(action="skip"))]] if skippable else []
    return InlineKeyboardMarkup(inline_keyboard=[*rows, cancel_row()])


def confirm_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_button(_("✅ Confirm"), SubscribeStep(action="confirm")), *cancel_row()]])


def done_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_button(_("💼 My portfolio"), MenuCallback(action="portfolio"))],
                                                 [menu_button()]])
