"""Drift reconciliation: does each follower still hold what the master holds, scaled by k?

A follower can drift off the master's course: a copy skipped or failed, a limit fill not booked yet,
a manual trade on the follower's account, a changed k. This periodic job compares, for every active
proportional subscription and every symbol the master or the follower holds:

- expected = the master's position × k. The master's position is read from the event log (the latest
  fill's `position_before` ± its amount), not from the master's exchange: it is the position the engine
  replicated against, a spot master's balance cannot be told apart from coins the trader held anyway,
  and events the watcher missed are the watcher's own reconciliation (REST polling with a cursor).
  A strategy with an unfinished fan-out is left for the next run: its master would look ahead.
- actual = what the follower's exchange says, attributable to the subscription (`AccountSnapshot.held`).
  With auto-correct, a booked holding the exchange no longer backs is first booked down to it, so
  later exits (sized from the holding) and the correction start from the truth.

Beyond the threshold the admins are alerted (DriftDetected, admin=True): once when the drift appears,
again only when it has grown by another threshold or a correction was placed, not on every run while
it lasts (`DriftAlerts`, kept by the process across runs). With auto-correct one market
order moves the follower toward the expected position, through the same outbox discipline as a copy:
a synthetic MasterEvent (kind "drift", id "drift:<subscription>:<symbol>:<UTC minute>") and its
CopyOrder row with a deterministic client id are written before the send, so a rerun within the same
minute finds the row and places nothing. Growing a position respects the allocation caps (size_entry),
reducing it only the market's grid and minimums; a symbol with a resting mirrored order is not
corrected (the order may still fill). Fixed-amount subscriptions are not compared: k does not size them.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from core.config import Limits
from core.db.models import (
    CopyOrder,
    CopyOrderStatus,
    MasterEvent,
    SizingMode,
    Subscription,
    SubscriptionStatus,
)
from core.engine.dispatch import fail, record_order
from core.engine.followers import Follower, copying_blocked
from core.engine.ids import client_order_id
from core.engine.order_sync import Progress, commit_progress
from core.engine.positions import persist_holdings
from core.engine.sizing import Exposure, SizingDecision, SkipReason, size_entry
from core.errors import BelowMinimum, CopytradeError, ExchangeError
from core.events import CopyFailed, DriftDetected, utcnow
from core.exchange.base import Balance, Gateway, MarketRules, fit_amount
from core.logging import correlate
from core.money import ZERO

if TYPE_CHECKING:
    from core.engine.replicator import ReplicationEngine

log = logging.getLogger(__name__)

HUNDRED = Decimal(100)
PCT_PLACES = Decimal("0.01")
UNFINISHED = (CopyOrderStatus.PENDING, CopyOrderStatus.OPEN, CopyOrderStatus.PARTIALLY_FILLED)
FAILED = (CopyOrderStatus.FAILED, CopyOrderStatus.EXPIRED, CopyOrderStatus.CANCELLED)  # with nothing filled: told


@dataclass(frozen=True, slots=True)
class DriftReport:
    subscription_id: int
    symbol: str
    expected: Decimal  # the master's position × k (signed)
    actual: Decimal  # what the follower's exchange shows for the subscription (signed)
    drift_pct: Decimal
    alerted: bool = False
    correction: CopyOrder | None = None  # the correcting order's row (this run's, or this minute's earlier one)
    skipped: str | None = None  # why no correction was placed: below_minimum, allocation_cap, open_orders, correction_exists …


@dataclass(frozen=True, slots=True)
class AccountSnapshot:
    """A follower account's balances (spot) and signed positions (swap), read once per run."""

    balances: dict[str, Balance]
    positions: dict[str, Decimal]

    @classmethod
    async def take(cls, gateway: Gateway) -> AccountSnapshot:
        positions = {p.symbol: p.contracts if p.side == "long" else -p.contracts for p in await gateway.fetch_positions()}
        return cls(await gateway.fetch_balance(), positions)

    def held(self, rules: MarketRules, booked: Decimal) -> Decimal:
        """The signed amount of `rules.symbol` the subscription really holds.

        Swap: the exchange's position (a subscribed account trades for its subscription only). Spot:
        the base balance is the truth up to the booked amount; a surplus is the follower's own coins,
        a shortfall (sold by hand, fees taken in the base asset) is what is really there."""
        if rules.contract:
            return self.positions.get(rules.symbol, ZERO)
        balance = self.balances.get(rules.base)
        return max(ZERO, min(booked, balance.total if balance else ZERO))


