"""USDⓈ-M perpetuals through real ccxt against the emulator: followers take the master's leverage and
margin mode (unless the subscription fixes its own leverage), and a reversal is a close plus an open."""
from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from core.db.models import CopyOrderStatus
from core.emulator.server import ExchangeEmulator
from tests.engine_harness import EngineHarness

D = Decimal
PERP = "XRP/USDT:USDT"


@pytest.fixture
async def h(db: str, emulator: ExchangeEmulator, ccxt_shared) -> AsyncIterator[EngineHarness]:  # type: ignore[no-untyped-def]
    harness = await EngineHarness.create(emulator, ccxt_shared, is_margin=True)
    emulator.set_price(PERP, D("0.5"))
    yield harness
    await harness.close()


async def test_leverage_and_margin_mode_follow_the_master(h: EngineHarness, emulator: ExchangeEmulator) -> None:
    follows = await h.add_follower(D(1000), k=D("0.1"), market_type="swap")
    fixed = await h.add_follower(D(1000), k=D("0.1"), market_type="swap", leverage=3)
    event = await h.master_event(side="buy", amount=D(1000), price=D("0.5"), symbol=PERP,
                                 payload={"leverage": "10", "margin_mode": "isolated"})
    fan = await h.replicate(event)
    assert {r.status for r in fan.rows} == {CopyOrderStatus.FILLED}, [(r.reason, r.reason_detail) for r in fan.rows]
    mine = emulator.positions(follows.api_key)["XRPUSDT"]
    assert (mine.amount, mine.leverage, mine.margin_type) == (D(100), 10, "isolated")
    own = emulator.positions(fixed.api_key)["XRPUSDT"]
    assert (own.amount, own.leverage, own.margin_type) == (D(100), 3, "isolated")


async def test_a_reversal_is_a_close_plus_an_open(h: EngineHarness, emulator: ExchangeEmulator) -> None:
    follower = await h.add_follower(D(1000), k=D("0.1"), market_type="swap")
    await h.replicate(await h.master_event(side="buy", amount=D(1000), price=D("0.5"), symbol=PERP))
    reversal = await h.master_event(side="sell", amount=D(3000), price=D("0.5"), symbol=PERP)  # long 1,000 → short 2,000
    fan = await h.replicate(reversal)
    legs = sorted(fan.rows, key=lambda r: r.leg)
    assert [(r.leg, r.side, r.amount, r.reduce_only, r.status) for r in legs] == [
        (0, "sell", D(100), True, CopyOrderStatus.FILLED),  # the close
        (1, "sell", D(200), False, CopyOrderStatus.FILLED),  # the open
    ]
    assert emulator.positions(follower.api_key)["XRPUSDT"].amount == D(-200)
