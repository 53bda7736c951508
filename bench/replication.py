"""One master fill fanned out to N followers through the engine and real ccxt, against the emulator.

    .venv/bin/python bench/replication.py [--followers 100,1000,5000] [--repeats 9] [--concurrency 64]
                                          [--database-url sqlite:///tmp/x.sqlite3]

The Binance emulator runs in its own process (`python -m core.emulator`) on 127.0.0.1. Setup (users,
accounts with vault-sealed keys, subscriptions, bulk-created) is not timed; the followers' book, their
keys and the markets are loaded before the first event, as `copytrade run` does at start-up
(ReplicationEngine.prepare). Each repeat is a new master fill (a market buy), persisted with
`detected_at` and replicated at once, followed by one run of the raw baseline. Figures per N:

- ack p50 / p99: MasterEvent.detected_at -> CopyOrder.acked_at over every follower of every repeat;
- last ack: detection -> the last follower's ack (median of the repeats, and the worst);
- orders/s: followers / (detection -> last ack), median of the repeats;
- first sent: detection -> the first follower order handed to ccxt (CopyOrder.sent_at), p50 of repeats;
- RSS: this process after the first fan-out of that N (before its raw baseline's ccxt instances
  exist; what earlier N's baselines left in the heap is counted: `--followers 5000` alone for less);
- raw/s: the same number of `create_order` calls straight on stock ccxt instances (built beforehand,
  shared aiohttp session and markets), at the same concurrency, no engine, no database, median of
  the repeats;
- eng/raw: each repeat's engine orders/s over the raw run right after it, median of the repeats. The
  pairing matters on a shared machine: its speed drifts by 10-20 % over minutes, and a ratio of two
  runs minutes apart measured that drift as much as the engine. Even paired, one repeat's ratio
  swings by a third from one repeat to the next here, hence 9 repeats by default;
- steal: the share of the machine's CPU time that the hypervisor took during the fan-outs (median);
- ep/s and eng/ep: the same, with ccxt's endpoint method `private_post_order` instead of
  `create_order`, given a ready request and its answer left unparsed, on ccxt instances whose REST
  calls go over copytrade's HttpClient (core/exchange/ccxt_fetch.py) instead of aiohttp. That is
  the call and the transport the engine uses for Binance spot (core/exchange/binance_spot.py): it
  skips the half of `create_order`'s CPU that goes to building the request and parsing the answer,
  and aiohttp's per-request objects; so the engine can be faster than raw `create_order`, and
  eng/ep is what the engine costs over its own call.

Like `copytrade run` after start-up, the heap is collected and frozen and the collector's young
threshold raised (core/heap.py) once the setup is done (`--no-gc-tuning` to compare). The shared
Binance throttler is raised (as in bench/gateway.py): ccxt's default 50 ms per request would measure
the throttler, not the engine. A postgres `--database-url` has its public schema DROPPED and
recreated: point it at a scratch database. Every run is bounded in time.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import ccxt.async_support as ccxt
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tortoise import Tortoise, connections  # noqa: E402

from core.bus import EventBus  # noqa: E402
from core.config import ExchangeOptions, Limits, Settings  # noqa: E402
from core.db import close_db, init_db  # noqa: E402
from core.db.models import (  # noqa: E402
    ExchangeAccount,
    MasterEvent,
    SizingMode,
    Strategy,
    StrategyStatus,
    Subscription,
    User,
)
from core.emulator.__main__ import bench_credentials  # noqa: E402
from core.engine.replicator import FanOut, ReplicationEngine  # noqa: E402
from core.exchange import binance_spot  # noqa: E402
from core.exchange.base import Credentials, OrderRequest  # noqa: E402
from core.exchange.ccxt_gateway import CcxtGateway  # noqa: E402
from core.exchange.ccxt_shared import CcxtShared  # noqa: E402
from core.exchange.provider import Gateways  # noqa: E402
from core.heap import settle_heap as core_settle_heap  # noqa: E402
from core.keystore import seal_credentials  # noqa: E402
from core.loop import run  # noqa: E402
from core.vault import Vault, generate_key  # noqa: E402

RUN_TIMEOUT_S = 900
RAISED_RATE_MS = 0.01  # ms per unit of cost for the shared Binance throttler (see bench/gateway.py)
SYMBOL = "BTC/USDT"
MASTER_AMOUNT = Decimal("0.001")  # 60 USDT at the emulator's 60,000: above Binance's 5 USDT minimum
EQUITY = Decimal(1_000_000)
RAW_INSTANCES = 500  # the raw baseline cycles over at most this many ccxt instances (distinct keys)
_telegram_ids = itertools.count(1_000_000)


@dataclass
class Result:
    followers: int
    acks: list[float]  # seconds, detection -> ack, every acked row of every repeat
    last_ack: list[float]  # per repeat
    first_sent: list[float]  # per repeat
    rate: list[float]  # orders/s per repeat
    cpu: list[float]  # CPU seconds of this process per repeat (event loop + SQLite thread)
    emulator_cpu: list[float]  # CPU seconds of the emulator process per repeat
    failed: int
    rss_mib: float
    raw_rate: list[float] = field(default_factory=list)  # per repeat, run right after that repeat's fan-out
    raw_cpu: list[float] = field(default_factory=list)
    endpoint_rate: list[float] = field(default_factory=list)  # per repeat, run right after the raw one
    steal: list[float] = field(default_factory=list)  # per repeat: share of the CPUs' time the hypervisor took

    def ratios(self, baseline: list[float] | None = None) -> list[float]:
        return [engine / raw for engine, raw in zip(self.rate, self.raw_rate if baseline is None else baseline) if raw]


def start_emulator(accounts: int) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "core.emulator", "--host", "127.0.0.1", "--port", "0", "--accounts", str(accounts)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("READY "):
        proc.kill()
        raise SystemExit(f"emulator did not start: {line!r}")
    return proc, int(line.split()[1])


async def open_database(url: str) -> None:
    if url.startswith(("postgres://", "postgresql://")):
        await init_db(url)
        await connections.get("default").execute_script("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
        await close_db()
    await init_db(url)
    await Tortoise.generate_schemas()


async def create_strategy(vault: Vault, followers: int) -> Strategy:
    """A master, its approved strategy and `followers` Binance accounts (bench keys 0..N-1), in bulk."""
    trader = await User.create(telegram_id=next(_telegram_ids), is_trader=True)
    master = await ExchangeAccount.create(id=uuid.uuid4(), owner=trader, exchange="binance", equity=EQUITY)
    strategy = await Strategy.create(trader=trader, account=master, name=f"bench-{followers}-{uuid.uuid4().hex[:8]}",
                                     status=StrategyStatus.APPROVED)
    users = [User(telegram_id=next(_telegram_ids)) for _ in range(followers)]
    await User.bulk_create(users, batch_size=1000)
    ids = await User.filter(telegram_id__in=[u.telegram_id for u in users]).order_by("telegram_id").values_list("id", flat=True)
    accounts = []
    for index, user_id in enumerate(ids):
        account = ExchangeAccount(id=uuid.uuid4(), owner_id=user_id, exchange="binance", equity=EQUITY, can_trade=True)
        seal_credentials(vault, account, Credentials(*bench_credentials(index)))
        accounts.append(account)
    await ExchangeAccount.bulk_create(accounts, batch_size=1000)
    await Subscription.bulk_create([
        Subscription(follower_id=a.owner_id, strategy_id=strategy.id, account_id=a.id, multiplier=Decimal(1),
                     sizing_mode=SizingMode.PROPORTIONAL, max_allocation_pct=Decimal(50), start_equity=EQUITY,
                     allocation=EQUITY)
        for a in accounts
    ], batch_size=1000)
    return strategy


async def master_fill(strategy: Strategy, seq: int, price: Decimal) -> MasterEvent:
    """What the watcher does on detection: stamp it, persist it (then the engine is called)."""
    detected = datetime.now(UTC)
    return await MasterEvent.create(
        strategy=strategy, exchange_event_id=f"bench:{strategy.id}:{seq}", kind="fill", symbol=SYMBOL, side="buy",
        order_type="market", amount=MASTER_AMOUNT, price=price, position_before=MASTER_AMOUNT * seq,
        occurred_at=detected, detected_at=detected,
    )


def measure(fan: FanOut, event: MasterEvent) -> tuple[list[float], float, float, int]:
    detected = event.detected_at
    acked = [(r.acked_at - detected).total_seconds() for r in fan.rows if r.acked_at is not None]
    sent = [(r.sent_at - detected).total_seconds() for r in fan.rows if r.sent_at is not None]
    failed = sum(1 for r in fan.rows if r.acked_at is None)
    return acked, max(acked, default=float("nan")), min(sent, default=float("nan")), failed


def settle_heap(tuned: bool) -> None:
    """What a long-running engine process does once start-up is done (core/heap.py, called by
    `copytrade run`): collect, freeze the long-lived heap, space out the collections. `--no-gc-tuning`
    leaves CPython's defaults, to compare."""
    if tuned:
        core_settle_heap()
    else:
        gc.collect()


