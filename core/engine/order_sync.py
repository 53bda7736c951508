"""Follower-side order sync: mirrored limit orders rest on the followers' exchanges and fill later.

The replicator books what an order had filled when it was acknowledged; every later fill arrives
here, by polling (`sync_open_orders`) or, on the paper exchange, pushed (`watch_paper_fills`).
`CopyOrder.filled` is always the amount already booked into the follower's holding: a fill is the
difference between what the exchange reports and that column, booked in the same transaction that
stores the row. A second poll, a push and a poll of the same fill, or a restart book nothing twice.
All of it runs under the strategy's lock, so it never interleaves with a fan-out of that strategy.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from tortoise.transactions import in_transaction

from core.db.models import CopyOrder, CopyOrderStatus, Position, Subscription
from core.engine.dispatch import ENDED_EARLY, UPDATE_FIELDS, record_order, remaining
from core.engine.followers import Follower, book_fill, holding_from
from core.engine.positions import persist_holdings
from core.errors import ExchangeError
from core.events import OrderEnded, TradeCopied
from core.exchange.base import Order
from core.exchange.paper_book import Fill
from core.money import ZERO

if TYPE_CHECKING:
    from core.engine.replicator import ReplicationEngine

log = logging.getLogger(__name__)

RESTING = (CopyOrderStatus.OPEN, CopyOrderStatus.PARTIALLY_FILLED)


@dataclass(frozen=True, slots=True)
class Progress:
    """What a row had filled (and so booked) before it is updated from the exchange."""

    filled: Decimal
    average: Decimal | None
    fee: Decimal

    @classmethod
    def of(cls, row: CopyOrder) -> Progress:
        average = None if row.average_price is None else Decimal(row.average_price)
        return cls(Decimal(row.filled or ZERO), average, Decimal(row.fee or ZERO))


def book_progress(follower: Follower, row: CopyOrder, before: Progress) -> Decimal:
    """Book into the follower's holding what `row` filled since `before`; returns that amount.

    The delta's price comes from the change of the cumulative average (filled × average), so two
    partial fills at different prices book each at its own price."""
    delta = Decimal(row.filled or ZERO) - before.filled
    if delta <= 0:
        return ZERO
    average = Decimal(row.average_price if row.average_price is not None else row.price)
    previous = before.average if before.average is not None else average
    price = (Decimal(row.filled) * average - before.filled * previous) / delta
    fee = max(Decimal(row.fee or ZERO) - before.fee, ZERO)
    book_fill(follower, row, delta, price, fee)
    return delta


async def follower_for(engine: ReplicationEngine, subscription: Subscription) -> Follower:
    """The engine's live follower for this subscription, or, once it is no longer live
    (cancelling, cancelled), one loaded from its open positions. Call under the strategy's lock."""
    for follower in await engine.book.followers(subscription.strategy_id):  # type: ignore[attr-defined]
        if follower.id == subscription.id:
            return follower
    sub = await Subscription.get(id=subscription.id).select_related("account", "strategy")
    follower = Follower(sub)
    for position in await Position.filter(subscription_id=sub.id, closed_at=None):
        follower.holdings[position.symbol] = holding_from(position)
    return follower


async def commit_progress(engine: ReplicationEngine, follower: Follower, row: CopyOrder, before: Progress) -> Decimal:
    """Book the row's new fill, store the row and the position together, tell the follower."""
    delta = book_progress(follower, row, before)
    try:
        async with in_transaction():
            await row.save(update_fields=list(UPDATE_FIELDS))
            if delta:
                await persist_holdings([follower], row.symbol)
    except Exception:
        engine.invalidate(follower.subscription.strategy_id)  # type: ignore[attr-defined]  # memory ran ahead of the database
        raise
    if delta:
        sub = follower.subscription
        engine.bus.publish(TradeCopied(
            subscription_id=sub.id, user_id=sub.follower_id, strategy_id=sub.strategy_id,  # type: ignore[attr-defined]
            master_event_id=row.master_event_id, copy_order_id=row.id, symbol=row.symbol, side=row.side,  # type: ignore[attr-defined]
            order_type=row.order_type, amount=Decimal(row.amount), filled=Decimal(row.filled),
            price=row.average_price or row.price, fee=Decimal(row.fee or ZERO), partial=remaining(row) > 0,
        ))
    return delta


