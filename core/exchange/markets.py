"""Markets loaded once per exchange and market type, shared with every ccxt instance.

Loading markets costs a request and megabytes of parsed dicts per instance; followers of one
exchange all see the same markets, so the first instance loads them and every later one takes
them with `set_markets_from_exchange`. The `MarketRules` (Decimal steps and limits) are built once too.
"""
from __future__ import annotations

import asyncio
from collections.abc import Hashable
from dataclasses import dataclass
from decimal import Decimal

import ccxt.async_support as ccxt
from ccxt.base.decimal_to_precision import DECIMAL_PLACES

from core.exchange.base import MarketRules
from core.money import ZERO, to_decimal


@dataclass(frozen=True, slots=True)
class SharedMarkets:
    source: ccxt.Exchange  # the instance that loaded them; only its market dicts are used
    rules: dict[str, MarketRules]


class MarketCache:
    """One `SharedMarkets` per key (exchange, market type, endpoint); concurrent first loads wait for one."""

    def __init__(self) -> None:
        self._entries: dict[Hashable, SharedMarkets] = {}
        self._locks: dict[Hashable, asyncio.Lock] = {}

    async def attach(self, key: Hashable, client: ccxt.Exchange) -> dict[str, MarketRules]:
        """Give `client` the shared markets, loading them through it the first time."""
        entry = self._entries.get(key)
        if entry is None:
            async with self._locks.setdefault(key, asyncio.Lock()):
                entry = self._entries.get(key)
                if entry is None:
                    await client.load_markets()
                    entry = self._entries[key] = SharedMarkets(client, to_rules(client))
                    return entry.rules
        if client is not entry.source:
            client.set_markets_from_exchange(entry.source)
        return entry.rules

    def attach_loaded(self, key: Hashable, client: ccxt.Exchange) -> dict[str, MarketRules] | None:
        """Synchronous fast path for a new instance when the markets are already loaded."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        client.set_markets_from_exchange(entry.source)
        return entry.rules

    def invalidate(self, key: Hashable) -> None:
        """Forget the markets (listing changes); the next `attach` reloads them."""
        self._entries.pop(key, None)


def to_rules(client: ccxt.Exchange) -> dict[str, MarketRules]:
    decimal_places = client.precisionMode == DECIMAL_PLACES
    return {symbol: market_rules(market, decimal_places) for symbol, market in client.markets.items()}


def market_rules(market: dict, decimal_places: bool = False) -> MarketRules:
    precision = market.get("precision") or {}
    limits = market.get("limits") or {}
    return MarketRules(
        symbol=market["symbol"],
        base=market["base"],
        quote=market["quote"],
        amount_step=_step(precision.get("amount"), decimal_places),
        price_step=_step(precision.get("price"), decimal_places),
        min_amount=to_decimal((limits.get("amount") or {}).get("min")) or ZERO,
        min_cost=to_decimal((limits.get("cost") or {}).get("min")) or ZERO,
        max_amount=_max_amount(limits),
        contract=bool(market.get("contract")),
        contract_size=to_decimal(market.get("contractSize")) or Decimal(1),
        market_id=market.get("id") or "",
    )


def _max_amount(limits: dict) -> Decimal | None:
    """The stricter of the amount caps ccxt reports: `amount` (any order) and `market` (Binance's
    MARKET_LOT_SIZE); a missing or zero cap means none."""
    caps = [to_decimal((limits.get(kind) or {}).get("max")) for kind in ("amount", "market")]
    return min((cap for cap in caps if cap), default=None)


def _step(value: object, decimal_places: bool) -> Decimal:
    """ccxt gives tick sizes (TICK_SIZE mode) or digit counts (DECIMAL_PLACES); we keep tick sizes."""
    number = to_decimal(value)
    if number is None:
        return ZERO
    if decimal_places:
        return Decimal(1).scaleb(-int(number))
    return number.normalize()
