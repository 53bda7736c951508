"""Rows and steps shared by the discovery, subscribe and portfolio end-to-end tests.

A strategy here is what a trader publishes: an approved public strategy on a paper master account
(equity on the row, as the snapshot job keeps it), with daily equity snapshots ending yesterday.
"""
from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from bot.sandbox import UserDriver
from core.db.models import EquitySnapshot, ExchangeAccount, MasterEvent, Strategy, StrategyStatus, User
from core.services.accounts import AccountService
from tests import factories
from tests.bot_harness import BotHarness

D = Decimal
_trader_ids = itertools.count(900_000)


async def published(name: str, equities: Sequence[Decimal | int] = (), *, master_equity: Decimal = D(100_000),
                    **fields: object) -> Strategy:
    """An approved public strategy named `name`, with one daily snapshot per value (the last yesterday)."""
    trader = await User.create(telegram_id=next(_trader_ids), full_name=f"Trader {name}", is_trader=True)
    master = await factories.account(trader, equity=master_equity)
    fields.setdefault("status", StrategyStatus.APPROVED)
    strategy = await Strategy.create(trader=trader, account=master, name=name, **fields)
    today = datetime.combine(datetime.now(UTC).date(), time(23, 0), tzinfo=UTC)
    for back, equity in enumerate(reversed(equities), start=1):
        await EquitySnapshot.create(strategy=strategy, taken_at=today - timedelta(days=back), equity=D(equity))
    return strategy


async def round_trip(strategy: Strategy, n: int, buy: str, sell: str, days_ago: int) -> None:
    """A closed master trade (one buy, one sell of 10 XRP) `days_ago` days back, at noon UTC: the sell an
    hour after the buy then falls on the same day whatever the time the test runs."""
    at = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=days_ago)
    for side, price, shift in (("buy", buy, 0), ("sell", sell, 1)):
        await MasterEvent.create(strategy=strategy, exchange_event_id=f"rt:{n}:{side}", kind="fill", symbol="XRP/USDT",
                                 side=side, amount=D(10), price=D(price), occurred_at=at + timedelta(hours=shift),
                                 detected_at=at + timedelta(hours=shift))


async def demo_account(h: BotHarness, user: UserDriver) -> ExchangeAccount:
    """The user's demo account with its 10,000 USDT of virtual money on the bot's paper venue."""
    accounts: AccountService = h.dispatcher["accounts"]
    account, _ = await accounts.open_demo(await h.db_user(user))
    return account


async def master_fill(strategy: Strategy, n: int, side: str, amount: str, price: str, before: str = "0") -> MasterEvent:
    now = datetime.now(UTC)
    return await MasterEvent.create(strategy=strategy, exchange_event_id=f"t:{n}", kind="fill", symbol="XRP/USDT",
                                    side=side, amount=D(amount), price=D(price), position_before=D(before),
                                    occurred_at=now, detected_at=now)
