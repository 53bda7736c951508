"""Acceptance tests of the replication engine against the Binance emulator, through real ccxt.

Every test checks both sides: what the emulator received (`h.orders(follower)`, request counts)
and what the engine recorded (CopyOrder rows, published events).
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from decimal import Decimal

import pytest

from core.db.models import CopyOrder, CopyOrderStatus, MasterEvent, Position, SizingMode
from core.emulator.server import ExchangeEmulator
from core.engine.dispatch import RetryPolicy
from core.engine.order_sync import sync_open_orders
from core.engine.recovery import recover
from core.engine.sizing import allocation_multiplier, proportional_k
from core.events import CopyFailed, CopySkipped, OrderCancelled, OrderEnded, TradeCopied, utcnow
from core.exchange.base import OrderRequest
from core.exchange.ccxt_shared import CcxtShared
from tests.engine_harness import SYMBOL, EngineHarness, FollowerAccount

D = Decimal
PRICE = D("0.6")
ORDER_PATH = "/api/v3/order"
MakeHarness = Callable[..., Awaitable[EngineHarness]]


@pytest.fixture
async def make_harness(db: str, emulator: ExchangeEmulator, ccxt_shared: CcxtShared) -> AsyncIterator[MakeHarness]:
    built: list[EngineHarness] = []

    async def make(**options: object) -> EngineHarness:
        harness = await EngineHarness.create(emulator, ccxt_shared, **options)  # type: ignore[arg-type]
        built.append(harness)
        emulator.set_price(SYMBOL, PRICE)
        return harness

    yield make
    for harness in built:
        await harness.close()


@pytest.fixture
async def h(make_harness: MakeHarness) -> EngineHarness:
    return await make_harness()


def placed(h: EngineHarness, follower: FollowerAccount) -> list[tuple[str, str, Decimal, Decimal, str]]:
    """(side, type, quantity, limit price, status) of every order on the follower's emulator account."""
    return [(o.side, o.type, o.qty, o.price, o.status) for o in h.orders(follower)]


def order_posts(emulator: ExchangeEmulator) -> int:
    return emulator.request_count("binance", ORDER_PATH, "POST")


# --- 1. proportional sizing -------------------------------------------------------------------
async def test_proportional_k_from_equity(h: EngineHarness) -> None:
    """k = follower equity ÷ master equity; the quantity is truncated to the LOT_SIZE step (0.1 XRP)."""
    assert proportional_k(D(2500), D(10000)) == D("0.25")  # the spec's example
    tenth, quarter_tenth, quarter, odd = (
        await h.add_follower(D(1000)), await h.add_follower(D(250)), await h.add_follower(D(2500)), await h.add_follower(D("123.45"))
    )
    assert [f.subscription.multiplier for f in h.followers] == [D("0.1"), D("0.025"), D("0.25"), D("0.012345")]

    event = await h.master_event(side="buy", amount=D(1000), price=PRICE)
    fan = await h.replicate(event)

    expected = {tenth: D(100), quarter_tenth: D(25), quarter: D(250), odd: D("12.3")}  # 12.345 → 12.3
    for follower, quantity in expected.items():
        assert placed(h, follower) == [("BUY", "MARKET", quantity, D(0), "FILLED")]
        row = await h.row(event, follower)
        assert (row.status, row.amount, row.filled, row.average_price) == (CopyOrderStatus.FILLED, quantity, quantity, PRICE)
        assert row.client_order_id == h.orders(follower)[0].client_order_id
    assert len(fan.rows) == 4
    copied = {e.subscription_id: e.filled for e in h.recorder.of(TradeCopied)}
    assert copied == {f.id: q for f, q in expected.items()}
    assert (await h.row(event, quarter)).fee == D("0.25")  # Binance takes a buy's fee in the coin bought
    position = await Position.get(subscription_id=quarter.id, symbol=SYMBOL)
    assert (position.side, position.amount, position.entry_price) == ("long", D("249.75"), PRICE)  # what arrived


@pytest.mark.parametrize(
    ("assets", "minimum", "step", "recommended", "multiplier", "master_qty", "follower_qty"),
    [
        (D(50515), D(50000), D(100), D(200), D(250), D(20), D(5000)),
        (D(76667), D(40000), D(3000), D(40000), D("1.825"), D(1000), D(1825)),
    ],
)
async def test_allocation_multiplier_drives_the_orders(
    make_harness: MakeHarness, assets: Decimal, minimum: Decimal, step: Decimal, recommended: Decimal,
    multiplier: Decimal, master_qty: Decimal, follower_qty: Decimal,
) -> None:
    """The spec's worked examples: the subscription's multiplier scales the master's quantity."""
    h = await make_harness(min_deposit=minimum, subscription_step=step, recommended_deposit=recommended)
    strategy = h.strategy
    allocation = allocation_multiplier(assets, strategy.min_deposit, strategy.subscription_step, strategy.recommended_deposit)
    assert allocation.multiplier == multiplier
    follower = await h.add_follower(assets, k=allocation.multiplier)

    event = await h.master_event(side="buy", amount=master_qty, price=PRICE)
    await h.replicate(event)

    assert placed(h, follower) == [("BUY", "MARKET", follower_qty, D(0), "FILLED")]
    assert (await h.row(event, follower)).status == CopyOrderStatus.FILLED


