"""Engine/raw as instructions of the event-loop thread: a figure this machine's noise cannot move.

    .venv/bin/python bench/replication_instructions.py [--followers 1000]

bench/replication.py measures engine/raw in wall-clock time, which is what the target is about.
But this shared 2-core machine changes speed by 2x from one second to the next, so one pair of
runs reads anywhere from 0.6 to 1.1, and a change worth a few per cent cannot be seen in it. Both
runs are CPU-bound on the event-loop thread (its CPU time equals the wall time), so the ratio of
the instructions that thread executes per order tells the same story without the noise: repeated
runs agree to about 0.1 %.

Under valgrind's callgrind (one thread per output file), `bench/replication.py --only engine`,
`--only raw` and `--only endpoint` (the engine's own Binance spot call, see bench/replication.py)
run with 1 and with 3 repeats; start-up, set-up and the first fan-out are the same in both runs of
a mode, so the difference, divided by 2 x N, is one order's instructions. The SQLite
driver's thread is reported too: it runs beside the event loop, on the other core. About 18
minutes at N = 1,000 on two cores (valgrind runs the client some 50x slower; the emulator runs natively).
"""
from __future__ import annotations

import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPEATS = (1, 3)
MODES = ("engine", "raw", "endpoint")
MAIN_THREAD = 1  # callgrind numbers threads by creation; the SQLite driver's is the busiest of the others


def run(mode: str, repeats: int, followers: int, out: Path) -> dict[int, int]:
    """Instructions per thread of one bench/replication.py run under callgrind."""
    prefix = out / f"{mode}-{repeats}"
    command = [
        "valgrind", "--tool=callgrind", "--cache-sim=no", "--separate-threads=yes",
        f"--callgrind-out-file={prefix}", sys.executable, str(ROOT / "bench" / "replication.py"),
        "--followers", str(followers), "--repeats", str(repeats), "--only", mode,
    ]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{mode} x{repeats} failed:\n{done.stderr[-2000:]}")
    counts = {}
    for path in out.glob(f"{prefix.name}-*"):
        text = path.read_text(errors="replace")
        thread, summary = re.search(r"^thread: (\d+)", text, re.M), re.search(r"^summary: (\d+)", text, re.M)
        if thread and summary:
            counts[int(thread.group(1))] = int(summary.group(1))
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=1000)
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    n = args.followers
    with tempfile.TemporaryDirectory(prefix="bench-instructions-") as tmp, \
            concurrent.futures.ThreadPoolExecutor(2) as pool:
        jobs = {(mode, r): pool.submit(run, mode, r, n, Path(tmp)) for mode in MODES for r in REPEATS}
        counts = {key: job.result() for key, job in jobs.items()}

    def per_order(mode: str, thread: int) -> float:
        low, high = (counts[(mode, r)].get(thread, 0) for r in REPEATS)
        return (high - low) / ((REPEATS[1] - REPEATS[0]) * n)

    busiest = counts[("engine", REPEATS[1])]
    driver = max((t for t in busiest if t != MAIN_THREAD), key=busiest.__getitem__)
    engine, raw, endpoint = (per_order(mode, MAIN_THREAD) for mode in MODES)
    print(f"instructions per order, N={n}, concurrency 64, DB sqlite (callgrind)")
    print(f"  event-loop thread: engine {engine:,.0f}, raw create_order {raw:,.0f}, raw endpoint call "
          f"{endpoint:,.0f}; raw/engine {raw / engine:.3f}, endpoint/engine {endpoint / engine:.3f}")
    print(f"  SQLite driver thread (engine, beside the loop): {per_order('engine', driver):,.0f}")


if __name__ == "__main__":
    main()
