"""`copytrade demo`: the real replication engine, offline, on the paper exchange and a replayed market.

session.py wires the parts (temporary database, paper venue, watcher, engine, order sync),
script.py is the master's session and `run_demo`, printer.py the running log, summary.py the
closing table. What it shows and how to read the table: docs/demo.md.
"""
from core.demo.script import run_demo
from core.demo.summary import DemoSummary, SummaryRow

__all__ = ["DemoSummary", "SummaryRow", "run_demo"]
