"""Deterministic client order ids: the same (master event, subscription, leg) always gives the same id.

That is what makes a resend after a crash or a timeout idempotent: the exchange (or our lookup by
client id) recognises the order. 32 lowercase alphanumerics fit every exchange we support
(OKX's clOrdId is the strictest: alphanumeric, at most 32).

The id is "ct", 14 hex digits of the event's hash, then 16 of the follower's. The shared prefix
keeps one fan-out's ids next to each other in the unique index on `copy_orders.client_order_id`:
fully random ids put each of a chunk's rows on its own index page, and every such page was written
out again at the chunk's commit (about 4 KiB per row on SQLite), before the chunk could be sent.
Ids stay unique across events: two events share a prefix by chance only once in 2^56, and then
their followers' parts still differ unless a 2^64 collision follows.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache


@lru_cache(maxsize=256)
def _event_prefix(strategy_id: int, exchange_event_id: str) -> str:
    return "ct" + hashlib.sha256(f"{strategy_id}|{exchange_event_id}".encode()).hexdigest()[:14]


def client_order_id(strategy_id: int, exchange_event_id: str, subscription_id: int, leg: int = 0) -> str:
    follower = hashlib.sha256(f"{strategy_id}|{exchange_event_id}|{subscription_id}|{leg}".encode()).hexdigest()[:16]
    return _event_prefix(strategy_id, exchange_event_id) + follower
