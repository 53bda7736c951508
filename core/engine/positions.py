"""Write the followers' in-memory holdings back to Position rows after a fan-out.

One open row per (subscription, symbol); it closes when the holding returns to zero. Done in bulk
once per event rather than once per ack, which keeps the database off the hot path.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tortoise.transactions import in_transaction

from core.db.bulk import update_rows
from core.db.models import Position
from core.engine.followers import Follower, Holding
from core.events import utcnow

FIELDS = ("side", "amount", "entry_price", "realized_pnl", "fees", "closed_at")


def _fill(row: Position, holding: Holding, now: datetime) -> None:
    row.side = "long" if holding.amount >= 0 else "short"
    row.amount = abs(holding.amount)
    row.entry_price = holding.entry_price
    row.realized_pnl = holding.realized_pnl
    row.fees = holding.fees
    row.closed_at = now if holding.amount == 0 else None


async def persist_holdings(followers: Sequence[Follower], symbol: str) -> None:
    touched = {f.id: (f, f.holdings[symbol]) for f in followers if symbol in f.holdings}
    if not touched:
        return
    now = utcnow()
    existing = {
        p.subscription_id: p  # type: ignore[attr-defined]
        for p in await Position.filter(subscription_id__in=list(touched), symbol=symbol, closed_at=None)
    }
    updates: list[Position] = []
    creates: list[Position] = []
    for sub_id, (follower, holding) in touched.items():
        row = existing.get(sub_id)
        if row is None:
            if holding.amount == 0:
                continue
            row = Position(account_id=follower.subscription.account_id, subscription_id=sub_id,  # type: ignore[attr-defined]
                           symbol=symbol, opened_at=now)
            creates.append(row)
        else:
            updates.append(row)
        _fill(row, holding, now)
        if holding.amount == 0:  # the next entry starts a fresh position and fresh P&L
            follower.holdings.pop(symbol)
    async with in_transaction():
        if creates:
            await Position.bulk_create(creates)
        if updates:
            await update_rows(Position, updates, FIELDS)
