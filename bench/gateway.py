"""What a ccxt gateway costs: instance creation on shared markets, and create_order throughput.

    .venv/bin/python bench/gateway.py [--instances 1000] [--orders 4000]

The emulator runs in a separate process (`python -m core.emulator`) on 127.0.0.1 so it does not
share a core with ccxt. The shared per-exchange throttler is raised for the throughput runs (with
ccxt's default for Binance, 50 ms per unit of cost, one process tops out near 100 orders/s);
one extra run shows that default. Every run is bounded in time.
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.config import ExchangeOptions  # noqa: E402
from core.emulator.__main__ import bench_credentials  # noqa: E402
from core.exchange.base import Credentials, OrderRequest  # noqa: E402
from core.exchange.ccxt_gateway import CcxtGateway  # noqa: E402
from core.exchange.ccxt_shared import CcxtShared  # noqa: E402
from core.loop import run  # noqa: E402

RUN_TIMEOUT_S = 240
RAISED_RATE_MS = 0.01  # ms per unit of cost for the shared throttler in the throughput runs


def start_emulator(accounts: int) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "core.emulator", "--host", "127.0.0.1", "--port", "0", "--accounts", str(accounts)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("READY "):
        proc.kill()
        raise SystemExit(f"emulator did not start: {line!r}")
    return proc, int(line.split()[1])


def build(shared: CcxtShared, base_url: str, count: int) -> list[CcxtGateway]:
    options = ExchangeOptions(base_url=base_url)
    return [CcxtGateway("binance", Credentials(*bench_credentials(i)), options, shared) for i in range(count)]


async def throughput(gateways: list[CcxtGateway], concurrency: int, orders: int, run: str) -> tuple[float, float]:
    """(orders/s, CPU ms per order in this process)."""
    ids = itertools.count()
    per_worker = orders // concurrency

    async def worker(offset: int) -> None:
        for n in range(per_worker):
            gateway = gateways[(offset + n * concurrency) % len(gateways)]
            request = OrderRequest("BTC/USDT", "buy", "market", Decimal("0.001"), f"{run}-{next(ids)}")
            await gateway.create_order(request)

    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    done = per_worker * concurrency
    return done / elapsed, cpu * 1000 / done


async def bench(instances: int, orders: int, port: int) -> None:
    base_url = f"http://127.0.0.1:{port}/binance"
    process = psutil.Process(os.getpid())

    shared = CcxtShared(rate_limits={"binance": RAISED_RATE_MS})
    loader = build(shared, base_url, 1)[0]  # loads the markets once; every instance after shares them
    await loader.load_markets()
    rss0 = process.memory_info().rss
    t0 = time.perf_counter()
    gateways = build(shared, base_url, instances)
    created = time.perf_counter() - t0
    rss = process.memory_info().rss - rss0
    await loader.close()
    print(f"create {instances} gateway instances on shared markets: {created:.2f} s "
          f"({created * 1000 / instances:.2f} ms each), RSS +{rss / 2**20:.1f} MiB "
          f"({rss / instances / 1024:.0f} KiB each)")

    # The instances are long-lived: move them out of the collector's generations, or every gen-2
    # collection walks ~250 MB of ccxt dicts (measured here: concurrency 16 drops to ~1,300 orders/s).
    gc.freeze()
    print(f"gc.freeze() after building: {gc.get_freeze_count():,} objects frozen")
    await throughput(gateways, 16, 320, "warm")  # first use of the connection pool
    for concurrency in (1, 16, 64):
        count = orders // 8 if concurrency == 1 else orders
        rate, cpu_ms = await throughput(gateways, concurrency, count, f"c{concurrency}")
        print(f"create_order concurrency {concurrency:>2}: {rate:,.0f} orders/s, {cpu_ms:.2f} ms CPU/order "
              f"(client process), {count} orders over {len(gateways)} instances")
    for gateway in gateways:
        await gateway.close()
    await shared.close()

    default = CcxtShared()
    gateways = build(default, base_url, 64)
    await gateways[0].load_markets()
    rate, _ = await throughput(gateways, 16, 400, "default")
    print(f"create_order concurrency 16 with ccxt's default Binance rate limit (one shared throttler): {rate:,.0f} orders/s")
    for gateway in gateways:
        await gateway.close()
    await default.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--orders", type=int, default=4000)
    args = parser.parse_args()
    proc, port = start_emulator(args.instances)
    try:
        run(asyncio.wait_for(bench(args.instances, args.orders, port), RUN_TIMEOUT_S))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