# --- 2. fixed sizing --------------------------------------------------------------------------
async def test_fixed_amount_per_entry_scaled_on_partial_exit(h: EngineHarness) -> None:
    follower = await h.add_follower(D(1000), sizing_mode=SizingMode.FIXED, fixed_amount=D(30))
    proportional = await h.add_follower(D(1000))

    await h.replicate(await h.master_event(side="buy", amount=D(1000), price=PRICE))
    assert placed(h, follower) == [("BUY", "MARKET", D(50), D(0), "FILLED")]  # 30 USDT ÷ 0.6

    exit_event = await h.master_event(side="sell", amount=D(400), price=PRICE)  # 40 % of the master's 1000
    await h.replicate(exit_event)
    # 40 % of what arrived (50 − 0.05 fee = 49.95 → 19.98), truncated to the 0.1 step
    assert placed(h, follower)[1] == ("SELL", "MARKET", D("19.9"), D(0), "FILLED")
    assert placed(h, proportional)[1] == ("SELL", "MARKET", D("39.9"), D(0), "FILLED")  # 40 % of 99.9
    row = await h.row(exit_event, follower)
    assert (row.side, row.status, row.filled) == ("sell", CopyOrderStatus.FILLED, D("19.9"))
    position = await Position.get(subscription_id=follower.id, symbol=SYMBOL)
    assert position.amount == D("30.05")

    await h.replicate(await h.master_event(side="buy", amount=D(10), price=PRICE))  # a new entry: the amount again
    assert placed(h, follower)[2] == ("BUY", "MARKET", D(50), D(0), "FILLED")


async def test_full_exit_sells_what_arrived_after_the_fee(h: EngineHarness, emulator: ExchangeEmulator) -> None:
    """A spot buy of 100 XRP leaves 99.9 on the account; the master's full exit sells exactly that."""
    follower = await h.add_follower(D(1000))
    await h.replicate(await h.master_event(side="buy", amount=D(1000), price=PRICE))
    exit_event = await h.master_event(side="sell", amount=D(1000), price=PRICE)
    await h.replicate(exit_event)

    assert placed(h, follower)[1] == ("SELL", "MARKET", D("99.9"), D(0), "FILLED")
    assert (await h.row(exit_event, follower)).status == CopyOrderStatus.FILLED
    assert emulator.balances(follower.api_key)["XRP"] == (D(0), D(0))
    position = await Position.get(subscription_id=follower.id, symbol=SYMBOL)
    assert position.amount == D(0) and position.closed_at is not None


# --- 3. partial fills -------------------------------------------------------------------------
async def test_master_order_filled_in_two_events(h: EngineHarness) -> None:
    tenth, quarter = await h.add_follower(D(1000)), await h.add_follower(D(2500))
    first = await h.master_event(side="buy", amount=D(400), price=PRICE, master_order_id="M-1")
    second = await h.master_event(side="buy", amount=D(600), price=PRICE, master_order_id="M-1")
    assert second.position_before == D(400)

    await h.replicate(first)
    await h.replicate(second)

    assert [o[2] for o in placed(h, tenth)] == [D(40), D(60)]
    assert [o[2] for o in placed(h, quarter)] == [D(100), D(150)]
    total = sum((o.filled for o in h.orders(quarter)), D(0))
    assert total == D("0.25") * D(1000)
    assert {r.status for r in await CopyOrder.all()} == {CopyOrderStatus.FILLED}
    assert len(h.recorder.of(TradeCopied)) == 4


async def test_market_copy_on_a_thin_book_fills_in_part_and_is_told_as_such(h: EngineHarness, emulator: ExchangeEmulator) -> None:
    """Binance expires what a market order cannot fill: the part that filled is a (partial) trade, not a failure."""
    follower = await h.add_follower(D(1000))
    emulator.set_liquidity(SYMBOL, D(60))
    event = await h.master_event(side="buy", amount=D(1000), price=PRICE)
    await h.replicate(event)
    assert placed(h, follower) == [("BUY", "MARKET", D(100), D(0), "EXPIRED")]
    row = await h.row(event, follower)
    assert (row.status, row.filled, row.reason) == (CopyOrderStatus.EXPIRED, D(60), None)
    assert (await Position.get(subscription_id=follower.id, symbol=SYMBOL)).amount == D("59.94")  # net of the 0.1 % fee
    [copied] = h.recorder.of(TradeCopied)
    assert (copied.filled, copied.amount, copied.partial) == (D(60), D(100), True)
    assert h.recorder.of(CopyFailed) == []

    emulator.set_liquidity(SYMBOL, D(0))  # nothing trades at all: not placed, with the reason
    second = await h.master_event(side="buy", amount=D(1000), price=PRICE)
    await h.replicate(second)
    row = await h.row(second, follower)
    assert (row.status, row.filled, row.reason) == (CopyOrderStatus.EXPIRED, D(0), "order_expired")
    assert [e.reason for e in h.recorder.of(CopyFailed)] == ["order_expired"]
    assert (await Position.get(subscription_id=follower.id, symbol=SYMBOL)).amount == D("59.94")


