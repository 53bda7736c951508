"""Crash test of the replication engine (DESIGN.md, invariant 1: exactly once per follower per event).

The engine runs in its own processes (tests/crash_engine.py forks one per run from warm imports)
against the test's database and the emulator, which lives in this process and survives every kill.
Each of 20 rounds starts the engine on a new master event for 50 followers and kills it with SIGKILL
at a seeded random point — while it starts and recovers, during the fan-out (orders have latencies
on the emulator, so they complete one by one), around its end — or at the one point a delay rarely
hits: every row final, positions not yet stored. Then it starts the engine again without a kill so
recovery finishes the job. After every restart the emulator (not the engine's own rows) must show,
for every follower, exactly one order per master event under the row's deterministic client id: no
duplicate, no loss. Market orders fill at once, so the emulator would accept a resent client id: a
duplicate would show. The followers' positions must book every fill once and match their accounts.
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import random
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from core.db.models import CopyOrder, CopyOrderStatus, MasterEvent, Position, Strategy, Subscription
from core.emulator.keys import EmulatedKey
from core.emulator.server import ExchangeEmulator
from core.engine.ids import client_order_id
from core.exchange.base import Credentials
from core.keystore import store_credentials
from core.vault import Vault, generate_key
from tests import factories
from tests.crash_engine import AMOUNT, exchange_event_id

FOLLOWERS = 50
SEED = 20_251_117
ORDER_PATH = "/api/v3/order"
RUN_TIMEOUT = 60.0  # seconds: a run that hangs fails the test instead of blocking it
ROOT = Path(__file__).resolve().parent.parent
D = Decimal


@dataclass
class EngineRun:
    """One forked engine process and the phase markers it printed, with their times since the start."""

    started: float
    pid: int = 0
    seen: dict[str, float] = field(default_factory=dict)
    arrived: dict[str, asyncio.Event] = field(default_factory=dict)
    exit: asyncio.Future[int] = field(default_factory=lambda: asyncio.get_running_loop().create_future())

    def marker(self, phase: str) -> asyncio.Event:
        return self.arrived.setdefault(phase, asyncio.Event())

    def note(self, phase: str) -> None:
        self.seen[phase] = time.monotonic() - self.started
        self.marker(phase).set()

    async def reached(self, phase: str) -> None:
        """Until the run prints `phase` or ends without it."""
        waiter = asyncio.ensure_future(self.marker(phase).wait())
        await asyncio.wait([waiter, self.exit], return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()

    def kill(self) -> None:
        if not self.exit.done():
            with contextlib.suppress(ProcessLookupError):  # it ended on its own just now
                os.kill(self.pid, signal.SIGKILL)


class EngineServer:
    """tests/crash_engine.py in serve mode: one engine process per `start`, forked from warm imports."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.run: EngineRun | None = None
        self.stderr = bytearray()
        self._tasks = [asyncio.create_task(self._read_stdout()), asyncio.create_task(self._read_stderr())]
        self.ready = asyncio.Event()

    @classmethod
    async def open(cls, vault_key: str) -> EngineServer:
        env = {**os.environ, "VAULT_KEY": vault_key}
        env.pop("VAULT_PREVIOUS_KEYS", None)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.crash_engine", cwd=ROOT, env=env,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        server = cls(proc)
        await server.ready.wait()
        return server

    async def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        async for raw in self.proc.stdout:
            words = raw.decode().split()
            if words == ["ready"]:
                self.ready.set()
            elif self.run is not None and len(words) >= 2:
                pid, phase = int(words[0]), words[1]
                if phase == "started":
                    self.run.pid = pid
                elif phase == "exit":
                    self.run.exit.set_result(int(words[2]))
                else:
                    self.run.note(phase)
        self.ready.set()

    async def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        async for raw in self.proc.stderr:
            self.stderr += raw

    async def start(self, db_url: str, emulator: ExchangeEmulator, strategy: Strategy, event: int, kill_at: str = "-") -> EngineRun:
        assert self.proc.stdin is not None and self.proc.returncode is None, self.stderr.decode()[-3000:]
        self.run = EngineRun(time.monotonic())
        self.proc.stdin.write(f"{db_url} {emulator.base_url('binance')} {strategy.id} {event} {kill_at}\n".encode())
        await self.proc.stdin.drain()
        return self.run

    async def run_to_end(self, db_url: str, emulator: ExchangeEmulator, strategy: Strategy, event: int) -> EngineRun:
        run = await self.start(db_url, emulator, strategy, event)
        code = await asyncio.wait_for(run.exit, RUN_TIMEOUT)
        assert code == 0, f"engine run for event {event} exited {code}:\n{self.stderr.decode()[-3000:]}"
        return run

    async def close(self) -> None:
        if self.run is not None:
            self.run.kill()
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        await self.proc.wait()
        await asyncio.gather(*self._tasks)


