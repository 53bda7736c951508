"""The demo's closing table: one row per follower, in a fixed, documented format (docs/demo.md).

Columns, in this order, separated by two spaces. Widths are fixed minimums: text is padded on the
right, numbers on the left; every number is formatted from a Decimal. "Not placed" comes last, so a
long list of reasons never pushes another column out of line.

| column      | width | content                                                                     |
|-------------|-------|-----------------------------------------------------------------------------|
| Follower    |     8 | the follower's name                                                         |
| Start USDT  |    10 | starting equity, 2 decimals                                                 |
| k           |     8 | the subscription's multiplier (follower equity ÷ master equity), 6 decimals  |
| Orders      |     6 | orders the exchange accepted for this follower: market and limit copies,     |
|             |       | including resting copies later replaced or cancelled (a cancel is no order)  |
| P&L USDT    |    10 | end equity − start equity, signed, 2 decimals; equity = USDT + XRP valued   |
|             |       | at the last replay price (fees and slippage included)                       |
| Return %    |     9 | P&L ÷ start equity × 100, signed, 3 decimals                                |
| Master %    |     9 | the master account's return over the same session, same formula            |
| Tracking pp |    11 | tracking error: abs(Return % − Master %), percentage points, 3 decimals     |
| Not placed  |     - | rows the engine did not place, "count reason" per reason code, most first,   |
|             |       | then by code, joined by ", " (e.g. "4 below_minimum"); "-" when none        |

Tracking error is the absolute gap between the follower's and the master's return over the whole
session: 0 means the copy earned exactly what the master earned per unit of equity. Rounding to the
0.1 XRP step keeps it near zero for followers that can copy every order; skipped orders widen it.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from core.db.models import CopyOrder, CopyOrderStatus
from core.money import ZERO, fmt

HUNDRED = Decimal(100)
PLACED = (CopyOrderStatus.FILLED, CopyOrderStatus.PARTIALLY_FILLED, CopyOrderStatus.OPEN, CopyOrderStatus.CANCELLED)
NOT_PLACED = (CopyOrderStatus.SKIPPED, CopyOrderStatus.FAILED, CopyOrderStatus.EXPIRED)

# (title, width, align): the table's stable layout; see the module docstring.
COLUMNS: tuple[tuple[str, int, str], ...] = (
    ("Follower", 8, "<"),
    ("Start USDT", 10, ">"),
    ("k", 8, ">"),
    ("Orders", 6, ">"),
    ("P&L USDT", 10, ">"),
    ("Return %", 9, ">"),
    ("Master %", 9, ">"),
    ("Tracking pp", 11, ">"),
    ("Not placed", 0, "<"),
)
SEPARATOR = "  "


@dataclass(frozen=True, slots=True)
class SummaryRow:
    follower: str
    start_equity: Decimal
    multiplier: Decimal
    orders: int
    not_placed: tuple[tuple[str, int], ...]  # (reason code, count), most frequent first
    pnl: Decimal
    return_pct: Decimal
    master_return_pct: Decimal
    tracking_error_pp: Decimal

    def count(self, reason: str) -> int:
        return dict(self.not_placed).get(reason, 0)

    def cells(self) -> tuple[str, ...]:
        skipped = ", ".join(f"{n} {reason}" for reason, n in self.not_placed) or "-"
        return (
            self.follower,
            fmt(self.start_equity, 2),
            fmt(self.multiplier, 6),
            str(self.orders),
            signed(self.pnl, 2),
            signed(self.return_pct, 3),
            signed(self.master_return_pct, 3),
            fmt(self.tracking_error_pp, 3),
            skipped,
        )


@dataclass(frozen=True, slots=True)
class DemoSummary:
    master_start: Decimal
    master_pnl: Decimal
    master_return_pct: Decimal
    rows: tuple[SummaryRow, ...]


def signed(value: Decimal, places: int) -> str:
    text = fmt(value, places)
    if Decimal(text) == 0:
        return fmt(ZERO, places)  # never "-0.00"
    return text if text.startswith("-") else "+" + text


def return_pct(start: Decimal, end: Decimal) -> Decimal:
    return (end - start) / start * HUNDRED


async def follower_row(
    name: str, subscription_id: int, multiplier: Decimal, start: Decimal, end: Decimal, master_return: Decimal
) -> SummaryRow:
    """One row from the follower's outbox rows and its account's equity at start and end."""
    rows = await CopyOrder.filter(subscription_id=subscription_id).values_list("status", "order_type", "reason")
    orders = sum(1 for status, kind, _ in rows if status in PLACED and kind != "cancel")
    reasons = Counter(reason or status.value for status, _, reason in rows if status in NOT_PLACED)
    ranked = tuple(sorted(reasons.items(), key=lambda item: (-item[1], item[0])))
    mine = return_pct(start, end)
    return SummaryRow(name, start, multiplier, orders, ranked, end - start, mine, master_return, abs(mine - master_return))


def render(summary: DemoSummary) -> list[str]:
    """The table's lines: header, rule, one line per follower."""
    def line(cells: tuple[str, ...]) -> str:
        return SEPARATOR.join(f"{cell:{align}{width}}" for cell, (_, width, align) in zip(cells, COLUMNS, strict=True)).rstrip()

    header = line(tuple(title for title, _, _ in COLUMNS))
    body = [line(row.cells()) for row in summary.rows]
    return [header, "-" * len(header), *body]
