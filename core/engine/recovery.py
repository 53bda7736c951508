"""Recovery on start: finish every fan-out that a crash or a restart interrupted.

An event without `fanned_out_at` may have followers with no row yet and rows that were written but
never acknowledged (PENDING: the request may or may not have reached the exchange). Within the
recovery window the event is simply replicated again: the replicator looks PENDING rows up by client
order id before resending them and plans only the followers that have no row. Past the window,
sending would copy a stale trade: PENDING rows that the exchange does not know expire, and followers
without a row get an EXPIRED row, so each follower is told what happened to every master event.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from core.db.models import CopyOrder, CopyOrderStatus, MasterEvent
from core.engine.dispatch import fail, record_order
from core.engine.ids import client_order_id
from core.engine.replicator import ReplicationEngine
from core.errors import ExchangeError
from core.events import utcnow
from core.logging import correlate

log = logging.getLogger(__name__)
REASON = "recovery_window"


async def recover(engine: ReplicationEngine, window: timedelta = timedelta(minutes=2)) -> int:
    """Reconcile every unfinished fan-out; returns how many events it touched."""
    events = await MasterEvent.filter(fanned_out_at=None).order_by("id")
    for event in events:
        with correlate(strategy=event.strategy_id, event=event.id):
            if utcnow() - event.detected_at <= window:
                log.info("recovering fan-out of %s by replicating again", event.exchange_event_id)
                await engine.replicate(event)
            else:
                log.warning("fan-out of %s is past the recovery window: expiring what was not sent", event.exchange_event_id)
                await _expire(engine, event)
    return len(events)


async def _expire(engine: ReplicationEngine, event: MasterEvent) -> None:
    followers = await engine.book.followers(event.strategy_id)
    rows = {r.subscription_id: r for r in await CopyOrder.filter(master_event_id=event.id)}  # type: ignore[attr-defined]
    for follower in followers:
        row = rows.get(follower.id)
        if row is None:
            row = await CopyOrder.create(
                master_event_id=event.id, subscription_id=follower.id, symbol=event.symbol, side=event.side,
                order_type=event.order_type, amount=0,
                client_order_id=client_order_id(event.strategy_id, event.exchange_event_id, follower.id, 0),
            )
            fail(row, CopyOrderStatus.EXPIRED, REASON, "the engine was down for longer than the recovery window")
        elif row.status == CopyOrderStatus.PENDING:
            try:
                async with engine.gateways.lease(follower.subscription.account) as gateway:
                    found = await gateway.fetch_order_by_client_id(row.symbol, row.client_order_id)
            except ExchangeError:
                found = None
            if found is not None:
                record_order(row, found)
            else:
                fail(row, CopyOrderStatus.EXPIRED, REASON, "not on the exchange and too late to send")
        else:  # final before the crash: its fill is in the outbox but not yet in the position
            engine.settle(row, follower, event)
            continue
        await row.save()
        engine.settle(row, follower, event)
    await engine.finish(followers, event)
