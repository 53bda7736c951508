"""Unsubscribe: stop copying a trader, closing the subscription's positions at market or keeping them.

The procedure (spec, "Unsubscribe procedure"): the subscription turns CANCELLING at once, so no later
master event copies into it; the follower's resting mirrored limit orders are cancelled (a resting sell
locks the coins a close has to sell; a fill found on the way is booked); with `close_positions` every
open position is closed by a market order (reduce-only on contract markets); then CANCELLED and
SubscriptionStopped. Each close goes through the outbox: a synthetic MasterEvent (kind "close", id
"close:<subscription>:<symbol>:<attempt>") and its CopyOrder row with a deterministic client id are
written before the send.

Nothing is skipped silently: a close that cannot be done (exchange down, under the market's minimum,
refused) leaves the subscription CANCELLING with the reason in `status_reason`, tells the follower
(CopyFailed, once per new reason) and `resume_cancelling` finishes it later. A row that never reached
the exchange is retried under its own client id (looked up first); a new attempt id is taken only after
an order that did reach it. Unsubscribing again with keep_positions finishes a stuck subscription.

Kept positions stay as they are: their Position rows remain open and linked to the subscription (for
its history and P&L), nothing copies into them any more, and they are the follower's own from now on
(they keep the account from a new subscription until closed). The part of a spot position that the
account's balance does not back (a fee taken in the base asset, coins sold by hand), or that is under
one amount step, cannot be sold: it is written off the holding.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from core.db.models import CopyOrder, CopyOrderStatus, MasterEvent, Subscription, SubscriptionStatus
from core.engine.dispatch import fail, record_order
from core.engine.drift import AccountSnapshot
from core.engine.followers import Follower
from core.engine.ids import client_order_id
from core.engine.order_sync import RESTING, Progress, commit_progress, follower_for
from core.engine.positions import persist_holdings
from core.errors import CopytradeError, ExchangeError
from core.events import CopyFailed, OrderCancelled, SubscriptionStopped, utcnow
from core.exchange.base import Gateway, fit_amount
from core.logging import correlate
from core.money import ZERO, floor_to_step

if TYPE_CHECKING:
    from core.engine.replicator import ReplicationEngine

log = logging.getLogger(__name__)

CLOSE, KEEP = "close_positions", "keep_positions"  # the mode, kept in status_reason while cancelling
STOPPED_REASON = "unsubscribed"
UNFINISHED = (CopyOrderStatus.PENDING, *RESTING)
FAILED = (CopyOrderStatus.FAILED, CopyOrderStatus.EXPIRED, CopyOrderStatus.CANCELLED, CopyOrderStatus.SKIPPED)
MAX_CLOSE_ROUNDS = 3  # a market close that fills in part is followed up at once, a few times at most


@dataclass
class UnsubscribeResult:
    subscription_id: int
    status: SubscriptionStatus
    positions_closed: bool
    closes: list[CopyOrder] = field(default_factory=list)  # close rows sent in this run
    cancelled: list[CopyOrder] = field(default_factory=list)  # mirrored limit orders taken off the book
    failures: dict[str, str] = field(default_factory=dict)  # symbol (or a limit order's client id) → reason code

    @property
    def finished(self) -> bool:
        return self.status in (SubscriptionStatus.CANCELLED, SubscriptionStatus.STOPPED)


async def unsubscribe(
    engine: ReplicationEngine, subscription: Subscription, *, close_positions: bool, reason: str = STOPPED_REASON
) -> UnsubscribeResult:
    """Start (or, on a CANCELLING subscription, redo with this mode) the unsubscribe procedure.

    `reason` is why it ends: the follower's own request ("unsubscribed", ending CANCELLED) or a risk
    limit such as "stop_loss" (ending STOPPED); it is kept in `status_reason` after the mode."""
    async with engine.lock(subscription.strategy_id):  # type: ignore[attr-defined]
        sub = await Subscription.get(id=subscription.id).select_related("account", "strategy")
        if sub.status in (SubscriptionStatus.CANCELLED, SubscriptionStatus.STOPPED):
            return UnsubscribeResult(sub.id, sub.status, positions_closed=False)
        sub.status = SubscriptionStatus.CANCELLING
        sub.status_reason = f"{CLOSE if close_positions else KEEP}/{reason}"
        await sub.save(update_fields=["status", "status_reason", "updated_at"])
        engine.invalidate(sub.strategy_id)  # type: ignore[attr-defined]
        return await _finish(engine, sub, close_positions)


async def resume_cancelling(engine: ReplicationEngine) -> list[UnsubscribeResult]:
    """Carry every CANCELLING subscription on from where it stopped (a scheduler job and a start-up step)."""
    results = []
    for pending in await Subscription.filter(status=SubscriptionStatus.CANCELLING).order_by("id"):
        async with engine.lock(pending.strategy_id):  # type: ignore[attr-defined]
            sub = await Subscription.get(id=pending.id).select_related("account", "strategy")
            if sub.status == SubscriptionStatus.CANCELLING:
                results.append(await _finish(engine, sub, close_positions=_mode(sub) == CLOSE))
    return results


def _mode(sub: Subscription) -> str:
    return KEEP if (sub.status_reason or "").startswith(KEEP) else CLOSE


def _reason(sub: Subscription) -> str:
    """Why the subscription ends, kept after the mode: "close_positions/stop_loss: <failures>"."""
    tail = (sub.status_reason or "").partition("/")[2]
    return tail.partition(":")[0] or STOPPED_REASON


async def _finish(engine: ReplicationEngine, sub: Subscription, close_positions: bool) -> UnsubscribeResult:
    mode = CLOSE if close_positions else KEEP
    result = UnsubscribeResult(sub.id, SubscriptionStatus.CANCELLING, close_positions)
    with correlate(subscription=sub.id):
        follower = await follower_for(engine, sub)
        try:
            async with engine.gateways.lease(sub.account) as gateway:
                await gateway.load_markets()
                await _cancel_mirrored(engine, gateway, follower, result)
                if close_positions and not result.failures:
                    for symbol in sorted(s for s, h in follower.holdings.items() if h.amount):
                        await _close_symbol(engine, gateway, follower, symbol, result)
        except ExchangeError as exc:
            result.failures.setdefault("*", exc.code)
        if result.failures:
            summary = ", ".join(f"{key} {code}" for key, code in sorted(result.failures.items()))
            sub.status_reason = f"{mode}/{_reason(sub)}: {summary}"[:255]
            await sub.save(update_fields=["status_reason", "updated_at"])
            log.warning("unsubscribe of %s not finished: %s", sub.id, summary)
            return result
        reason = _reason(sub)
        sub.status = SubscriptionStatus.CANCELLED if reason == STOPPED_REASON else SubscriptionStatus.STOPPED
        sub.status_reason = mode if reason == STOPPED_REASON else reason
        await sub.save(update_fields=["status", "status_reason", "updated_at"])
        engine.invalidate(sub.strategy_id)  # type: ignore[attr-defined]
        engine.bus.publish(SubscriptionStopped(
            subscription_id=sub.id, user_id=sub.follower_id, strategy_id=sub.strategy_id,  # type: ignore[attr-defined]
            reason=reason, positions_closed=close_positions,
        ))
        result.status = sub.status
        return result


async def _cancel_mirrored(engine: ReplicationEngine, gateway: Gateway, follower: Follower, result: UnsubscribeResult) -> None:
    """Take the subscription's resting limit orders off the exchange, booking what they filled."""
    sub = follower.subscription
    rows = await CopyOrder.filter(subscription_id=follower.id, order_type="limit", status__in=UNFINISHED).order_by("id")
    for row in rows:
        before = Progress.of(row)
        try:
            if row.status == CopyOrderStatus.PENDING:  # written before a crash: did it reach the exchange?
                found = await gateway.fetch_order_by_client_id(row.symbol, row.client_order_id)
                if found is None:
                    fail(row, CopyOrderStatus.EXPIRED, STOPPED_REASON, "never reached the exchange")
                else:
                    record_order(row, found)
            if row.status in RESTING:
                await engine.sender.cancel(gateway, row)
        except ExchangeError as exc:
            result.failures[row.client_order_id] = exc.code
            continue
        await commit_progress(engine, follower, row, before)
        if row.status != CopyOrderStatus.FILLED:
            result.cancelled.append(row)
            engine.bus.publish(OrderCancelled(
                subscription_id=sub.id, user_id=sub.follower_id, strategy_id=sub.strategy_id,  # type: ignore[attr-defined]
                master_event_id=row.master_event_id, copy_order_id=row.id, symbol=row.symbol,  # type: ignore[attr-defined]
            ))


