"""The one gateway interface that the engine talks to, with its value types.

Two implementations: `CcxtGateway` (binance, okx, bybit, bitget through ccxt) and `PaperGateway`
(a simulated exchange for demo accounts and offline runs). Every number is Decimal. `prepare_order`
applies the market's precision and limits so that what reaches the exchange already passes them.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Literal

from core.errors import BadSymbol, BelowMinimum, ExchangeError
from core.money import ZERO, ceil_to_step, floor_to_step

Side = Literal["buy", "sell"]
OrderType = Literal["market", "limit"]
OrderStatus = Literal["open", "closed", "canceled", "rejected", "expired"]
MarginMode = Literal["cross", "isolated"]
TransferKind = Literal["deposit", "withdrawal"]


@dataclass(frozen=True, slots=True)
class Credentials:
    """A decrypted API key. Lives only in memory inside a gateway; repr and str are masked."""

    api_key: str
    secret: str
    passphrase: str | None = None

    @property
    def hint(self) -> str:
        key = self.api_key
        return f"{key[:4]}…{key[-4:]}" if len(key) > 8 else "…"

    def __repr__(self) -> str:
        return f"Credentials(api_key='{self.hint}', secret='***')"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class MarketRules:
    """What the exchange accepts for one symbol. Steps are tick sizes (0.001), not digit counts."""

    symbol: str
    base: str
    quote: str
    amount_step: Decimal
    price_step: Decimal
    min_amount: Decimal = ZERO
    min_cost: Decimal = ZERO
    # The largest amount one order may have: the stricter of the exchange's caps for limit and for
    # market orders (Binance's LOT_SIZE and MARKET_LOT_SIZE), so one rule serves every order type.
    # None: no cap.
    max_amount: Decimal | None = None
    contract: bool = False  # USDⓈ-M perpetual when True
    contract_size: Decimal = Decimal(1)
    market_id: str = ""  # the exchange's own name for it (BTCUSDT), for requests made without ccxt's symbol lookup


# OrderRequest and Order are built for every follower order: not frozen, because a frozen
# dataclass sets each field through object.__setattr__, which made their construction ~5x dearer.
# Nothing mutates them; `dataclasses.replace` makes changed copies.
@dataclass(slots=True)
class OrderRequest:
    symbol: str
    side: Side
    type: OrderType
    amount: Decimal
    client_order_id: str
    price: Decimal | None = None
    reduce_only: bool = False


@dataclass(slots=True)
class Order:
    id: str
    client_order_id: str | None
    symbol: str
    side: Side
    type: OrderType
    status: OrderStatus
    amount: Decimal
    filled: Decimal = ZERO
    price: Decimal | None = None
    average: Decimal | None = None
    fee: Decimal = ZERO
    fee_currency: str | None = None
    timestamp: int | None = None  # ms since epoch


@dataclass(frozen=True, slots=True)
class Trade:
    id: str
    order_id: str
    client_order_id: str | None
    symbol: str
    side: Side
    amount: Decimal
    price: Decimal
    fee: Decimal
    fee_currency: str | None
    timestamp: int


@dataclass(frozen=True, slots=True)
class Balance:
    free: Decimal
    used: Decimal

    @property
    def total(self) -> Decimal:
        return self.free + self.used


@dataclass(frozen=True, slots=True)
class Position:
    symbol: str
    side: Literal["long", "short"]
    contracts: Decimal
    entry_price: Decimal
    leverage: Decimal | None = None
    margin_mode: str | None = None
    unrealized_pnl: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class Transfer:
    """Money that entered (deposit) or left (withdrawal) the account, once it completed.

    `amount` is what the account's balance moved by: a withdrawal includes its network fee when the
    fee is charged in the same currency. `id` is the exchange's, unique per kind on the account."""

    id: str
    kind: TransferKind
    currency: str
    amount: Decimal
    timestamp: int  # ms since epoch: completion time when the exchange reports it, else request time


@dataclass(frozen=True, slots=True)
class KeyPermissions:
    read: bool
    trade: bool
    withdraw: bool
    raw: dict = field(default_factory=dict, repr=False, compare=False)


