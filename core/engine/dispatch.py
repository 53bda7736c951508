"""Send one outbox row to the exchange and record exactly what happened.

The rules that keep replication exactly-once:
- the row (with its deterministic client order id) is in the database before the first send;
- only retryable errors are retried, with backoff (or the exchange's Retry-After);
- after any outcome we cannot be sure of (timeout, 5xx, a restart) the order is looked up by its
  client id before it is sent again;
- when the exchange stays down past the outage window the row expires with a reason.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from decimal import Decimal

from core.db.bulk import update_rows
from core.db.models import CopyOrder, CopyOrderStatus
from core.engine.outbox import Row
from core.errors import (
    CopytradeError,
    ExchangeError,
    ExchangeUnavailable,
    InvalidOrder,
    OrderNotFound,
    RateLimited,
    RequestTimeout,
)
from core.events import utcnow
from core.exchange.base import Gateway, Order, OrderRequest
from core.money import ZERO

log = logging.getLogger(__name__)

STATUS_FROM_ORDER = {
    "closed": CopyOrderStatus.FILLED,
    "canceled": CopyOrderStatus.CANCELLED,
    "expired": CopyOrderStatus.EXPIRED,
    "rejected": CopyOrderStatus.FAILED,
}
# The statuses of an order the exchange itself ended early, each with the reason recorded when nothing filled.
ENDED_EARLY = {
    CopyOrderStatus.CANCELLED: "order_cancelled",
    CopyOrderStatus.EXPIRED: "order_expired",
    CopyOrderStatus.FAILED: "invalid_order",
}
UPDATE_FIELDS = (
    "status", "reason", "reason_detail", "exchange_order_id", "filled", "average_price",
    "fee", "fee_currency", "attempts", "sent_at", "acked_at", "amount",
)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 6
    base_delay: float = 0.2  # seconds, doubled per attempt
    max_delay: float = 5.0
    outage_window: float = 60.0  # held this long through an outage, then expired


def record_order(row: Row, order: Order, *, our_cancel: bool = False) -> None:
    """Copy what the exchange says about the order onto the row.

    OPEN and PARTIALLY_FILLED mean the order still rests on the exchange (the order sync polls
    those). An order the exchange ended early keeps its final status, CANCELLED or EXPIRED, with
    whatever it filled in `filled`: a final order stored as PARTIALLY_FILLED would be polled forever.
    When nothing filled, the row also gets the reason the follower is told, unless `our_cancel`:
    an order we cancelled ourselves (the master cancelled or amended its own) did not fail."""
    row.exchange_order_id = order.id
    row.filled = order.filled
    row.average_price = order.average or (order.price if order.filled else None)
    row.fee = order.fee
    row.fee_currency = order.fee_currency
    if order.status == "open":
        row.status = CopyOrderStatus.PARTIALLY_FILLED if order.filled > 0 else CopyOrderStatus.OPEN
    else:
        row.status = STATUS_FROM_ORDER.get(order.status, CopyOrderStatus.FILLED)
        if row.status in ENDED_EARLY and not order.filled and not row.reason and not our_cancel:
            row.reason = ENDED_EARLY[row.status]  # what the follower is told: not placed, and why
    row.acked_at = row.acked_at or utcnow()


def fail(row: Row, status: CopyOrderStatus, error: CopytradeError | str, detail: str = "") -> None:
    row.status = status
    row.reason = error if isinstance(error, str) else error.code
    row.reason_detail = (detail or (str(error) if not isinstance(error, str) else ""))[:255]


class Sender:
    def __init__(self, retry: RetryPolicy) -> None:
        self.retry = retry

    async def create(self, gateway: Gateway, row: Row, *, uncertain: bool = False) -> None:
        """Place the row's order; `uncertain` when an earlier attempt may have reached the exchange."""
        request = OrderRequest(
            symbol=row.symbol, side=row.side, type=row.order_type, amount=Decimal(row.amount),  # type: ignore[arg-type]
            client_order_id=row.client_order_id, price=Decimal(row.price) if row.price is not None else None,
            reduce_only=row.reduce_only,
        )
        deadline = time.monotonic() + self.retry.outage_window
        while True:
            row.attempts += 1
            try:
                if uncertain:
                    found = await gateway.fetch_order_by_client_id(row.symbol, row.client_order_id)
                    if found is not None:
                        record_order(row, found)
                        return
                row.sent_at = row.sent_at or utcnow()
                record_order(row, await gateway.create_order(request))
                return
            except RateLimited as exc:  # refused before it was processed: nothing to look up
                delay = max(self._backoff(row.attempts), exc.retry_after or 0)
                last: ExchangeError = exc
            except (RequestTimeout, ExchangeUnavailable) as exc:
                delay, uncertain, last = self._backoff(row.attempts), True, exc
            except InvalidOrder as exc:
                if uncertain and await self._exists(gateway, row):
                    return  # a duplicate of the order our lost attempt placed
                fail(row, CopyOrderStatus.FAILED, exc)
                return
            except ExchangeError as exc:
                fail(row, CopyOrderStatus.FAILED, exc)
                return
            if row.attempts >= self.retry.max_attempts or time.monotonic() + delay > deadline:
                if uncertain and await self._exists(gateway, row):
                    return
                fail(row, CopyOrderStatus.EXPIRED, "exchange_down", f"gave up after {row.attempts} attempts: {last.code}")
                return
            log.info("retrying order %s in %.2fs after %s", row.client_order_id, delay, last.code)
            await asyncio.sleep(delay)

    async def cancel(self, gateway: Gateway, target: CopyOrder) -> None:
        """Cancel a mirrored order by client id; an order that is already gone is read back instead."""
        for attempt in range(1, self.retry.max_attempts + 1):
            try:
                order = await gateway.cancel_order(target.symbol, client_order_id=target.client_order_id)
                record_order(target, order, our_cancel=True)
                return
            except OrderNotFound:
                found = await gateway.fetch_order_by_client_id(target.symbol, target.client_order_id)
                if found is not None:
                    record_order(target, found, our_cancel=True)
                return
            except (RateLimited, RequestTimeout, ExchangeUnavailable) as exc:
                if attempt == self.retry.max_attempts:
                    raise
                await asyncio.sleep(max(self._backoff(attempt), getattr(exc, "retry_after", 0) or 0))

    async def _exists(self, gateway: Gateway, row: Row) -> bool:
        try:
            found = await gateway.fetch_order_by_client_id(row.symbol, row.client_order_id)
        except ExchangeError:
            return False
        if found is None:
            return False
        record_order(row, found)
        return True

    def _backoff(self, attempt: int) -> float:
        return min(self.retry.base_delay * 2 ** (attempt - 1), self.retry.max_delay)


class RowWriter:
    """Batches row updates: a fan-out to thousands of followers writes in a few statements, not thousands."""

    def __init__(self, batch: int = 500) -> None:
        self.batch = batch
        self._pending: dict[int, Row] = {}
        self._lock = asyncio.Lock()

    def add(self, row: Row) -> None:
        self._pending[row.id] = row

    async def flush(self) -> None:
        async with self._lock:
            rows, self._pending = list(self._pending.values()), {}
            if rows:
                await update_rows(CopyOrder, rows, UPDATE_FIELDS)

    @property
    def size(self) -> int:
        return len(self._pending)


def remaining(row: Row) -> Decimal:
    return max(Decimal(row.amount) - Decimal(row.filled or ZERO), ZERO)