class DriftAlerts:
    """The drift the admins were last told about, per (subscription, symbol). In memory: after a
    restart a lasting drift is reported once more."""

    def __init__(self) -> None:
        self._told: dict[tuple[int, str], Decimal] = {}

    def tell(self, key: tuple[int, str], pct: Decimal, threshold_pct: Decimal) -> bool:
        """True when a drift of `pct` is news: new, or grown by another threshold since the last alert."""
        told = self._told.get(key)
        if told is not None and pct < told + threshold_pct:
            return False
        self._told[key] = pct
        return True

    def resolved(self, key: tuple[int, str]) -> None:
        self._told.pop(key, None)


def drift_pct(expected: Decimal, actual: Decimal) -> Decimal:
    """|actual − expected| as % of the expected position (of the actual one when the master is flat)."""
    base = abs(expected) or abs(actual)
    return (abs(actual - expected) / base * HUNDRED).quantize(PCT_PLACES) if base else ZERO


async def reconcile_drift(
    engine: ReplicationEngine, *, threshold_pct: Decimal, auto_correct: bool, now: datetime | None = None,
    alerts: DriftAlerts | None = None,
) -> list[DriftReport]:
    """Compare every active proportional subscription with its master; `now` names the minute of
    corrections. Without `alerts` (the memory of earlier runs) every drift beyond the threshold is told."""
    now = now or utcnow()
    alerts = alerts or DriftAlerts()
    strategy_ids = await Subscription.filter(
        status=SubscriptionStatus.ACTIVE, sizing_mode=SizingMode.PROPORTIONAL
    ).values_list("strategy_id", flat=True)
    reports: list[DriftReport] = []
    for strategy_id in sorted(set(strategy_ids)):
        async with engine.lock(strategy_id):
            with correlate(strategy=strategy_id):
                reports += await _reconcile_strategy(engine, strategy_id, threshold_pct, auto_correct, now, alerts)
    return reports


async def master_positions(strategy_id: int) -> dict[str, Decimal]:
    """The strategy's signed position per symbol after its latest fill."""
    positions: dict[str, Decimal] = {}
    symbols = await MasterEvent.filter(strategy_id=strategy_id, kind="fill").values_list("symbol", flat=True)
    for symbol in sorted(set(symbols)):
        last = await MasterEvent.filter(strategy_id=strategy_id, kind="fill", symbol=symbol).order_by("-id").first()
        if last is not None:
            signed = Decimal(last.amount) if last.side == "buy" else -Decimal(last.amount)
            positions[symbol] = Decimal(last.position_before) + signed
    return positions


async def _reconcile_strategy(
    engine: ReplicationEngine, strategy_id: int, threshold_pct: Decimal, auto_correct: bool, now: datetime,
    alerts: DriftAlerts,
) -> list[DriftReport]:
    if await MasterEvent.filter(strategy_id=strategy_id, fanned_out_at=None).exists():
        log.info("drift check of strategy %s postponed: a fan-out is unfinished", strategy_id)
        return []
    master = await master_positions(strategy_id)
    reports: list[DriftReport] = []
    for follower in await engine.book.followers(strategy_id):
        sub = follower.subscription
        if sub.status != SubscriptionStatus.ACTIVE or sub.sizing_mode != SizingMode.PROPORTIONAL:
            continue
        with correlate(subscription=follower.id):
            try:
                reports += await _reconcile_follower(engine, follower, master, threshold_pct, auto_correct, now, alerts)
            except ExchangeError as exc:
                log.warning("drift check of subscription %s skipped: %s", follower.id, exc.code)
    return reports