def machine_times() -> tuple[float, float]:
    """(total, stolen) CPU seconds of the whole machine so far. Steal is time a virtual CPU was ready to
    run but the hypervisor ran someone else: on this shared machine it explains most of the swings."""
    times = psutil.cpu_times()
    return sum(times), getattr(times, "steal", 0.0)


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


async def run_engine(engine: ReplicationEngine, strategy: Strategy, result: Result, price: Decimal,
                     seq: itertools.count, emulator: psutil.Process) -> None:
    """One repeat: a new master fill, fanned out; its figures appended to `result`."""
    cpu0, emu0, (total0, stolen0) = time.process_time(), cpu_seconds(emulator), machine_times()
    event = await master_fill(strategy, next(seq), price)
    fan = await engine.replicate(event)
    result.cpu.append(time.process_time() - cpu0)
    total, stolen = machine_times()
    result.steal.append((stolen - stolen0) / (total - total0) if total > total0 else 0.0)
    result.emulator_cpu.append(cpu_seconds(emulator) - emu0)
    acked, last, first, failed = measure(fan, event)
    result.acks += acked
    result.last_ack.append(last)
    result.first_sent.append(first)
    result.rate.append(len(acked) / last if last > 0 else 0.0)
    result.failed += failed
    if failed:
        reasons = {(r.status, r.reason) for r in fan.rows if r.acked_at is None}
        print(f"  N={result.followers}: {failed} rows without ack: {sorted(map(str, reasons))[:5]}", flush=True)


