"""Reports built from the database: snapshots become daily points, fills become round trips."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from core.analytics.store import daily_points, round_trips, strategy_report, subscription_report
from core.db.models import EquitySnapshot, MasterEvent, Position
from tests import factories

D = Decimal
T0 = datetime(2026, 5, 1, 12, tzinfo=UTC)


def fill(n: int, side: str, amount: str, price: str, hours: int) -> MasterEvent:
    at = T0 + timedelta(hours=hours)
    return MasterEvent(exchange_event_id=f"t{n}", kind="fill", symbol="XRP/USDT", side=side, amount=D(amount),
                       price=D(price), occurred_at=at, detected_at=at)


def test_round_trips_with_partial_exits() -> None:
    fills = [fill(1, "buy", "100", "1.0", 0), fill(2, "sell", "40", "1.1", 5), fill(3, "sell", "60", "0.9", 30),
             fill(4, "buy", "10", "2", 40), fill(5, "sell", "10", "2", 41), fill(6, "buy", "5", "1", 50)]
    trades = round_trips(fills)
    assert [(t.opened_at, t.closed_at, t.profit) for t in trades] == [
        (T0, T0 + timedelta(hours=30), D("-2.0")),  # −100 + 44 + 54
        (T0 + timedelta(hours=40), T0 + timedelta(hours=41), D(0)),  # break-even counts as a win
    ]  # the last buy is still open: not a trade


def test_daily_points_keep_the_last_snapshot_of_each_day() -> None:
    snaps = [EquitySnapshot(taken_at=T0, equity=D(100)), EquitySnapshot(taken_at=T0 + timedelta(hours=3), equity=D(105), deposits=D(5)),
             EquitySnapshot(taken_at=T0 + timedelta(days=1), equity=D(110))]
    points = daily_points(snaps)
    assert [(p.day, p.equity, p.deposits) for p in points] == [(date(2026, 5, 1), D(105), D(5)), (date(2026, 5, 2), D(110), D(0))]


async def test_reports_from_rows(db: str) -> None:
    master = await factories.account(await factories.user(is_trader=True), equity=D(1000))
    strategy = await factories.strategy(master)
    for day, equity in enumerate([D(1000), D(1100), D(990)]):
        await EquitySnapshot.create(strategy=strategy, taken_at=T0 + timedelta(days=day), equity=equity)
    for f in [fill(1, "buy", "100", "1.0", 0), fill(2, "sell", "100", "1.2", 24)]:
        f.strategy = strategy
        await f.save()
    report = await strategy_report(strategy, T0 + timedelta(days=3))
    assert report.total_yield == D("-0.01")  # (1 + 0.1)(1 − 0.1) − 1
    assert (report.trades, report.winning_trades) == (1, 1)
    assert report.max_drawdown == D("-0.1")

    sub = await factories.subscription(strategy, await factories.account(await factories.user(), equity=D(100)), k=D("0.1"))
    await Position.create(account_id=sub.account_id, subscription=sub, symbol="XRP/USDT", side="long", amount=0,  # type: ignore[attr-defined]
                          realized_pnl=D(2), fees=D("0.5"), opened_at=T0, closed_at=T0 + timedelta(hours=1))
    await EquitySnapshot.create(subscription=sub, taken_at=T0, equity=D("101.5"))
    sub_report = await subscription_report(sub, T0 + timedelta(days=1))
    assert sub_report.trades == 1 and sub_report.total_yield == D("0.015")