@dataclass
class Follower:
    subscription: Subscription
    key: EmulatedKey


def slow_order_path(emulator: ExchangeEmulator, rng: random.Random) -> None:
    """A different latency on each order request, so sends complete one by one across the fan-out."""
    emulator.faults.clear()
    for _ in range(FOLLOWERS):
        emulator.faults.add("binance", ORDER_PATH, "latency", method="POST", delay=rng.uniform(0.005, 0.04))


async def setup(emulator: ExchangeEmulator, vault: Vault) -> tuple[Strategy, list[Follower]]:
    master = await factories.account(await factories.user(is_trader=True), exchange="binance", equity=D(10_000))
    strategy = await factories.strategy(master)
    followers = []
    for _ in range(FOLLOWERS):
        key = emulator.add_key("binance", balances={"USDT": D(10_000)})
        account = await factories.account(await factories.user(), exchange="binance", equity=D(10_000))
        await store_credentials(vault, account, Credentials(key.api_key, key.secret))
        followers.append(Follower(await factories.subscription(strategy, account, k=D(1)), key))
    return strategy, followers


def placed(emulator: ExchangeEmulator, strategy: Strategy, followers: list[Follower], event: int) -> int:
    """How many followers hold an order for `event` on the emulator."""
    return sum(
        any(o.client_order_id == client_order_id(strategy.id, exchange_event_id(event), f.subscription.id) for o in emulator.orders(f.key.api_key))
        for f in followers
    )


async def kill_point(code: int, emulator: ExchangeEmulator, strategy: Strategy, followers: list[Follower], event: int) -> tuple[str, bool]:
    """Where the kill landed (outbox rows, orders already placed) and whether it cut the fan-out short."""
    master = await MasterEvent.get_or_none(strategy_id=strategy.id, exchange_event_id=exchange_event_id(event))
    rows = await CopyOrder.filter(master_event_id=master.id) if master else []
    pending = sum(r.status == CopyOrderStatus.PENDING for r in rows)
    outcome = "killed" if code == -signal.SIGKILL else f"exited {code} first"
    state = "no event yet" if master is None else "fanned out" if master.fanned_out_at else "unfinished"
    text = (f"{outcome}, event {state}: {len(rows)} rows ({pending} pending), "
            f"{placed(emulator, strategy, followers, event)}/{FOLLOWERS} orders placed")
    return text, master is not None and master.fanned_out_at is None and bool(rows)


