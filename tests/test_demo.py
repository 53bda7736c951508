"""`copytrade demo`: the real engine end to end on the paper exchange, a stable summary, a deterministic log."""
from __future__ import annotations

import asyncio
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from core.bus import EventBus, EventRecorder
from core.demo import DemoSummary, run_demo
from core.demo.printer import describe_follower_event
from core.demo.summary import COLUMNS, render
from core.events import CopyFailed, CopySkipped, OrderCancelled, OrderEnded

D = Decimal
BIG = ("ana", "ben", "cleo")
DOCS = Path(__file__).resolve().parents[1] / "docs" / "demo.md"
HEADER = "Follower  Start USDT         k  Orders    P&L USDT   Return %   Master %  Tracking pp  Not placed"


async def run(seed: int, bus: EventBus | None = None) -> tuple[list[str], DemoSummary]:
    lines: list[str] = []
    summary = await run_demo(seed, write=lines.append, bus=bus)
    return lines, summary


@pytest.fixture(scope="module")
def seed_7() -> tuple[list[str], DemoSummary]:
    """One run shared by the assertions below (a run takes about a second)."""
    return asyncio.run(run(7))


def test_the_summary_has_its_documented_header_and_one_row_per_follower(seed_7: tuple[list[str], DemoSummary]) -> None:
    lines, summary = seed_7
    assert [title for title, _, _ in COLUMNS][-1] == "Not placed"
    table = render(summary)
    assert table[0] == HEADER
    assert HEADER in DOCS.read_text(encoding="utf-8")  # docs/demo.md documents this exact layout
    assert lines[-len(table):] == table  # the table closes the output
    assert [row.follower for row in summary.rows] == ["ana", "ben", "cleo", "dev"]
    for row, text in zip(summary.rows, table[2:], strict=True):
        assert text.startswith(f"{row.follower:<8}  ")
        assert f"  {row.orders:>6}  " in text


def test_big_followers_copy_every_order_and_track_the_master(seed_7: tuple[list[str], DemoSummary]) -> None:
    _, summary = seed_7
    rows = {row.follower: row for row in summary.rows}
    assert summary.master_pnl != 0
    for name in BIG:
        row = rows[name]
        assert row.orders == 7  # entry, increase, partial exit, limit, its replacement, take-profit, full exit
        assert row.not_placed == ()
        assert abs(row.return_pct - summary.master_return_pct) < D("0.01")  # percentage points
        assert row.tracking_error_pp == abs(row.return_pct - row.master_return_pct)
        assert row.pnl == row.start_equity * row.return_pct / 100


def test_the_small_follower_is_skipped_below_the_minimum_and_told(seed_7: tuple[list[str], DemoSummary]) -> None:
    lines, summary = seed_7
    dev = summary.rows[-1]
    assert dev.follower == "dev" and dev.start_equity == D(12)
    assert dev.count("below_minimum") >= 2
    assert dev.orders == 2  # the entry (just above 5 USDT) and the full exit
    assert dev.tracking_error_pp > D("0.01")  # the skips show in its return
    skips = [line for line in lines if "  dev      SKIPPED   " in line and "below_minimum" in line]
    assert len(skips) == dev.count("below_minimum")
    assert all("under the exchange minimum" in line and "follower notified" in line for line in skips)
    assert "below_minimum" in render(summary)[-1]


def test_the_log_shows_detection_amend_cancel_and_order_sync(seed_7: tuple[list[str], DemoSummary]) -> None:
    lines, _ = seed_7
    text = "\n".join(lines)
    assert "master   amends its limit buy:" in text
    assert "watcher  detected order_amend: limit buy now" in text
    assert "watcher  detected order_cancel:" in text
    for name in BIG:
        assert sum(f"  {name:<8} amended   limit buy" in line for line in lines) == 1
        assert sum(f"  {name:<8} cancelled limit buy" in line for line in lines) == 1
        assert sum(f"  {name:<8} filled    limit sell" in line and "booked by order sync" in line for line in lines) == 1
    assert sum(": agree" in line for line in lines) == 4
    assert "DISAGREE" not in text
    assert lines[0] == "copytrade demo (seed 7): the replication engine, offline, on the paper exchange"


async def test_two_runs_print_the_same_text_and_the_seed_picks_the_window() -> None:
    first, summary = await run(7)
    bus = EventBus()  # a caller's bus (the bot's notifier later) sees the same events the log prints
    recorder = EventRecorder(bus)
    again, summary_again = await run(7, bus)
    assert first == again
    assert summary == summary_again
    skipped = Counter((e.subscription_id, e.reason) for e in recorder.of(CopySkipped))
    assert sorted(n for n in skipped.values()) == sorted(n for row in summary.rows for _, n in row.not_placed)
    assert len(recorder.of(OrderCancelled)) == 3
    other, _ = await run(8)
    assert other != first
    assert render(summary)[0] == HEADER


def test_a_copy_the_exchange_ended_is_described_with_what_filled() -> None:
    ids = {"subscription_id": 1, "user_id": 2, "strategy_id": 3, "master_event_id": 4, "copy_order_id": 5}
    ended = OrderEnded(**ids, symbol="XRP/USDT", side="buy", amount=D(100), filled=D(40), status="expired")
    assert describe_follower_event(ended, {}) == "ended     limit buy 100.0 XRP: expired, 40.0 XRP filled; follower notified"
    by_hand = OrderEnded(**ids, symbol="XRP/USDT", side="sell", amount=D(50), filled=D(0), status="cancelled")
    assert describe_follower_event(by_hand, {}) == (
        "ended     limit sell 50.0 XRP: cancelled on the exchange, nothing filled; follower notified")
    failed = CopyFailed(**ids, symbol="XRP/USDT", side="buy", reason="order_cancelled")
    assert "order_cancelled — the exchange cancelled the order before any of it filled" in describe_follower_event(failed, {})