class RawBaseline:
    """Bare ccxt calls over pre-built ccxt instances (distinct keys, shared markets), no engine and
    no database: the references the engine's throughput is divided by. `create_order` runs on stock
    ccxt (aiohttp); the endpoint call on the gateways' clients, whose transport the engine shares."""

    def __init__(self, shared: CcxtShared, base_url: str, orders: int, concurrency: int) -> None:
        options = ExchangeOptions(base_url=base_url)
        credentials = [Credentials(*bench_credentials(i)) for i in range(min(orders, RAW_INSTANCES))]
        self.shared = shared
        self.markets_key = ("binance", "spot", False, base_url)
        self.gateways = [CcxtGateway("binance", c, options, shared) for c in credentials]
        self.stock = [CcxtGateway._build_client("binance", c, options, shared, "spot", None, ccxt.binance)
                      for c in credentials]
        self.orders = orders
        self.concurrency = concurrency
        self.ids = itertools.count()

    async def load(self) -> None:
        for gateway in self.gateways:
            await gateway.load_markets()
        for client in self.stock:
            await self.shared.markets.attach(self.markets_key, client)

    async def run(self, endpoint: bool = False) -> tuple[float, float]:
        """(orders/s, CPU s) of one run of `orders` calls of `create_order`, or with `endpoint` of
        `private_post_order` given the request the engine's Binance spot path would build."""
        request = binance_spot.order_request(self.gateways[0].market(SYMBOL),
                                             OrderRequest(SYMBOL, "buy", "market", MASTER_AMOUNT, ""))

        async def worker(offset: int) -> None:
            for n in range(offset, self.orders, self.concurrency):
                if endpoint:
                    client = self.gateways[n % len(self.gateways)].client
                    await client.private_post_order({**request, "newClientOrderId": f"raw-{next(self.ids)}"})
                else:
                    client = self.stock[n % len(self.stock)]
                    await client.create_order(SYMBOL, "market", "buy", str(MASTER_AMOUNT), None, {"clientOrderId": f"raw-{next(self.ids)}"})

        t0, cpu0 = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker(i) for i in range(self.concurrency)))
        return self.orders / (time.perf_counter() - t0), time.process_time() - cpu0

    async def close(self) -> None:
        for gateway in self.gateways:
            await gateway.close()
        for client in self.stock:
            await client.close()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))] if ordered else float("nan")


def report(results: list[Result], concurrency: int, database: str, tuned: bool) -> None:
    print()
    print(f"replication fan-out, Binance emulator in its own process, concurrency {concurrency}, DB {database}, "
          f"GC tuned after start-up: {'yes' if tuned else 'no'}, load average {os.getloadavg()[0]:.2f} (2 cores)")
    header = (f"{'N':>6} {'ack p50':>9} {'ack p99':>9} {'last ack':>9} {'worst':>8} {'orders/s':>9} "
              f"{'raw/s':>8} {'eng/raw':>8} {'ep/s':>8} {'eng/ep':>7} {'1st sent':>9} {'RSS MiB':>8} {'no ack':>7} {'steal':>6}")
    print(header)
    print("-" * len(header))
    for r in results:
        rate = statistics.median(r.rate)
        raw_rate = statistics.median(r.raw_rate)
        print(f"{r.followers:>6} {pct(r.acks, .5) * 1000:>7.0f}ms {pct(r.acks, .99) * 1000:>7.0f}ms "
              f"{statistics.median(r.last_ack):>8.3f}s {max(r.last_ack):>7.3f}s {rate:>9,.0f} {raw_rate:>8,.0f} "
              f"{statistics.median(r.ratios()):>8.2f} {statistics.median(r.endpoint_rate):>8,.0f} "
              f"{statistics.median(r.ratios(r.endpoint_rate)):>7.2f} {statistics.median(r.first_sent) * 1000:>7.1f}ms "
              f"{r.rss_mib:>8.0f} {r.failed:>7} {statistics.median(r.steal):>6.0%}")
    print()
    print("targets: last ack <= 0.5 s at N=1,000 and <= 3 s at N=5,000; eng/raw >= 0.8 at N=1,000; "
          "1st sent < 10 ms (p50); RSS < 1 GB at N=5,000")


