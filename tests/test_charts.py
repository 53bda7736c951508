"""Charts come out as PNGs of the promised size, with data and without, in a thread or not."""
from __future__ import annotations

import asyncio
import io
import struct
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
from PIL import Image

from core import charts
from core.analytics.returns import MonthlyReturn

D = Decimal
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

CURVE = [(date(2024, 1, 1) + timedelta(days=i), D(i) / 100 - D("0.05")) for i in range(40)]
GAINS = [(date(2024, 1, 1) + timedelta(days=i), D(10 + i)) for i in range(15)]
MIXED = [(date(2024, 1, 1) + timedelta(days=i), D(i - 7) * D("12.5")) for i in range(15)]
MONTHS = [MonthlyReturn(2024, m, D(m - 3) / 50) for m in range(1, 8)]


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which always follows the 8-byte signature."""
    assert png[:8] == PNG_SIGNATURE
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def pixels(png: bytes, mode: str = "RGB") -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert(mode), dtype=np.int16)


def count_color(png: bytes, hex_color: str) -> int:
    """Pixels close to `hex_color` (antialiasing blurs only the edges of a bar)."""
    target = np.array([int(hex_color[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.int16)
    return int((np.abs(pixels(png) - target) <= 8).all(axis=-1).sum())


def ink(png: bytes) -> int:
    """Dark pixels: text and lines on the white background."""
    return int((pixels(png, "L") < 200).sum())


RENDERERS: dict[str, tuple[Callable[..., bytes], list[object]]] = {
    "yield": (charts.render_yield_curve, CURVE),
    "pnl": (charts.render_daily_pnl, MIXED),
    "monthly": (charts.render_monthly_returns, MONTHS),
}


@pytest.mark.parametrize("kind", sorted(RENDERERS))
def test_chart_with_data_is_a_png_of_the_phone_size(kind: str) -> None:
    render, data = RENDERERS[kind]
    png = render(data, title="Title", empty_text="No data yet")
    assert png_size(png) == (charts.WIDTH_PX, charts.HEIGHT_PX)
    assert len(png) > 10_000


@pytest.mark.parametrize("kind", sorted(RENDERERS))
def test_empty_series_gives_a_no_data_picture(kind: str) -> None:
    render, data = RENDERERS[kind]
    empty = render([], title="Доходность", empty_text="Данных пока нет")
    assert png_size(empty) == (charts.WIDTH_PX, charts.HEIGHT_PX)
    with_data = render(data, title="Доходность", empty_text="Данных пока нет")
    assert empty != with_data
    # no bars and no curve on the empty picture
    for color in (charts.GAIN_COLOR, charts.LOSS_COLOR, charts.LINE_COLOR):
        assert count_color(empty, color) == 0


def test_empty_text_is_drawn() -> None:
    # the same title with and without the message: the message adds ink
    with_text = charts.render_yield_curve([], title="T", empty_text="No data yet")
    without_text = charts.render_yield_curve([], title="T", empty_text="")
    assert ink(with_text) > ink(without_text)


def test_gains_are_green_and_losses_red() -> None:
    gains_only = charts.render_daily_pnl(GAINS, title="P&L", empty_text="-", currency="USDT")
    assert count_color(gains_only, charts.GAIN_COLOR) > 1000
    assert count_color(gains_only, charts.LOSS_COLOR) == 0
    mixed = charts.render_daily_pnl(MIXED, title="P&L", empty_text="-")
    assert count_color(mixed, charts.GAIN_COLOR) > 1000
    assert count_color(mixed, charts.LOSS_COLOR) > 1000


def test_monthly_bars_follow_the_sign() -> None:
    losing = [MonthlyReturn(2024, 1, D("-0.05")), MonthlyReturn(2024, 2, D("-0.02"))]
    png = charts.render_monthly_returns(losing, title="M", empty_text="-")
    assert count_color(png, charts.LOSS_COLOR) > 1000
    assert count_color(png, charts.GAIN_COLOR) == 0


def test_a_single_point_curve_renders() -> None:
    png = charts.render_yield_curve(CURVE[:1], title="Y", empty_text="-")
    assert png_size(png) == (charts.WIDTH_PX, charts.HEIGHT_PX)
    assert count_color(png, charts.LINE_COLOR) > 0


ASYNC_RENDERERS: dict[str, tuple[Callable[..., Awaitable[bytes]], Callable[..., bytes], list[object]]] = {
    "yield": (charts.render_yield_curve_async, charts.render_yield_curve, CURVE),
    "pnl": (charts.render_daily_pnl_async, charts.render_daily_pnl, MIXED),
    "monthly": (charts.render_monthly_returns_async, charts.render_monthly_returns, MONTHS),
}


@pytest.mark.parametrize("kind", sorted(ASYNC_RENDERERS))
async def test_async_variant_gives_the_same_image(kind: str) -> None:
    render_async, render, data = ASYNC_RENDERERS[kind]
    png = await render_async(data, "Title", "No data yet")
    assert png_size(png) == (charts.WIDTH_PX, charts.HEIGHT_PX)
    assert png == render(data, "Title", "No data yet")


async def test_async_renders_run_concurrently_in_threads() -> None:
    """Several charts drawn at once in worker threads all come out whole (no shared pyplot state)."""
    results = await asyncio.gather(
        *(charts.render_daily_pnl_async(MIXED if i % 2 else GAINS, f"P&L {i}", "-") for i in range(6)),
        charts.render_yield_curve_async([], "Y", "No data yet"),
    )
    assert all(png_size(png) == (charts.WIDTH_PX, charts.HEIGHT_PX) for png in results)
    assert results[0] == charts.render_daily_pnl(GAINS, "P&L 0", "-")