async def _close_symbol(
    engine: ReplicationEngine, gateway: Gateway, follower: Follower, symbol: str, result: UnsubscribeResult
) -> None:
    for _ in range(MAX_CLOSE_ROUNDS):
        holding = follower.holdings.get(symbol)
        if holding is None or holding.amount == 0:
            return
        latest = await CopyOrder.filter(
            subscription_id=follower.id, symbol=symbol, master_event__kind="close"
        ).order_by("-id").first()
        told = latest.reason if latest is not None and latest.status in FAILED else None
        if latest is not None and latest.status == CopyOrderStatus.PENDING:  # written, perhaps sent, before a crash
            if not await _send(engine, gateway, follower, latest, uncertain=True, told=told, result=result):
                return
            continue
        try:
            side, quantity, contract = await _close_order(gateway, symbol, holding.amount)
        except ExchangeError as exc:  # below the minimum, or the exchange did not answer: a row tells why
            side = "sell" if holding.amount > 0 else "buy"
            row, _ = await _slot(follower, symbol, side, abs(holding.amount), False, latest, error=exc)
            _tell_failure(engine, follower, row, told, result)
            return
        if quantity is None:
            log.info("writing off %s %s of subscription %s: the account does not hold it", holding.amount, symbol, follower.id)
            holding.amount, holding.entry_price = ZERO, ZERO
            await persist_holdings([follower], symbol)
            return
        row, reused = await _slot(follower, symbol, side, quantity, contract, latest)
        if not await _send(engine, gateway, follower, row, uncertain=reused, told=told, result=result):
            return
    left = follower.holdings.get(symbol)
    if left is not None and left.amount:
        result.failures[symbol] = "position_remains"


