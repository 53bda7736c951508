"""Exchange accounts of a user: add an API key, list, re-check, delete, open a demo account.

The bot's keys router calls this and renders the outcome; every decision lives here. A key is
validated through the real gateway (it authenticates, reads the balance, reports its permissions)
before anything is stored, and only `keystore.seal_credentials` ever sees the secret at rest.

Equity is the USDT balance plus every other asset valued at its X/USDT price where the venue lists
that pair; assets without such a pair count as zero (dust, delisted coins). Failures are typed
(`core.errors`): KeyRefused(reason) for a key we will not keep, the ExchangeError family for an
exchange that cannot be asked, AccountNotFound / AccountInUse for the account itself.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

from core.config import Limits, Settings
from core.db.models import (
    AccountStatus,
    ExchangeAccount,
    Strategy,
    StrategyStatus,
    Subscription,
    SubscriptionStatus,
    User,
)
from core.errors import AccountInUse, AccountNotFound, ExchangeError, KeyRefused, PermissionDenied
from core.exchange.base import Credentials, Gateway
from core.exchange.ccxt_gateway import SUPPORTED, CcxtGateway
from core.exchange.ccxt_shared import CcxtShared
from core.exchange.keys import Role, validate_key
from core.exchange.paper import EXCHANGE as PAPER
from core.exchange.paper import PaperExchange, PaperGateway
from core.keystore import load_credentials, seal_credentials
from core.risk.equity import account_equity
from core.vault import Vault

log = logging.getLogger(__name__)

GatewayFactory = Callable[[str, Credentials], Gateway]
QUOTE = "USDT"
EXCHANGE_NAMES = {"binance": "Binance", "okx": "OKX", "bybit": "Bybit", "bitget": "Bitget", PAPER: "Demo"}
PASSPHRASE_EXCHANGES = frozenset({"okx", "bitget"})
LIVE_SUBSCRIPTION = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAUSED, SubscriptionStatus.CANCELLING)
LIVE_STRATEGY = (StrategyStatus.PENDING, StrategyStatus.APPROVED, StrategyStatus.PAUSED, StrategyStatus.SUSPENDED)
# A key that fails these ways is broken until the user fixes it; anything else may pass on its own.
INVALIDATING = (KeyRefused, PermissionDenied)


def ccxt_gateway_factory(settings: Settings, shared: CcxtShared) -> GatewayFactory:
    """Gateways for keys being checked, with each exchange's configured testnet / base URL."""

    def build(exchange: str, credentials: Credentials) -> Gateway:
        return CcxtGateway(exchange, credentials, settings.exchange(exchange), shared)

    return build


def _now() -> datetime:
    return datetime.now(UTC)


