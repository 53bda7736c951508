"""Subscription fees, recorded as ledger entries and announced.

A fixed fee is charged at the start of each fee period counted from the subscription's start; a
profit share is charged on equity above the high-water mark, which then moves to the equity after
the fee. The ledger's (subscription, kind, period) unique constraint guarantees that one period is
never charged twice, whatever runs the job and however often.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from tortoise.exceptions import IntegrityError

from core.bus import EventBus
from core.db.models import LedgerEntry, Strategy, Subscription
from core.events import FeeCharged, about

HUNDRED = Decimal(100)
CENT = Decimal("0.00000001")


async def _record(bus: EventBus, sub: Subscription, strategy: Strategy, kind: str, amount: Decimal, key: str) -> LedgerEntry | None:
    try:
        entry = await LedgerEntry.create(subscription=sub, kind=kind, amount=amount, currency=strategy.quote_currency,
                                         period_key=key)
    except IntegrityError:
        return None
    bus.publish(FeeCharged(**about(sub), kind=kind, amount=amount, currency=strategy.quote_currency, period_key=key))
    return entry


async def charge_fixed(bus: EventBus, sub: Subscription, strategy: Strategy, now: datetime) -> list[LedgerEntry]:
    """Charge every fee period that has started and is not in the ledger yet."""
    fee = Decimal(strategy.fee_fixed)
    if fee <= 0 or now < sub.created_at:
        return []
    started = (now - sub.created_at) // timedelta(days=max(strategy.fee_period_days, 1)) + 1
    charged = set(await LedgerEntry.filter(subscription_id=sub.id, kind="fee_fixed").values_list("period_key", flat=True))
    entries = []
    for period in range(started):
        key = f"period-{period}"
        if key not in charged and (entry := await _record(bus, sub, strategy, "fee_fixed", fee, key)):
            entries.append(entry)
    return entries


async def charge_profit_share(bus: EventBus, sub: Subscription, strategy: Strategy, equity: Decimal, day: str) -> LedgerEntry | None:
    """Charge the share of the profit above the high-water mark (at most once per day)."""
    pct = Decimal(strategy.profit_share_pct)
    mark = Decimal(sub.high_water_mark)
    if pct <= 0 or equity <= mark:
        return None
    fee = ((equity - mark) * pct / HUNDRED).quantize(CENT, rounding=ROUND_DOWN)
    entry = await _record(bus, sub, strategy, "profit_share", fee, day) if fee > 0 else None
    if entry is not None:
        sub.high_water_mark = equity - fee
        await sub.save(update_fields=["high_water_mark"])
    return entry
