"""The demo's running log: the master's orders, what the watcher detected, and every engine event.

`DemoLog` subscribes to the EventBus the way the Telegram notifier does, so each line under a
follower's name is an event that follower is told about. Events are buffered and printed when the
step has settled (`flush`), sorted by outbox row: the engine sends to followers concurrently, and
without the sort two runs could print the same lines in another order. Times are the replay's
clock, never the wall clock, so a seed always prints the same text.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from core.db.models import CopyOrder, MasterEvent
from core.events import CopyFailed, CopySkipped, Event, OrderCancelled, OrderEnded, SubscriptionEvent, TradeCopied
from core.money import ZERO, fmt, plain

Write = Callable[[str], None]
NUMBER = re.compile(r"\d+\.\d+")
WHO_WIDTH = 8
VERB_WIDTH = 10

# Short English for the reason codes a follower can meet in the demo (the bot localizes the same codes).
REASONS: dict[str, str] = {
    "below_minimum": "the order would be under the exchange minimum (5 USDT notional, 0.1 XRP)",
    "allocation_cap": "the subscription's allocation cap leaves no room for it",
    "not_enough_money": "the account has no assets to size from",
    "no_position": "the master exits, the follower holds nothing to close",
    "slippage": "the price moved beyond the follower's slippage tolerance since the master's fill",
    "min_equity": "the account is below the subscription's minimum equity",
    "max_open_trades": "the subscription's maximum of open trades is reached",
    "insufficient_funds": "the exchange refused it: not enough free balance",
    "invalid_order": "the exchange refused the order",
    "order_cancelled": "the exchange cancelled the order before any of it filled",
    "order_expired": "the exchange ended the order before any of it filled",
    "exchange_down": "the exchange did not answer within the outage window",
    "internal_error": "an internal error (logged)",
}

# How the exchange ended a resting copy (OrderEnded.status).
ENDINGS = {"cancelled": "cancelled on the exchange", "expired": "expired", "failed": "rejected by the exchange"}


def explain(reason: str) -> str:
    return REASONS.get(reason, reason.replace("_", " "))


def readable(detail: str) -> str:
    """The engine's English detail with its Decimals' trailing zeros dropped (0.72760000 → 0.7276)."""
    return NUMBER.sub(lambda m: plain(Decimal(m.group())), detail)


def clock(ms: int) -> str:
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%H:%M:%S")


def day(ms: int) -> str:
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%d")


def xrp(amount: Decimal) -> str:
    return f"{fmt(Decimal(amount), 1)} XRP"


def price(value: Decimal | None) -> str:
    return "-" if value is None else fmt(Decimal(value), 4)


class DemoLog:
    """Prints lines stamped with the replay clock; collects bus events until the step settles."""

    def __init__(self, now_ms: Callable[[], int], names: dict[int, str], write: Write) -> None:
        self.now_ms = now_ms
        self.names = names  # subscription id → follower name
        self.write = write
        self._detected: list[str] = []
        self._events: list[SubscriptionEvent] = []
        self._resting: set[int] = set()  # copy orders printed as resting: a later fill came through order sync

    def line(self, who: str, text: str) -> None:
        self.write(f"{clock(self.now_ms())}  {who:<{WHO_WIDTH}} {text}")

    def title(self, text: str) -> None:
        self.write("")
        self.write(text)

    # --- collecting -----------------------------------------------------------------------------
    def detected(self, event: MasterEvent, followers: int) -> None:
        """What the master watcher stored and handed to the engine (printed at the next flush)."""
        self._detected.append(f"detected {describe_master_event(event)}; replicating to {followers} followers")

    async def collect(self, event: Event) -> None:
        """EventBus handler: keep the follower events of this step."""
        if isinstance(event, SubscriptionEvent):
            self._events.append(event)

    # --- printing -------------------------------------------------------------------------------
    async def flush(self) -> None:
        """Print the watcher's detections, then each follower event in outbox order."""
        detected, self._detected = self._detected, []
        for text in detected:
            self.line("watcher", text)
        events, self._events = self._events, []
        ids = [getattr(e, "copy_order_id", None) for e in events]
        rows = {r.id: r for r in await CopyOrder.filter(id__in=[i for i in ids if i is not None])}
        targets = [r.target_id for r in rows.values() if r.target_id]  # type: ignore[attr-defined]
        rows.update({r.id: r for r in await CopyOrder.filter(id__in=targets)})
        order = sorted(range(len(events)), key=lambda k: (ids[k] or 0, k))  # stable within one row
        for k in order:
            event = events[k]
            synced = isinstance(event, TradeCopied) and event.copy_order_id in self._resting
            self.line(self.names.get(event.subscription_id, "?"), describe_follower_event(event, rows, synced=synced))
            if isinstance(event, TradeCopied) and event.order_type == "limit" and event.filled == 0:
                self._resting.add(event.copy_order_id)


