"""Run the emulator standalone: `python -m core.emulator --port 8900 --accounts 1000`.

Bench accounts are deterministic (`bench_credentials(i)`), so another process can sign for them.
Prints `READY <port>` once listening; stops on SIGINT/SIGTERM.
"""
from __future__ import annotations

import argparse
import asyncio
import signal
from decimal import Decimal

from core.emulator.server import ExchangeEmulator
from core.loop import run

BENCH_BALANCES = {"USDT": Decimal("1000000000"), "BTC": Decimal("100000"), "ETH": Decimal("1000000")}


def bench_credentials(index: int) -> tuple[str, str]:
    """(api_key, secret) of bench account `index`."""
    return f"bench-key-{index:06d}", f"bench-secret-{index:06d}"


async def serve(host: str, port: int, accounts: int) -> None:
    emulator = ExchangeEmulator()
    for index in range(accounts):
        api_key, secret = bench_credentials(index)
        emulator.add_key("binance", api_key=api_key, secret=secret, balances=BENCH_BALANCES)
    await emulator.start(host, port)
    print(f"READY {emulator.port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="local exchange emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed)")
    parser.add_argument("--accounts", type=int, default=0, help="deterministic bench accounts to create")
    args = parser.parse_args()
    run(serve(args.host, args.port, args.accounts))


if __name__ == "__main__":
    main()
