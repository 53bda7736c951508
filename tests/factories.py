"""Rows the engine tests need: users, accounts, a strategy and its subscriptions."""
from __future__ import annotations

import uuid
from decimal import Decimal

from core.db.models import (
    ExchangeAccount,
    SizingMode,
    Strategy,
    StrategyStatus,
    Subscription,
    User,
)

_ids = iter(range(10_000, 10**9))


async def user(**fields: object) -> User:
    return await User.create(telegram_id=next(_ids), **fields)


async def account(owner: User, exchange: str = "paper", equity: Decimal = Decimal(0), **fields: object) -> ExchangeAccount:
    return await ExchangeAccount.create(id=uuid.uuid4(), owner=owner, exchange=exchange, equity=equity,
                                        is_demo=exchange == "paper", can_trade=True, **fields)


async def strategy(master: ExchangeAccount, **fields: object) -> Strategy:
    trader = await master.owner
    fields.setdefault("status", StrategyStatus.APPROVED)
    return await Strategy.create(trader=trader, account=master, name=f"strategy-{next(_ids)}", **fields)


async def subscription(strat: Strategy, acct: ExchangeAccount, k: Decimal, **fields: object) -> Subscription:
    follower = await acct.owner
    fields.setdefault("max_allocation_pct", Decimal(50))
    fields.setdefault("sizing_mode", SizingMode.PROPORTIONAL)
    return await Subscription.create(follower=follower, strategy=strat, account=acct, multiplier=k,
                                     start_equity=acct.equity, allocation=acct.equity, **fields)
