"""Text of every core event in the recipient's language (Telegram HTML).

Each event type has one render function; every string goes through gettext with an explicit
locale (the notifier serves many languages from one task, so the context locale is useless here).
Amounts stay Decimal up to `core.money.fmt`: plain digits, a dot, no grouping ("1234.50").
Values that come from outside (symbols, exchange names, English details) are HTML-escaped.
Follower texts show the localized reason only; the admin copy adds ids and the English detail.
"""
from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from aiogram.utils.i18n import I18n

from core.events import (
    CopyFailed,
    CopySkipped,
    DrawdownWarning,
    DriftDetected,
    Event,
    ExchangeDown,
    FeeCharged,
    KeyInvalid,
    OrderCancelled,
    OrderEnded,
    PortfolioDigest,
    StopLossHit,
    SubscriptionEvent,
    SubscriptionPaused,
    SubscriptionResumed,
    SubscriptionStopped,
    TakeProfitHit,
    TradeCopied,
    TraderResumed,
    TraderSuspended,
)
from core.money import fmt

MAX_PLACES = 8  # more digits than any exchange step we show; the DB keeps 18


def N_(msgid: str) -> str:
    """Marks a string for extraction where it is translated later (tables below)."""
    return msgid


# Reason codes: core.errors codes, sizing/risk skip codes, followers.copying_blocked codes.
REASONS: dict[str, str] = {
    "below_minimum": N_("the order would be below the exchange's minimum size"),
    "insufficient_funds": N_("not enough free balance on your exchange account"),
    "not_enough_money": N_("your account's assets are below the strategy's minimum deposit"),
    "allocation_cap": N_("your allocation limit for this trader is used up"),
    "no_position": N_("you hold no position to close"),
    "slippage": N_("the price moved beyond your slippage tolerance"),
    "exchange_down": N_("the exchange was unavailable"),
    "timeout": N_("the exchange did not answer in time"),
    "rate_limited": N_("the exchange's request limit was reached"),
    "auth_failed": N_("the exchange rejected your API key"),
    "permission_denied": N_("your API key lacks a required permission"),
    "invalid_order": N_("the exchange rejected the order"),
    "order_cancelled": N_("the exchange cancelled the order before any of it filled"),
    "order_expired": N_("the exchange ended the order before any of it filled"),
    "order_not_found": N_("the exchange could not find the order"),
    "bad_symbol": N_("this market is not available on your exchange"),
    "key_refused": N_("the API key was refused"),
    "withdraw_enabled": N_("the API key allows withdrawals, which we never accept"),
    "cannot_trade": N_("the API key cannot trade"),
    "subscription_paused": N_("your copying is paused"),
    "subscription_cancelling": N_("your subscription is being cancelled"),
    "subscription_cancelled": N_("your subscription is cancelled"),
    "subscription_stopped": N_("your copying is stopped"),
    "trader_pending": N_("the strategy is awaiting approval"),
    "trader_paused": N_("the trader paused the strategy"),
    "trader_suspended": N_("the strategy is suspended after a large drawdown"),
    "trader_deactivated": N_("the strategy is deactivated"),
    "drawdown": N_("the drawdown exceeded the platform's limit"),
    "drawdown_limit": N_("your drawdown limit was reached"),
    "stop_loss": N_("your stop-loss was hit"),
    "take_profit": N_("your take-profit was reached"),
    "max_open_trades": N_("the maximum number of open trades is reached"),
    "min_equity": N_("your equity is below your minimum"),
    "manual": N_("at your request"),
    "unsubscribed": N_("you unsubscribed"),
    "admin": N_("by an administrator"),
    "key_invalid": N_("your API key stopped working"),
    "internal_error": N_("an internal error on our side; the team is notified"),
}

SIDES = {"buy": N_("BUY"), "sell": N_("SELL")}
FEE_KINDS = {"fee_fixed": N_("subscription fee"), "profit_share": N_("profit share")}
# OrderEnded headlines by the copy order's final status.
ENDINGS = {
    "cancelled": N_("🚫 <b>Order cancelled on the exchange</b>: {side} {symbol}"),
    "expired": N_("⌛ <b>Order expired</b>: {side} {symbol}"),
    "failed": N_("❌ <b>Order rejected by the exchange</b>: {side} {symbol}"),
}


class UnknownEvent(LookupError):
    """An event type without a render function (a new event needs its text here)."""


@dataclass(frozen=True, slots=True)
class Text:
    """gettext bound to one recipient's language; the method is `_` so Babel extracts `t._("…")`."""

    i18n: I18n
    lang: str

    def _(self, msgid: str, **values: object) -> str:
        text = self.i18n.gettext(msgid, locale=self.lang)
        return text.format(**values) if values else text

    def reason(self, code: str) -> str:
        msgid = REASONS.get(code)
        if msgid is None:
            return self._("unexpected condition ({code})", code=esc(code))
        return self._(msgid)

    def side(self, side: str) -> str:
        msgid = SIDES.get(side.lower())
        return self._(msgid) if msgid else esc(side.upper())


