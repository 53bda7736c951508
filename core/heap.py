"""Garbage-collector settings for the long-running engine process, applied once after start-up.

CPython's cyclic collector runs a young collection every 700 net allocations of container objects
and, when enough objects have survived, a full one that walks every tracked object. A fan-out to
1,000 followers keeps tens of thousands of objects in flight (tasks, requests, rows) and made 10 to
20 full collections of 4 to 60 ms each per five fan-outs, with ccxt's ~100 exchange classes, tortoise
and the followers' book walked every time: measured by bench/replication.py, that was 0.1 to 0.3 s
of a 0.6 s fan-out. So, once the process has loaded what it keeps (`settle_heap`):

- `gc.freeze()` moves everything alive into a generation the collector never walks;
- the young threshold goes from 700 to 50,000: reference counting frees almost everything a fan-out
  allocates, and cyclic garbage is still collected, just in fewer, larger batches (a few MB at most).
"""
from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000
MIDDLE_THRESHOLD = 20
OLD_THRESHOLD = 100


def settle_heap() -> None:
    """Collect start-up garbage, freeze what is left, and space out the collections that follow."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, MIDDLE_THRESHOLD, OLD_THRESHOLD)
