"""update_rows writes the given columns of many rows by primary key, and nothing else (SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from core.db.bulk import update_rows
from core.db.models import Position
from tests import factories


async def test_update_rows_writes_only_the_named_columns(db: str) -> None:
    account = await factories.account(await factories.user())
    opened = datetime(2025, 1, 1, tzinfo=UTC)
    rows = [await Position.create(account=account, symbol=f"S{i}/USDT", side="long", amount=Decimal(i), opened_at=opened)
            for i in range(1, 4)]
    closed = datetime(2025, 2, 1, 12, 30, tzinfo=UTC)
    for row in rows[:2]:
        row.amount = Decimal("0.000000000000000001") * row.id
        row.side = "short"
        row.closed_at = closed
        row.symbol = "NOT/WRITTEN"  # not among the fields: stays as stored
    await update_rows(Position, rows[:2], ["amount", "side", "closed_at"])
    stored = {p.id: p for p in await Position.all()}
    for row in rows[:2]:
        got = stored[row.id]
        assert (got.amount, got.side, got.closed_at) == (Decimal("0.000000000000000001") * row.id, "short", closed)
        assert got.symbol != "NOT/WRITTEN"
    untouched = stored[rows[2].id]
    assert (untouched.amount, untouched.side, untouched.closed_at) == (Decimal(3), "long", None)
    await update_rows(Position, [], ["amount"])  # nothing to write is not an error
