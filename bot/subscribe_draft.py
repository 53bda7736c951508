"""The subscribe flow's memory between steps: what was chosen so far, and reading the user's numbers.

The choices live in the FSM data under `SUBSCRIBE` as strings (FSM storages hold JSON); `Draft`
loads the strategy and the account again at every step, through the owner-scoped account lookup,
since either may have changed (or been forged) since the previous step.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from aiogram.fsm.context import FSMContext

from bot.states_trading import SUBSCRIBE
from core.config import Settings
from core.db.models import ExchangeAccount, Strategy, StrategyStatus, User
from core.errors import AccountNotFound
from core.services.accounts import AccountService
from core.services.subscriptions import RiskLimits, Terms, quote

# Money columns hold 20 integer digits; a bigger figure ("1e999999") is no amount or percent
# anyone means, and it would overflow the arithmetic and the formatting of the next screens.
MAX_DIGITS = 20


def parse_number(text: str) -> Decimal | None:
    """"1 500,5" or "1500.5" or "20%" → Decimal; None for anything that is not a finite number
    of at most `MAX_DIGITS` integer digits (checked on the exponent: arithmetic on "1e999999999"
    would itself overflow)."""
    cleaned = text.strip().rstrip("%").replace(" ", "").replace("\u00a0", "").replace("_", "")
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() and value.adjusted() < MAX_DIGITS else None


async def available_strategy(strategy_id: int) -> Strategy | None:
    return await Strategy.get_or_none(id=strategy_id, status=StrategyStatus.APPROVED, is_public=True)


class Draft:
    """The flow's FSM data, with the rows it names loaded again (they may have changed since)."""

    def __init__(self, data: dict[str, Any], strategy: Strategy, account: ExchangeAccount) -> None:
        self.data, self.strategy, self.account = data, strategy, account
        self.equity = Decimal(data["equity"])
        self.master_equity = Decimal(data["master_equity"])

    @classmethod
    async def load(cls, state: FSMContext, user: User, accounts: AccountService) -> Draft | None:
        data = dict((await state.get_data()).get(SUBSCRIBE) or {})
        if "account_id" not in data:
            return None
        strategy = await Strategy.get_or_none(id=data["strategy_id"])
        try:
            account = await accounts.get(user, data["account_id"])
        except AccountNotFound:
            return None
        return cls(data, strategy, account) if strategy is not None else None

    def risk(self) -> RiskLimits:
        def value(key: str) -> Decimal | None:
            return Decimal(self.data[key]) if self.data.get(key) is not None else None
        return RiskLimits(max_drawdown_pct=value("max_drawdown"), stop_loss_pct=value("stop_loss"),
                          take_profit_pct=value("take_profit"))

    async def quote(self, user: User, requested: Decimal, settings: Settings) -> Terms:
        return await quote(user, self.account, self.strategy, requested, settings.limits, equity=self.equity,
                           master_equity=self.master_equity)

    async def save(self, state: FSMContext, **changes: str | None) -> None:
        self.data.update(changes)
        await state.update_data({SUBSCRIBE: self.data})
