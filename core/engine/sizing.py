"""Pure sizing of follower orders: no database, no exchange, only Decimal arithmetic.

The engine calls these for every master trade and every subscription, in this order:
`split_master_trade` (a reversal becomes a close plus an open), then for each leg a raw quantity
(`proportional_quantity` or `fixed_quantity` for opens, `exit_quantity` for closes), then
`size_entry` / `size_exit`, which apply the allocation caps and the market's step and minimums.
A normal skip is a `SizingDecision` with a stable reason code, never an exception: the code is what
the CopyOrder row stores and what the bot localizes. Exceptions are kept for inputs that make sizing
meaningless (master equity ≤ 0, a negative step) and for "not enough money" at subscribe time.

Exposure is measured as committed capital in the quote currency: notional ÷ leverage (for spot,
leverage 1, that is the notional). The allocation cap and the 99 % account rule are both on that figure.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Context, Decimal
from enum import StrEnum
from typing import Literal

from core.config import Limits
from core.errors import BelowMinimum, InvalidSizingInput, NotEnoughMoney
from core.exchange.base import MarketRules, Side, fit_amount
from core.money import ZERO, floor_to_step

ONE = Decimal(1)
HUNDRED = Decimal(100)
RATIO_PLACES = Decimal("0.000001")
DEFAULT_LIMITS = Limits()
_FLOOR = Context(rounding=ROUND_FLOOR)  # the default precision; dividing in it needs no context switch

Direction = Literal["long", "short"]


class SkipReason(StrEnum):
    """Stable codes for a follower order that is deliberately not placed (stored in CopyOrder.reason)."""

    BELOW_MINIMUM = BelowMinimum.code  # under the exchange's amount or notional minimum
    ALLOCATION_CAP = "allocation_cap"  # the per-trader cap (or the 99 % account rule) leaves no room
    NOT_ENOUGH_MONEY = NotEnoughMoney.code  # the follower account has no assets
    NO_POSITION = "no_position"  # the master exits, the follower holds nothing to close


@dataclass(slots=True)
class SizingDecision:
    """A quantity on the market's grid, ready for `prepare_order`, or a skip with its reason.
    Not frozen, like `Exposure`: both are built once per follower and event (see exchange/base.Order)."""

    quantity: Decimal = ZERO
    reason: SkipReason | None = None
    detail: str = ""  # English, for logs and the admin; the bot localizes `reason`
    reduced: bool = False  # cut down to fit the allocation cap or the exchange's largest order (`detail` says which)
    rounded_up: bool = False  # raised to the exchange minimum (the subscription allows it)

    @property
    def skipped(self) -> bool:
        return self.reason is not None


@dataclass(frozen=True, slots=True)
class AllocationResult:
    usable: Decimal  # total assets − 1 %
    amount: Decimal  # the subscription amount, on the strategy's step grid
    multiplier: Decimal  # amount ÷ recommended deposit, 6 decimal places


@dataclass(slots=True)
class Exposure:
    """What the follower account holds now, in quote currency (committed capital, see module doc)."""

    account_assets: Decimal  # total assets, or the margin balance for a margin account
    subscription: Decimal = ZERO  # committed by this subscription's open positions
    account: Decimal = ZERO  # committed by every open position on the account, this subscription's included


@dataclass(frozen=True, slots=True)
class Leg:
    """One follower action derived from a master trade."""

    action: Literal["open", "close"]
    direction: Direction  # of the position being opened or closed
    master_quantity: Decimal
    master_position_before: Decimal  # size of the master's position in `direction` before this leg

    @property
    def side(self) -> Side:
        buys = (self.action == "open") == (self.direction == "long")
        return "buy" if buys else "sell"


def round_ratio(value: Decimal) -> Decimal:
    """k and the multiplier to 6 decimal places, half up (the spec says "rounded", not "rounded down")."""
    return value.quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


def proportional_k(follower_equity: Decimal, master_equity: Decimal) -> Decimal:
    """k = follower equity ÷ master equity; the caller passes margin balances for margin accounts."""
    if master_equity <= 0:
        raise InvalidSizingInput("master_equity", master_equity, "positive")
    if follower_equity < 0:
        raise InvalidSizingInput("follower_equity", follower_equity, "zero or positive")
    return round_ratio(follower_equity / master_equity)


def allocation_multiplier(
    total_assets: Decimal,
    minimum: Decimal,
    step: Decimal,
    recommended: Decimal,
    *,
    limits: Limits = DEFAULT_LIMITS,
) -> AllocationResult:
    """The spec's subscription amount and multiplier; raises NotEnoughMoney when usable < minimum.

    usable = total assets − 1 % (the 99 % rule); amount = minimum + floor((usable − minimum) ÷ step) × step,
    so amount ≤ usable always. Step 0 means no step: the whole usable amount.
    """
    if minimum < 0:
        raise InvalidSizingInput("minimum", minimum, "zero or positive")
    if step < 0:
        raise InvalidSizingInput("step", step, "zero or positive")
    if recommended <= 0:
        raise InvalidSizingInput("recommended", recommended, "positive")
    usable = total_assets * limits.max_account_usage_pct / HUNDRED
    if usable < minimum or usable <= 0:
        raise NotEnoughMoney(required=minimum, available=usable)
    amount = minimum + floor_to_step(usable - minimum, step)
    return AllocationResult(usable=usable, amount=amount, multiplier=round_ratio(amount / recommended))


def split_master_trade(position_before: Decimal, side: Side, quantity: Decimal, *, can_short: bool) -> list[Leg]:
    """The legs a master trade means for a follower. `position_before` is signed: long > 0, short < 0.

    A trade through zero (long 1, sell 3) is a full close of the old position plus an open of the rest.
    Without shorting (spot), a sell never opens anything; a sell with no known long is a close from a
    position of 0, which `exit_quantity` treats as a full exit of whatever the follower holds.
    """
    if quantity <= 0:
        return []
    direction: Direction = "long" if side == "buy" else "short"
    held: Direction = "long" if position_before > 0 else "short"
    size = abs(position_before)
    if size == 0 or held == direction:
        if direction == "long" or can_short:
            return [Leg("open", direction, quantity, size)]
        return [Leg("close", "long", quantity, ZERO)]
    legs = [Leg("close", held, min(quantity, size), size)]
    rest = quantity - size
    if rest > 0 and (direction == "long" or can_short):
        legs.append(Leg("open", direction, rest, ZERO))
    return legs


def proportional_quantity(master_quantity: Decimal, k: Decimal) -> Decimal:
    return master_quantity * k


def fixed_quantity(
    amount: Decimal, price: Decimal, *, contract_size: Decimal = ONE, leverage: Decimal = ONE
) -> Decimal:
    """Quantity that commits `amount` of quote capital (the margin, for a leveraged contract) at `price`."""
    _check_price_and_leverage(price, leverage)
    return amount * leverage / (price * contract_size)


def exit_quantity(follower_position: Decimal, master_quantity: Decimal, master_position_before: Decimal) -> Decimal:
    """The follower closes the same fraction of its position as the master; a full exit closes all of it.

    Used in both modes: scaling by the fraction (not by k) keeps the follower flat when the master is
    flat, even after k changed or the entry was reduced by the cap or rounded.
    """
    if follower_position <= 0:
        return ZERO
    if master_position_before <= 0 or master_quantity >= master_position_before:
        return follower_position
    return follower_position * master_quantity / master_position_before


def committed_capital(
    quantity: Decimal, price: Decimal, *, contract_size: Decimal = ONE, leverage: Decimal = ONE
) -> Decimal:
    """Quote capital a position of `quantity` ties up: notional ÷ leverage."""
    return quantity * price * contract_size / leverage


def entry_room(exposure: Exposure, allocation_pct: Decimal, limits: Limits = DEFAULT_LIMITS) -> Decimal:
    """Capital a new entry may still commit, never negative.

    Two ceilings: the subscription's allocation % of the account (clamped to the platform's hard cap)
    minus what it already commits, and 99 % of the account minus what all positions commit.
    """
    pct = min(allocation_pct, limits.max_allocation_pct)
    per_trader = exposure.account_assets * pct / HUNDRED - exposure.subscription
    per_account = exposure.account_assets * limits.max_account_usage_pct / HUNDRED - exposure.account
    return max(ZERO, min(per_trader, per_account))


def size_entry(
    quantity: Decimal,
    *,
    price: Decimal,
    rules: MarketRules,
    exposure: Exposure,
    allocation_pct: Decimal,
    limits: Limits = DEFAULT_LIMITS,
    leverage: Decimal = ONE,
    round_up_to_min: bool = False,
) -> SizingDecision:
    """Fit a raw entry quantity into the allocation cap, then onto the market's grid, maximum and minimums.

    Over the cap, the entry is reduced to what fits; it is skipped (`allocation_cap`) only when what
    fits is under the exchange minimum. Over the exchange's largest order, it is cut to that order.
    Under the minimum without a cap involved: skipped (`below_minimum`), or rounded up when the
    subscription allows it and the rounded quantity still fits the cap (otherwise `allocation_cap`).
    """
    _check_price_and_leverage(price, leverage)
    if exposure.account_assets <= 0:
        return SizingDecision(reason=SkipReason.NOT_ENOUGH_MONEY, detail=f"account assets {exposure.account_assets:f}")
    if quantity <= 0:
        return SizingDecision(reason=SkipReason.BELOW_MINIMUM, detail=f"quantity {quantity:f} is not positive")
    room = entry_room(exposure, allocation_pct, limits)
    if room <= 0:
        return SizingDecision(
            reason=SkipReason.ALLOCATION_CAP,
            detail=f"exposure {exposure.subscription:f} of this trader leaves no room under the cap",
        )
    unit = committed_capital(ONE, price, contract_size=rules.contract_size, leverage=leverage)
    room_quantity = _FLOOR.divide(room, unit)  # a rounded-up quotient could overshoot the cap by one ulp
    reduced = quantity > room_quantity
    capped = min(quantity, room_quantity)
    try:
        fitted = fit_amount(rules, capped, price)
    except BelowMinimum as below:
        if reduced:
            return SizingDecision(
                reason=SkipReason.ALLOCATION_CAP, detail=f"the cap leaves {room:f} {rules.quote}: {below}"
            )
        if not round_up_to_min:
            return SizingDecision(reason=SkipReason.BELOW_MINIMUM, detail=str(below))
    else:
        if _over_maximum(rules, capped):
            return SizingDecision(quantity=fitted, reduced=True, detail=_maximum_detail(rules))
        if reduced:
            return SizingDecision(quantity=fitted, reduced=True, detail=f"cut to the cap ({room:f} {rules.quote} left)")
        return SizingDecision(quantity=fitted)
    try:
        raised = fit_amount(rules, capped, price, round_up_to_min=True)
    except BelowMinimum as below:
        return SizingDecision(reason=SkipReason.BELOW_MINIMUM, detail=str(below))
    if committed_capital(raised, price, contract_size=rules.contract_size, leverage=leverage) > room:
        return SizingDecision(
            reason=SkipReason.ALLOCATION_CAP,
            detail=f"rounding up to the minimum {raised:f} would exceed the cap ({room:f} {rules.quote} left)",
        )
    return SizingDecision(quantity=raised, rounded_up=True)


def size_exit(
    follower_position: Decimal,
    master_quantity: Decimal,
    master_position_before: Decimal,
    *,
    price: Decimal | None,
    rules: MarketRules,
    round_up_to_min: bool = False,
) -> SizingDecision:
    """The follower's share of a master exit, truncated to the grid (never more than it holds).

    No allocation cap here: an exit only lowers exposure; the exchange's largest order still applies.
    Under the minimum it is skipped, or rounded up when allowed and the result still does not exceed
    the follower's position. Pass `price=None` where the exchange waives the notional minimum for
    reduce-only orders.
    """
    if follower_position <= 0:
        return SizingDecision(reason=SkipReason.NO_POSITION, detail="the follower holds nothing to close")
    raw = exit_quantity(follower_position, master_quantity, master_position_before)
    try:
        fitted = fit_amount(rules, raw, price)
    except BelowMinimum as below:
        if not round_up_to_min or raw >= follower_position:
            return SizingDecision(reason=SkipReason.BELOW_MINIMUM, detail=str(below))
    else:
        if _over_maximum(rules, raw):  # the rest stays open: the drift check reports it and can correct it
            return SizingDecision(quantity=fitted, reduced=True, detail=_maximum_detail(rules))
        return SizingDecision(quantity=fitted)
    try:
        raised = fit_amount(rules, raw, price, round_up_to_min=True)
    except BelowMinimum as below:
        return SizingDecision(reason=SkipReason.BELOW_MINIMUM, detail=str(below))
    if raised > follower_position:
        return SizingDecision(
            reason=SkipReason.BELOW_MINIMUM,
            detail=f"the minimum {raised:f} exceeds the position {follower_position:f}",
        )
    return SizingDecision(quantity=raised, rounded_up=True)


def _over_maximum(rules: MarketRules, quantity: Decimal) -> bool:
    """Whether `fit_amount` cut `quantity` to the maximum (not merely floored it onto the grid).
    The plain comparison first: it is false for nearly every order, and this runs once per follower."""
    maximum = rules.max_amount
    return maximum is not None and quantity > maximum and floor_to_step(quantity, rules.amount_step) > maximum


def _maximum_detail(rules: MarketRules) -> str:
    return f"cut to the exchange's largest order, {rules.max_amount:f} {rules.base}"


def _check_price_and_leverage(price: Decimal, leverage: Decimal) -> None:
    if price <= 0:
        raise InvalidSizingInput("price", price, "positive")
    if leverage <= 0:
        raise InvalidSizingInput("leverage", leverage, "positive")