async def apply_order(engine: ReplicationEngine, follower: Follower, row: CopyOrder, order: Order) -> Decimal:
    """Bring `row` up to the exchange's view of its order; returns the newly booked amount.

    A view older than the row (a late push after a poll) is ignored: the filled amount never goes back.
    A resting order that the exchange ended (ours go through `Sender.cancel`, never through here) is
    told once, as OrderEnded, after the fill that came with it: the row is final and not polled again."""
    if order.filled < Decimal(row.filled or ZERO):
        return ZERO
    before, status = Progress.of(row), row.status
    record_order(row, order)
    if row.filled == before.filled and row.status == status:
        return ZERO
    delta = await commit_progress(engine, follower, row, before)
    if status in RESTING and row.status in ENDED_EARLY:  # cancelled, expired or rejected
        sub = follower.subscription
        engine.bus.publish(OrderEnded(
            subscription_id=sub.id, user_id=sub.follower_id, strategy_id=sub.strategy_id,  # type: ignore[attr-defined]
            master_event_id=row.master_event_id, copy_order_id=row.id, symbol=row.symbol, side=row.side,  # type: ignore[attr-defined]
            amount=Decimal(row.amount), filled=Decimal(row.filled or ZERO), status=CopyOrderStatus(row.status).value,
        ))
    return delta


async def sync_open_orders(engine: ReplicationEngine) -> int:
    """Poll every resting mirrored limit order by client id; returns how many had new fills.

    An exchange that does not answer is skipped this round (the next run catches up)."""
    strategy_ids = await CopyOrder.filter(status__in=RESTING, order_type="limit").values_list(
        "subscription__strategy_id", flat=True
    )
    updated = 0
    for strategy_id in sorted(set(strategy_ids)):
        async with engine.lock(strategy_id):
            rows = await CopyOrder.filter(
                status__in=RESTING, order_type="limit", subscription__strategy_id=strategy_id
            ).select_related("subscription__account").order_by("id")
            for row in rows:
                try:
                    async with engine.gateways.lease(row.subscription.account) as gateway:
                        order = await gateway.fetch_order_by_client_id(row.symbol, row.client_order_id)
                except ExchangeError as exc:
                    log.warning("order sync of %s skipped: %s", row.client_order_id, exc.code)
                    continue
                if order is None:
                    log.warning("resting order %s is unknown to the exchange", row.client_order_id)
                    continue
                follower = await follower_for(engine, row.subscription)
                if await apply_order(engine, follower, row, order):
                    updated += 1
    return updated


async def apply_paper_fill(engine: ReplicationEngine, fill: Fill) -> Decimal:
    """Book one pushed paper fill of a mirrored limit order (other fills are the replicator's own acks)."""
    client_id = fill.order.client_order_id
    if not client_id:
        return ZERO
    strategy_id = await CopyOrder.filter(client_order_id=client_id, order_type="limit").values_list(
        "subscription__strategy_id", flat=True
    )
    if not strategy_id:
        return ZERO
    async with engine.lock(strategy_id[0]):
        row = await CopyOrder.get(client_order_id=client_id).select_related("subscription")
        if row.status not in RESTING:
            return ZERO  # still PENDING: the replicator's ack books it
        return await apply_order(engine, await follower_for(engine, row.subscription), row, fill.order)


async def watch_paper_fills(engine: ReplicationEngine, fills: asyncio.Queue[Fill]) -> None:
    """Book fills as a paper account pushes them (`PaperGateway.subscribe()`); runs until cancelled.

    Each fill is marked done once handled, so `await fills.join()` waits until all pushed fills are booked."""
    while True:
        fill = await fills.get()
        try:
            await apply_paper_fill(engine, fill)
        except Exception:  # one bad fill must not stop the watch; the poll catches it up
            log.exception("paper fill %s of %s not booked", fill.trade.id, fill.order.client_order_id)
        finally:
            fills.task_done()
