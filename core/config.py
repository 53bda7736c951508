"""Settings from the environment and `.env`.

Secrets are `SecretStr` so they never show in a repr, a log line or a traceback.
`load_settings` turns every validation problem into one `ConfigError` line that
names the variable and what it expects; the CLI prints it and exits with 2.
"""
from __future__ import annotations

import base64
import binascii
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.errors import ConfigError

EXCHANGES = ("binance", "okx", "bybit", "bitget")
Language = Literal["en", "ru"]


class ExchangeOptions(BaseModel):
    """Per-exchange switches: sandbox/demo trading and a base-URL override (proxy or emulator)."""

    testnet: bool = False
    base_url: str | None = None


class Limits(BaseModel):
    """Platform limits that every subscription and trader is held to."""

    default_allocation_pct: Decimal = Decimal("30")
    max_allocation_pct: Decimal = Decimal("50")
    max_account_usage_pct: Decimal = Decimal("99")
    trader_drawdown_suspend_pct: Decimal = Decimal("15")
    trader_drawdown_window_days: int = 7
    default_slippage_tolerance_pct: Decimal = Decimal("1")
    default_max_drawdown_pct: Decimal = Decimal("30")
    demo_balance_usdt: Decimal = Decimal("10000")
    # follower position off its master-scaled target by more: alert (again once it is worse by as much)
    drift_alert_pct: Decimal = Decimal("5")
    drift_auto_correct: bool = False


def _decode_vault_key(value: str) -> bytes:
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("base64 of 32 random bytes (run `copytrade keygen`)") from None
    if len(raw) != 32:
        raise ValueError("base64 of 32 random bytes (run `copytrade keygen`)")
    return raw


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_nested_delimiter="__",
        extra="ignore",
    )

    bot_token: SecretStr | None = None
    telegram_api_url: str | None = None
    webhook_url: str | None = None
    webhook_port: int = 8080  # where the bot listens when WEBHOOK_URL is set (behind a TLS proxy)
    database_url: str = "sqlite://data/copytrade.sqlite3"
    vault_key: SecretStr | None = None
    vault_previous_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    admin_chat_id: int | None = None
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    default_language: Language = "en"
    log_level: str = "INFO"
    log_json: bool = False

    limits: Limits = Field(default_factory=Limits)
    binance: ExchangeOptions = Field(default_factory=ExchangeOptions)
    okx: ExchangeOptions = Field(default_factory=ExchangeOptions)
    bybit: ExchangeOptions = Field(default_factory=ExchangeOptions)
    bitget: ExchangeOptions = Field(default_factory=ExchangeOptions)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
            except ValueError:
                raise ValueError("a comma-separated list of Telegram user ids") from None
        return value

    @field_validator("vault_previous_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("vault_key")
    @classmethod
    def _check_vault_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            _decode_vault_key(value.get_secret_value())
        return value

    @field_validator("vault_previous_keys")
    @classmethod
    def _check_previous_keys(cls, value: list[SecretStr]) -> list[SecretStr]:
        for key in value:
            _decode_vault_key(key.get_secret_value())
        return value

    @field_validator("database_url")
    @classmethod
    def _check_db_url(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "postgres://", "postgresql://", "asyncpg://")):
            raise ValueError("sqlite://PATH or postgres://USER@HOST:PORT/DB")
        return value

    def exchange(self, name: str) -> ExchangeOptions:
        return getattr(self, name) if name in EXCHANGES else ExchangeOptions()

    def vault_keys(self) -> tuple[bytes, list[bytes]]:
        """The active vault key and the previous ones (for rotation), decoded."""
        if self.vault_key is None:
            raise ConfigError("VAULT_KEY is not set: expected base64 of 32 random bytes (run `copytrade keygen`)")
        return (
            _decode_vault_key(self.vault_key.get_secret_value()),
            [_decode_vault_key(k.get_secret_value()) for k in self.vault_previous_keys],
        )


_REQUIRED_HINTS = {
    "bot_token": "the bot token from @BotFather",
    "vault_key": "base64 of 32 random bytes (run `copytrade keygen`)",
}


def _env_name(loc: tuple[object, ...]) -> str:
    return "__".join(str(part) for part in loc if not isinstance(part, int)).upper()


def load_settings(*required: str, **overrides: object) -> Settings:
    """Read settings; raise one-line `ConfigError`s for anything missing or malformed."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        raise ConfigError(f"{_env_name(err['loc'])} is invalid: expected {message}") from None
    for name in required:
        if getattr(settings, name) is None:
            raise ConfigError(f"{name.upper()} is not set: expected {_REQUIRED_HINTS.get(name, 'a value')}")
    return settings