def esc(value: object) -> str:
    return html.escape(str(value), quote=False)


def num(value: Decimal, min_places: int = 0) -> str:
    """As many decimals as the value has (at least `min_places`), so 0.0015 BTC stays 0.0015."""
    exponent = value.normalize().as_tuple().exponent
    own = -exponent if isinstance(exponent, int) else 0
    return fmt(value, min(max(min_places, own), MAX_PLACES))


def money(value: Decimal) -> str:
    """Prices, fees and equity: at least cents."""
    return num(value, 2)


def pct(value: Decimal) -> str:
    return fmt(value, 2)


def signed_pct(value: Decimal) -> str:
    """Returns show their sign: +3.20 or -1.50."""
    return ("+" if value > 0 else "") + pct(value)


E = TypeVar("E", bound=Event)
Renderer = Callable[[Any, Text], str]
RENDERERS: dict[type[Event], Renderer] = {}


def renders(kind: type[E]) -> Callable[[Callable[[E, Text], str]], Callable[[E, Text], str]]:
    def register(func: Callable[[E, Text], str]) -> Callable[[E, Text], str]:
        RENDERERS[kind] = func
        return func
    return register


def render(event: Event, lang: str, i18n: I18n, *, admin: bool = False) -> str:
    """The message for one recipient; the admin copy carries ids and the exchange's detail."""
    func = RENDERERS.get(type(event))
    if func is None:
        raise UnknownEvent(type(event).__name__)
    t = Text(i18n, lang)
    body = func(event, t)
    if admin:
        extra = admin_context(event, t)
        if extra:
            body += f"\n<i>{extra}</i>"
    return body


def digest_header(count: int, lang: str, i18n: I18n) -> str:
    return Text(i18n, lang)._("📬 <b>Updates ({count})</b>", count=count)


def admin_context(event: Event, t: Text) -> str:
    parts: list[str] = []
    if isinstance(event, SubscriptionEvent):
        parts += [t._("User #{user}", user=event.user_id),
                  t._("Subscription #{subscription}", subscription=event.subscription_id),
                  t._("Strategy #{strategy}", strategy=event.strategy_id)]
    elif isinstance(event, TraderSuspended | TraderResumed):
        parts.append(t._("User #{user}", user=event.trader_user_id))
    elif isinstance(event, KeyInvalid):
        parts.append(t._("User #{user}", user=event.user_id))
    detail = getattr(event, "detail", "")
    if detail:
        parts.append(t._("Details: {detail}", detail=esc(detail)))
    return " · ".join(parts)


@renders(TradeCopied)
def trade_copied(e: TradeCopied, t: Text) -> str:
    side, symbol = t.side(e.side), esc(e.symbol)
    if e.filled <= 0:
        if e.price is not None:
            text = t._("📝 <b>Order placed</b>: {side} {amount} {symbol}, limit {price}",
                       side=side, amount=num(e.amount), symbol=symbol, price=money(e.price))
        else:
            text = t._("📝 <b>Order placed</b>: {side} {amount} {symbol}", side=side, amount=num(e.amount), symbol=symbol)
    else:
        price = money(e.price) if e.price is not None else "—"
        if e.partial:
            text = t._("◑ <b>Partially filled</b>: {side} {filled} of {amount} {symbol} at {price}",
                       side=side, filled=num(e.filled), amount=num(e.amount), symbol=symbol, price=price)
        else:
            text = t._("✅ <b>Trade copied</b>: {side} {amount} {symbol} at {price}",
                       side=side, amount=num(e.filled), symbol=symbol, price=price)
    if e.fee > 0:
        text += "\n" + t._("Fee: {fee}", fee=money(e.fee))
    return text


@renders(CopySkipped)
def copy_skipped(e: CopySkipped, t: Text) -> str:
    return (t._("⏭ <b>Trade not copied</b>: {side} {symbol}", side=t.side(e.side), symbol=esc(e.symbol))
            + "\n" + t._("Reason: {reason}", reason=t.reason(e.reason)))


@renders(CopyFailed)
def copy_failed(e: CopyFailed, t: Text) -> str:
    return (t._("❌ <b>Order not placed</b>: {side} {symbol}", side=t.side(e.side), symbol=esc(e.symbol))
            + "\n" + t._("Reason: {reason}", reason=t.reason(e.reason)))


@renders(OrderCancelled)
def order_cancelled(e: OrderCancelled, t: Text) -> str:
    return t._("🚫 <b>Order cancelled</b>: {symbol}, following the trader", symbol=esc(e.symbol))


