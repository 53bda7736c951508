"""The Decimal risk metrics agree with empyrical-reloaded, the reference implementation, to 1e-9 relative."""
from __future__ import annotations

import math
import random
from collections.abc import Callable
from decimal import Decimal

import empyrical
import numpy as np
import pytest

from core.analytics import risk

D = Decimal
ANNUALIZATION = 365


def seeded(seed: int, days: int, mean: float, spread: float) -> list[Decimal]:
    rng = random.Random(seed)
    return [D(f"{rng.gauss(mean, spread):.8f}") for _ in range(days)]


SERIES: dict[str, list[Decimal]] = {
    "random_small": seeded(1, 60, 0.001, 0.01),
    "random_year": seeded(42, 365, 0.0005, 0.03),
    "random_losing": seeded(7, 200, -0.002, 0.02),
    # up 15 %, then a 35 % slide, then a partial recovery
    "drawdown": [D(v) for v in ("0.05", "0.1", "-0.1", "-0.2", "-0.1", "0.04", "0.1", "-0.05", "0.02", "0.03")],
    # the very first day is a loss: the drawdown counts from the starting value
    "first_day_loss": [D(v) for v in ("-0.08", "0.02", "0.01", "-0.01")],
    "all_positive": [D(v) for v in ("0.01", "0.02", "0.005", "0.03", "0.0001")],
}


def as_array(values: list[Decimal]) -> np.ndarray:
    return np.array([float(v) for v in values])


def assert_matches(ours: Decimal | None, theirs: float) -> None:
    assert ours is not None, f"empyrical gives {theirs}, we give None"
    assert math.isclose(float(ours), theirs, rel_tol=1e-9, abs_tol=1e-15), (ours, theirs)


Metric = tuple[Callable[[list[Decimal]], Decimal | None], Callable[[np.ndarray], float]]
A = ANNUALIZATION
REFERENCE: dict[str, Metric] = {
    "sharpe": (risk.sharpe_ratio, lambda r: empyrical.sharpe_ratio(r, risk_free=0, period="daily", annualization=A)),
    "sortino": (risk.sortino_ratio, lambda r: empyrical.sortino_ratio(r, required_return=0, annualization=A)),
    "max_drawdown": (risk.max_drawdown, empyrical.max_drawdown),
    "annual_return": (risk.annual_return, lambda r: empyrical.annual_return(r, annualization=A)),
    "annual_volatility": (risk.annual_volatility, lambda r: empyrical.annual_volatility(r, annualization=A)),
    "downside_risk": (risk.downside_risk, lambda r: empyrical.downside_risk(r, annualization=A)),
}


@pytest.mark.parametrize("metric", sorted(REFERENCE))
@pytest.mark.parametrize("series", sorted(set(SERIES) - {"all_positive"}))
def test_metric_matches_empyrical(metric: str, series: str) -> None:
    ours, theirs = REFERENCE[metric]
    expected = theirs(as_array(SERIES[series]))
    assert math.isfinite(expected)
    assert_matches(ours(SERIES[series]), expected)


def test_all_positive_days() -> None:
    values = SERIES["all_positive"]
    array = as_array(values)
    for metric in ("sharpe", "annual_return", "annual_volatility"):
        ours, theirs = REFERENCE[metric]
        assert_matches(ours(values), theirs(array))
    # never below the start: no drawdown
    assert risk.max_drawdown(values) == 0
    assert empyrical.max_drawdown(array) == 0
    # no losing day: empyrical's Sortino is infinite; we report "not meaningful"
    assert math.isinf(empyrical.sortino_ratio(array, annualization=ANNUALIZATION))
    assert risk.sortino_ratio(values) is None


def test_drawdown_sign_and_depth() -> None:
    # wealth 1.05, 1.155, 1.0395, 0.8316, 0.74844 → (0.74844 − 1.155) / 1.155 = −0.352
    assert risk.max_drawdown(SERIES["drawdown"]) == D("-0.352")


def test_undefined_cases_are_none_where_empyrical_is_not_finite() -> None:
    one_day = [D("0.01")]
    flat = [D("0.002")] * 5
    assert risk.sharpe_ratio(one_day) is None and math.isnan(empyrical.sharpe_ratio(as_array(one_day)))
    assert risk.sortino_ratio(one_day) is None and math.isnan(empyrical.sortino_ratio(as_array(one_day)))
    assert risk.annual_volatility(one_day) is None
    # identical days have no dispersion: empyrical's Sharpe is infinite
    assert risk.sharpe_ratio(flat) is None
    assert math.isinf(empyrical.sharpe_ratio(as_array(flat), annualization=ANNUALIZATION))
    for fn in (risk.max_drawdown, risk.annual_return, risk.downside_risk):
        assert fn([]) is None


def test_total_loss_annual_return() -> None:
    values = [D("0.1"), D("-1")]
    assert risk.annual_return(values) == -1
    assert empyrical.annual_return(as_array(values), annualization=ANNUALIZATION) == -1


def test_results_are_decimal() -> None:
    values = SERIES["random_small"]
    for fn in (risk.sharpe_ratio, risk.sortino_ratio, risk.max_drawdown, risk.annual_return, risk.annual_volatility):
        assert isinstance(fn(values), Decimal)
