"""The fan-out: one master event becomes one recorded outcome per follower, exactly once.

For each event the engine plans every follower's action (planner.py), writes the rows to the
outbox in chunks and starts sending each chunk as soon as it is committed, so the first follower's
order leaves within milliseconds while later chunks are still being planned. Sends run
concurrently per exchange (lanes.py), under a per-exchange semaphore shared by concurrent
fan-outs; results are written back in batches and published as events. Rows are light objects
(outbox.py), not ORM models, which on this path cost more than the engine's own logic. Events of
one strategy are handled one at a time: an exit is sized from the positions that the previous
entry's acks produced.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from tortoise.transactions import in_transaction

from core.bus import EventBus
from core.config import Limits
from core.db.models import CopyOrder, CopyOrderStatus, MasterEvent
from core.engine.dispatch import RetryPolicy, RowWriter, Sender, fail, remaining
from core.engine.followers import Follower, FollowerBook, book_fill
from core.engine.ids import client_order_id
from core.engine.lanes import Lanes
from core.engine.order_sync import Progress, apply_order, book_progress
from core.engine.outbox import OutboxRow, Row, write
from core.engine.planner import EventPlan, Market, Planned, effective_leverage
from core.engine.positions import persist_holdings
from core.errors import BelowMinimum, CopytradeError, ExchangeError
from core.events import CopyFailed, CopySkipped, OrderCancelled, TradeCopied, utcnow
from core.exchange.base import Gateway, fit_amount
from core.exchange.provider import Gateways
from core.logging import correlate
from core.money import ZERO

log = logging.getLogger(__name__)

OPEN_STATUSES = (CopyOrderStatus.PENDING, CopyOrderStatus.OPEN, CopyOrderStatus.PARTIALLY_FILLED)
FILLED_STATUSES = (CopyOrderStatus.FILLED, CopyOrderStatus.PARTIALLY_FILLED, CopyOrderStatus.OPEN)
ENDED_STATUSES = (CopyOrderStatus.CANCELLED, CopyOrderStatus.EXPIRED)  # ended by the exchange: a trade if part filled
FAILED_STATUSES = (CopyOrderStatus.FAILED, *ENDED_STATUSES)  # with nothing filled: not placed, with the reason


@dataclass
class FanOut:
    """What one event produced; timings are monotonic seconds (for the benchmark and the logs)."""

    event: MasterEvent
    rows: list[Row] = field(default_factory=list)
    started: float = 0.0
    first_send: float | None = None
    finished: float = 0.0


class ReplicationEngine:
    def __init__(
        self,
        gateways: Gateways,
        bus: EventBus,
        limits: Limits,
        *,
        retry: RetryPolicy | None = None,
        concurrency: int = 64,
        first_chunk: int = 16,
        chunk: int = 256,
        backlog: int = 512,
    ) -> None:
        self.gateways = gateways
        self.bus = bus
        self.limits = limits
        self.book = FollowerBook()
        self.sender = Sender(retry or RetryPolicy())
        self.concurrency = concurrency
        self.first_chunk = first_chunk
        self.chunk = chunk
        self.backlog = backlog  # rows queued per exchange and fan-out: planning waits beyond it (lanes.py)
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._strategy_locks: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._margin: dict[tuple[str, str], tuple[Decimal, str | None]] = {}  # (account, symbol) → set terms

    def invalidate(self, strategy_id: int | None = None) -> None:
        """A subscription or strategy changed: reload its followers before the next event."""
        self.book.invalidate(strategy_id)

    async def prepare(self, strategy_id: int) -> None:
        """Load a strategy's followers, their gateways and their exchanges' markets before its first
        event, which then pays for none of it (at 1,000 followers: ~20 ms before the first order)."""
        venues: set[tuple[str, str]] = set()
        for follower in await self.book.followers(strategy_id):
            account = follower.account
            await self.gateways.warm(account)
            if (account.exchange, account.market_type) not in venues:
                venues.add((account.exchange, account.market_type))
                with contextlib.suppress(CopytradeError):  # down now: the first event finds out, with a reason
                    async with self.gateways.lease(account) as gateway:
                        await gateway.load_markets()

    def lock(self, strategy_id: int) -> asyncio.Lock:
        """Held by whatever changes a strategy's followers' holdings (fan-out, order sync, drift, unsubscribe)."""
        return self._strategy_locks[strategy_id]

    async def replicate(self, event: MasterEvent) -> FanOut:
        async with self.lock(event.strategy_id):
            with correlate(strategy=event.strategy_id, event=event.id):
                try:
                    return await self._replicate(event)
                except BaseException:
                    self.book.invalidate(event.strategy_id)  # memory may hold fills the database does not
                    raise

    async def _replicate(self, event: MasterEvent) -> FanOut:
        fan = FanOut(event, started=time.monotonic())
        followers = await self.book.followers(event.strategy_id)
        done: dict[int, list[CopyOrder]] = defaultdict(list)
        for r in await CopyOrder.filter(master_event_id=event.id):
            done[r.subscription_id].append(r)  # type: ignore[attr-defined]
        mirrored = await self._mirrored(event) if event.kind != "fill" or event.order_type == "limit" else {}
        plans: dict[tuple[str, str], EventPlan | ExchangeError] = {}  # per exchange and market type
        writer = RowWriter()
        syncs: list[asyncio.Task[None]] = []

        async def send(item: tuple[Row, Follower, bool]) -> None:
            row, follower, uncertain = item
            await self._execute(row, follower, event, writer, uncertain)

        lanes = Lanes(send, width=self.concurrency, backlog=self.backlog)
        batch: list[tuple[Row, Follower, bool]] = []
        limit = self.first_chunk

        async def flush_batch() -> None:
            nonlocal batch, limit
            fresh = [row for row, _, uncertain in batch if not uncertain]
            if fresh:
                await write(fresh)  # type: ignore[arg-type]  # the rows planned here, not redelivered ones
            if fan.first_send is None and batch:
                fan.first_send = time.monotonic()
            for item in batch:
                row, follower, _ = item
                fan.rows.append(row)
                if row.status == CopyOrderStatus.PENDING:
                    await lanes.put(follower.account.exchange, item)
                else:
                    self._publish(row, follower, event)
            batch, limit = [], self.chunk
            # Let the chunk's sends reach the wire before planning the next chunk, which runs without
            # a suspension point for hundreds of followers (~4 ms per 256): otherwise the first order
            # waits for it.
            await asyncio.sleep(0)

        if done and await MasterEvent.filter(id=event.id, fanned_out_at__not_isnull=True).exists():
            return fan  # a redelivery of a finished fan-out: nothing to send, nothing to book
        try:
            for follower in followers:
                previous = done.get(follower.id)
                if previous:  # a redelivered event: finish what an earlier run left pending, add nothing
                    for r in previous:
                        if r.status == CopyOrderStatus.PENDING:
                            batch.append((r, follower, True))
                        else:  # final before a crash: its fill is in the outbox but not yet in the position
                            self.settle(r, follower, event)
                elif event.kind == "fill" and follower.id in mirrored:  # the copy rests on the follower's exchange
                    syncs.append(asyncio.create_task(self._sync_mirrored(mirrored[follower.id], follower)))
                else:
                    account = follower.account
                    terms = plans.get((account.exchange, account.market_type)) or await self._terms(follower, event, plans)
                    for planned in self._plan(event, follower, terms, mirrored.get(follower.id)):
                        row = self._row(event, follower, planned)
                        if isinstance(terms, ExchangeError) and terms.retryable:
                            row.status = CopyOrderStatus.EXPIRED  # the exchange is down: a failure, not a skip
                        elif isinstance(terms, CopytradeError) and not isinstance(terms, ExchangeError):
                            row.status = CopyOrderStatus.FAILED  # the follower's stored key cannot be opened
                        batch.append((row, follower, False))
                if len(batch) >= limit:
                    await flush_batch()
            await flush_batch()
            await lanes.join()
            await asyncio.gather(*syncs)
        except BaseException:
            lanes.cancel()
            for task in syncs:
                task.cancel()
            raise
        await writer.flush()
        await self.finish(followers, event)
        fan.finished = time.monotonic()
        log.info("fan-out of %s done: %d rows in %.3fs", event.exchange_event_id, len(fan.rows), fan.finished - fan.started)
        return fan

    @staticmethod
    async def finish(followers: list[Follower], event: MasterEvent) -> None:
        """Store the positions and mark the event fanned out in one transaction: an event without
        `fanned_out_at` then has none of its fills in the positions, which is what lets a redelivery
        book every final row it finds."""
        async with in_transaction():
            await persist_holdings(followers, event.symbol)
            event.fanned_out_at = utcnow()
            await event.save(update_fields=["fanned_out_at"])

    @staticmethod
    def _plan(event: MasterEvent, follower: Follower, terms: EventPlan | CopytradeError, mirrored: CopyOrder | None) -> list[Planned]:
        if isinstance(terms, CopytradeError):
            return [Planned(0, "create", event.side, event.order_type, reason=terms.code, detail=str(terms)[:255])]
        return terms.follower(follower, mirrored)

    async def _terms(self, follower: Follower, event: MasterEvent,
                     cache: dict[tuple[str, str], EventPlan | ExchangeError]) -> EventPlan | CopytradeError:
        """The event planned against the rules and current price of the follower's exchange, looked
        up once per event and exchange."""
        account = follower.account
        key = (account.exchange, account.market_type)
        if key not in cache:
            try:
                async with self.gateways.lease(account) as gateway:
                    await gateway.load_markets()
                    rules = gateway.market(event.symbol)
                    try:
                        price = await gateway.fetch_price(event.symbol)
                    except ExchangeError:
                        price = Decimal(event.price)  # size at the master's price; the send meets the outage
                cache[key] = EventPlan(event, Market(rules, price), self.limits)
            except ExchangeError as exc:
                cache[key] = exc
            except CopytradeError as exc:  # this follower's key, not the exchange: the next follower looks up
                return exc
        return cache[key]

    async def _sync_mirrored(self, row: CopyOrder, follower: Follower) -> None:
        """The master's limit order filled: book what the follower's copy has filled by now, so that an
        exit right after it is sized from it. Later fills of the copy are the order sync's to book."""
        if row.status not in (CopyOrderStatus.OPEN, CopyOrderStatus.PARTIALLY_FILLED):
            return
        account = follower.account
        try:
            async with self._semaphore(account.exchange), self.gateways.lease(account) as gateway:
                order = await gateway.fetch_order_by_client_id(row.symbol, row.client_order_id)
        except ExchangeError as exc:
            log.warning("sync of mirrored order %s skipped: %s", row.client_order_id, exc.code)
            return
        if order is not None:
            await apply_order(self, follower, row, order)

    async def _mirrored(self, event: MasterEvent) -> dict[int, CopyOrder]:
        """Each follower's live copy of the master order this event is about (for amend, cancel, fill)."""
        if not event.master_order_id:
            return {}
        rows = await CopyOrder.filter(
            master_event__strategy_id=event.strategy_id,
            master_event__master_order_id=event.master_order_id,
            order_type="limit",
        ).exclude(status__in=(CopyOrderStatus.SKIPPED, CopyOrderStatus.FAILED, CopyOrderStatus.EXPIRED)).order_by("id")
        return {row.subscription_id: row for row in rows}  # type: ignore[attr-defined]  # the latest wins

    @staticmethod
    def _row(event: MasterEvent, follower: Follower, planned: Planned) -> OutboxRow:
        return OutboxRow(
            master_event_id=event.id,
            subscription_id=follower.id,
            leg=planned.leg,
            client_order_id=client_order_id(event.strategy_id, event.exchange_event_id, follower.id, planned.leg),
            symbol=event.symbol,
            side=planned.side,
            order_type=planned.order_type,
            amount=planned.amount,
            price=planned.price,
            reduce_only=planned.reduce_only,
            target_id=planned.target.id if planned.target else None,
            status=CopyOrderStatus.SKIPPED if planned.reason else CopyOrderStatus.PENDING,
            reason=planned.reason,
            reason_detail=planned.detail[:255] or None,
        )

    def _semaphore(self, exchange: str) -> asyncio.Semaphore:
        if exchange not in self._semaphores:
            self._semaphores[exchange] = asyncio.Semaphore(self.concurrency)
        return self._semaphores[exchange]

    async def _execute(self, row: Row, follower: Follower, event: MasterEvent, writer: RowWriter, uncertain: bool) -> None:
        account = follower.account
        with correlate(subscription=follower.id, order=row.client_order_id):
            try:
                async with self._semaphore(account.exchange), self.gateways.lease(account) as gateway:
                    target = await CopyOrder.get(id=row.target_id) if row.target_id else None  # type: ignore[attr-defined]
                    if target is not None:
                        before = Progress.of(target)
                        await self.sender.cancel(gateway, target)
                        book_progress(follower, target, before)  # what it filled since the last sync
                        writer.add(target)
                    if row.order_type == "cancel":
                        row.status, row.acked_at = CopyOrderStatus.CANCELLED, utcnow()
                        if target is not None:
                            row.filled = target.filled
                    else:
                        if target is not None:  # a replacement carries only what the old order had not filled
                            row.amount = max(Decimal(row.amount) - Decimal(target.filled), ZERO)
                        if target is None or not _skip_if_below_minimum(gateway, row):
                            if ":" in row.symbol and not row.reduce_only:  # a perpetual entry (spot needs none)
                                await self._align_margin(gateway, follower, event, row)
                            await self.sender.create(gateway, row, uncertain=uncertain)
            except CopytradeError as exc:
                fail(row, CopyOrderStatus.FAILED, exc)
            except Exception as exc:  # never lose a row to a bug: record it and tell the follower
                log.exception("copy order %s crashed", row.client_order_id)
                fail(row, CopyOrderStatus.FAILED, "internal_error", type(exc).__name__)
            writer.add(row)
            if writer.size >= writer.batch:
                await writer.flush()
            self.settle(row, follower, event)

    async def _align_margin(self, gateway: Gateway, follower: Follower, event: MasterEvent, row: Row) -> None:
        """Before a perpetual entry: the follower's leverage and margin mode follow the master's
        (or the subscription's fixed leverage). Remembered per account and symbol, so it costs a
        request only when something changes; a refusal fails the order rather than trade at other terms."""
        payload = event.payload or {}
        wanted = (effective_leverage(follower.subscription.leverage, payload.get("leverage")), payload.get("margin_mode"))
        key = (str(follower.subscription.account_id), row.symbol)  # type: ignore[attr-defined]
        if self._margin.get(key) == wanted:
            return
        if wanted[1]:
            await gateway.set_margin_mode(row.symbol, wanted[1])
        await gateway.set_leverage(row.symbol, int(wanted[0]))
        self._margin[key] = wanted

    def settle(self, row: Row, follower: Follower, event: MasterEvent) -> None:
        """Book a row's fill into the follower's holding and tell the follower what happened."""
        if row.order_type != "cancel" and row.filled:
            price = Decimal(row.average_price or row.price or event.price)
            book_fill(follower, row, Decimal(row.filled), price, Decimal(row.fee or 0))
        self._publish(row, follower, event)

    def _publish(self, row: Row, follower: Follower, event: MasterEvent) -> None:
        """Tell the follower what became of the row: a trade (placed, or filled in whole or in part),
        a skip, a failure (refused, or ended by the exchange before anything filled), or our cancel."""
        status = row.status
        if row.order_type != "cancel" and (status in FILLED_STATUSES or (row.filled and status in ENDED_STATUSES)):
            # the common case first, built without the keyword dict below: it runs once per copied order
            filled = Decimal(row.filled)
            self.bus.publish(TradeCopied(
                subscription_id=follower.id, user_id=follower.subscription.follower_id,  # type: ignore[attr-defined]
                strategy_id=event.strategy_id, master_event_id=event.id, copy_order_id=row.id, symbol=row.symbol,
                side=row.side, order_type=row.order_type, amount=Decimal(row.amount), filled=filled,
                price=row.average_price or row.price, fee=Decimal(row.fee or 0),
                partial=filled > 0 and remaining(row) > 0,  # an exchange that filled part of it, or has so far
            ))
            return
        common = dict(subscription_id=follower.id, user_id=follower.subscription.follower_id,  # type: ignore[attr-defined]
                      strategy_id=event.strategy_id, master_event_id=event.id)
        if row.order_type == "cancel":
            self.bus.publish(OrderCancelled(**common, copy_order_id=row.id, symbol=row.symbol))
        elif status == CopyOrderStatus.SKIPPED:
            self.bus.publish(CopySkipped(**common, copy_order_id=row.id, symbol=row.symbol, side=row.side,
                                         reason=row.reason or "", detail=row.reason_detail or ""))
        elif status in FAILED_STATUSES:
            self.bus.publish(CopyFailed(**common, copy_order_id=row.id, symbol=row.symbol, side=row.side,
                                        reason=row.reason or "", detail=row.reason_detail or ""))


def _skip_if_below_minimum(gateway: Gateway, row: Row) -> bool:
    """Skip (with its reason) a replacement whose old order filled (nearly) all of it, rather than send it to fail."""
    try:
        fit_amount(gateway.market(row.symbol), Decimal(row.amount), Decimal(row.price) if row.price is not None else None)
    except BelowMinimum as exc:
        fail(row, CopyOrderStatus.SKIPPED, exc)
        return True
    return False
