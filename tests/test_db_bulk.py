"""core/db/bulk.py writes many rows in one statement, on SQLite and PostgreSQL: `update_rows` only the
named columns by primary key, `insert_rows` every named column, with each row given its own id."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from core.db import bulk
from core.db.bulk import insert_rows, update_rows
from core.db.models import CopyOrder, CopyOrderStatus, MasterEvent, Position
from core.engine import outbox
from core.engine.outbox import OutboxRow
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


async def test_outbox_rows_are_inserted_with_their_ids_and_read_back_as_written(db: str) -> None:
    master = await factories.account(await factories.user())
    strat = await factories.strategy(master)
    follower = await factories.account(await factories.user(), equity=Decimal(1000))
    sub = await factories.subscription(strat, follower, Decimal(1))
    event = await MasterEvent.create(strategy=strat, exchange_event_id="e1", kind="fill", symbol="BTC/USDT", side="buy",
                                     order_type="market", amount=Decimal("0.5"), price=Decimal(60000),
                                     position_before=Decimal(0), occurred_at=datetime.now(UTC), detected_at=datetime.now(UTC))
    await CopyOrder.create(master_event=event, subscription=sub, leg=9, client_order_id="taken-first", symbol="BTC/USDT",
                           side="buy", amount=Decimal(1))  # ids of the new rows must not be guessed from a count
    rows = [
        OutboxRow(master_event_id=event.id, subscription_id=sub.id, leg=leg, client_order_id=f"ct-{leg}", symbol="BTC/USDT",
                  side="buy", order_type=kind, amount=Decimal("0.000123450000000001") * (leg + 1), price=price,
                  reduce_only=leg == 1, target_id=None, status=status, reason=reason, reason_detail=reason and "why")
        for leg, kind, price, status, reason in [
            (0, "market", None, CopyOrderStatus.PENDING, None),
            (1, "limit", Decimal("59999.99"), CopyOrderStatus.SKIPPED, "below_minimum"),
            (2, "market", None, CopyOrderStatus.EXPIRED, "exchange_down"),
        ]
    ]
    await outbox.write(rows)
    assert len({r.id for r in rows}) == 3 and None not in {r.id for r in rows}
    for row in rows:
        got = await CopyOrder.get(id=row.id)
        assert (got.client_order_id, got.leg, got.order_type, got.amount, got.price, got.reduce_only, got.status,
                got.reason, got.reason_detail, got.filled, got.attempts) == (
            row.client_order_id, row.leg, row.order_type, row.amount, row.price, row.reduce_only, row.status,
            row.reason, row.reason_detail, Decimal(0), 0)
        assert got.created_at == row.created_at and got.created_at.tzinfo is not None
    await insert_rows(Position, [], ("symbol",), key="symbol")  # nothing to write is not an error


class PositionRow:
    """A Position's columns on a plain object, as core/engine/positions.py writes them."""

    FIELDS = ("account_id", "symbol", "amount", "side", "opened_at", "entry_price", "realized_pnl", "fees")

    def __init__(self, account_id: object, symbol: str, amount: Decimal, opened: datetime) -> None:
        self.account_id, self.symbol, self.amount, self.side, self.opened_at = account_id, symbol, amount, "long", opened
        self.entry_price, self.realized_pnl, self.fees = Decimal("0.5"), Decimal(0), Decimal(0)
        self.id: int | None = None


async def test_position_rows_take_the_account_uuid_and_match_ids_by_key(db: str) -> None:
    accounts = [await factories.account(await factories.user()) for _ in range(3)]
    opened = datetime(2025, 3, 1, tzinfo=UTC)
    await Position.create(account=accounts[0], symbol="OLD/USDT", side="long", opened_at=opened)
    await Position.filter(symbol="OLD/USDT").delete()  # an id that must not be handed out again
    rows = [PositionRow(a.id, f"S{i}/USDT", Decimal(i), opened) for i, a in enumerate(accounts)]
    await insert_rows(Position, rows, PositionRow.FIELDS, key="symbol")
    assert min(row.id for row in rows) > 1  # type: ignore[operator]
    for row in rows:
        got = await Position.get(id=row.id)
        assert (got.account_id, got.symbol, got.amount, got.opened_at) == (row.account_id, row.symbol, row.amount, opened)  # type: ignore[attr-defined]


async def test_many_rows_are_written_in_chunks_under_the_parameter_limit(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Drivers cap the parameters of one statement (asyncpg 32,767): 5,000 positions are 50,000."""
    monkeypatch.setattr(bulk, "MAX_PARAMETERS", 40)  # a handful of rows per statement, so 23 rows take several
    account = await factories.account(await factories.user())
    opened = datetime(2025, 4, 1, tzinfo=UTC)
    rows = [PositionRow(account.id, f"S{i}/USDT", Decimal(i), opened) for i in range(23)]
    await bulk.insert_rows(Position, rows, PositionRow.FIELDS, key="symbol")
    assert len({row.id for row in rows}) == 23
    for row in rows:
        row.amount += Decimal("0.5")
    await bulk.update_rows(Position, rows, ["amount"])
    stored = {p.id: (p.symbol, p.amount) for p in await Position.all()}
    assert stored == {row.id: (row.symbol, row.amount) for row in rows}


async def test_a_value_every_row_shares_reaches_every_row(db: str) -> None:
    """SQLite binds a value once when every row of the chunk holds that very object; each row still gets
    it, and equal values that are different objects are written row by row, as they are."""
    account = await factories.account(await factories.user())
    opened = datetime(2025, 5, 1, tzinfo=UTC)
    shared = Decimal("2.50")
    rows = [PositionRow(account.id, f"S{i}/USDT", shared, opened) for i in range(6)]
    for i, row in enumerate(rows):
        row.entry_price = Decimal(i % 2)  # equal values in different objects: not merged
        row.fees = shared
    await insert_rows(Position, rows, PositionRow.FIELDS, key="symbol")
    stored = {p.id: p for p in await Position.all()}
    for i, row in enumerate(rows):
        got = stored[row.id]  # type: ignore[index]
        assert (got.account_id, got.symbol, got.amount, got.fees, got.entry_price, got.opened_at, got.side) == (  # type: ignore[attr-defined]
            account.id, f"S{i}/USDT", shared, shared, Decimal(i % 2), opened, "long")
