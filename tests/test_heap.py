"""core/heap.py: after start-up the live heap is frozen out of the collector and young collections are spaced out."""
from __future__ import annotations

import gc

from core import heap


def test_settle_heap_freezes_and_raises_the_young_threshold() -> None:
    thresholds = gc.get_threshold()
    try:
        heap.settle_heap()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (heap.YOUNG_THRESHOLD, heap.MIDDLE_THRESHOLD, heap.OLD_THRESHOLD)
        assert heap.YOUNG_THRESHOLD > thresholds[0]
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
