"""The fan-out's send lanes: every row sent once, at most `width` at a time per exchange, exchanges
independent of each other, and planning held back once `backlog` rows wait."""
from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from core.engine.lanes import Lanes


async def test_every_item_is_sent_once_with_at_most_width_in_flight_per_exchange() -> None:
    in_flight: Counter[str] = Counter()
    peak: Counter[str] = Counter()
    sent: list[tuple[str, int]] = []

    async def send(item: tuple[str, int]) -> None:
        exchange, _ = item
        in_flight[exchange] += 1
        peak[exchange] = max(peak[exchange], in_flight[exchange])
        await asyncio.sleep(0.001)
        sent.append(item)
        in_flight[exchange] -= 1

    lanes = Lanes(send, width=4, backlog=8)
    items = [(exchange, n) for n in range(40) for exchange in ("binance", "okx")]
    for item in items:
        await lanes.put(item[0], item)
    await lanes.join()
    assert sorted(sent) == sorted(items)
    assert peak == {"binance": 4, "okx": 4}  # each exchange used its own width, no more


async def test_put_waits_while_the_backlog_is_full() -> None:
    release = asyncio.Event()

    async def send(_: int) -> None:
        await release.wait()

    lanes = Lanes(send, width=1, backlog=2)
    await lanes.put("binance", 0)  # taken by the one worker, which blocks
    await asyncio.sleep(0)
    await lanes.put("binance", 1)
    await lanes.put("binance", 2)  # the backlog is full now
    third = asyncio.create_task(lanes.put("binance", 3))
    await asyncio.sleep(0.01)
    assert not third.done()
    release.set()
    await asyncio.wait_for(third, 1)
    await asyncio.wait_for(lanes.join(), 1)


async def test_cancel_stops_the_workers() -> None:
    started = asyncio.Event()

    async def send(_: int) -> None:
        started.set()
        await asyncio.sleep(3600)

    lanes = Lanes(send, width=2, backlog=4)
    await lanes.put("binance", 1)
    await started.wait()
    lanes.cancel()
    await asyncio.sleep(0)
    assert all(worker.cancelled() or worker.done() for worker in lanes._workers)


async def test_a_failing_send_does_not_stall_the_lane_and_join_raises_it() -> None:
    sent: list[int] = []

    async def send(item: int) -> None:
        if item % 3 == 0:
            raise RuntimeError(f"database down at {item}")
        sent.append(item)

    lanes = Lanes(send, width=1, backlog=1)  # one worker: had it died, the second put would wait forever
    for item in range(10):
        await asyncio.wait_for(lanes.put("binance", item), 1)
    with pytest.raises(RuntimeError, match="database down at 0"):
        await asyncio.wait_for(lanes.join(), 1)
    assert sent == [1, 2, 4, 5, 7, 8]
