"""Texts of the subscribe flow: the prompts of each step, each refusal's reason, the confirm screen.

Every refusal says precisely what was wrong and what is allowed, with the figure that applies
(the minimum, the largest usable amount), so the user can correct the value in one go.
"""
from __future__ import annotations

from decimal import Decimal

from aiogram.utils.i18n import gettext as _

from bot.notifier.render import esc, money, num, pct
from core.config import Limits
from core.db.models import ExchangeAccount, Strategy
from core.errors import SubscriptionRefused
from core.money import ZERO
from core.services.subscriptions import MAX_TAKE_PROFIT_PCT, RiskLimits, Terms

DASH = "—"


def refusal_text(refused: SubscriptionRefused, currency: str, limits: Limits) -> str:
    """The reason of a refused request, in the user's language."""
    details = refused.details
    value = details.get("value")
    reasons = {
        "below_min_deposit": lambda: _("That is below the strategy's minimum deposit of {minimum} {currency}.").format(
            minimum=money(details["minimum"]), currency=currency),  # type: ignore[arg-type]
        "above_usable": lambda: _("That is more than {pct}% of your balance: at most {maximum} {currency} can be used.").format(
            pct=pct(limits.max_account_usage_pct), maximum=money(details["maximum"]), currency=currency),  # type: ignore[arg-type]
        "above_cap": lambda: _("That is above the limit of {pct}% of your balance per trader: at most {maximum} {currency}.").format(
            pct=pct(limits.max_allocation_pct), maximum=money(details["maximum"]), currency=currency),  # type: ignore[arg-type]
        "account_busy": lambda: _("This account already copies a trader. Choose another account, or unsubscribe there first."),
        "open_positions": lambda: _("This account has open positions. Close them first, or choose another account."),
        "margin_mismatch": lambda: _("This strategy trades with margin: it needs a futures (margin) account."),
        "strategy_unavailable": lambda: _("This strategy is not open for subscriptions now."),
        "own_strategy": lambda: _("You cannot copy your own strategy."),
        "account_invalid": lambda: _("This account cannot be used: its key needs attention in 🔑 My keys."),
        "bad_limit": lambda: _("That is not an allowed value for this limit."),
    }
    if refused.reason == "not_positive":
        if isinstance(value, Decimal) and value < 0:
            return _("The amount cannot be negative.")
        return _("The amount must be more than zero.")
    text = reasons.get(refused.reason)
    return text() if text else _("This request cannot be accepted ({reason}).").format(reason=esc(refused.reason))


def not_enough_money_text(equity: Decimal, minimum: Decimal, currency: str, limits: Limits) -> str:
    usable = min(limits.max_account_usage_pct, limits.max_allocation_pct)
    return _("Not enough money: the strategy's minimum deposit is {minimum} {currency}, and at most {pct}% of this "
             "account's {equity} {currency} can be used.").format(
        minimum=money(minimum), currency=esc(currency), pct=pct(usable), equity=money(equity))


def not_a_number_text() -> str:
    return _("That is not a number. Send an amount like <code>2000</code> or a percent like <code>20%</code>.")


def accounts_prompt(strategy: Strategy) -> str:
    return _("<b>Subscribe to {name}</b> · step 2 of 3\nWhich account should copy the trades?").format(
        name=esc(strategy.name))


def no_accounts_text() -> str:
    return _("You have no working exchange account yet. Add a key, or open a demo account with virtual money.")


def amount_prompt(strategy: Strategy, account: ExchangeAccount, equity: Decimal, limits: Limits) -> str:
    currency = esc(strategy.quote_currency)
    usable = min(limits.max_account_usage_pct, limits.max_allocation_pct)
    return _("<b>{name}</b> → {account} (balance {equity} {currency})\n"
             "How much should copy this trader? Send an amount in {currency} (e.g. <code>2000</code>) "
             "or a percent of the balance (e.g. <code>20%</code>).\n"
             "Minimum deposit: {minimum} {currency}. At most {maximum} {currency} ({pct}% of the balance).").format(
        name=esc(strategy.name), account=esc(account.label), equity=money(equity), currency=currency,
        minimum=money(Decimal(strategy.min_deposit)), maximum=money(equity * usable / 100), pct=pct(usable))


def limit_prompt(step: str, default: Decimal | None) -> str:
    shown = f"{pct(default)}%" if default is not None else _("none")
    prompts = {
        "max_drawdown": _("<b>Maximum drawdown</b>, in %: copying pauses when this subscription falls this far "
                          "below its peak."),
        "stop_loss": _("<b>Stop-loss</b>, in %: copying stops and the positions are closed when this subscription "
                       "loses this much of its amount."),
        "take_profit": _("<b>Take-profit</b>, in %: copying stops and the positions are closed when this subscription "
                         "gains this much."),
    }
    return prompts[step] + "\n" + _("Default: {value}. Send a number, or press “Skip” to keep the default.").format(
        value=shown)


def limit_refusal(step: str) -> str:
    if step == "take_profit":
        return _("Send a percent above 0 and at most {maximum}, e.g. <code>50</code>.").format(maximum=num(MAX_TAKE_PROFIT_PCT))
    return _("Send a percent between 0 and 100, e.g. <code>25</code>.")


def confirm_text(strategy: Strategy, account: ExchangeAccount, terms: Terms, risk: RiskLimits) -> str:
    currency = esc(strategy.quote_currency)

    def limit(value: Decimal | None) -> str:
        return f"{pct(value)}%" if value is not None else DASH

    lines = [
        _("<b>Subscribe to {name}</b> · step 3 of 3\nPlease check the terms:").format(name=esc(strategy.name)),
        "",
        _("Account: {account}").format(account=esc(account.label)),
        _("Amount: {amount} {currency} ({pct}% of {equity} {currency})").format(
            amount=money(terms.amount), currency=currency, pct=pct(terms.allocation_pct), equity=money(terms.equity)),
        _("Copy ratio k: {k}").format(k=num(terms.k, 6)),
    ]
    if terms.multiplier is not None:
        lines.append(_("Multiplier of the recommended deposit: {multiplier}").format(multiplier=num(terms.multiplier, 2)))
    lines += [
        _("Maximum drawdown: {drawdown} · stop-loss: {stop_loss} · take-profit: {take_profit}").format(
            drawdown=limit(risk.max_drawdown_pct), stop_loss=limit(risk.stop_loss_pct), take_profit=limit(risk.take_profit_pct)),
        fees_text(terms, currency),
    ]
    return "\n".join(lines)


def fees_text(terms: Terms, currency: str) -> str:
    if terms.fee_fixed == ZERO and terms.profit_share_pct == ZERO:
        return _("Fees: none")
    return _("Fees: {fixed} {currency} per {days} days · profit share {share}%").format(
        fixed=money(terms.fee_fixed), currency=currency, days=terms.fee_period_days, share=pct(terms.profit_share_pct))


def subscribed_text(strategy: Strategy, terms: Terms) -> str:
    return _("✅ You are subscribed to <b>{name}</b> with {amount} {currency} (k = {k}). "
             "The trader's next trades will be copied to your account.").format(
        name=esc(strategy.name), amount=money(terms.amount), currency=esc(strategy.quote_currency), k=num(terms.k, 6))