async def assert_exactly_once(emulator: ExchangeEmulator, strategy: Strategy, followers: list[Follower], event: int) -> None:
    """Every follower holds exactly one filled order per event 0..event on the emulator, the rows of
    `event` are final and match them, and each position books every fill once (earlier events' rows
    were checked in their round; the totals per follower catch anything added to them since)."""
    master = await MasterEvent.get(strategy_id=strategy.id, exchange_event_id=exchange_event_id(event))
    assert master.fanned_out_at is not None, f"event {event} not fanned out"
    rows = {r.subscription_id: r for r in await CopyOrder.filter(master_event_id=master.id)}  # type: ignore[attr-defined]
    assert len(rows) == FOLLOWERS, f"event {event}: {len(rows)} rows"
    for f in followers:
        row = rows[f.subscription.id]
        assert (row.status, row.leg) == (CopyOrderStatus.FILLED, 0), (event, row.status, row.reason, row.reason_detail)
        assert row.client_order_id == client_order_id(strategy.id, exchange_event_id(event), f.subscription.id)
        orders = emulator.orders(f.key.api_key)
        mine = [o for o in orders if o.client_order_id == row.client_order_id]
        assert len(mine) == 1, f"event {event}, subscription {f.subscription.id}: {len(mine)} orders on the exchange"
        assert (row.exchange_order_id, row.filled) == (str(mine[0].order_id), mine[0].filled)
        assert len(orders) == event + 1 and {o.status for o in orders} == {"FILLED"}, Counter(o.client_order_id for o in orders)
        assert sum((o.filled for o in orders), D(0)) == AMOUNT * (event + 1)
        filled = await CopyOrder.filter(subscription_id=f.subscription.id)
        booked = sum((r.filled - (r.fee if r.fee_currency == "XRP" else 0) for r in filled), D(0))  # a base-currency fee arrives short
        position = await Position.get(subscription_id=f.subscription.id, symbol="XRP/USDT", closed_at=None)
        assert position.amount == booked, f"subscription {f.subscription.id}: a fill was booked twice or not at all"
        assert position.amount == sum(emulator.balances(f.key.api_key)["XRP"]), "the position is not what the account holds"


async def test_sigkill_during_fan_out_never_duplicates_or_loses_an_order(db: str, emulator: ExchangeEmulator) -> None:
    vault_key = generate_key()
    strategy, followers = await setup(emulator, Vault(base64.b64decode(vault_key)))
    rng = random.Random(SEED)
    engine = await EngineServer.open(vault_key)
    try:
        slow_order_path(emulator, rng)  # warm-up: where the fan-out sits in a run's life
        warm = await engine.run_to_end(db, emulator, strategy, 0)
        await assert_exactly_once(emulator, strategy, followers, 0)
        ready, fan_out = warm.seen["recovered"], warm.seen["done"] - warm.seen["recovered"]
        print(f"\nwarm-up: recovered {ready * 1000:.0f} ms after the start, fan-out {fan_out * 1000:.0f} ms")

        plan = ["before"] * 3 + ["during"] * 11 + ["after"] * 3 + ["finish"] * 3  # 20 rounds
        rng.shuffle(plan)
        cut_short = 0
        for event, where in enumerate(plan, start=1):
            slow_order_path(emulator, rng)
            run = await engine.start(db, emulator, strategy, event, kill_at=where if where == "finish" else "-")
            if where == "before":  # while it connects and recovers
                delay = rng.uniform(0, ready)
                when = f"{delay * 1000:.0f} ms after the start"
            elif where == "finish":  # it kills itself
                when = "at finish(): every row final, positions not stored"
            else:
                await run.reached("recovered")
                delay = rng.uniform(0, fan_out) if where == "during" else rng.uniform(fan_out * 0.7, fan_out * 1.1)
                when = f"{delay * 1000:.0f} ms after 'recovered'"
            if where != "finish":
                await asyncio.sleep(delay)
                run.kill()
            code = await run.exit
            point, unfinished = await kill_point(code, emulator, strategy, followers, event)
            cut_short += unfinished
            last = max(run.seen, key=run.seen.get, default="none")

            emulator.faults.clear()
            restart = await engine.run_to_end(db, emulator, strategy, event)
            checked = time.monotonic()
            await assert_exactly_once(emulator, strategy, followers, event)
            print(f"round {event:2d}, {where}, {when}, last marker '{last}': {point}; "
                  f"restart done in {restart.seen['done'] * 1000:.0f} ms, checked in {(time.monotonic() - checked) * 1000:.0f} ms")
        assert cut_short >= 6, f"only {cut_short} kills cut a fan-out short: the test did not test much"
    finally:
        await engine.close()
