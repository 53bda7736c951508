"""What the keys screens say: account lines, statuses, and why a key was refused.

Refusals are keyed by the stable codes of `core.errors` (KeyRefused.reason, ExchangeError.code);
a withdrawal-enabled key gets that exchange's own steps to switch withdrawals off.
"""
from __future__ import annotations

from html import escape

from aiogram.utils.i18n import gettext as _

from core.db.models import AccountStatus, ExchangeAccount
from core.errors import CopytradeError, ExchangeError, KeyRefused
from core.money import fmt
from core.services.accounts import EXCHANGE_NAMES, QUOTE


def withdrawal_steps(exchange: str) -> str:
    """How to switch withdrawals off on `exchange` (the key must be sent again afterwards)."""
    if exchange == "binance":
        return _("On Binance: Profile → API Management → Edit restrictions on this key → untick "
                 "“Enable Withdrawals” → Save. Keep “Enable Reading” and “Enable Spot & Margin Trading”.")
    if exchange == "okx":
        return _("On OKX: Profile → API keys → Edit the key (or create a new one) and leave only the "
                 "“Read” and “Trade” permissions — untick “Withdraw”.")
    if exchange == "bybit":
        return _("On Bybit: Account → API → Edit the key; under “Assets” / “Wallet” untick “Withdrawal”, "
                 "keep the spot trading permissions, then save.")
    return _("On Bitget: Profile → API Management → Edit the key; untick “Withdraw” and keep "
             "“Read” and “Trade” (spot), then save.")


def refusal_text(exc: CopytradeError, exchange: str) -> str:
    """Why a key was not accepted (or failed a re-check), and what to do about it."""
    name = EXCHANGE_NAMES.get(exchange, exchange)
    if isinstance(exc, KeyRefused) and exc.reason == "withdraw_enabled":
        return _("⛔ This key can <b>withdraw funds</b>. For your safety we never store such keys, "
                 "and this one was not saved.\n\n{steps}\n\nThen send the key again.").format(steps=withdrawal_steps(exchange))
    if isinstance(exc, KeyRefused) and exc.reason == "cannot_trade":
        return _("⛔ This key cannot trade, so copied orders would fail. Enable spot trading for it on "
                 "{exchange} (keep withdrawals off) and send it again. Nothing was saved.").format(exchange=name)
    if isinstance(exc, KeyRefused) or exc.code in ("auth_failed", "permission_denied"):
        return _("⛔ {exchange} did not accept this key. Check that you copied the whole key and secret "
                 "(and passphrase), that the key is not expired or deleted, and that its IP whitelist "
                 "allows us. Nothing was saved.").format(exchange=name)
    if isinstance(exc, ExchangeError) and exc.retryable:
        return _("⏳ {exchange} is not answering right now. Nothing was saved — please try again in a "
                 "few minutes.").format(exchange=name)
    return _("⛔ {exchange} refused the check (code: {code}). Nothing was saved.").format(exchange=name, code=escape(exc.code))


def status_text(account: ExchangeAccount) -> str:
    if account.status == AccountStatus.ACTIVE:
        return _("✅ active")
    if account.status == AccountStatus.INVALID:
        return _("⚠️ invalid")
    return _("disabled")


def account_lines(account: ExchangeAccount) -> str:
    """A few lines about one account: never the key itself, only its hint (first and last 4)."""
    head = f"<b>{escape(account.label)}</b>"
    if account.is_demo:
        head += " — " + _("demo account (virtual money)")
    else:
        head += " — " + EXCHANGE_NAMES.get(account.exchange, account.exchange)
    lines = [head]
    if not account.is_demo:
        lines.append(_("Key: <code>{hint}</code>").format(hint=escape(account.key_hint)))
    lines.append(_("Status: {status}").format(status=status_text(account)))
    lines.append(_("Balance: {amount} {currency}").format(amount=fmt(account.equity), currency=QUOTE))
    if account.status == AccountStatus.INVALID and account.last_error:
        lines.append(_("Last check failed: {reason}").format(reason=escape(account.last_error)))
    return "\n".join(lines)


def keys_list_text(accounts: list[ExchangeAccount]) -> str:
    if not accounts:
        return _("<b>My keys</b>\n\nYou have no exchange accounts yet. Add an API key of Binance, OKX, "
                 "Bybit or Bitget, or open a demo account with virtual money to try copying first.")
    body = "\n\n".join(account_lines(account) for account in accounts)
    return _("<b>My keys</b>") + "\n\n" + body


def add_key_prompt(exchange: str, needs_passphrase: bool) -> str:
    name = EXCHANGE_NAMES[exchange]
    if needs_passphrase:
        how = _("Send the API key, the secret and the passphrase in <b>one message</b>, separated by "
                "spaces or new lines:\n<code>KEY SECRET PASSPHRASE</code>")
    else:
        how = _("Send the API key and the secret in <b>one message</b>, separated by a space or a new "
                "line:\n<code>KEY SECRET</code>")
    return _("<b>Add a {exchange} key</b>\n\nCreate an API key on {exchange} with <b>Read</b> and "
             "<b>Spot trading</b> permissions and <b>withdrawals switched off</b>.\n\n{how}\n\n"
             "We delete your message at once and store the key encrypted.").format(exchange=name, how=how)
