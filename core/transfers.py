"""Deposits and withdrawals: read from the exchanges, stored once, kept out of yields, folded into k.

The spec's daily yield subtracts the day's deposits and adds back its withdrawals, and k follows the
money that moves in and out. `sync_transfers` (run every 15 minutes by core/jobs.py) reads the
completed transfers of the given master and follower accounts from a per-account cursor and stores
each one once: AccountTransfer is unique per (account, kind, exchange id), so a second sync, an
overlapping window or a second process finds it there and changes nothing.

Where a transfer counts:
- a follower account's transfer changes the capital of the subscription live on it (one per
  account): start equity, allocation, high-water mark and peak move by its value, so the profit share
  is not charged on a deposit, a withdrawal is not a drawdown or a stop-loss, and the subscription's
  equity (hence k) follows the money. The subscription report's opening equity takes them back out;
- daily snapshots: a daily snapshot taken at T (the job's midnight) closes the interval from the
  owner's previous daily snapshot to T and carries the transfers inside it, so the yield leaves them
  out. A master's equity is read from the exchange, so its transfers count by when they completed
  there (`occurred_at`); a subscription's equity is computed from our records, which change when the
  sync applies the transfer, so its transfers count by `detected_at`. `settle_snapshot` recomputes a
  row's totals from the stored transfers; the snapshot job calls it after creating the row and the
  sync after storing a master's transfer, so the row gets them whichever runs first. A strategy's
  first daily snapshot is its baseline (no yield) and carries none.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.db.models import AccountTransfer, EquitySnapshot, ExchangeAccount, Strategy, Subscription, TransferCursor
from core.engine.master_state import datetime_to_ms, ms_to_datetime
from core.errors import ExchangeError
from core.events import utcnow
from core.exchange.base import Gateway, Transfer
from core.exchange.provider import Gateways
from core.logging import correlate
from core.money import ZERO
from core.services.balances import account_equity

log = logging.getLogger(__name__)
#: Each sync re-reads this much before its cursor: Binance lists a deposit at its insert time and
#: completes it later, so a deposit still pending at one sync is caught by the next.
LOOKBACK = timedelta(days=1)
#: How far back an account's first sync reads (exchanges answer at most 90 days per request).
FIRST_SYNC = timedelta(days=30)
CURSOR_STEP_MS = 3_600_000


@dataclass
class Owners:
    """Who an account's money belongs to: the strategies it is the master of, the subscriptions on it."""

    account: ExchangeAccount
    strategies: list[Strategy] = field(default_factory=list)
    subscriptions: list[Subscription] = field(default_factory=list)

    @property
    def quote(self) -> str:
        """The currency transfers are valued in (the strategy's; every strategy here quotes USDT today)."""
        return self.strategies[0].quote_currency if self.strategies else "USDT"

    @property
    def since(self) -> datetime:
        return min(_second(owner.created_at) for owner in [*self.strategies, *self.subscriptions])

    def follower_at(self, moment: datetime) -> Subscription | None:
        """The subscription whose capital a move at `moment` changed: the newest one that existed then."""
        started = [s for s in self.subscriptions if _second(s.created_at) <= moment]
        return max(started, key=lambda s: s.created_at) if started else None


def _second(moment: datetime) -> datetime:
    """To the whole second: Binance dates withdrawals in whole seconds, so a move made in the second a
    subscription began would otherwise read as older than it."""
    return moment.replace(microsecond=0)


@dataclass
class Moved:
    """What one sync stored, and whose k it may change."""

    transfers: list[AccountTransfer] = field(default_factory=list)
    strategy_ids: set[int] = field(default_factory=set)  # masters whose equity changed
    subscription_ids: set[int] = field(default_factory=set)  # subscriptions whose capital changed


def owners_of(strategies: Iterable[Strategy], subscriptions: Iterable[Subscription]) -> list[Owners]:
    """Group strategies (with `account` loaded) and subscriptions (with `account` and `strategy`) by account."""
    by_account: dict[str, Owners] = {}
    for strategy in strategies:
        by_account.setdefault(str(strategy.account.id), Owners(strategy.account)).strategies.append(strategy)
    for sub in subscriptions:
        by_account.setdefault(str(sub.account.id), Owners(sub.account)).subscriptions.append(sub)
    return list(by_account.values())


async def sync_transfers(
    gateways: Gateways, strategies: Sequence[Strategy], subscriptions: Sequence[Subscription], now: datetime | None = None,
) -> Moved:
    """Store the new completed transfers of these masters' and followers' accounts.

    An account whose exchange fails is logged and skipped (its cursor stays), so one revoked key does
    not hold up the others; the next run tries it again."""
    now = now or utcnow()
    moved = Moved()
    for owners in owners_of(strategies, subscriptions):
        with correlate(account=str(owners.account.id)):
            try:
                await _sync_account(gateways, owners, now, moved)
            except ExchangeError as exc:
                log.warning("transfers of account %s not read: %s", owners.account.id, exc.code)
    return moved


