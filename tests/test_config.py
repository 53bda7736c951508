"""Configuration: one clear line per bad setting, secrets masked, and the CLI's exit code 2."""
from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import load_settings
from core.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
KEY = base64.b64encode(bytes(range(32))).decode()
OUR_VARS = ("BOT_TOKEN", "VAULT_KEY", "VAULT_PREVIOUS_KEYS", "ADMIN_IDS", "ADMIN_CHAT_ID", "DATABASE_URL",
            "BINANCE__BASE_URL", "BINANCE__TESTNET", "DEFAULT_LANGUAGE")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in OUR_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_use_sqlite_under_data() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite://data/copytrade.sqlite3"
    assert settings.limits.max_allocation_pct == 50


def test_missing_bot_token_names_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"^BOT_TOKEN is not set"):
        load_settings("bot_token")


@pytest.mark.parametrize("value", ["not-base64!", base64.b64encode(b"short").decode()])
def test_malformed_vault_key_is_one_line(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("VAULT_KEY", value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith("VAULT_KEY is invalid: expected base64 of 32 random bytes")
    assert "\n" not in message and value not in message


def test_admin_ids_and_nested_exchange_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_IDS", "1, 22,333")
    monkeypatch.setenv("BINANCE__BASE_URL", "http://127.0.0.1:9/binance")
    monkeypatch.setenv("BINANCE__TESTNET", "true")
    settings = load_settings()
    assert settings.admin_ids == [1, 22, 333]
    assert settings.exchange("binance").base_url == "http://127.0.0.1:9/binance"
    assert settings.exchange("binance").testnet is True
    assert settings.exchange("okx").base_url is None


def test_bad_admin_ids_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_IDS", "1,two")
    with pytest.raises(ConfigError, match=r"^ADMIN_IDS is invalid"):
        load_settings()


def test_secrets_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", "123:very-secret-token")
    monkeypatch.setenv("VAULT_KEY", KEY)
    settings = load_settings("bot_token", "vault_key")
    assert "very-secret-token" not in repr(settings) and KEY not in repr(settings)
    assert settings.vault_keys()[0] == bytes(range(32))


def test_bad_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://x")
    with pytest.raises(ConfigError, match=r"^DATABASE_URL is invalid"):
        load_settings()


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in OUR_VARS}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


def test_run_without_bot_token_exits_2_with_one_line(tmp_path: Path) -> None:
    result = _cli(["run"], tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "BOT_TOKEN" in lines[0]
    assert "Traceback" not in result.stderr


def test_keygen_prints_a_usable_key(tmp_path: Path) -> None:
    result = _cli(["keygen"], tmp_path)
    assert result.returncode == 0
    assert len(base64.b64decode(result.stdout.strip(), validate=True)) == 32
