"""Keyboards of the keys flows: the list, one account, adding a key, deleting one."""
from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.callbacks import ExchangeCallback, KeyCallback, KeysCallback
from bot.keyboards.common import menu_button
from core.db.models import ExchangeAccount
from core.exchange.ccxt_gateway import SUPPORTED
from core.services.accounts import EXCHANGE_NAMES


def _button(text: str, data: KeyCallback | KeysCallback | ExchangeCallback) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def keys_list_keyboard(accounts: list[ExchangeAccount]) -> InlineKeyboardMarkup:
    rows = [[_button(f"⚙️ {account.label}", KeyCallback(action="open", account_id=account.id))] for account in accounts]
    rows.append([_button(_("➕ Add a key"), KeysCallback(action="add")),
                 _button(_("🎮 Demo account"), KeysCallback(action="demo"))])
    rows.append([menu_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def account_keyboard(account: ExchangeAccount) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [_button(_("🔄 Re-check"), KeyCallback(action="recheck", account_id=account.id)),
         _button(_("🗑 Delete"), KeyCallback(action="delete", account_id=account.id))],
        [_button(_("⬅️ My keys"), KeysCallback(action="list"))],
    ])


def confirm_delete_keyboard(account: ExchangeAccount) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [_button(_("Yes, delete"), KeyCallback(action="confirm_delete", account_id=account.id)),
         _button(_("No, keep it"), KeyCallback(action="open", account_id=account.id))],
    ])


def exchanges_keyboard() -> InlineKeyboardMarkup:
    rows = [[_button(EXCHANGE_NAMES[name], ExchangeCallback(exchange=name))] for name in SUPPORTED]
    rows.append([_button(_("Cancel"), KeysCallback(action="cancel"))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def cancel_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_button(_("Cancel"), KeysCallback(action="cancel"))]])


def back_to_keys_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_button(_("⬅️ My keys"), KeysCallback(action="list"))], [menu_button()]])


def retry_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [_button(_("Try again"), KeysCallback(action="add")), _button(_("⬅️ My keys"), KeysCallback(action="list"))],
    ])
