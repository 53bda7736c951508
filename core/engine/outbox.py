"""The outbox rows a fan-out writes, holds while it sends, and writes back.

A fan-out to 1,000 followers handles 1,000 rows on the event loop between detection and the last
ack. As tortoise models they cost ~26 µs each to build and ~5 µs per attribute set (every set goes
through `Model.__setattr__`), about a fifth of the engine's CPU per order (bench/replication.py).
`OutboxRow` carries the same columns under the same names as `CopyOrder`, so the code that records
an outcome (dispatch.record_order, fail, book_fill) takes either, and core/db/bulk.py writes both.
Rows read back from the database (recovery, order sync, redelivery) stay `CopyOrder` models.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from core.db.bulk import insert_rows
from core.db.models import CopyOrder, CopyOrderStatus
from core.events import utcnow
from core.money import ZERO

INSERT_FIELDS = (
    "master_event_id", "subscription_id", "leg", "client_order_id", "symbol", "side", "order_type", "amount",
    "price", "reduce_only", "target_id", "status", "reason", "reason_detail", "filled", "fee", "attempts",
    "created_at",
)


@dataclass(slots=True, eq=False)
class OutboxRow:
    master_event_id: int
    subscription_id: int
    leg: int
    client_order_id: str
    symbol: str
    side: str
    order_type: str  # market, limit, cancel
    amount: Decimal
    price: Decimal | None
    reduce_only: bool
    target_id: int | None
    status: CopyOrderStatus
    reason: str | None = None
    reason_detail: str | None = None
    exchange_order_id: str | None = None
    filled: Decimal = ZERO
    average_price: Decimal | None = None
    fee: Decimal = ZERO
    fee_currency: str | None = None
    attempts: int = 0
    created_at: datetime | None = None  # set by `write`
    sent_at: datetime | None = None
    acked_at: datetime | None = None
    id: int | None = None


Row = CopyOrder | OutboxRow  # what the dispatch code records an outcome on


async def write(rows: list[OutboxRow]) -> None:
    """Insert a chunk of the outbox in one statement; each row learns its id before it is sent."""
    now = utcnow()
    for row in rows:
        row.created_at = now
    await insert_rows(CopyOrder, rows, INSERT_FIELDS, key="client_order_id")