async def test_market_copy_the_exchange_cancels_unfilled_is_told_like_an_expired_one(h: EngineHarness, emulator: ExchangeEmulator) -> None:
    """An exchange that cancels what an immediate order cannot fill (answered CANCELLED at creation): nothing
    filled is not placed, with its reason, as for EXPIRED; a part filled is a partial trade."""
    follower = await h.add_follower(D(1000))
    emulator.set_liquidity(SYMBOL, D(0), unfilled="CANCELED")
    event = await h.master_event(side="buy", amount=D(1000), price=PRICE)
    await h.replicate(event)
    assert placed(h, follower) == [("BUY", "MARKET", D(100), D(0), "CANCELED")]
    row = await h.row(event, follower)
    assert (row.status, row.filled, row.reason) == (CopyOrderStatus.CANCELLED, D(0), "order_cancelled")
    assert [(e.copy_order_id, e.reason) for e in h.recorder.of(CopyFailed)] == [(row.id, "order_cancelled")]
    assert h.recorder.of(TradeCopied) == []

    emulator.set_liquidity(SYMBOL, D(60), unfilled="CANCELED")
    second = await h.master_event(side="buy", amount=D(1000), price=PRICE)
    await h.replicate(second)
    row = await h.row(second, follower)
    assert (row.status, row.filled, row.reason) == (CopyOrderStatus.CANCELLED, D(60), None)
    [copied] = h.recorder.of(TradeCopied)
    assert (copied.copy_order_id, copied.filled, copied.amount, copied.partial) == (row.id, D(60), D(100), True)
    assert len(h.recorder.of(CopyFailed)) == 1
    assert (await Position.get(subscription_id=follower.id, symbol=SYMBOL)).amount == D("59.94")


async def test_partly_filled_copy_cancelled_by_the_master_is_final(h: EngineHarness, emulator: ExchangeEmulator) -> None:
    """A resting copy that filled in part and was then cancelled ends CANCELLED with its fill, and the
    order sync stops asking the exchange about it."""
    follower = await h.add_follower(D(1000))
    new = await h.master_event(kind="order_new", side="buy", amount=D(1000), price=D("0.55"), master_order_id="L-9")
    await h.replicate(new)
    emulator.set_liquidity(SYMBOL, D(40))
    emulator.set_price(SYMBOL, D("0.55"))  # the book crosses the copy but holds only 40
    emulator.set_price(SYMBOL, PRICE)
    assert placed(h, follower) == [("BUY", "LIMIT", D(100), D("0.55"), "PARTIALLY_FILLED")]
    assert await sync_open_orders(h.engine) == 1
    row = await h.row(new, follower)
    assert (row.status, row.filled) == (CopyOrderStatus.PARTIALLY_FILLED, D(40))

    cancel = await h.master_event(kind="order_cancel", side="buy", amount=D(1000), price=D("0.55"), master_order_id="L-9")
    await h.replicate(cancel)
    row = await h.row(new, follower)
    assert (row.status, row.filled) == (CopyOrderStatus.CANCELLED, D(40))
    assert h.emulator is not None and h.emulator.balances(follower.api_key)["USDT"] == (D(1000) - D(22), D(0))
    lookups = emulator.request_count("binance", ORDER_PATH, "GET")
    assert await sync_open_orders(h.engine) == 0
    assert emulator.request_count("binance", ORDER_PATH, "GET") == lookups  # not polled any more
    assert (await Position.get(subscription_id=follower.id, symbol=SYMBOL)).amount == D("39.96")


