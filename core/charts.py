"""PNG charts for the strategy card: yield curve, daily P&L bars, monthly return bars.

Drawn with matplotlib's object API on an Agg canvas (no pyplot, so no global figure state and
safe to run in worker threads). The images are sized for a phone screen in Telegram: big type,
thick lines, percent axes. Every text shown is passed in by the caller, which localizes it.
An empty series gives a "no data yet" picture instead of an error. Floats appear only here,
for drawing.
"""
from __future__ import annotations

import asyncio
import io
import math
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, DateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from core.analytics.returns import MonthlyReturn

#: Output size in pixels: 3:2 landscape, sharp on a phone yet small enough for a quick upload.
WIDTH_PX = 1200
HEIGHT_PX = 800
DPI = 200
GAIN_COLOR = "#1a9c5b"
LOSS_COLOR = "#d64541"
LINE_COLOR = "#2266cc"
GRID_COLOR = "#d9d9d9"
TITLE_SIZE = 13
TICK_SIZE = 10
EMPTY_SIZE = 14
#: A typographic minus reads better than a hyphen next to numbers.
MINUS = "\u2212"
#: Above this many bars the per-bar value labels would overlap, so they are left out.
MAX_LABELED_BARS = 12
#: At most this many month labels fit under the bars at the tick font size.
MAX_MONTH_TICKS = 8


def _figure() -> Figure:
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _empty(title: str, empty_text: str) -> bytes:
    figure = _figure()
    figure.suptitle(title, fontsize=TITLE_SIZE, fontweight="bold")
    figure.text(0.5, 0.5, empty_text, ha="center", va="center", fontsize=EMPTY_SIZE, color="#777777")
    return _png(figure)


def _axes(figure: Figure, title: str) -> Axes:
    axes = figure.add_subplot()
    axes.set_title(title, fontsize=TITLE_SIZE, fontweight="bold", loc="left")
    axes.tick_params(labelsize=TICK_SIZE)
    axes.grid(True, axis="y", color=GRID_COLOR, linewidth=0.8)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.axhline(0, color="#555555", linewidth=1.0)
    return axes


def _date_axis(axes: Axes, days: Sequence[date]) -> None:
    """Day.month ticks for short spans, month.year beyond four months: numeric, so no translation."""
    span = (days[-1] - days[0]).days if days else 0
    axes.xaxis.set_major_locator(AutoDateLocator(minticks=3, maxticks=6))
    axes.xaxis.set_major_formatter(DateFormatter("%d.%m" if span <= 120 else "%m.%Y"))


def _value_axis(axes: Axes, suffix: str) -> None:
    """Round ticks (1, 2 or 5 × 10^k) labelled with just enough decimals for the step, plus a unit."""
    axes.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 5, 10]))

    def label(value: float, _pos: int | None) -> str:
        ticks = axes.yaxis.get_majorticklocs()
        step = min((abs(b - a) for a, b in zip(ticks, ticks[1:]) if b != a), default=1.0)
        decimals = max(0, -math.floor(math.log10(step) + 1e-9))
        return f"{value:,.{decimals}f}{suffix}".replace("-", MINUS)

    axes.yaxis.set_major_formatter(FuncFormatter(label))


def _percent(value: Decimal) -> float:
    """Fractions are drawn as percents; the float is for the plot only."""
    return float(value * 100)  # float-ok


def render_yield_curve(points: Sequence[tuple[date, Decimal]], title: str, empty_text: str) -> bytes:
    """The chained yield over time (from `cumulative_yields`), as a filled line on a percent axis."""
    if not points:
        return _empty(title, empty_text)
    figure = _figure()
    axes = _axes(figure, title)
    days = [day for day, _ in points]
    values = [_percent(value) for _, value in points]
    if len(points) == 1:
        axes.plot(days, values, "o", color=LINE_COLOR, markersize=8)
    else:
        axes.plot(days, values, color=LINE_COLOR, linewidth=2.5)
        axes.fill_between(days, values, 0, color=LINE_COLOR, alpha=0.12, linewidth=0)
    _value_axis(axes, "%")
    _date_axis(axes, days)
    return _png(figure)


def render_daily_pnl(points: Sequence[tuple[date, Decimal]], title: str, empty_text: str, currency: str = "") -> bytes:
    """One bar per day of profit or loss in account currency: green up, red down."""
    if not points:
        return _empty(title, empty_text)
    figure = _figure()
    axes = _axes(figure, title)
    days = [day for day, _ in points]
    values = [float(pnl) for _, pnl in points]  # float-ok
    colors = [GAIN_COLOR if pnl >= 0 else LOSS_COLOR for _, pnl in points]
    width = 0.8 if len(points) < 60 else 1.0
    axes.bar(days, values, width=width, color=colors)
    _value_axis(axes, f" {currency}" if currency else "")
    _date_axis(axes, days)
    return _png(figure)


def render_monthly_returns(months: Sequence[MonthlyReturn], title: str, empty_text: str) -> bytes:
    """One bar per calendar month with its chained yield, labelled "YYYY-MM" and, when few, with the value."""
    if not months:
        return _empty(title, empty_text)
    figure = _figure()
    axes = _axes(figure, title)
    labels = [month.label for month in months]
    values = [_percent(month.value) for month in months]
    colors = [GAIN_COLOR if month.value >= 0 else LOSS_COLOR for month in months]
    positions = list(range(len(months)))
    bars = axes.bar(positions, values, width=0.7, color=colors)
    if len(months) <= MAX_LABELED_BARS:
        value_labels = [f"{v:+.1f}%".replace("-", MINUS) for v in values]
        axes.bar_label(bars, labels=value_labels, fontsize=TICK_SIZE - 1, padding=2)
        axes.margins(y=0.15)
    step = -(-len(months) // MAX_MONTH_TICKS)
    axes.set_xticks(positions[::step], labels[::step])
    _value_axis(axes, "%")
    if len(months) > 4:
        axes.tick_params(axis="x", labelrotation=30)
    return _png(figure)


async def render_yield_curve_async(points: Sequence[tuple[date, Decimal]], title: str, empty_text: str) -> bytes:
    """`render_yield_curve` in a worker thread, so drawing never stalls the event loop."""
    return await asyncio.to_thread(render_yield_curve, points, title, empty_text)


async def render_daily_pnl_async(
    points: Sequence[tuple[date, Decimal]], title: str, empty_text: str, currency: str = ""
) -> bytes:
    """`render_daily_pnl` in a worker thread."""
    return await asyncio.to_thread(render_daily_pnl, points, title, empty_text, currency)


async def render_monthly_returns_async(months: Sequence[MonthlyReturn], title: str, empty_text: str) -> bytes:
    """`render_monthly_returns` in a worker thread."""
    return await asyncio.to_thread(render_monthly_returns, months, title, empty_text)