async def _close_order(gateway: Gateway, symbol: str, booked: Decimal) -> tuple[str, Decimal | None, bool]:
    """Side and amount that close what the account really holds; amount None when nothing sellable is left.

    Raises BelowMinimum (an ExchangeError) when what is left is under the market's minimum."""
    rules = gateway.market(symbol)
    held = (await AccountSnapshot.take(gateway)).held(rules, booked)
    quantity = floor_to_step(abs(held), rules.amount_step)
    side = "sell" if held > 0 else "buy"
    if quantity == 0:
        return side, None, rules.contract
    price = None if rules.contract else await gateway.fetch_price(symbol)  # reduce-only is exempt from the notional minimum
    return side, fit_amount(rules, quantity, price, exchange=gateway.exchange), rules.contract


async def _slot(
    follower: Follower, symbol: str, side: str, quantity: Decimal, contract: bool, latest: CopyOrder | None,
    *, error: CopytradeError | None = None,
) -> tuple[CopyOrder, bool]:
    """The outbox row for this close, saved before any send (PENDING, or FAILED with `error` when it
    cannot be sent); True when it reuses an unsent row.

    A row that never reached the exchange keeps its client id for the retry (nothing on the exchange
    carries it); after one that did, the next attempt gets a new event and so a new client id."""
    if latest is not None and latest.exchange_order_id is None and latest.status in FAILED:
        latest.side, latest.amount, latest.reduce_only = side, quantity, contract
        latest.status, latest.reason, latest.reason_detail = CopyOrderStatus.PENDING, None, None
        if error is not None:
            fail(latest, CopyOrderStatus.FAILED, error)
        await latest.save()
        return latest, True
    sub = follower.subscription
    prefix = f"close:{sub.id}:{symbol}:"
    attempt = await MasterEvent.filter(strategy_id=sub.strategy_id, exchange_event_id__startswith=prefix).count() + 1  # type: ignore[attr-defined]
    now = utcnow()
    event, _ = await MasterEvent.get_or_create(
        strategy_id=sub.strategy_id,  # type: ignore[attr-defined]
        exchange_event_id=f"{prefix}{attempt}",
        defaults=dict(kind="close", symbol=symbol, side=side, order_type="market", amount=quantity,
                      payload={"reason": STOPPED_REASON}, occurred_at=now, detected_at=now,
                      fanned_out_at=now),  # not a master fill: recovery leaves it alone
    )
    row = CopyOrder(
        master_event_id=event.id, subscription_id=sub.id, leg=0,
        client_order_id=client_order_id(event.strategy_id, event.exchange_event_id, sub.id, 0),  # type: ignore[attr-defined]
        symbol=symbol, side=side, order_type="market", amount=quantity, reduce_only=contract,
        status=CopyOrderStatus.PENDING,
    )
    if error is not None:
        fail(row, CopyOrderStatus.FAILED, error)
    await row.save()
    return row, False


async def _send(
    engine: ReplicationEngine, gateway: Gateway, follower: Follower, row: CopyOrder, *,
    uncertain: bool, told: str | None, result: UnsubscribeResult,
) -> bool:
    """Send a close row and book its fill; False when it failed (the failure is recorded and told)."""
    before = Progress.of(row)
    try:
        await engine.sender.create(gateway, row, uncertain=uncertain)
    except CopytradeError as exc:
        fail(row, CopyOrderStatus.FAILED, exc)
    await commit_progress(engine, follower, row, before)
    result.closes.append(row)
    if row.status in FAILED and not row.filled:  # ended after a part filled (a thin book): the next round closes the rest
        _tell_failure(engine, follower, row, told, result)
        return False
    return True


def _tell_failure(engine: ReplicationEngine, follower: Follower, row: CopyOrder, told: str | None, result: UnsubscribeResult) -> None:
    """Record a failed close; the follower hears of each reason once, not on every retry."""
    result.failures[row.symbol] = row.reason or "failed"
    if row.reason == told:
        return
    sub = follower.subscription
    engine.bus.publish(CopyFailed(
        subscription_id=sub.id, user_id=sub.follower_id, strategy_id=sub.strategy_id,  # type: ignore[attr-defined]
        master_event_id=row.master_event_id, copy_order_id=row.id, symbol=row.symbol, side=row.side,  # type: ignore[attr-defined]
        reason=row.reason or "", detail=row.reason_detail or "",
    ))
