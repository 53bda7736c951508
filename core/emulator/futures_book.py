"""The state of one emulated USDⓈ-M account: wallet, signed positions, orders, and the margin rules.

Kept apart from the REST handlers (binance_futures.py) so the money rules read in one place.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from core.money import ZERO

TAKER_FEE = Decimal("0.0004")
MAKER_FEE = Decimal("0.0002")
DEFAULT_LEVERAGE = 20
MAX_LEVERAGE = 125
MAINT_MARGIN_RATIO = Decimal("0.004")
MAX_NOTIONAL = 1_000_000_000
OPEN = ("NEW", "PARTIALLY_FILLED")


@dataclass(slots=True)
class FuturesPosition:
    symbol: str
    leverage: int = DEFAULT_LEVERAGE
    margin_type: str = "cross"  # or "isolated", Binance's positionRisk spelling
    amount: Decimal = ZERO  # signed: long > 0, short < 0
    entry_price: Decimal = ZERO
    update_time: int = 0


@dataclass(slots=True)
class FuturesOrder:
    order_id: int
    client_order_id: str
    symbol: str
    side: str  # BUY / SELL
    type: str  # MARKET / LIMIT
    qty: Decimal
    price: Decimal  # limit price, 0 for market orders like Binance
    time: int
    time_in_force: str
    reduce_only: bool
    filled: Decimal = ZERO
    quote_filled: Decimal = ZERO
    status: str = "NEW"
    update_time: int = 0


@dataclass(slots=True)
class FuturesAccount:
    wallet: Decimal  # USDT wallet balance: deposits + realized PnL − fees
    update_time: int
    positions: dict[str, FuturesPosition] = field(default_factory=dict)
    orders: dict[int, FuturesOrder] = field(default_factory=dict)
    by_client_id: dict[str, FuturesOrder] = field(default_factory=dict)
    trades: list[dict] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Margins:
    """An account's margin figures at the current prices."""

    wallet: Decimal
    unrealized: Decimal
    cross_unrealized: Decimal
    position_margin: Decimal  # initial margin of every position
    cross_position_margin: Decimal
    isolated_wallets: Decimal  # margin set aside for isolated positions at their entry
    order_margin: Decimal  # initial margin of resting orders that would add exposure
    maint_margin: Decimal

    @property
    def available(self) -> Decimal:
        return self.wallet + self.cross_unrealized - self.cross_position_margin - self.isolated_wallets - self.order_margin


def reduces(position: Decimal, signed_qty: Decimal) -> bool:
    """Whether an order of `signed_qty` only shrinks the position (neither adds to it nor flips it)."""
    return position != 0 and (position > 0) != (signed_qty > 0) and abs(signed_qty) <= abs(position)


def added_exposure(position: Decimal, signed_qty: Decimal) -> Decimal:
    """The part of an order that opens or adds to a position (what needs new initial margin)."""
    if position == 0 or (position > 0) == (signed_qty > 0):
        return abs(signed_qty)
    return max(abs(signed_qty) - abs(position), ZERO)