class Gateway(abc.ABC):
    """One exchange account. Instances are cheap; markets are shared per exchange."""

    exchange: str

    @abc.abstractmethod
    async def load_markets(self) -> dict[str, MarketRules]: ...

    @abc.abstractmethod
    def market(self, symbol: str) -> MarketRules:
        """Rules for a loaded symbol; raises BadSymbol when the exchange does not list it."""

    @abc.abstractmethod
    async def fetch_balance(self) -> dict[str, Balance]: ...

    @abc.abstractmethod
    async def fetch_price(self, symbol: str) -> Decimal: ...

    @abc.abstractmethod
    async def create_order(self, request: OrderRequest) -> Order:
        """Send an order that went through `prepare_order`. The client order id makes it idempotent."""

    @abc.abstractmethod
    async def fetch_order_by_client_id(self, symbol: str, client_order_id: str) -> Order | None:
        """The order with this client id, or None when the exchange never received it."""

    @abc.abstractmethod
    async def cancel_order(self, symbol: str, order_id: str | None = None, client_order_id: str | None = None) -> Order: ...

    @abc.abstractmethod
    async def fetch_open_orders(self, symbol: str | None = None) -> list[Order]: ...

    @abc.abstractmethod
    async def fetch_positions(self) -> list[Position]: ...

    @abc.abstractmethod
    async def fetch_my_trades(self, symbol: str, since: int | None = None) -> list[Trade]: ...

    @abc.abstractmethod
    async def fetch_transfers(self, since: int) -> list[Transfer]:
        """Completed deposits and withdrawals from `since` (ms) on; pending and failed ones are left out."""

    async def set_leverage(self, symbol: str, leverage: int) -> None:
        """Leverage of a perpetual's position; a venue without derivatives refuses it."""
        raise ExchangeError(f"{self.exchange}: set_leverage is not supported", exchange=self.exchange)

    async def set_margin_mode(self, symbol: str, mode: MarginMode) -> None:
        """Cross or isolated margin for a perpetual; a venue without derivatives refuses it."""
        raise ExchangeError(f"{self.exchange}: set_margin_mode is not supported", exchange=self.exchange)

    @abc.abstractmethod
    async def inspect_key(self) -> KeyPermissions: ...

    @abc.abstractmethod
    async def close(self) -> None: ...

    def prepare_order(
        self, request: OrderRequest, *, reference_price: Decimal | None = None, round_up_to_min: bool = False
    ) -> OrderRequest:
        """Round amount and price to the market's steps and check its minimums, before any send.

        Amounts are truncated (never sell more than the follower has). A market order has no price,
        so its notional is checked at `reference_price` (the current or the master's fill price).
        With `round_up_to_min` an amount under the minimum is raised to the smallest accepted one;
        the caller then re-checks its allocation caps.
        """
        rules = self.market(request.symbol)
        price = floor_to_step(request.price, rules.price_step) if request.price is not None else None
        reference = price if price is not None else reference_price
        amount = fit_amount(rules, request.amount, reference, round_up_to_min=round_up_to_min, exchange=self.exchange)
        return replace(request, amount=amount, price=price)


def fit_amount(
    rules: MarketRules,
    amount: Decimal,
    price: Decimal | None,
    *,
    round_up_to_min: bool = False,
    exchange: str = "",
) -> Decimal:
    """`amount` truncated to the step grid, cut to the market's maximum, and checked against the
    minimums; raises BelowMinimum.

    Shared by `Gateway.prepare_order` (before a send) and the engine's sizing (before the outbox row),
    so both apply the exact same rule. The notional minimum is checked only when `price` is known.
    An amount over the maximum becomes the largest one order the exchange accepts, rather than an
    order it would refuse whole: callers that close or correct positions place the rest in later rounds.
    """
    amount = floor_to_step(amount, rules.amount_step)
    if round_up_to_min:
        amount = max(amount, min_accepted_amount(rules, price))
    if rules.max_amount is not None and amount > rules.max_amount:  # after the round-up: nothing exceeds it
        amount = floor_to_step(rules.max_amount, rules.amount_step)
    if amount <= 0 or amount < rules.min_amount:
        raise BelowMinimum(exchange=exchange, limit="amount", minimum=rules.min_amount, value=amount)
    if price is not None and rules.min_cost:
        cost = amount * price * rules.contract_size
        if cost < rules.min_cost:
            raise BelowMinimum(exchange=exchange, limit="cost", minimum=rules.min_cost, value=cost)
    return amount


def min_accepted_amount(rules: MarketRules, price: Decimal | None) -> Decimal:
    """Smallest amount on the step grid that passes both the amount and the notional minimum."""
    needed = rules.min_amount
    if price and rules.min_cost:
        needed = max(needed, rules.min_cost / (price * rules.contract_size))
    return ceil_to_step(needed, rules.amount_step) if needed > 0 else rules.amount_step


def require_market(markets: dict[str, MarketRules], symbol: str, exchange: str) -> MarketRules:
    try:
        return markets[symbol]
    except KeyError:
        raise BadSymbol(f"{exchange} does not list {symbol}", exchange=exchange) from None
