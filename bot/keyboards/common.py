"""Keyboards of onboarding and settings, and the way back to the menu."""
from __future__ import annotations

from typing import Literal

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.callbacks import DisclaimerCallback, LanguageCallback, MenuCallback
from bot.i18n import LANGUAGES


def menu_button() -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("⬅️ Main menu"), callback_data=MenuCallback(action="main").pack())


def language_keyboard(origin: Literal["onboarding", "settings"], current: str) -> InlineKeyboardMarkup:
    """One button per language, the current (or detected) one marked and first."""
    codes = sorted(LANGUAGES, key=lambda code: code != current)
    rows = [[InlineKeyboardButton(
        text=("✓ " if code == current else "") + LANGUAGES[code],
        callback_data=LanguageCallback(code=code, origin=origin).pack(),
    )] for code in codes]
    if origin == "settings":
        rows.append([menu_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def disclaimer_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
        text=_("✅ I understand and accept"), callback_data=DisclaimerCallback(action="accept").pack())]])
