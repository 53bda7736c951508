"""Account equity, read where it is true right now and remembered on the account row.

`account_equity` asks the exchange (or the paper venue): a stored figure may predate a deposit, so
subscribing and resuming use it. `master_equity` reuses the master's stored figure, which the
snapshot job refreshes, unless `fresh` is asked for or nothing was ever measured. Equity is the
quote currency's total plus other assets at their quote price (core.risk.equity.account_equity).
"""
from __future__ import annotations

from decimal import Decimal

from core.db.models import ExchangeAccount, Strategy
from core.events import utcnow
from core.exchange.provider import Gateways
from core.risk.equity import account_equity as valued_equity


async def account_equity(gateways: Gateways, account: ExchangeAccount, currency: str = "USDT") -> Decimal:
    async with gateways.lease(account) as gateway:
        total = await valued_equity(gateway, currency)
    account.equity, account.equity_at = total, utcnow()
    await account.save(update_fields=["equity", "equity_at"])
    return total


async def master_equity(gateways: Gateways, strategy: Strategy, *, fresh: bool = False) -> Decimal:
    account = await strategy.account
    stored = Decimal(account.equity)
    if stored > 0 and not fresh:
        return stored
    return await account_equity(gateways, account, strategy.quote_currency)
