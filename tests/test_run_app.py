"""`copytrade run` as an operator starts it: a real process with the bot, the engine, the watchers and
the scheduler, reaching Telegram through the local Bot API sandbox and the exchange through the
emulator, answering a user and stopping cleanly on SIGINT."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.sandbox import FloodLimits, TelegramSandbox
from core.emulator.server import ExchangeEmulator
from core.vault import generate_key

ROOT = Path(__file__).resolve().parents[1]


async def test_run_serves_a_user_and_stops_cleanly(tmp_path: Path, emulator: ExchangeEmulator) -> None:
    async with TelegramSandbox(flood=FloodLimits.off()) as sandbox:
        account = sandbox.add_bot()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "VAULT_", "TELEGRAM_", "BINANCE__"))},
            "PYTHONPATH": str(ROOT),
            "BOT_TOKEN": account.token,
            "TELEGRAM_API_URL": sandbox.url,
            "VAULT_KEY": generate_key(),
            "DATABASE_URL": f"sqlite://{tmp_path / 'run.sqlite3'}",
            "BINANCE__BASE_URL": emulator.base_url("binance"),
        }
        if os.environ.get("DATABASE_URL", "").startswith("postgres"):
            env["DATABASE_URL"] = os.environ["DATABASE_URL"]
            from tests.conftest import reset_postgres

            await reset_postgres(env["DATABASE_URL"])
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        try:
            user = sandbox.user(5151, "Rita", bot=account)
            await user.send("/start")
            reply = await user.wait_for("Choose your language", timeout=60)
            assert reply.buttons
        finally:
            process.send_signal(signal.SIGINT)
            output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
        log = output.decode()
        assert "recovery:" in log and "bot starting" in log, log[-2000:]
        assert "Traceback" not in log, log[-4000:]
