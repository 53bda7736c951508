"""Deterministic client order ids: the same (master event, subscription, leg) always gives the same id.

That is what makes a resend after a crash or a timeout idempotent: the exchange (or our lookup by
client id) recognises the order. 32 lowercase alphanumerics fit every exchange we support
(OKX's clOrdId is the strictest: alphanumeric, at most 32)."""
from __future__ import annotations

import hashlib


def client_order_id(strategy_id: int, exchange_event_id: str, subscription_id: int, leg: int = 0) -> str:
    digest = hashlib.sha256(f"{strategy_id}|{exchange_event_id}|{subscription_id}|{leg}".encode()).hexdigest()
    return "ct" + digest[:30]
