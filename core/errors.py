"""Typed errors. Every failure the product can explain has a class and a stable `code`.

`code` is what the bot localizes and what a CopyOrder stores as its reason, so it
must stay stable. Messages never contain secrets: gateways build them from the
exchange's error code and text only.
"""
from __future__ import annotations

from decimal import Decimal


class CopytradeError(Exception):
    """Base of every error we raise on purpose."""

    code = "error"
    retryable = False

    def __init__(self, message: str = "", **details: object) -> None:
        super().__init__(message or self.code)
        self.details = details


class ConfigError(CopytradeError):
    code = "config"


# --- sizing --------------------------------------------------------------------------------
class NotEnoughMoney(CopytradeError):
    """The account's usable assets (total − 1%) are under the strategy's minimum subscription amount."""

    code = "not_enough_money"

    def __init__(self, message: str = "", *, required: Decimal, available: Decimal) -> None:
        super().__init__(message or f"available {available} is below the required {required}")
        self.required = required
        self.available = available


class InvalidSizingInput(CopytradeError):
    """A sizing figure that cannot be used (master equity ≤ 0, negative step…): nothing can be sized from it."""

    code = "invalid_sizing_input"

    def __init__(self, name: str, value: Decimal, expected: str) -> None:
        super().__init__(f"{name} must be {expected}, got {value}")
        self.name = name
        self.value = value


# --- accounts ------------------------------------------------------------------------------
class AccountNotFound(CopytradeError):
    """No such exchange account among the caller's own (a forged or stale id reads the same)."""

    code = "account_not_found"


class AccountInUse(CopytradeError):
    """The account backs a live subscription or strategy, so its key cannot be removed."""

    code = "account_in_use"


# --- subscriptions -------------------------------------------------------------------------
class SubscriptionRefused(CopytradeError):
    """A subscription request that breaks a rule. `reason` is a stable code the bot localizes:
    not_positive, below_min_deposit, above_usable, above_cap, account_busy, open_positions,
    margin_mismatch, strategy_unavailable, own_strategy, account_invalid, not_found, bad_limit."""

    code = "subscription_refused"

    def __init__(self, reason: str, **details: object) -> None:
        super().__init__(f"subscription refused: {reason}", **details)
        self.reason = reason


# --- vault -----------------------------------------------------------------------------------
class VaultError(CopytradeError):
    code = "vault"


class DecryptionFailed(VaultError):
    """Wrong key, wrong row (associated data) or tampered ciphertext; deliberately not told apart."""

    code = "vault_decrypt"


class UnknownVaultKey(VaultError):
    code = "vault_unknown_key"


# --- exchange --------------------------------------------------------------------------------
class ExchangeError(CopytradeError):
    code = "exchange"

    def __init__(self, message: str = "", *, exchange: str = "", **details: object) -> None:
        super().__init__(message, **details)
        self.exchange = exchange


class AuthenticationFailed(ExchangeError):
    code = "auth_failed"


class PermissionDenied(ExchangeError):
    code = "permission_denied"


class InsufficientFunds(ExchangeError):
    code = "insufficient_funds"


class InvalidOrder(ExchangeError):
    """The exchange (or our pre-check) rejected the order itself; resending will not help."""

    code = "invalid_order"


class BelowMinimum(InvalidOrder):
    """Amount or notional under the market's limits, caught before anything is sent."""

    code = "below_minimum"

    def __init__(self, message: str = "", *, exchange: str = "", limit: str, minimum: Decimal, value: Decimal) -> None:
        super().__init__(message or f"{limit} {value} is below the minimum {minimum}", exchange=exchange)
        self.limit = limit  # "amount" or "cost"
        self.minimum = minimum
        self.value = value


class OrderNotFound(ExchangeError):
    code = "order_not_found"


class BadSymbol(ExchangeError):
    code = "bad_symbol"


class RateLimited(ExchangeError):
    code = "rate_limited"
    retryable = True

    def __init__(self, message: str = "", *, exchange: str = "", retry_after: float | None = None) -> None:
        super().__init__(message, exchange=exchange)
        self.retry_after = retry_after


class ExchangeUnavailable(ExchangeError):
    """5xx, maintenance, connection refused: the request surely did not take effect."""

    code = "exchange_down"
    retryable = True


class RequestTimeout(ExchangeError):
    """No answer in time: the request may or may not have taken effect (look it up before resending)."""

    code = "timeout"
    retryable = True


class KeyRefused(ExchangeError):
    """A key we will not store. `reason` is one of: withdraw_enabled, auth_failed, cannot_trade."""

    code = "key_refused"

    def __init__(self, reason: str, *, exchange: str = "") -> None:
        super().__init__(f"key refused: {reason}", exchange=exchange)
        self.reason = reason