async def bench(args: argparse.Namespace, port: int, emulator: psutil.Process) -> None:
    base_url = f"http://127.0.0.1:{port}/binance"
    database = args.database_url or f"sqlite://{tempfile.mkdtemp(prefix='bench-replication-')}/bench.sqlite3"
    await open_database(database)
    vault = Vault(base64.b64decode(generate_key()))
    settings = Settings(binance=ExchangeOptions(base_url=base_url))
    shared = CcxtShared(rate_limits={"binance": RAISED_RATE_MS})
    gateways = Gateways(settings, vault=vault, shared=shared)
    bus = EventBus()
    engine = ReplicationEngine(gateways, bus, Limits(), concurrency=args.concurrency)
    seq = itertools.count(1)
    price = Decimal("60000")
    results = []
    try:
        for followers in args.followers:
            t0 = time.perf_counter()
            strategy = await create_strategy(vault, followers)
            await engine.prepare(strategy.id)  # as `copytrade run` does at start: followers' book and keys loaded
            settle_heap(args.gc_tuning)
            print(f"setup N={followers}: {time.perf_counter() - t0:.1f} s (not timed)", flush=True)
            result = Result(followers, [], [], [], [], [], [], 0, 0.0)
            await run_engine(engine, strategy, result, price, seq, emulator)
            await bus.drain()
            result.rss_mib = psutil.Process(os.getpid()).memory_info().rss / 2**20  # before the raw instances exist
            raw = RawBaseline(shared, base_url, followers, args.concurrency)
            await raw.load()
            settle_heap(args.gc_tuning)
            for repeat in range(args.repeats):
                if repeat and args.only in ("", "engine"):
                    await run_engine(engine, strategy, result, price, seq, emulator)
                    await bus.drain()
                if args.only in ("", "raw"):
                    raw_rate, raw_cpu = await raw.run()
                    result.raw_rate.append(raw_rate)
                    result.raw_cpu.append(raw_cpu)
                if args.only in ("", "endpoint"):
                    result.endpoint_rate.append((await raw.run(endpoint=True))[0])
            await raw.close()
            del raw
            gc.unfreeze()  # the raw baseline's closed ccxt instances are cyclic garbage: not the next N's cost
            gc.collect()
            results.append(result)
            if args.only:
                continue  # a run for bench/replication_instructions.py: its figures are instruction counts
            print(f"N={followers}: last ack {', '.join(f'{x:.3f}' for x in result.last_ack)} s; "
                  f"first sent {', '.join(f'{x * 1000:.1f}' for x in result.first_sent)} ms; "
                  f"CPU engine {', '.join(f'{x:.2f}' for x in result.cpu)} s, emulator "
                  f"{', '.join(f'{x:.2f}' for x in result.emulator_cpu)} s; raw "
                  f"{', '.join(f'{x:,.0f}' for x in result.raw_rate)}/s "
                  f"({statistics.median(result.raw_cpu) * 1000 / followers:.2f} ms CPU/order); eng/raw "
                  f"{', '.join(f'{x:.2f}' for x in result.ratios())}; endpoint "
                  f"{', '.join(f'{x:,.0f}' for x in result.endpoint_rate)}/s; CPU steal during the fan-outs "
                  f"{', '.join(f'{x:.0%}' for x in result.steal)}",
                  flush=True)
    finally:
        await bus.close()
        await gateways.close()
        await shared.close()
        await close_db()
    if not args.only:
        report(results, args.concurrency, database.split("://")[0], args.gc_tuning)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", default="100,1000,5000", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--no-gc-tuning", dest="gc_tuning", action="store_false",
                        help="keep CPython's collector defaults (see settle_heap)")
    parser.add_argument("--only", choices=("engine", "raw", "endpoint"), default="",
                        help="after the first fan-out, repeat only the engine or only one raw baseline, and "
                             "print no figures (bench/replication_instructions.py counts their instructions)")
    args = parser.parse_args()
    proc, port = start_emulator(max(args.followers))
    try:
        run(asyncio.wait_for(bench(args, port, psutil.Process(proc.pid)), RUN_TIMEOUT_S))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
