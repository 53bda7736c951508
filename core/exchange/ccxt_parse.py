"""ccxt's unified dicts (floats, strings, None) into our Decimal value types, and back onto the wire."""
from __future__ import annotations

import calendar
import time
from decimal import Decimal

from core.exchange.base import Order, Trade, Transfer
from core.money import ZERO, to_decimal


def wire(value: Decimal) -> str:
    """Decimal to the plain string ccxt formats for the exchange (never via float)."""
    return f"{value:f}"


def _fee(raw: dict) -> tuple[Decimal, str | None]:
    fee = raw.get("fee") or {}
    if fee.get("cost") is not None:
        return to_decimal(fee["cost"]) or ZERO, fee.get("currency")
    fees = [f for f in raw.get("fees") or [] if f.get("cost") is not None]
    total = sum((to_decimal(f["cost"]) or ZERO for f in fees), ZERO)
    return total, (fees[0].get("currency") if fees else None)


def to_order(raw: dict, client_order_id: str | None = None) -> Order:
    fee, fee_currency = _fee(raw)
    return Order(
        id=str(raw.get("id")),
        client_order_id=client_order_id or raw.get("clientOrderId"),
        symbol=raw["symbol"],
        side=raw["side"],
        type=raw.get("type") or "market",
        status=raw.get("status") or "open",
        amount=to_decimal(raw.get("amount")) or ZERO,
        filled=to_decimal(raw.get("filled")) or ZERO,
        price=to_decimal(raw.get("price")) or None,
        average=to_decimal(raw.get("average")),
        fee=fee,
        fee_currency=fee_currency,
        timestamp=raw.get("timestamp"),
    )


def to_trade(raw: dict) -> Trade:
    fee, fee_currency = _fee(raw)
    return Trade(
        id=str(raw.get("id")),
        order_id=str(raw.get("order")),
        client_order_id=(raw.get("info") or {}).get("clientOrderId"),
        symbol=raw["symbol"],
        side=raw["side"],
        amount=to_decimal(raw.get("amount")) or ZERO,
        price=to_decimal(raw.get("price")) or ZERO,
        fee=fee,
        fee_currency=fee_currency,
        timestamp=int(raw.get("timestamp") or 0),
    )


def to_transfer(raw: dict) -> Transfer | None:
    """A completed ccxt transaction as a Transfer; None while pending, or when failed or cancelled."""
    amount = to_decimal(raw.get("amount"))
    timestamp = _completed_at(raw) or raw.get("timestamp")
    ident = raw.get("id") or raw.get("txid")
    if amount is None or timestamp is None or not ident or raw.get("status") != "ok" or raw.get("type") not in ("deposit", "withdrawal"):
        return None
    fee = raw.get("fee") or {}
    if raw["type"] == "withdrawal" and fee.get("currency") == raw.get("currency"):
        amount += to_decimal(fee.get("cost")) or ZERO  # the fee left the account too
    return Transfer(id=str(ident), kind=raw["type"], currency=raw["currency"],
                    amount=amount, timestamp=int(timestamp))


def _completed_at(raw: dict) -> int | None:
    """When the move completed: ccxt's `updated`, else Binance's `completeTime` that ccxt leaves in
    `info` (ms on deposits, UTC text on withdrawals). A deposit is listed at its insert time but only
    counts in the balance once confirmed, and the daily snapshots need the latter."""
    if raw.get("updated"):
        return int(raw["updated"])
    done = (raw.get("info") or {}).get("completeTime")
    if isinstance(done, int) or (isinstance(done, str) and done.isdigit()):
        return int(done)
    if isinstance(done, str) and done:
        try:
            return calendar.timegm(time.strptime(done, "%Y-%m-%d %H:%M:%S")) * 1000
        except ValueError:
            return None
    return None
