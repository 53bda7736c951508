"""The engine process of the crash test (tests/test_engine_crash.py), meant to be killed with SIGKILL.

`python -m tests.crash_engine` imports the engine once, prints `ready`, then serves the test: for
each stdin line `<db url> <emulator url> <strategy id> <event> <kill at>` it forks a fresh process that runs
the engine once — recover whatever an earlier, killed run left unfinished, create master event N if
it is missing (idempotent on its exchange id), replicate it, exit 0 — and waits for it. The fork
only saves the import of ccxt and tortoise (seconds on a loaded machine, 41 times over): the child
starts with no connection, no event loop and nothing in memory from an earlier run, like a restart.

Output lines: `<pid> started`, the child's phase markers `<pid> recovering|recovered|replicating|done`
(so the test can tell where its kill landed), and `<pid> exit <code>` (-9 after a SIGKILL). Small
chunks and a low send concurrency spread the fan-out over more interleavings of outbox writes and
sends, which is where a crash can hurt. `<kill at>` is `-`, or `finish` for a run that SIGKILLs
itself at the one point a random delay rarely hits: every row final, positions not yet stored.
"""
from __future__ import annotations

import os
import signal
import sys
import traceback
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from core.bus import EventBus
from core.config import ExchangeOptions, Settings
from core.db import close_db, init_db
from core.db.models import MasterEvent
from core.engine.recovery import recover
from core.engine.replicator import ReplicationEngine
from core.exchange.ccxt_shared import CcxtShared
from core.exchange.provider import Gateways
from core.loop import run as run_loop
from core.vault import Vault

SYMBOL = "XRP/USDT"
PRICE = Decimal("0.5")  # the emulator's XRP price: no slippage skip
AMOUNT = Decimal(20)  # 10 USDT per event for a follower with k = 1, above the 5 USDT minimum
RECOVERY_WINDOW = timedelta(minutes=30)  # the whole test runs well inside it: recovery always resends


def exchange_event_id(event: int) -> str:
    return f"crash:{event}"


def mark(phase: str) -> None:
    print(os.getpid(), phase, flush=True)


async def master_event(strategy_id: int, event: int) -> MasterEvent:
    """The round's master fill: every round buys, so each follower's exposure stays far below its caps."""
    now = datetime.now(UTC)
    row, _ = await MasterEvent.get_or_create(
        strategy_id=strategy_id,
        exchange_event_id=exchange_event_id(event),
        defaults=dict(kind="fill", symbol=SYMBOL, side="buy", order_type="market", amount=AMOUNT, price=PRICE,
                      position_before=AMOUNT * event, occurred_at=now, detected_at=now),
    )
    return row


async def die(*_: object) -> None:
    """Stands in for `engine.finish` in a `finish` run: the process dies where finish would start."""
    os.kill(os.getpid(), signal.SIGKILL)


async def run(db_url: str, emulator_url: str, strategy_id: int, event: int, kill_at: str) -> None:
    settings = Settings(binance=ExchangeOptions(base_url=emulator_url))
    await init_db(db_url)
    shared = CcxtShared(timeout_ms=5_000, rate_limits={"binance": 1})  # the emulator has no rate limit to respect
    gateways = Gateways(settings, vault=Vault.from_settings(settings), shared=shared)
    bus = EventBus()
    engine = ReplicationEngine(gateways, bus, settings.limits, concurrency=8, first_chunk=8, chunk=16)
    if kill_at == "finish":
        engine.finish = die  # type: ignore[method-assign]
    try:
        mark("recovering")
        await recover(engine, RECOVERY_WINDOW)
        mark("recovered")
        row = await master_event(strategy_id, event)
        if row.fanned_out_at is None:
            mark("replicating")
            await engine.replicate(row)
        mark("done")
    finally:
        await bus.close()
        await gateways.close()
        await shared.close()
        await close_db()


def run_once(db_url: str, emulator_url: str, strategy_id: int, event: int, kill_at: str) -> None:
    """In a forked child: one engine run, then leave without the parent's cleanup."""
    code = 0
    try:
        run_loop(run(db_url, emulator_url, strategy_id, event, kill_at))
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve() -> None:
    print("ready", flush=True)
    for line in sys.stdin:
        db_url, emulator_url, strategy_id, event, kill_at = line.split()
        pid = os.fork()
        if pid == 0:
            run_once(db_url, emulator_url, int(strategy_id), int(event), kill_at)
        print(pid, "started", flush=True)
        _, status = os.waitpid(pid, 0)
        print(pid, "exit", os.waitstatus_to_exitcode(status), flush=True)


if __name__ == "__main__":
    serve()
