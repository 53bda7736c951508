"""Texts of discovery: the leaderboard page and the strategy card (Telegram HTML, translated).

Report fractions (0.05) are shown as percents with a sign ("+5.00%"); a figure that needs more
history than there is shows as a dash rather than a misleading zero.
"""
from __future__ import annotations

from decimal import Decimal

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from bot.notifier.render import esc, money, pct, signed_pct
from core.services.leaderboard import Entry, Page

DASH = "—"
HUNDRED = Decimal(100)
DESCRIPTION_CHARS = 200  # the card is a photo caption: 1,024 characters in all

SORT_LABELS = {
    "score": __("⭐ Score"),
    "return_30d": __("📈 30 days"),
    "drawdown": __("📉 Drawdown"),
    "followers": __("👥 Followers"),
    "win_rate": __("🏆 Win rate"),
}


def fraction(value: Decimal | None) -> str:
    return DASH if value is None else signed_pct(value * HUNDRED) + "%"


def share(value: Decimal | None) -> str:
    """A fraction that cannot be negative (a win rate): no sign."""
    return DASH if value is None else pct(value * HUNDRED) + "%"


def risk(value: int | None) -> str:
    return DASH if value is None else f"{value}/10"


def board_text(page: Page) -> str:
    head = _("<b>🔎 Traders</b> · sorted by {sort}").format(sort=str(SORT_LABELS[page.sort]))
    if page.query:
        head += "\n" + _("Search: “{query}”").format(query=esc(page.query))
    if not page.entries:
        empty = _("No strategy matches this search.") if page.query else _("No strategies are open for copying yet.")
        return head + "\n\n" + empty
    lines = [head, ""]
    lines += [entry_line(number, entry) for number, entry in enumerate(page.entries, start=page.first)]
    lines.append("")
    lines.append(_("Page {page} of {pages}").format(page=page.page + 1, pages=page.pages))
    return "\n".join(lines)


def entry_line(number: int, entry: Entry) -> str:
    report = entry.report
    return _("{number}. <b>{name}</b> · ⭐ {score}\n"
             "    30 days {recent} · drawdown {drawdown} · win rate {win_rate} · 👥 {followers} · risk {risk}").format(
        number=number, name=esc(entry.strategy.name), score=pct(report.score), recent=fraction(entry.return_30d),
        drawdown=fraction(report.max_drawdown), win_rate=share(report.win_rate), followers=entry.followers,
        risk=risk(report.risk_level))


def card_text(entry: Entry) -> str:
    strategy, report = entry.strategy, entry.report
    currency = esc(strategy.quote_currency)
    lines = [f"<b>{esc(strategy.name)}</b>"]
    if strategy.description:
        description = strategy.description.strip()
        if len(description) > DESCRIPTION_CHARS:
            description = description[:DESCRIPTION_CHARS - 1] + "…"
        lines.append(esc(description))
    lines.append("")
    month = report.monthly_returns[-1] if report.monthly_returns else None
    lines += [
        _("👥 Subscribers: {count}").format(count=entry.followers),
        _("📈 Yield: {value}").format(value=fraction(report.total_yield) if report.daily else DASH),
        _("🗓 Monthly return ({month}): {value}").format(month=month.label, value=fraction(month.value)) if month
        else _("🗓 Monthly return: {value}").format(value=DASH),
        _("📅 Trading days: {days}").format(days=report.trading_days),
        _("🏆 Winning trades: {wins} of {trades}").format(wins=report.winning_trades, trades=report.trades),
        _("⚠️ Risk level: {level}").format(level=risk(report.risk_level)),
        _("📉 Maximum drawdown: {value}").format(value=fraction(report.max_drawdown)),
        _("💰 Minimum deposit: {minimum} {currency} · recommended: {recommended} {currency}").format(
            minimum=money(Decimal(strategy.min_deposit)), recommended=money(Decimal(strategy.recommended_deposit)),
            currency=currency),
        _("💸 Fees: {fixed} {currency} per {days} days · profit share {share}%").format(
            fixed=money(Decimal(strategy.fee_fixed)), currency=currency, days=strategy.fee_period_days,
            share=pct(Decimal(strategy.profit_share_pct))),
    ]
    return "\n".join(lines)