async def _sync_account(gateways: Gateways, owners: Owners, now: datetime, moved: Moved) -> None:
    account = owners.account
    cursor = await TransferCursor.get_or_none(account_id=account.id)
    since = cursor.since_ms if cursor else datetime_to_ms(max(owners.since, now - FIRST_SYNC))
    async with gateways.lease(account) as gateway:
        found = sorted(await gateway.fetch_transfers(since), key=lambda t: t.timestamp)
        known = set(await AccountTransfer.filter(
            account_id=account.id, exchange_transfer_id__in=[t.id for t in found]
        ).values_list("kind", "exchange_transfer_id")) if found else set()
        stored = 0
        for transfer in found:
            if (transfer.kind, transfer.id) in known:
                continue
            row = await _store(owners, transfer, await _value(gateway, transfer, owners.quote))
            if row is not None:
                stored += 1
                moved.transfers.append(row)
                moved.strategy_ids.update(s.id for s in owners.strategies)
                if row.subscription_id is not None:  # type: ignore[attr-defined]
                    moved.subscription_ids.add(row.subscription_id)  # type: ignore[attr-defined]
    if stored:
        await account_equity(gateways, account, owners.quote)  # stored equity: the planner's caps read it
    next_since = max(since, datetime_to_ms(now - LOOKBACK))
    if cursor is None:
        await TransferCursor.create(account_id=account.id, since_ms=next_since)
    elif next_since - cursor.since_ms >= CURSOR_STEP_MS:  # a lower bound: moving it hourly is enough
        cursor.since_ms = next_since
        await cursor.save(update_fields=["since_ms"])


async def _value(gateway: Gateway, transfer: Transfer, quote: str) -> Decimal:
    """The transfer in `quote` at the current price; zero (logged) for an asset the venue cannot price."""
    if transfer.currency == quote:
        return transfer.amount
    symbol = f"{transfer.currency}/{quote}"
    if symbol not in await gateway.load_markets():
        log.warning("%s %s %s cannot be valued in %s: left out of yields and k", transfer.kind, transfer.amount,
                    transfer.currency, quote)
        return ZERO
    return transfer.amount * await gateway.fetch_price(symbol)


async def _store(owners: Owners, transfer: Transfer, value: Decimal) -> AccountTransfer | None:
    """Insert the transfer and apply it, in one transaction; None when another sync stored it first."""
    occurred = ms_to_datetime(transfer.timestamp)
    sub = owners.follower_at(occurred)
    try:
        async with in_transaction():
            row = await AccountTransfer.create(
                account_id=owners.account.id, subscription=sub, exchange_transfer_id=transfer.id, kind=transfer.kind,
                currency=transfer.currency, amount=transfer.amount, value=value, occurred_at=occurred,
            )
            if sub is not None:  # its snapshots so far were computed without it: the next one takes it
                await _move_capital(sub, value if transfer.kind == "deposit" else -value)
            for strategy in owners.strategies:
                await _settle_next(strategy, occurred)
    except IntegrityError:
        return None
    log.info("%s of %s %s found on account %s", transfer.kind, transfer.amount, transfer.currency, owners.account.id)
    return row


async def _move_capital(sub: Subscription, change: Decimal) -> None:
    """Shift what the subscription's limits and fees measure from by the money moved (never below zero)."""
    fresh = await Subscription.get(id=sub.id)
    for name in ("start_equity", "allocation", "high_water_mark", "peak_equity"):
        setattr(fresh, name, max(Decimal(getattr(fresh, name)) + change, ZERO))
        setattr(sub, name, getattr(fresh, name))
    await fresh.save(update_fields=["start_equity", "allocation", "high_water_mark", "peak_equity"])


async def _settle_next(strategy: Strategy, occurred: datetime) -> None:
    """Recompute the strategy's first daily snapshot at or after `occurred`, if the job has taken it already."""
    snapshot = await EquitySnapshot.filter(strategy_id=strategy.id, subscription_id=None, period="daily",
                                           taken_at__gte=occurred).order_by("taken_at").first()
    if snapshot is not None:
        await settle_snapshot(snapshot)


async def settle_snapshot(snapshot: EquitySnapshot) -> None:
    """Set a daily snapshot's deposits and withdrawals to the stored transfers of its interval."""
    deposits, withdrawals = await interval_totals(snapshot)
    if (deposits, withdrawals) != (Decimal(snapshot.deposits), Decimal(snapshot.withdrawals)):
        snapshot.deposits, snapshot.withdrawals = deposits, withdrawals
        await snapshot.save(update_fields=["deposits", "withdrawals"])


async def interval_totals(snapshot: EquitySnapshot) -> tuple[Decimal, Decimal]:
    """Deposits and withdrawals (quote value) after the owner's previous daily snapshot, up to this one."""
    owner = {"subscription_id": snapshot.subscription_id} if snapshot.subscription_id else {  # type: ignore[attr-defined]
        "strategy_id": snapshot.strategy_id, "subscription_id": None}  # type: ignore[attr-defined]
    previous = await EquitySnapshot.filter(**owner, period="daily", taken_at__lt=snapshot.taken_at).order_by("-taken_at").first()
    if snapshot.subscription_id:  # type: ignore[attr-defined]
        moves, at = AccountTransfer.filter(subscription_id=snapshot.subscription_id), "detected_at"  # type: ignore[attr-defined]
    elif previous is None:
        return ZERO, ZERO  # a strategy's first snapshot is its baseline
    else:
        strategy = await Strategy.get(id=snapshot.strategy_id)  # type: ignore[attr-defined]
        moves, at = AccountTransfer.filter(account_id=strategy.account_id), "occurred_at"  # type: ignore[attr-defined]
    moves = moves.filter(**{f"{at}__lte": snapshot.taken_at})
    if previous is not None:
        moves = moves.filter(**{f"{at}__gt": previous.taken_at})
    totals = {"deposit": ZERO, "withdrawal": ZERO}
    for kind, value in await moves.values_list("kind", "value"):
        totals[kind] += Decimal(value)
    return totals["deposit"], totals["withdrawal"]

