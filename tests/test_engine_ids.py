"""core/engine/ids.py: deterministic, exchange-safe client order ids that sort together per event."""
from __future__ import annotations

import re

from core.engine.ids import client_order_id


def test_the_same_inputs_give_the_same_id_and_any_other_input_another() -> None:
    base = client_order_id(7, "binance:123", 42, 0)
    assert client_order_id(7, "binance:123", 42, 0) == base
    others = {
        client_order_id(8, "binance:123", 42, 0),
        client_order_id(7, "binance:124", 42, 0),
        client_order_id(7, "binance:123", 43, 0),
        client_order_id(7, "binance:123", 42, 1),
    }
    assert base not in others and len(others) == 4


def test_ids_fit_every_exchange() -> None:
    """OKX's clOrdId is the strictest of the four: at most 32 alphanumerics."""
    for subscription in range(200):
        assert re.fullmatch(r"[a-z0-9]{32}", client_order_id(1, "okx:9", subscription, 1))


def test_one_event_keeps_its_ids_together_in_the_index() -> None:
    """Rows of one fan-out land on neighbouring index pages: they share the event's prefix."""
    first = {client_order_id(3, "e1", s)[:16] for s in range(1_000)}
    second = {client_order_id(3, "e2", s)[:16] for s in range(1_000)}
    assert len(first) == len(second) == 1 and first != second
    assert len({client_order_id(3, "e1", s) for s in range(1_000)}) == 1_000