async def test_row_left_partly_filled_after_its_cancel_is_settled_by_one_poll(h: EngineHarness, emulator: ExchangeEmulator) -> None:
    """Rows written before final orders kept their status: one poll settles such a row, then it is left alone."""
    follower = await h.add_follower(D(1000))
    new = await h.master_event(kind="order_new", side="buy", amount=D(1000), price=D("0.55"), master_order_id="L-10")
    await h.replicate(new)
    emulator.set_liquidity(SYMBOL, D(40))
    emulator.set_price(SYMBOL, D("0.55"))
    assert await sync_open_orders(h.engine) == 1
    async with h.engine.gateways.lease(follower.account) as gateway:  # cancelled on the exchange behind the engine's back
        await gateway.cancel_order(SYMBOL, client_order_id=(await h.row(new, follower)).client_order_id)
    await sync_open_orders(h.engine)
    row = await h.row(new, follower)
    assert (row.status, row.filled) == (CopyOrderStatus.CANCELLED, D(40))
    lookups = emulator.request_count("binance", ORDER_PATH, "GET")
    await sync_open_orders(h.engine)
    assert emulator.request_count("binance", ORDER_PATH, "GET") == lookups


async def test_resting_copy_cancelled_on_the_exchange_is_told_once(h: EngineHarness, emulator: ExchangeEmulator) -> None:
    """The follower cancels the copy by hand in the exchange's app: the order sync records why and tells them, once."""
    follower = await h.add_follower(D(1000))
    new = await h.master_event(kind="order_new", side="buy", amount=D(1000), price=D("0.55"), master_order_id="L-11")
    await h.replicate(new)
    row = await h.row(new, follower)
    emulator.end_order(follower.api_key, row.client_order_id, "CANCELED")

    assert await sync_open_orders(h.engine) == 0  # nothing filled
    await h.bus.drain()
    row = await h.row(new, follower)
    assert (row.status, row.filled, row.reason) == (CopyOrderStatus.CANCELLED, D(0), "order_cancelled")
    [ended] = h.recorder.of(OrderEnded)
    assert (ended.subscription_id, ended.master_event_id, ended.copy_order_id) == (follower.id, new.id, row.id)
    assert (ended.symbol, ended.side, ended.amount, ended.filled, ended.status) == (SYMBOL, "buy", D(100), D(0), "cancelled")
    assert h.recorder.of(CopyFailed) == [] and h.recorder.of(OrderCancelled) == []

    lookups = emulator.request_count("binance", ORDER_PATH, "GET")
    assert await sync_open_orders(h.engine) == 0
    await h.bus.drain()
    assert emulator.request_count("binance", ORDER_PATH, "GET") == lookups  # final: not polled, not told again
    assert len(h.recorder.of(OrderEnded)) == 1


async def test_resting_copy_expired_after_a_partial_fill_is_told_the_fill_then_the_ending(
    h: EngineHarness, emulator: ExchangeEmulator,
) -> None:
    """One poll finds a new fill and the exchange's expiry: the follower hears of both, the fill first."""
    follower = await h.add_follower(D(1000))
    new = await h.master_event(kind="order_new", side="buy", amount=D(1000), price=D("0.55"), master_order_id="L-12")
    await h.replicate(new)
    emulator.set_liquidity(SYMBOL, D(40))
    emulator.set_price(SYMBOL, D("0.55"))  # 40 of the copy's 100 fill
    emulator.set_price(SYMBOL, PRICE)
    emulator.end_order(follower.api_key, (await h.row(new, follower)).client_order_id, "EXPIRED")

    assert await sync_open_orders(h.engine) == 1
    await h.bus.drain()
    row = await h.row(new, follower)
    assert (row.status, row.filled, row.reason) == (CopyOrderStatus.EXPIRED, D(40), None)
    told = [e for e in h.recorder.events if isinstance(e, TradeCopied | OrderEnded)][1:]  # after the order placed
    assert [type(e) for e in told] == [TradeCopied, OrderEnded]
    copied, ended = told
    assert (copied.filled, copied.partial) == (D(40), True)  # type: ignore[union-attr]
    assert (ended.copy_order_id, ended.filled, ended.amount, ended.status) == (row.id, D(40), D(100), "expired")  # type: ignore[union-attr]
    assert h.recorder.of(CopyFailed) == []
    assert (await Position.get(subscription_id=follower.id, symbol=SYMBOL)).amount == D("39.96")


async def test_copy_cancelled_following_the_master_is_not_an_ending_nor_a_failure(h: EngineHarness) -> None:
    """Our own cancel of a resting copy (the master cancelled its order) is told as OrderCancelled only,
    and the cancelled copy carries no failure reason."""
    follower = await h.add_follower(D(1000))
    new = await h.master_event(kind="order_new", side="buy", amount=D(1000), price=D("0.55"), master_order_id="L-13")
    await h.replicate(new)
    cancel = await h.master_event(kind="order_cancel", side="buy", amount=D(1000), price=D("0.55"), master_order_id="L-13")
    await h.replicate(cancel)
    assert await sync_open_orders(h.engine) == 0
    await h.bus.drain()

    row = await h.row(new, follower)
    assert (row.status, row.filled, row.reason) == (CopyOrderStatus.CANCELLED, D(0), None)
    assert [e.copy_order_id for e in h.recorder.of(OrderCancelled)] == [(await h.row(cancel, follower)).id]
    assert h.recorder.of(OrderEnded) == [] and h.recorder.of(CopyFailed) == []