@renders(OrderEnded)
def order_ended(e: OrderEnded, t: Text) -> str:
    side, symbol = t.side(e.side), esc(e.symbol)
    msgid = ENDINGS.get(e.status)
    headline = (t._(msgid, side=side, symbol=symbol) if msgid
                else t._("⏹ <b>Order ended on the exchange</b>: {side} {symbol}", side=side, symbol=symbol))
    if e.filled > 0:
        return headline + "\n" + t._("{filled} of {amount} {symbol} filled",
                                     filled=num(e.filled), amount=num(e.amount), symbol=symbol)
    return headline + "\n" + t._("Nothing filled")


@renders(DriftDetected)
def drift_detected(e: DriftDetected, t: Text) -> str:
    text = t._("🔎 <b>Position mismatch</b> in {symbol}: expected {expected}, actual {actual} ({drift}%)",
               symbol=esc(e.symbol), expected=num(e.expected), actual=num(e.actual), drift=pct(e.drift_pct))
    return text + "\n" + (t._("Corrected automatically.") if e.corrected
                          else t._("Not corrected yet: support has been notified."))


@renders(DrawdownWarning)
def drawdown_warning(e: DrawdownWarning, t: Text) -> str:
    return t._("📉 <b>Drawdown warning</b>: {drawdown}%, {level}% of your {limit}% limit",
               drawdown=pct(e.drawdown_pct), level=e.level, limit=pct(e.limit_pct))


@renders(StopLossHit)
def stop_loss_hit(e: StopLossHit, t: Text) -> str:
    return t._("🛑 <b>Stop-loss hit</b>: equity {equity} reached your stop level {threshold}",
               equity=money(e.equity), threshold=money(e.threshold))


@renders(TakeProfitHit)
def take_profit_hit(e: TakeProfitHit, t: Text) -> str:
    return t._("🎯 <b>Take-profit hit</b>: equity {equity} reached your target {threshold}",
               equity=money(e.equity), threshold=money(e.threshold))


@renders(SubscriptionPaused)
def subscription_paused(e: SubscriptionPaused, t: Text) -> str:
    return t._("⏸ <b>Copying paused</b>") + "\n" + t._("Reason: {reason}", reason=t.reason(e.reason))


@renders(SubscriptionResumed)
def subscription_resumed(e: SubscriptionResumed, t: Text) -> str:
    return t._("▶️ <b>Copying resumed</b>, multiplier {multiplier}", multiplier=num(e.multiplier))


@renders(SubscriptionStopped)
def subscription_stopped(e: SubscriptionStopped, t: Text) -> str:
    positions = (t._("Open positions were closed.") if e.positions_closed
                 else t._("Open positions were left as they are."))
    return "\n".join([t._("⏹ <b>Copying stopped</b>"), t._("Reason: {reason}", reason=t.reason(e.reason)), positions])


@renders(FeeCharged)
def fee_charged(e: FeeCharged, t: Text) -> str:
    kind = FEE_KINDS.get(e.kind)
    return t._("💳 <b>Fee charged</b>: {amount} {currency}, {kind}, period {period}",
               amount=money(e.amount), currency=esc(e.currency), kind=t._(kind) if kind else esc(e.kind),
               period=esc(e.period_key))


@renders(PortfolioDigest)
def portfolio_digest(e: PortfolioDigest, t: Text) -> str:
    return t._("📊 <b>Portfolio summary</b>, strategy #{strategy}: equity {equity} (start {start}), return {ret}%",
               strategy=e.strategy_id, equity=money(e.equity), start=money(e.start_equity),
               ret=signed_pct(e.return_pct))


@renders(TraderSuspended)
def trader_suspended(e: TraderSuspended, t: Text) -> str:
    lines = [t._("⛔ <b>Strategy #{strategy} suspended</b>: new trades are not copied", strategy=e.strategy_id),
             t._("Reason: {reason}", reason=t.reason(e.reason))]
    if e.drawdown_pct is not None:
        lines.append(t._("Drawdown: {drawdown}%", drawdown=pct(e.drawdown_pct)))
    return "\n".join(lines)


@renders(TraderResumed)
def trader_resumed(e: TraderResumed, t: Text) -> str:
    return t._("✅ <b>Strategy #{strategy} resumed</b>: copying continues", strategy=e.strategy_id)


@renders(KeyInvalid)
def key_invalid(e: KeyInvalid, t: Text) -> str:
    return "\n".join([
        t._("🔑 <b>API key no longer works</b> (account {account})", account=esc(e.account_id[:8])),
        t._("Reason: {reason}", reason=t.reason(e.reason)),
        t._("Copying on this account is stopped until you add a new key."),
    ])


@renders(ExchangeDown)
def exchange_down(e: ExchangeDown, t: Text) -> str:
    return t._("🚨 <b>Exchange unavailable</b>: {exchange}", exchange=esc(e.exchange))
