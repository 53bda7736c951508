"""Texts of the portfolio: the list of subscriptions, one subscription in detail, unsubscribing.

Reason codes (a pause's reason, a skipped copy's reason) are worded by the notifier's table
(`bot.notifier.render.Text.reason`), so a reason reads the same in a notification and here.
"""
from __future__ import annotations

from decimal import Decimal

from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from bot.notifier.render import Text, esc, money, num, pct, signed_pct
from core.db.models import CopyOrder, SubscriptionStatus
from core.services.portfolio import SubscriptionView

DASH = "—"
STATUSES = {
    SubscriptionStatus.ACTIVE: __("▶️ active"),
    SubscriptionStatus.PAUSED: __("⏸ paused"),
    SubscriptionStatus.CANCELLING: __("⏳ unsubscribing"),
    SubscriptionStatus.CANCELLED: __("⏹ unsubscribed"),
    SubscriptionStatus.STOPPED: __("⏹ stopped"),
}
ORDER_STATUSES = {
    "pending": __("waiting"), "sent": __("sent"), "open": __("open"), "partially_filled": __("partly filled"),
    "filled": __("filled"), "cancelled": __("cancelled"), "skipped": __("skipped"), "failed": __("failed"),
    "expired": __("expired"),
}


def _signed(value: Decimal | None, currency: str) -> str:
    return DASH if value is None else f"{'+' if value > 0 else ''}{money(value)} {currency}"


def list_text(views: list[SubscriptionView]) -> str:
    if not views:
        return _("<b>💼 My portfolio</b>\nYou do not copy anyone yet. Find a trader in “Discover traders”.")
    lines = [_("<b>💼 My portfolio</b>"), ""]
    for shown in views:
        sub = shown.subscription
        currency = esc(sub.strategy.quote_currency)
        change = DASH
        if shown.value is not None and Decimal(sub.start_equity) > 0:
            change = signed_pct((shown.value / Decimal(sub.start_equity) - 1) * 100) + "%"
        lines.append(_("<b>{name}</b> · {status}\n    invested {allocation} {currency} → now {value} ({change})").format(
            name=esc(sub.strategy.name), status=str(STATUSES[sub.status]), allocation=money(Decimal(sub.allocation)),
            currency=currency, value=DASH if shown.value is None else f"{money(shown.value)} {currency}", change=change))
    return "\n".join(lines)


def detail_text(shown: SubscriptionView, i18n: I18n) -> str:
    sub = shown.subscription
    text = Text(i18n, i18n.current_locale)
    currency = esc(sub.strategy.quote_currency)
    status = str(STATUSES[sub.status])
    if sub.status == SubscriptionStatus.PAUSED and sub.status_reason:
        status += f" ({text.reason(sub.status_reason)})"
    limit = Decimal(sub.max_drawdown_pct) if sub.max_drawdown_pct is not None else None
    drawdown = DASH if shown.drawdown_pct is None else f"{pct(shown.drawdown_pct)}%"
    lines = [
        _("<b>{name}</b> · account {account}").format(name=esc(sub.strategy.name), account=esc(sub.account.label)),
        _("Status: {status}").format(status=status),
        _("Allocation: {allocation} {currency} · k {k}").format(
            allocation=money(Decimal(sub.allocation)), currency=currency, k=num(Decimal(sub.multiplier), 6)),
        _("Current value: {value}").format(value=DASH if shown.value is None else f"{money(shown.value)} {currency}"),
        _("P&amp;L: realized {realized} · unrealized {unrealized}").format(
            realized=_signed(shown.realized, currency), unrealized=_signed(shown.unrealized, currency)),
        _("Drawdown: {drawdown} of the {limit}% limit").format(drawdown=drawdown, limit=pct(limit)) if limit is not None
        else _("Drawdown: {drawdown} (no limit)").format(drawdown=drawdown),
        "",
        _("<b>Open positions</b>"),
    ]
    lines += [f"• {esc(p.symbol)} {esc(p.side)} {num(Decimal(p.amount))} @ {money(Decimal(p.entry_price))}"
              for p in shown.positions] or [_("none")]
    lines += ["", _("<b>Last copied trades</b>")]
    lines += [order_line(order, text) for order in shown.orders] or [_("none yet")]
    return "\n".join(lines)


def order_line(order: CopyOrder, text: Text) -> str:
    line = f"• {text.side(order.side)} {num(Decimal(order.amount))} {esc(order.symbol)} — {ORDER_STATUSES[order.status.value]}"
    return line + (f": {text.reason(order.reason)}" if order.reason else "")


def ask_mode_text(name: str) -> str:
    return _("Unsubscribe from <b>{name}</b>?\nClose its positions at market now, or keep them on your account "
             "(you manage them yourself from then on)?").format(name=esc(name))


def confirm_unsubscribe_text(name: str, close: bool) -> str:
    if close:
        return _("Unsubscribe from <b>{name}</b> and close all its positions at market?").format(name=esc(name))
    return _("Unsubscribe from <b>{name}</b> and keep its positions?").format(name=esc(name))


def unsubscribed_text(name: str, finished: bool, close: bool, failures: dict[str, str], i18n: I18n) -> str:
    if finished:
        if close:
            return _("✅ You unsubscribed from <b>{name}</b>; its positions are closed.").format(name=esc(name))
        return _("✅ You unsubscribed from <b>{name}</b>; its positions stay on your account.").format(name=esc(name))
    text = Text(i18n, i18n.current_locale)
    reasons = "; ".join(f"{esc(key)}: {text.reason(code)}" for key, code in sorted(failures.items()))
    return _("⏳ Unsubscribing from <b>{name}</b> is not finished: {reasons}. Copying has stopped; "
             "we will try again automatically.").format(name=esc(name), reasons=reasons)