class AccountService:
    def __init__(self, vault: Vault, gateways: GatewayFactory, paper: PaperExchange, limits: Limits) -> None:
        self._vault = vault
        self._gateways = gateways
        self._paper = paper
        self._limits = limits

    # --- keys -----------------------------------------------------------------------------------
    async def add_key(self, owner: User, exchange: str, credentials: Credentials, role: Role = "follower") -> ExchangeAccount:
        """Validate the key on its exchange, then store it sealed. Nothing is stored on any failure."""
        if exchange not in SUPPORTED:
            raise ExchangeError(f"unsupported exchange {exchange}", exchange=exchange)
        gateway = self._gateways(exchange, credentials)
        try:
            permissions = await validate_key(gateway, role)
            equity = await account_equity(gateway)
        finally:
            await gateway.close()
        taken = await ExchangeAccount.filter(owner=owner, exchange=exchange).count()
        checked = _now()
        account = ExchangeAccount(
            owner=owner,
            exchange=exchange,
            label=f"{EXCHANGE_NAMES[exchange]} {taken + 1}",
            can_trade=permissions.trade,
            can_withdraw=False,
            last_checked_at=checked,
            equity=equity,
            equity_at=checked,
        )
        seal_credentials(self._vault, account, credentials)
        await account.save()
        log.info("exchange account %s added on %s (key %s)", account.id, exchange, account.key_hint)
        return account

    async def recheck(self, owner: User, account_id: UUID | str) -> ExchangeAccount:
        """Ask the exchange again. A refused key becomes INVALID with `last_error` and the error is
        raised; a withdrawal-enabled key is also wiped (invariant 4). A transient failure (exchange
        down, timeout) is recorded in `last_error` and raised without changing the status."""
        account = await self.get(owner, account_id)
        if account.is_demo:
            return await self._refresh_demo(account)
        if account.credentials is None:
            raise KeyRefused("auth_failed", exchange=account.exchange)
        gateway = self._gateways(account.exchange, load_credentials(self._vault, account))
        try:
            permissions = await validate_key(gateway, "follower")
            equity = await account_equity(gateway)
        except ExchangeError as exc:
            await self._record_failure(account, exc)
            raise
        finally:
            await gateway.close()
        account.status = AccountStatus.ACTIVE
        account.last_error = None
        account.can_trade = permissions.trade
        account.last_checked_at = account.equity_at = _now()
        account.equity = equity
        await account.save()
        return account

    async def _record_failure(self, account: ExchangeAccount, exc: ExchangeError) -> None:
        account.last_error = exc.reason if isinstance(exc, KeyRefused) else exc.code
        account.last_checked_at = _now()
        if isinstance(exc, INVALIDATING):
            account.status = AccountStatus.INVALID
        if isinstance(exc, KeyRefused) and exc.reason == "withdraw_enabled":
            account.can_withdraw = True
            account.credentials = None
        await account.save()
        log.warning("exchange account %s failed its check: %s", account.id, account.last_error)

    async def delete(self, owner: User, account_id: UUID | str) -> None:
        """Forget the key. Refused while a live subscription or strategy uses the account.

        The row stays (DISABLED, key wiped) because past subscriptions and orders refer to it."""
        account = await self.get(owner, account_id)
        if await Subscription.filter(account=account, status__in=LIVE_SUBSCRIPTION).exists() or \
                await Strategy.filter(account=account, status__in=LIVE_STRATEGY).exists():
            raise AccountInUse(f"exchange account {account.id} is in use")
        account.status = AccountStatus.DISABLED
        account.credentials = None
        await account.save(update_fields=["status", "credentials"])
        log.info("exchange account %s deleted", account.id)

    # --- reading --------------------------------------------------------------------------------
    async def get(self, owner: User, account_id: UUID | str) -> ExchangeAccount:
        """One of the owner's own accounts; AccountNotFound for anyone else's or a deleted one."""
        try:
            key = account_id if isinstance(account_id, UUID) else UUID(str(account_id))
        except ValueError:
            raise AccountNotFound("no such exchange account") from None
        account = await ExchangeAccount.filter(id=key, owner=owner).exclude(status=AccountStatus.DISABLED).first()
        if account is None:
            raise AccountNotFound("no such exchange account")
        return account

    async def list_accounts(self, owner: User) -> list[ExchangeAccount]:
        """The owner's accounts, oldest first; demo balances are read live from the paper venue."""
        accounts = await ExchangeAccount.filter(owner=owner).exclude(status=AccountStatus.DISABLED).order_by("created_at")
        for account in accounts:
            if account.is_demo:
                await self._refresh_demo(account)
        return accounts

    # --- demo -----------------------------------------------------------------------------------
    async def open_demo(self, owner: User) -> tuple[ExchangeAccount, bool]:
        """The owner's demo account on the paper venue, and whether it was created now (one per user)."""
        existing = await ExchangeAccount.filter(owner=owner, is_demo=True).exclude(status=AccountStatus.DISABLED).first()
        if existing is not None:
            return existing, False
        balance = self._limits.demo_balance_usdt
        opened = _now()
        account = ExchangeAccount(owner=owner, exchange=PAPER, label=EXCHANGE_NAMES[PAPER], is_demo=True,
                                  can_trade=True, last_checked_at=opened, equity=balance, equity_at=opened)
        await account.save()
        self._paper.open_account(str(account.id), {QUOTE: balance})
        return account, True

    def demo_gateway(self, account: ExchangeAccount) -> PaperGateway:
        """The paper gateway of a demo account; reopened from its last known equity after a restart
        (the venue keeps accounts in memory only)."""
        try:
            return self._paper.gateway(str(account.id))
        except ValueError:
            return self._paper.open_account(str(account.id), {QUOTE: Decimal(account.equity)})

    async def _refresh_demo(self, account: ExchangeAccount) -> ExchangeAccount:
        account.equity = await account_equity(self.demo_gateway(account))
        account.equity_at = account.last_checked_at = _now()
        await account.save(update_fields=["equity", "equity_at", "last_checked_at"])
        return account
