"""The event loop every copytrade process runs on: uvloop where it is installed, asyncio's own otherwise.

uvloop is a dependency wherever it builds (Linux and macOS, the Docker image). On the replication
path it runs one follower order in about 4 % fewer instructions than asyncio's loop, for the engine
and for bare ccxt alike (bench/replication_instructions.py). The tests run on it too
(tests/conftest.py), so what is tested is what runs. Windows, where it does not build, keeps asyncio's.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run` on the loop above."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
