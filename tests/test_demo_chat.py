"""The follower's chat of `copytrade demo`: the real bot on the sandbox prints the whole conversation,
from onboarding to the copied-trade notifications, the same on every run, with no secret in it."""
from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.demo_chat import FOLLOWER_NAME, STRATEGY, run_chat_demo

ROOT = Path(__file__).resolve().parents[1]
CHAT_HEAD = "The follower's side (seed 7)"
SECRETS = (
    re.compile(r"\d{6,}:[\w-]{20,}"),  # a bot token: "<bot id>:<secret>"
    re.compile(r"[A-Za-z0-9+/]{43}="),  # a VAULT_KEY: base64 of 32 bytes
    re.compile(r"127\.0\.0\.1|localhost|http://"),  # the sandbox's address (and a port that changes each run)
)


@pytest.fixture(scope="module")
def chat() -> list[str]:
    lines: list[str] = []
    asyncio.run(run_chat_demo(7, write=lines.append))
    return lines


def index(lines: list[str], fragment: str, start: int = 0) -> int:
    """Where the first line containing `fragment` (at or after `start`) is; fails if there is none."""
    return next(i for i, line in enumerate(lines) if i >= start and fragment in line)


def test_the_chat_goes_from_onboarding_through_subscribing_to_the_notifications(chat: list[str]) -> None:
    assert chat[0].startswith(CHAT_HEAD)
    steps = [
        f"{FOLLOWER_NAME}: /start",
        "Bot #2: 👋 Welcome! Choose your language:",
        f"{FOLLOWER_NAME} presses [✓ English]",
        "Bot edits #2: How it works",
        f"{FOLLOWER_NAME} presses [✅ I understand and accept]",
        "(notice: Thank you!)",
        "Main menu",
        "🎮 Your demo account is ready with 10000.00 USDT",
        "Traders · sorted by ⭐ Score",
        f"[photo: equity chart] {STRATEGY['name']}",
        "Winning trades: 4 of 6",
        f"{FOLLOWER_NAME} presses [✅ Subscribe]",
        "step 2 of 3",
        f"{FOLLOWER_NAME} presses [🎮 Demo · 10000.00 USDT]",
        f"{FOLLOWER_NAME}: 1000",
        "Maximum drawdown",
        f"{FOLLOWER_NAME}: 25",
        "step 3 of 3",
        "Copy ratio k: 0.100000",
        f"{FOLLOWER_NAME} presses [✅ Confirm]",
        "(notice: Subscribed.)",
        f"✅ You are subscribed to {STRATEGY['name']} with 1000.00 USDT (k = 0.100000)",
        "the trader opens a position, a market buy",
        "✅ Trade copied: BUY",
        "the trader sells half of it",
        "✅ Trade copied: SELL",
        "the trader closes the rest",
        "✅ Trade copied: SELL",
        "End of the chat: 8 messages from the bot, 3 of them notifications.",
    ]
    at = 0
    for step in steps:  # each one after the one before
        at = index(chat, step, at) + 1
    assert any(line == "    [✅ Subscribe] [⬅️ Back]" for line in chat)  # buttons as the card showed them
    assert "Bot deletes #3" in chat  # the card makes way for the next screen


def test_copies_follow_the_master_with_k(chat: list[str]) -> None:
    """Each notification copies one tenth of the master's order (k = 0.1), the amounts the narration gives."""
    masters = [int(m.group(1)) for line in chat if (m := re.search(r"a market (?:buy|sell) of (\d+) XRP", line))]
    copies = [int(m.group(1)) for line in chat if (m := re.search(r"Trade copied: (?:BUY|SELL) (\d+) XRP", line))]
    assert len(masters) == 3 and copies == [amount // 10 for amount in masters]
    assert copies[0] == copies[1] + copies[2]  # the position is closed in the end


def test_no_secret_or_address_is_printed(chat: list[str]) -> None:
    text = "\n".join(chat)
    for pattern in SECRETS:
        assert not pattern.search(text), pattern.pattern


def test_the_cli_prints_the_same_chat_after_the_engine_summary_and_no_chat_skips_it(
        chat: list[str], tmp_path: Path) -> None:
    """Two other processes: the chat is the same as this one's; `--no-chat` ends with the summary table."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "INFO", "LOG_JSON": "false"}
    runs = [subprocess.Popen([sys.executable, "-m", "bot.cli", "demo", *extra], cwd=tmp_path, env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE) for extra in ((), ("--no-chat",))]
    (full, full_err), (short, _) = (run.communicate(timeout=120) for run in runs)
    assert [run.returncode for run in runs] == [0, 0], full_err
    lines = full.splitlines()
    start = index(lines, CHAT_HEAD)
    assert index(lines, "Summary: the master made") < start
    assert lines[start:] == chat  # the same text in another process
    assert CHAT_HEAD not in short and short.splitlines()[-1].startswith("dev ")  # the table's last row
    assert full_err == ""  # nothing leaks to the terminal around the transcript