# --- 4. limit orders: new, amend, cancel ------------------------------------------------------
async def test_limit_order_mirrored_amended_and_cancelled(h: EngineHarness, emulator: ExchangeEmulator) -> None:
    tenth, quarter = await h.add_follower(D(1000)), await h.add_follower(D(2500))
    new = await h.master_event(kind="order_new", side="buy", amount=D(1000), price=D("0.55"), master_order_id="L-1")
    await h.replicate(new)
    assert placed(h, tenth) == [("BUY", "LIMIT", D(100), D("0.55"), "NEW")]
    assert placed(h, quarter) == [("BUY", "LIMIT", D(250), D("0.55"), "NEW")]
    assert (await h.row(new, tenth)).status == CopyOrderStatus.OPEN

    amend = await h.master_event(kind="order_amend", side="buy", amount=D(1000), price=D("0.56"), master_order_id="L-1")
    await h.replicate(amend)
    assert placed(h, tenth) == [("BUY", "LIMIT", D(100), D("0.55"), "CANCELED"), ("BUY", "LIMIT", D(100), D("0.56"), "NEW")]
    assert placed(h, quarter)[1] == ("BUY", "LIMIT", D(250), D("0.56"), "NEW")
    replaced, replacement = await h.row(new, tenth), await h.row(amend, tenth)
    assert (replaced.status, replacement.status, replacement.target_id) == (  # type: ignore[attr-defined]
        CopyOrderStatus.CANCELLED, CopyOrderStatus.OPEN, replaced.id
    )
    assert h.emulator is not None and h.emulator.balances(tenth.api_key)["USDT"] == (D(1000) - D(56), D(56))

    cancel = await h.master_event(kind="order_cancel", side="buy", amount=D(1000), price=D("0.56"), master_order_id="L-1")
    await h.replicate(cancel)
    assert [o[4] for o in placed(h, tenth)] == ["CANCELED", "CANCELED"]
    assert [o[4] for o in placed(h, quarter)] == ["CANCELED", "CANCELED"]
    assert (await h.row(amend, tenth)).status == CopyOrderStatus.CANCELLED
    assert (await h.row(cancel, tenth)).order_type == "cancel"
    assert {e.subscription_id for e in h.recorder.of(OrderCancelled)} == {tenth.id, quarter.id}
    assert h.emulator.balances(tenth.api_key)["USDT"] == (D(1000), D(0))

    posts = order_posts(emulator)
    fill = await h.master_event(side="buy", amount=D(1000), price=D("0.56"), order_type="limit", master_order_id="L-1")
    fan = await h.replicate(fill)
    assert fan.rows == [] and order_posts(emulator) == posts
    assert len(h.orders(tenth)) == 2


async def test_fill_of_the_mirrored_order_books_the_copy(h: EngineHarness, emulator: ExchangeEmulator) -> None:
    """The copies fill on the followers' exchange; the master's fill reads them back so an exit can follow."""
    follower, other = await h.add_follower(D(1000)), await h.add_follower(D(2500))
    await h.replicate(await h.master_event(kind="order_new", side="buy", amount=D(1000), price=D("0.55"), master_order_id="L-2"))
    emulator.set_price(SYMBOL, D("0.55"))  # crosses the master's and the follower's limit orders
    fill = await h.master_event(side="buy", amount=D(1000), price=D("0.55"), order_type="limit", master_order_id="L-2")
    assert (await h.replicate(fill)).rows == []
    assert placed(h, follower) == [("BUY", "LIMIT", D(100), D("0.55"), "FILLED")]
    position = await Position.get(subscription_id=follower.id, symbol=SYMBOL)
    assert (position.amount, position.entry_price) == (D("99.9"), D("0.55"))  # the fee read from the order's trades

    exit_event = await h.master_event(side="sell", amount=D(500), price=D("0.55"))
    await h.replicate(exit_event)
    assert placed(h, follower)[1] == ("SELL", "MARKET", D("49.9"), D(0), "FILLED")  # half of 99.9, on the 0.1 grid
    assert placed(h, other)[1] == ("SELL", "MARKET", D("124.8"), D(0), "FILLED")  # half of 249.75
    assert (await h.row(exit_event, follower)).status == CopyOrderStatus.FILLED