async def _reconcile_follower(
    engine: ReplicationEngine,
    follower: Follower,
    master: dict[str, Decimal],
    threshold_pct: Decimal,
    auto_correct: bool,
    now: datetime,
    alerts: DriftAlerts,
) -> list[DriftReport]:
    sub = follower.subscription
    symbols = sorted({s for s, p in master.items() if p} | {s for s, h in follower.holdings.items() if h.amount})
    if not symbols:
        return []
    reports: list[DriftReport] = []
    async with engine.gateways.lease(sub.account) as gateway:
        await gateway.load_markets()
        await _settle_stale(engine, gateway, follower)
        snapshot = await AccountSnapshot.take(gateway)
        for symbol in symbols:
            rules = gateway.market(symbol)
            holding = follower.holdings.get(symbol)
            expected = master.get(symbol, ZERO) * Decimal(sub.multiplier)
            if not rules.contract:
                expected = max(expected, ZERO)  # a spot account cannot be short
            actual = snapshot.held(rules, holding.amount if holding else ZERO)
            if auto_correct and holding is not None:
                await _true_up(follower, symbol, actual)
            pct = drift_pct(expected, actual)
            if pct <= threshold_pct:
                alerts.resolved((follower.id, symbol))
                reports.append(DriftReport(follower.id, symbol, expected, actual, pct))
                continue
            row, skipped = None, None
            if auto_correct:
                row, skipped = await _correct(engine, gateway, follower, rules, expected, actual, master.get(symbol, ZERO), now)
            corrected = row is not None and skipped is None and Decimal(row.filled) > 0
            if alerts.tell((follower.id, symbol), pct, threshold_pct) or corrected:
                engine.bus.publish(DriftDetected(
                    admin=True, subscription_id=follower.id, user_id=sub.follower_id,  # type: ignore[attr-defined]
                    strategy_id=sub.strategy_id, symbol=symbol, expected=expected, actual=actual, drift_pct=pct,  # type: ignore[attr-defined]
                    corrected=corrected,
                ))
            log.warning("drift on %s: expected %s, actual %s (%s%%)", symbol, expected, actual, pct)
            reports.append(DriftReport(follower.id, symbol, expected, actual, pct, True, row, skipped))
    return reports


async def _true_up(follower: Follower, symbol: str, actual: Decimal) -> None:
    """Book down what the exchange no longer holds, so that exits and the correction size from the truth."""
    holding = follower.holding(symbol)
    booked = holding.amount
    if abs(actual) < abs(booked) and (actual == 0 or (actual > 0) == (booked > 0)):
        log.info("booking %s %s down to %s: the exchange holds no more", symbol, booked, actual)
        holding.amount = actual
        if actual == 0:
            holding.entry_price = ZERO
        await persist_holdings([follower], symbol)


async def _settle_stale(engine: ReplicationEngine, gateway: Gateway, follower: Follower) -> None:
    """Resolve correction rows a crash left unacknowledged: book what reached the exchange, expire the rest.

    A stale correction is never sent late: the drift is measured again and corrected anew."""
    rows = await CopyOrder.filter(subscription_id=follower.id, status=CopyOrderStatus.PENDING, master_event__kind="drift")
    for row in rows:
        before = Progress.of(row)
        found = await gateway.fetch_order_by_client_id(row.symbol, row.client_order_id)
        if found is not None:
            record_order(row, found)
        else:
            fail(row, CopyOrderStatus.EXPIRED, "drift_stale", "not on the exchange; drift is measured again")
        await commit_progress(engine, follower, row, before)


