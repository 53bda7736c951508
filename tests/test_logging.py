"""Structured logs: correlation ids on every line, JSON mode, and credentials masked."""
from __future__ import annotations

import io
import json
import logging

import pytest

from core.logging import correlate, redact, setup_logging


@pytest.fixture
def stream() -> io.StringIO:
    return io.StringIO()


def test_text_lines_carry_correlation_ids(stream: io.StringIO) -> None:
    setup_logging("INFO", stream=stream)
    with correlate(strategy=7, event=42):
        with correlate(subscription=3):
            logging.getLogger("t").info("sent")
        logging.getLogger("t").info("done")
    logging.getLogger("t").info("outside")
    lines = stream.getvalue().splitlines()
    assert lines[0].endswith("sent [strategy=7 event=42 subscription=3]")
    assert lines[1].endswith("done [strategy=7 event=42]")
    assert lines[2].endswith("outside")


def test_json_lines(stream: io.StringIO) -> None:
    setup_logging("INFO", as_json=True, stream=stream)
    with correlate(strategy=1):
        logging.getLogger("t").warning("x=%s", 5)
    record = json.loads(stream.getvalue())
    assert record["msg"] == "x=5" and record["strategy"] == 1 and record["level"] == "WARNING"


def test_credentials_in_a_record_are_masked(stream: io.StringIO) -> None:
    setup_logging("DEBUG", stream=stream)
    logging.getLogger("t").info("headers %s", {"OK-ACCESS-PASSPHRASE": "pp-123", "X-MBX-APIKEY": "AKabc"})
    text = stream.getvalue()
    assert "pp-123" not in text and "AKabc" not in text and "'OK-ACCESS-PASSPHRASE': '***'" in text


@pytest.mark.parametrize("raw", [
    "GET /api?timestamp=1&signature=abcdef0123",
    "{'ACCESS-KEY': 'k1', 'ACCESS-PASSPHRASE': 'p1'}",
    "secret=hunter2&x=1",
])
def test_redact_shapes(raw: str) -> None:
    cleaned = redact(raw)
    for secret in ("abcdef0123", "k1", "p1", "hunter2"):
        assert secret not in cleaned


def test_ccxt_request_dumps_are_not_logged() -> None:
    setup_logging("DEBUG")
    assert not logging.getLogger("ccxt.base.exchange").isEnabledFor(logging.DEBUG)