async def test_amend_after_the_copy_filled_places_nothing(h: EngineHarness, emulator: ExchangeEmulator) -> None:
    follower = await h.add_follower(D(1000))
    new = await h.master_event(kind="order_new", side="buy", amount=D(1000), price=D("0.55"), master_order_id="L-3")
    await h.replicate(new)
    emulator.set_price(SYMBOL, D("0.55"))  # the follower's copy fills; the master's order is still open elsewhere
    emulator.set_price(SYMBOL, PRICE)
    amend = await h.master_event(kind="order_amend", side="buy", amount=D(1000), price=D("0.54"), master_order_id="L-3")
    await h.replicate(amend)

    assert placed(h, follower) == [("BUY", "LIMIT", D(100), D("0.55"), "FILLED")]
    assert order_posts(emulator) == 1
    assert (await h.row(new, follower)).status == CopyOrderStatus.FILLED
    row = await h.row(amend, follower)
    assert (row.status, row.reason, row.amount) == (CopyOrderStatus.SKIPPED, "below_minimum", D(0))
    assert [e.reason for e in h.recorder.of(CopySkipped)] == ["below_minimum"]
    position = await Position.get(subscription_id=follower.id, symbol=SYMBOL)
    assert position.amount == D("99.9")  # the fill found by the cancel attempt is booked, net of its fee


# --- 5. below the exchange minimum ------------------------------------------------------------
async def test_follower_below_minimum_is_skipped_with_reason(h: EngineHarness, emulator: ExchangeEmulator) -> None:
    small, big = await h.add_follower(D(30)), await h.add_follower(D(1000))  # 3 XRP ≈ 1.8 USDT < 5 USDT notional
    event = await h.master_event(side="buy", amount=D(1000), price=PRICE)
    await h.replicate(event)

    row = await h.row(event, small)
    assert (row.status, row.reason, row.attempts, row.sent_at) == (CopyOrderStatus.SKIPPED, "below_minimum", 0, None)
    assert h.orders(small) == [] and len(h.orders(big)) == 1
    assert order_posts(emulator) == 1
    [skipped] = h.recorder.of(CopySkipped)
    assert (skipped.subscription_id, skipped.reason, skipped.copy_order_id) == (small.id, "below_minimum", row.id)


async def test_copy_over_the_exchange_maximum_is_cut_to_the_largest_order(h: EngineHarness, emulator: ExchangeEmulator) -> None:
    """XRPUSDT takes at most 1,500,000 XRP in one market order (MARKET_LOT_SIZE): a whale's 2,000,000
    is placed as one order of 1,500,000, with why on its row, instead of an order the exchange refuses."""
    whale = await h.add_follower(D(5_000_000))  # k = 500; 30 % of 5M USDT leaves room for 2.5M XRP
    event = await h.master_event(side="buy", amount=D(4000), price=PRICE)
    await h.replicate(event)

    assert placed(h, whale) == [("BUY", "MARKET", D(1_500_000), D(0), "FILLED")]
    assert order_posts(emulator) == 1
    row = await h.row(event, whale)
    assert (row.status, row.amount, row.filled) == (CopyOrderStatus.FILLED, D(1_500_000), D(1_500_000))
    assert "largest order" in row.reason_detail and "1500000" in row.reason_detail
    [copied] = h.recorder.of(TradeCopied)
    assert (copied.amount, copied.partial) == (D(1_500_000), False)


# --- 6. slippage tolerance --------------------------------------------------------------------
async def test_slippage_beyond_tolerance_is_skipped(h: EngineHarness, emulator: ExchangeEmulator) -> None:
    strict = await h.add_follower(D(1000), slippage_tolerance_pct=D(1))
    loose = await h.add_follower(D(1000), slippage_tolerance_pct=D(5))

    emulator.set_price(SYMBOL, D("0.618"))  # 3 % above the master's fill at 0.6
    moved = await h.master_event(side="buy", amount=D(100), price=PRICE)
    await h.replicate(moved)
    row = await h.row(moved, strict)
    assert (row.status, row.reason) == (CopyOrderStatus.SKIPPED, "slippage")
    assert "3.0000%" in (row.reason_detail or "")
    assert h.orders(strict) == []
    assert placed(h, loose) == [("BUY", "MARKET", D(10), D(0), "FILLED")]
    assert (await h.row(moved, loose)).average_price == D("0.618")
    assert [(e.subscription_id, e.reason) for e in h.recorder.of(CopySkipped)] == [(strict.id, "slippage")]

    emulator.set_price(SYMBOL, D("0.604"))  # 0.67 %: within both tolerances
    within = await h.master_event(side="buy", amount=D(100), price=PRICE)
    await h.replicate(within)
    assert placed(h, strict) == [("BUY", "MARKET", D(10), D(0), "FILLED")]
    assert (await h.row(within, strict)).status == CopyOrderStatus.FILLED