def size_correction(
    follower: Follower, rules: MarketRules, price: Decimal, expected: Decimal, actual: Decimal, limits: Limits
) -> tuple[SizingDecision, bool]:
    """The correcting quantity and whether it only reduces the position.

    A position on the wrong side is closed first (the next run opens the rest): one order never
    both closes and opens, so a reduce-only close stays reduce-only."""
    wrong_side = actual != 0 and (expected == 0 or (expected > 0) != (actual > 0))
    target = ZERO if wrong_side else expected
    quantity = abs(target - actual)
    if abs(target) < abs(actual):
        try:  # reduce-only orders are exempt from the notional minimum on contract markets
            return SizingDecision(quantity=fit_amount(rules, quantity, None if rules.contract else price)), True
        except BelowMinimum as below:
            return SizingDecision(reason=SkipReason.BELOW_MINIMUM, detail=str(below)), True
    sub = follower.subscription
    exposure = follower.exposure()
    decision = size_entry(
        quantity,
        price=price,
        rules=rules,
        exposure=Exposure(account_assets=Decimal(sub.account.equity) or Decimal(sub.start_equity),
                          subscription=exposure, account=exposure),
        allocation_pct=Decimal(sub.max_allocation_pct),
        limits=limits,
        leverage=Decimal(sub.leverage or 1),
    )
    return decision, False


async def _correct(
    engine: ReplicationEngine,
    gateway: Gateway,
    follower: Follower,
    rules: MarketRules,
    expected: Decimal,
    actual: Decimal,
    master_position: Decimal,
    now: datetime,
) -> tuple[CopyOrder | None, str | None]:
    """Place (at most once per minute) the market order that brings the follower back to `expected`."""
    sub = follower.subscription
    blocked = copying_blocked(follower)
    if blocked:
        return None, blocked
    if await CopyOrder.filter(subscription_id=follower.id, symbol=rules.symbol, status__in=UNFINISHED).exists():
        return None, "open_orders"
    price = await gateway.fetch_price(rules.symbol)
    decision, reduces = size_correction(follower, rules, price, expected, actual, engine.limits)
    if decision.reason:
        return None, decision.reason.value
    side = "buy" if expected > actual else "sell"
    event, _ = await MasterEvent.get_or_create(
        strategy_id=sub.strategy_id,  # type: ignore[attr-defined]
        exchange_event_id=f"drift:{sub.id}:{rules.symbol}:{now:%Y%m%dT%H%M}",
        defaults=dict(
            kind="drift", symbol=rules.symbol, side=side, order_type="market", amount=decision.quantity, price=price,
            position_before=master_position, payload={"expected": str(expected), "actual": str(actual)},
            occurred_at=now, detected_at=now, fanned_out_at=now,  # not a master fill: recovery leaves it alone
        ),
    )
    existing = await CopyOrder.get_or_none(master_event_id=event.id, subscription_id=follower.id, leg=0)
    if existing is not None:
        return existing, "correction_exists"
    row = await CopyOrder.create(
        master_event_id=event.id, subscription_id=follower.id, leg=0,
        client_order_id=client_order_id(event.strategy_id, event.exchange_event_id, follower.id, 0),  # type: ignore[attr-defined]
        symbol=rules.symbol, side=side, order_type="market", amount=decision.quantity,
        reduce_only=reduces and rules.contract, status=CopyOrderStatus.PENDING,
    )
    try:
        await engine.sender.create(gateway, row)
    except CopytradeError as exc:
        fail(row, CopyOrderStatus.FAILED, exc)
    await commit_progress(engine, follower, row, Progress(ZERO, None, ZERO))
    if row.status in FAILED and not row.filled:  # one the exchange ended after a part filled was told as a trade
        engine.bus.publish(CopyFailed(
            subscription_id=follower.id, user_id=sub.follower_id, strategy_id=event.strategy_id,  # type: ignore[attr-defined]
            master_event_id=event.id, copy_order_id=row.id, symbol=row.symbol, side=side,
            reason=row.reason or "", detail=row.reason_detail or "",
        ))
    return row, None
