"""Turn one master event into the follower actions it calls for, one follower at a time.

Pure decisions, no I/O: the replicator passes in what it looked up (market rules, the current
price, the follower's mirrored limit order for this master order). Each returned `Planned` becomes
exactly one CopyOrder row; a skip is a row too, with its reason (no silent skips).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from core.config import Limits
from core.db.models import CopyOrder, MasterEvent, SizingMode
from core.engine.followers import Follower, copying_blocked
from core.engine.sizing import (
    Exposure,
    SizingDecision,
    fixed_quantity,
    proportional_quantity,
    size_entry,
    size_exit,
    split_master_trade,
)
from core.exchange.base import MarketRules
from core.money import ZERO

HUNDRED = Decimal(100)
Action = Literal["create", "replace", "cancel"]


@dataclass(slots=True)
class Planned:
    """One follower action (not frozen: one is built per follower and event, see exchange/base.Order)."""

    leg: int
    action: Action
    side: str
    order_type: str  # market, limit, cancel
    amount: Decimal = ZERO
    price: Decimal | None = None
    reduce_only: bool = False
    reason: str | None = None
    detail: str = ""
    target: CopyOrder | None = None  # the follower's mirrored order that is replaced or cancelled


@dataclass(frozen=True, slots=True)
class Market:
    """What the replicator looked up once per event for the followers' exchange."""

    rules: MarketRules
    price: Decimal  # current price where the followers trade


class EventPlan:
    """One master event planned for each follower in turn.

    What depends only on the event and the market (its legs, the order type and price, how far the
    price has moved since the master's fill) is worked out once here, not once per follower: at
    1,000 followers that repeated work was a third of the planning.
    """

    __slots__ = ("event", "market", "limits", "_order_type", "_price", "_legs", "_leverage", "_moved")

    def __init__(self, event: MasterEvent, market: Market, limits: Limits) -> None:
        self.event = event
        self.market = market
        self.limits = limits
        self._order_type = "market" if event.kind == "fill" else "limit"
        self._price = market.price if self._order_type == "market" else Decimal(event.price)
        self._legs = [] if event.kind == "order_cancel" else split_master_trade(
            Decimal(event.position_before), event.side, Decimal(event.amount), can_short=market.rules.contract  # type: ignore[arg-type]
        )
        self._leverage: str | None = (event.payload or {}).get("leverage")
        master_price = Decimal(event.price) if event.price is not None else ZERO
        self._moved = abs(market.price - master_price) / master_price * HUNDRED if master_price > 0 else None

    def follower(self, follower: Follower, mirrored: CopyOrder | None = None) -> list[Planned]:
        """The follower's actions for this event; an empty list means nothing to do (not a skip)."""
        event = self.event
        if event.kind == "fill" and mirrored is not None:
            return []  # the follower's own mirrored limit order fills on its exchange
        if event.kind == "order_cancel":
            return [] if mirrored is None else [Planned(0, "cancel", mirrored.side, "cancel", mirrored.amount, target=mirrored)]
        blocked = copying_blocked(follower)
        if blocked:
            return [Planned(0, "create", event.side, event.order_type, reason=blocked)]
        if event.kind == "fill":
            slipped = self._slippage(follower)
            if slipped:
                return [Planned(0, "create", event.side, "market", reason="slippage", detail=slipped)]
        market, order_type, price = self.market, self._order_type, self._price
        planned: list[Planned] = []
        for index, leg in enumerate(self._legs):
            action: Action = "replace" if (event.kind == "order_amend" and mirrored is not None and index == 0) else "create"
            target = mirrored if action == "replace" else None
            guard = _entry_guard(follower, market) if leg.action == "open" else None
            if guard:
                planned.append(Planned(index, action, leg.side, order_type, reason=guard[0], detail=guard[1], target=target))
                continue
            decision = _size_leg(leg.action, leg.master_quantity, leg.master_position_before, follower, market, price,
                                 self.limits, self._leverage)
            planned.append(
                Planned(
                    leg=index,
                    action=action,
                    side=leg.side,
                    order_type=order_type,
                    amount=decision.quantity,
                    price=None if order_type == "market" else price,
                    reduce_only=leg.action == "close" and market.rules.contract,
                    reason=decision.reason.value if decision.reason else None,
                    detail=decision.detail,
                    target=target,
                )
            )
        return planned

    def _slippage(self, follower: Follower) -> str:
        """Empty when the price is still within the subscription's tolerance of the master's fill."""
        if self._moved is None:
            return ""
        tolerance = Decimal(follower.subscription.slippage_tolerance_pct)
        if self._moved > tolerance:
            return f"price moved {self._moved:.4f}% since the master's fill at {self.event.price}, tolerance {tolerance}%"
        return ""


def _entry_guard(follower: Follower, market: Market) -> tuple[str, str] | None:
    """The subscription's own limits on new exposure: (reason, detail) when an entry must not be placed."""
    sub = follower.subscription
    equity = Decimal(follower.account.equity)
    if sub.min_equity is not None and equity < Decimal(sub.min_equity):
        return "min_equity", f"account equity {equity} is below the subscription's minimum {sub.min_equity}"
    if sub.max_open_trades is not None and follower.holding(market.rules.symbol).amount == 0:
        open_trades = sum(1 for h in follower.holdings.values() if h.amount != 0)
        if open_trades >= sub.max_open_trades:
            return "max_open_trades", f"{open_trades} positions open, the subscription allows {sub.max_open_trades}"
    return None


def effective_leverage(fixed: int | None, master: str | None) -> Decimal:
    """The subscription's own leverage when it fixes one, else the master's, else 1."""
    return Decimal(fixed or master or 1)


def _size_leg(
    action: str,
    master_quantity: Decimal,
    master_before: Decimal,
    follower: Follower,
    market: Market,
    price: Decimal,
    limits: Limits,
    event_leverage: str | None = None,
) -> SizingDecision:
    sub = follower.subscription
    rules = market.rules
    held = abs(follower.holding(rules.symbol).amount)
    if action == "close":
        return size_exit(held, master_quantity, master_before, price=price, rules=rules, round_up_to_min=sub.round_up_to_min)
    leverage = effective_leverage(sub.leverage, event_leverage) if rules.contract else Decimal(1)
    if sub.sizing_mode == SizingMode.FIXED and sub.fixed_amount:
        quantity = fixed_quantity(
            Decimal(sub.fixed_amount), price, contract_size=rules.contract_size, leverage=leverage
        )
    else:
        quantity = proportional_quantity(master_quantity, Decimal(sub.multiplier))
    exposure = follower.exposure()
    assets = Decimal(follower.account.equity) or Decimal(sub.start_equity)
    return size_entry(
        quantity,
        price=price,
        rules=rules,
        exposure=Exposure(account_assets=assets, subscription=exposure, account=exposure),
        allocation_pct=Decimal(sub.max_allocation_pct),
        limits=limits,
        leverage=leverage,
        round_up_to_min=sub.round_up_to_min,
    )