# --- 7. 429 and 5xx -----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["rate_limit", "unavailable"])
async def test_retryable_errors_are_retried_without_duplicates(h: EngineHarness, emulator: ExchangeEmulator, kind: str) -> None:
    followers = [await h.add_follower(D(1000)) for _ in range(4)]
    fault = emulator.faults.add("binance", ORDER_PATH, kind, method="POST", times=3, retry_after=0)  # type: ignore[arg-type]
    event = await h.master_event(side="buy", amount=D(1000), price=PRICE)
    await h.replicate(event)

    assert fault.fired == 3
    for follower in followers:
        assert placed(h, follower) == [("BUY", "MARKET", D(100), D(0), "FILLED")]
        assert (await h.row(event, follower)).status == CopyOrderStatus.FILLED
    assert order_posts(emulator) == 4 + 3
    rows = await CopyOrder.filter(master_event_id=event.id)
    assert sum(r.attempts for r in rows) == 4 + 3
    assert len(h.recorder.of(TradeCopied)) == 4 and h.recorder.of(CopyFailed) == []


# --- 8. lost response ---------------------------------------------------------------------------
async def test_accepted_order_whose_answer_is_lost_is_found_by_client_id(h: EngineHarness, emulator: ExchangeEmulator) -> None:
    follower = await h.add_follower(D(1000))
    emulator.faults.add("binance", ORDER_PATH, "lost_response", method="POST")
    event = await h.master_event(side="buy", amount=D(1000), price=PRICE)
    await h.replicate(event)

    assert placed(h, follower) == [("BUY", "MARKET", D(100), D(0), "FILLED")]
    assert order_posts(emulator) == 1  # looked up, never resent
    assert emulator.request_count("binance", ORDER_PATH, "GET") >= 1
    row = await h.row(event, follower)
    assert (row.status, row.filled, row.attempts) == (CopyOrderStatus.FILLED, D(100), 2)
    assert row.exchange_order_id == str(h.orders(follower)[0].order_id)
    assert len(h.recorder.of(TradeCopied)) == 1


# --- 9. outage ----------------------------------------------------------------------------------
async def test_exchange_down_past_the_outage_window_expires(make_harness: MakeHarness, emulator: ExchangeEmulator) -> None:
    h = await make_harness(retry=RetryPolicy(max_attempts=1000, base_delay=0.02, max_delay=0.05, outage_window=0.3))
    followers = [await h.add_follower(D(1000)) for _ in range(2)]
    emulator.faults.add("binance", ORDER_PATH, "unavailable", times=10**6)  # POST, and the lookups by client id
    event = await h.master_event(side="buy", amount=D(1000), price=PRICE)
    await h.replicate(event)

    for follower in followers:
        row = await h.row(event, follower)
        assert (row.status, row.reason) == (CopyOrderStatus.EXPIRED, "exchange_down")
        assert 1 < row.attempts < 1000  # the window ended it, not the attempt budget
        assert h.orders(follower) == []
    failed = h.recorder.of(CopyFailed)
    assert sorted(e.subscription_id for e in failed) == sorted(f.id for f in followers)
    assert {e.reason for e in failed} == {"exchange_down"}
    assert (await MasterEvent.get(id=event.id)).fanned_out_at is not None


async def test_exchange_down_from_a_cold_start_expires(h: EngineHarness, emulator: ExchangeEmulator) -> None:
    """Down before the markets were ever loaded: nothing can be sized, and the follower is told it failed."""
    follower = await h.add_follower(D(1000))
    for path in ("/api/v3/exchangeInfo", "/api/v3/ticker/24hr", ORDER_PATH):
        emulator.faults.add("binance", path, "unavailable", times=10**6)
    event = await h.master_event(side="buy", amount=D(1000), price=PRICE)
    await h.replicate(event)

    row = await h.row(event, follower)
    assert (row.status, row.reason) == (CopyOrderStatus.EXPIRED, "exchange_down")
    assert h.orders(follower) == [] and order_posts(emulator) == 0
    assert [e.reason for e in h.recorder.of(CopyFailed)] == ["exchange_down"] and h.recorder.of(CopySkipped) == []


# --- 10. rejection --------------------------------------------------------------------------------
async def test_insufficient_balance_fails_without_retry(h: EngineHarness, emulator: ExchangeEmulator) -> None:
    broke = await h.add_follower(D(1000), balances={"USDT": D(10)})  # equity on record, but 10 USDT on the exchange
    event = await h.master_event(side="buy", amount=D(1000), price=PRICE)
    await h.replicate(event)

    row = await h.row(event, broke)
    assert (row.status, row.reason, row.attempts) == (CopyOrderStatus.FAILED, "insufficient_funds", 1)
    assert h.orders(broke) == [] and order_posts(emulator) == 1
    [failed] = h.recorder.of(CopyFailed)
    assert (failed.subscription_id, failed.reason, failed.copy_order_id) == (broke.id, "insufficient_funds", row.id)


