"""What a master watcher knows about its master account, rebuilt from the strategy's MasterEvents.

The database is the only memory: on start the watcher folds the stored events back into positions
per symbol (`position_before` of the next fill), a trade cursor per symbol (the latest fill's
exchange time), the master's resting limit orders, and each recent order's cumulative fill. A
restart therefore continues where the last event left off, and nothing here needs its own table.

`diff_open_orders` is pure: the open orders the exchange reports now against the ones already
announced give the order_new / order_amend / order_cancel changes, in a stable order.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Literal

from core.db.models import MasterEvent, WatchBaseline
from core.exchange.base import Order
from core.money import ZERO, plain

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MS = timedelta(milliseconds=1)
FILL = "fill"
ORDER_NEW, ORDER_AMEND, ORDER_CANCEL = "order_new", "order_amend", "order_cancel"
ORDER_KINDS = (ORDER_NEW, ORDER_AMEND, ORDER_CANCEL)
RECENT_FILLS = 1_000  # fills read back on start for the cumulative fill of orders still filling
MAX_TRACKED_ORDERS = 10_000  # cumulative fills kept in memory, oldest dropped first

OrderKind = Literal["order_new", "order_amend", "order_cancel"]


def ms_to_datetime(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


def datetime_to_ms(moment: datetime) -> int:
    """Exact integer milliseconds (no float round trip through `timestamp()`)."""
    return (moment - EPOCH) // MS


def trade_event_id(trade_id: str) -> str:
    return f"t:{trade_id}"


def order_event_id(kind: OrderKind, order_id: str, price: Decimal, amount: Decimal) -> str:
    """`amount` is the order's total amount: it stays put while the order fills, so a partial fill
    between two polls never looks like a second amendment."""
    if kind == ORDER_NEW:
        return f"o:{order_id}:new"
    if kind == ORDER_CANCEL:
        return f"o:{order_id}:cancel"
    return f"o:{order_id}:amend:{plain(price)}:{plain(amount)}"


def position_after(position: Decimal, side: str, amount: Decimal, *, can_short: bool) -> Decimal:
    """Signed position after a fill; without shorting (spot) a sell never takes it below zero."""
    after = position + amount if side == "buy" else position - amount
    return after if can_short or after > 0 else max(after, ZERO)


@dataclass(frozen=True, slots=True)
class KnownOrder:
    """A master limit order as last announced to the engine. `amount` is the total, not the remainder."""

    id: str
    symbol: str
    side: str
    price: Decimal
    amount: Decimal
    client_order_id: str | None = None


@dataclass(frozen=True, slots=True)
class OrderChange:
    kind: OrderKind
    order: KnownOrder  # as it stands after the change (for a cancel: as it was)
    filled: Decimal  # the order's cumulative fill
    timestamp: int | None = None  # exchange time of the order when it tells one (its creation)

    @property
    def remaining(self) -> Decimal:
        return max(self.order.amount - self.filled, ZERO)

    @property
    def event_id(self) -> str:
        return order_event_id(self.kind, self.order.id, self.order.price, self.order.amount)


def diff_open_orders(
    known: dict[str, KnownOrder],
    snapshot: Iterable[Order],
    filled: Callable[[str], Decimal],
) -> list[OrderChange]:
    """Changes from `known` to the limit orders in `snapshot`, given each order's cumulative fill.

    A new order is announced with what is left of it (nothing, if it filled completely while we
    looked away); a changed price or total amount is an amendment; an order that left the book
    without filling completely was cancelled, one that filled completely just ends. The fills must
    already be counted: callers fetch the snapshot first and the trades after it.
    """
    changes: list[OrderChange] = []
    present: set[str] = set()
    for order in snapshot:
        if order.type != "limit" or order.price is None:
            continue  # stop and other conditional orders are not on the book yet
        present.add(order.id)
        done = max(order.filled, filled(order.id))
        current = KnownOrder(order.id, order.symbol, order.side, order.price, order.amount, order.client_order_id)
        before = known.get(order.id)
        if before is None:
            if done < order.amount:
                changes.append(OrderChange(ORDER_NEW, current, done, order.timestamp))
        elif (before.price, before.amount) != (current.price, current.amount):
            changes.append(OrderChange(ORDER_AMEND, current, done))
    for order_id, before in known.items():
        if order_id not in present:
            done = filled(order_id)
            if done < before.amount:
                changes.append(OrderChange(ORDER_CANCEL, before, done))
    return changes


class MasterState:
    """Positions, cursors, open orders and fills of one strategy's master account, in memory.

    Mutated only by the strategy's one watcher task, after the event that justifies the change is
    stored, so memory never runs ahead of the database.
    """

    def __init__(self, strategy_id: int, *, can_short: bool) -> None:
        self.strategy_id = strategy_id
        self.can_short = can_short
        self.positions: dict[str, Decimal] = {}
        self.cursors: dict[str, int] = {}  # symbol → exchange time (ms) of the newest trade seen
        self.floors: dict[str, int] = {}  # symbol → time of its first stored fill: older trades predate the watch
        self.open_orders: dict[str, KnownOrder] = {}
        self.order_filled: OrderedDict[str, Decimal] = OrderedDict()
        self.seen: dict[str, dict[str, int]] = {}  # symbol → trade id → exchange time (ms), recent only

    @classmethod
    async def load(cls, strategy_id: int, *, can_short: bool) -> MasterState:
        state = cls(strategy_id, can_short=can_short)
        fills = MasterEvent.filter(strategy_id=strategy_id, kind=FILL)
        for symbol in await fills.distinct().values_list("symbol", flat=True):
            last = await fills.filter(symbol=symbol).order_by("-id").first()
            newest = await fills.filter(symbol=symbol).order_by("-occurred_at").first()
            oldest = await fills.filter(symbol=symbol).order_by("occurred_at").first()
            assert last is not None and newest is not None and oldest is not None
            state.positions[symbol] = position_after(
                Decimal(last.position_before), last.side, Decimal(last.amount), can_short=can_short
            )
            state.cursors[symbol] = datetime_to_ms(newest.occurred_at)
            state.floors[symbol] = datetime_to_ms(oldest.occurred_at)
        for symbol, since_ms in await WatchBaseline.filter(strategy_id=strategy_id).values_list("symbol", "since_ms"):
            state.set_baseline(symbol, since_ms)
        recent = await fills.order_by("-id").limit(RECENT_FILLS).values_list("master_order_id", "filled")
        for order_id, filled in reversed(recent):
            if order_id:
                state.record_fill(order_id, Decimal(filled))
        await state._load_open_orders()
        return state

    async def _load_open_orders(self) -> None:
        """Fold the order events: announced, not cancelled and not completely filled means open."""
        rows = await MasterEvent.filter(strategy_id=self.strategy_id, kind__in=ORDER_KINDS).order_by("id").values_list(
            "master_order_id", "kind", "symbol", "side", "price", "amount", "filled", "payload"
        )
        orders: dict[str, KnownOrder] = {}
        for order_id, kind, symbol, side, price, amount, filled, payload in rows:
            if kind == ORDER_CANCEL:
                orders.pop(order_id, None)
            else:
                total = Decimal(amount) + Decimal(filled)
                client_id = (payload or {}).get("client_order_id")
                orders[order_id] = KnownOrder(order_id, symbol, side, Decimal(price), total, client_id)
        if not orders:
            return
        fills = await MasterEvent.filter(
            strategy_id=self.strategy_id, kind=FILL, master_order_id__in=list(orders)
        ).values_list("master_order_id", "filled")
        for order_id, filled in fills:
            self.record_fill(order_id, max(self.filled(order_id), Decimal(filled)))
        self.open_orders = {oid: o for oid, o in orders.items() if self.filled(oid) < o.amount}

    # --- reads ----------------------------------------------------------------------------------
    def position(self, symbol: str) -> Decimal:
        return self.positions.get(symbol, ZERO)

    def filled(self, order_id: str) -> Decimal:
        return self.order_filled.get(order_id, ZERO)

    def is_seen(self, symbol: str, trade_id: str) -> bool:
        return trade_id in self.seen.get(symbol, {})

    def predates_watch(self, symbol: str, timestamp: int) -> bool:
        """A trade older than the symbol's first stored fill was history when the watch began (its
        baseline is not stored, so after a restart the overlap window could otherwise reach it)."""
        floor = self.floors.get(symbol)
        return floor is not None and timestamp < floor

    def set_baseline(self, symbol: str, since_ms: int) -> None:
        """Trades up to `since_ms` predate the watch; fetching starts there until a fill moves the cursor."""
        self.floors[symbol] = since_ms + 1
        self.cursors.setdefault(symbol, since_ms)

    def since(self, symbol: str, overlap_ms: int) -> int | None:
        """Where the next trade fetch starts: a little before the newest trade, to catch late arrivals."""
        cursor = self.cursors.get(symbol)
        # 0 means "from the beginning": ask without a start, since some APIs (Binance USDⓈ-M userTrades)
        # turn a start into a 7-day window, and one starting in 1970 returns nothing
        return None if cursor is None else max(cursor - overlap_ms, 0) or None

    # --- changes ----------------------------------------------------------------------------------
    def mark_seen(self, symbol: str, trade_id: str, timestamp: int, overlap_ms: int) -> None:
        """Remember a trade id and move the cursor; ids older than the overlap window are forgotten."""
        seen = self.seen.setdefault(symbol, {})
        seen[trade_id] = timestamp
        cursor = max(self.cursors.get(symbol, timestamp), timestamp)
        self.cursors[symbol] = cursor
        if len(seen) > 64:
            horizon = cursor - overlap_ms
            for old in [tid for tid, ts in seen.items() if ts < horizon]:
                del seen[old]

    def apply_fill(self, symbol: str, side: str, amount: Decimal, order_id: str | None, filled: Decimal) -> None:
        self.positions[symbol] = position_after(self.position(symbol), side, amount, can_short=self.can_short)
        if order_id:
            self.record_fill(order_id, filled)

    def record_fill(self, order_id: str, filled: Decimal) -> None:
        self.order_filled[order_id] = filled
        self.order_filled.move_to_end(order_id)
        if len(self.order_filled) > MAX_TRACKED_ORDERS:
            # a resting order's fill count is needed until it ends; market orders finish at once
            stale = next((oid for oid in self.order_filled if oid not in self.open_orders), None)
            if stale is not None:
                del self.order_filled[stale]

    def apply_order_change(self, change: OrderChange) -> None:
        if change.kind == ORDER_CANCEL:
            self.open_orders.pop(change.order.id, None)
        else:
            self.open_orders[change.order.id] = change.order

    def drop_finished_orders(self) -> None:
        """Forget resting orders that filled completely (they leave the book without a cancel)."""
        for order_id in [oid for oid, o in self.open_orders.items() if self.filled(oid) >= o.amount]:
            del self.open_orders[order_id]