def describe_master_event(event: MasterEvent) -> str:
    side, amount, at = event.side, Decimal(event.amount), price(event.price)
    if event.kind == "fill":
        before = Decimal(event.position_before)
        after = before + amount if side == "buy" else max(before - amount, ZERO)
        return f"fill: {side} {xrp(amount)} @ {at} ({event.order_type} order; position {fmt(before, 1)} → {xrp(after)})"
    if event.kind == "order_new":
        return f"order_new: limit {side} {xrp(amount)} @ {at}"
    if event.kind == "order_amend":
        return f"order_amend: limit {side} now {xrp(amount)} @ {at}"
    return f"order_cancel: limit {side} {xrp(amount)} @ {at}"


def describe_follower_event(event: SubscriptionEvent, rows: dict[int, CopyOrder], *, synced: bool = False) -> str:
    """One line for one bus event; `synced` when a resting copy filled later (order sync booked it)."""
    if isinstance(event, TradeCopied):
        return _copied(event, rows.get(event.copy_order_id), rows, synced)
    if isinstance(event, OrderCancelled):
        row = rows.get(event.copy_order_id)
        target = rows.get(row.target_id) if row is not None and row.target_id else None  # type: ignore[attr-defined]
        what = f"limit {target.side} {xrp(target.amount)} @ {price(target.price)}" if target is not None else "its copy"
        return f"{'cancelled':<{VERB_WIDTH}}{what} (the master cancelled the original)"
    if isinstance(event, OrderEnded):
        got = f"{xrp(event.filled)} filled" if event.filled else "nothing filled"
        how = ENDINGS.get(event.status, f"ended ({event.status})")
        return f"{'ended':<{VERB_WIDTH}}limit {event.side} {xrp(event.amount)}: {how}, {got}; follower notified"
    if isinstance(event, CopySkipped | CopyFailed):
        verb = "SKIPPED" if isinstance(event, CopySkipped) else "FAILED"
        detail = f" [{readable(event.detail)}]" if event.detail else ""
        return f"{verb:<{VERB_WIDTH}}{event.side}: {event.reason} — {explain(event.reason)}{detail}; follower notified"
    return type(event).__name__


def _copied(event: TradeCopied, row: CopyOrder | None, rows: dict[int, CopyOrder], synced: bool) -> str:
    order = f"{event.order_type} {event.side} {xrp(event.amount)}"
    fee = f", fee {fmt(event.fee, 4)} USDT" if event.fee else ""
    if event.order_type == "market":
        state = f"partly filled ({xrp(event.filled)})" if event.partial else "filled"
        return f"{'copied':<{VERB_WIDTH}}{order}: {state} @ {price(event.price)}{fee}"
    if event.filled == 0:
        target = rows.get(row.target_id) if row is not None and row.target_id else None  # type: ignore[attr-defined]
        if target is not None:
            return (f"{'amended':<{VERB_WIDTH}}{order} @ {price(event.price)} resting; replaces "
                    f"limit {target.side} {xrp(target.amount)} @ {price(target.price)} (cancelled)")
        return f"{'placed':<{VERB_WIDTH}}{order} @ {price(event.price)}, resting on the book"
    part = f", partly: {xrp(event.filled)}" if event.partial else ""
    how = " (the resting copy filled on the replay; booked by order sync)" if synced else ""
    return f"{'filled':<{VERB_WIDTH}}{order} @ {price(event.price)}{part}{fee}{how}"