# --- 11. recovery -----------------------------------------------------------------------------------
async def test_recovery_finds_sends_and_expires(h: EngineHarness, emulator: ExchangeEmulator) -> None:
    """After a crash: PENDING rows are looked up before any send, followers without a row are planned
    and sent, and an event older than the recovery window is not copied late but expired with a reason."""
    reached, lost, unwritten = [await h.add_follower(D(1000)) for _ in range(3)]

    async def send_directly(follower: FollowerAccount, row: CopyOrder) -> None:  # the send just before the crash
        async with h.gateways.lease(follower.account) as gateway:
            await gateway.create_order(OrderRequest(SYMBOL, "buy", "market", row.amount, row.client_order_id))

    event = await h.master_event(side="buy", amount=D(1000), price=PRICE)
    rows = {r.subscription_id: r for r in await h.write_outbox(event, [reached, lost])}  # type: ignore[attr-defined]
    assert {(r.status, r.amount) for r in rows.values()} == {(CopyOrderStatus.PENDING, D(100))}
    await send_directly(reached, rows[reached.id])
    stale = await h.master_event(side="buy", amount=D(500), price=PRICE, detected_at=utcnow() - timedelta(minutes=10))
    stale_rows = {r.subscription_id: r for r in await h.write_outbox(stale, [reached, lost])}  # type: ignore[attr-defined]
    await send_directly(lost, stale_rows[lost.id])
    assert order_posts(emulator) == 2

    h.restart_engine()
    assert await recover(h.engine, window=timedelta(minutes=2)) == 2
    await h.bus.drain()

    # within the window: the reached order is found and recorded, the others are sent, once each
    assert placed(h, reached) == [("BUY", "MARKET", D(100), D(0), "FILLED")]
    assert placed(h, lost) == [("BUY", "MARKET", D(50), D(0), "FILLED"), ("BUY", "MARKET", D(100), D(0), "FILLED")]
    assert placed(h, unwritten) == [("BUY", "MARKET", D(100), D(0), "FILLED")]
    assert order_posts(emulator) == 2 + 2
    for follower in (reached, lost, unwritten):
        row = await h.row(event, follower)
        assert (row.status, row.filled) == (CopyOrderStatus.FILLED, D(100))
        [order] = [o for o in h.orders(follower) if o.client_order_id == row.client_order_id]
        assert row.exchange_order_id == str(order.order_id)
    assert (await h.row(event, reached)).attempts == 1  # one lookup, no create

    # past the window: nothing sent late; what the crash had already placed is recorded, the rest expires
    found = await h.row(stale, lost)
    assert (found.status, found.filled) == (CopyOrderStatus.FILLED, D(50))
    for follower in (reached, unwritten):
        row = await h.row(stale, follower)
        assert (row.status, row.reason) == (CopyOrderStatus.EXPIRED, "recovery_window")
    failed = h.recorder.of(CopyFailed)
    assert sorted((e.master_event_id, e.subscription_id) for e in failed) == [(stale.id, reached.id), (stale.id, unwritten.id)]
    copied = {(e.master_event_id, e.subscription_id) for e in h.recorder.of(TradeCopied)}
    assert copied == {(event.id, f.id) for f in (reached, lost, unwritten)} | {(stale.id, lost.id)}

    positions = {p.subscription_id: p.amount for p in await Position.filter(closed_at=None)}  # type: ignore[attr-defined]
    assert positions[unwritten.id] == D("99.9") and positions[lost.id] == D("99.9") + D("49.95")
    assert positions[reached.id] > 0
    assert await MasterEvent.filter(fanned_out_at=None).count() == 0
    assert await recover(h.engine) == 0


async def test_prepare_opens_keys_ahead_and_a_broken_key_fails_only_its_follower(h: EngineHarness) -> None:
    broken, alice = await h.add_follower(D(1000)), await h.add_follower(D(2500))
    sealed = broken.account.credentials
    assert sealed is not None
    broken.account.credentials = sealed[:-8] + ("A" * 8 if not sealed.endswith("A" * 8) else "B" * 8)  # tampered at rest
    await broken.account.save(update_fields=["credentials"])
    h.engine.invalidate(h.strategy.id)
    await h.engine.prepare(h.strategy.id)  # the broken key does not stop it
    assert str(alice.account.id) in h.gateways.keyed and str(broken.account.id) not in h.gateways.keyed

    fan = await h.replicate(await h.master_event(side="buy", amount=D(1000), price=PRICE))  # the broken one plans first
    rows = {r.subscription_id: r for r in fan.rows}
    assert (rows[broken.id].status, rows[broken.id].reason) == (CopyOrderStatus.FAILED, "vault_decrypt")
    assert rows[alice.id].status == CopyOrderStatus.FILLED
    assert h.orders(broken) == [] and len(h.orders(alice)) == 1
    assert {e.subscription_id: e.reason for e in h.recorder.of(CopyFailed)} == {broken.id: "vault_decrypt"}
