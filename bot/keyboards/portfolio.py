"""Keyboards of the portfolio: one button per subscription, the actions on one, unsubscribing."""
from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.callbacks import MenuCallback
from bot.callbacks_trading import MySubscription
from bot.keyboards.common import menu_button
from core.db.models import Subscription, SubscriptionStatus


def _button(text: str, data: MySubscription | MenuCallback) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def _on(sub: Subscription, action: str) -> MySubscription:
    return MySubscription(action=action, subscription_id=sub.id)  # type: ignore[arg-type]


def list_keyboard(subscriptions: list[Subscription]) -> InlineKeyboardMarkup:
    rows = [[_button(f"📊 {sub.strategy.name}", _on(sub, "open"))] for sub in subscriptions]
    if not subscriptions:
        rows.append([_button(_("🔎 Discover traders"), MenuCallback(action="discover"))])
    rows.append([menu_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def detail_keyboard(sub: Subscription) -> InlineKeyboardMarkup:
    actions = []
    if sub.status == SubscriptionStatus.ACTIVE:
        actions.append(_button(_("⏸ Pause"), _on(sub, "pause")))
    if sub.status == SubscriptionStatus.PAUSED:
        actions.append(_button(_("▶️ Resume"), _on(sub, "resume")))
    if sub.status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAUSED, SubscriptionStatus.CANCELLING):
        actions.append(_button(_("🚪 Unsubscribe"), _on(sub, "unsubscribe")))
    return InlineKeyboardMarkup(inline_keyboard=[
        actions,
        [_button(_("🔄 Refresh"), _on(sub, "open")), _button(_("⬅️ My portfolio"), MenuCallback(action="portfolio"))],
    ])


def mode_keyboard(sub: Subscription) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [_button(_("Close positions"), _on(sub, "ask_close")), _button(_("Keep positions"), _on(sub, "ask_keep"))],
        [_button(_("⬅️ Back"), _on(sub, "open"))],
    ])


def confirm_keyboard(sub: Subscription, close: bool) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        _button(_("Yes, unsubscribe"), _on(sub, "close" if close else "keep")),
        _button(_("No"), _on(sub, "open")),
    ]])


def back_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_button(_("⬅️ My portfolio"), MenuCallback(action="portfolio"))],
                                                 [menu_button()]])
