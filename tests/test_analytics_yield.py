"""The help centre's yield formulas and the trade statistics, on examples worked out by hand below."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from core.analytics.report import performance_report
from core.analytics.returns import (
    DailyReturn,
    EquityPoint,
    chain,
    cumulative_yields,
    daily_returns,
    daily_yield,
    monthly_returns,
    total_return,
    total_yield,
)
from core.analytics.risk import max_drawdown
from core.analytics.score import leaderboard_score, risk_level, risk_level_from, window_ratio
from core.analytics.trades import (
    ClosedTrade,
    average_holding_period,
    last_trade_at,
    trading_days,
    weekly_trade_frequency,
    win_rate,
)

D = Decimal


def q(value: Decimal | None, places: int = 12) -> Decimal:
    assert value is not None
    return value.quantize(Decimal(1).scaleb(-places))


# --- daily yield -------------------------------------------------------------------------------


def test_daily_yield_with_deposit_and_withdrawal_on_the_same_day() -> None:
    # start 1000, +500 deposited, −200 withdrawn, 1350 at the close:
    # (1350 − 1000 − 500 + 200) / (1000 + 500) = 50 / 1500 = 0.0333…
    assert q(daily_yield(D(1000), D(1350), D(500), D(200))) == D("0.033333333333")


def test_daily_yield_ignores_money_moved_in_and_out() -> None:
    # a deposit of 300 with no trading: (1300 − 1000 − 300 + 0) / (1000 + 300) = 0
    assert daily_yield(D(1000), D(1300), D(300)) == 0
    # a withdrawal of 400 with no trading: (600 − 1000 − 0 + 400) / 1000 = 0
    assert daily_yield(D(1000), D(600), withdrawals=D(400)) == 0


def test_daily_yield_without_capital_is_undefined() -> None:
    assert daily_yield(D(0), D(0)) is None


# A four-day history crossing a month end:
#   30 Jan  start 0,     deposit 1000,     end 1000 → (1000 − 0 − 1000) / (0 + 1000)      = 0       pnl    0
#   31 Jan  start 1000,                    end 1100 → (1100 − 1000) / 1000                = +0.10   pnl  100
#   01 Feb  start 1100,  deposit 400,      end 1350 → (1350 − 1100 − 400) / (1100 + 400) = −0.10   pnl −150
#   02 Feb  start 1350,  withdrawal 300,   end 1320 → (1320 − 1350 + 300) / 1350         = +0.20   pnl  270
# chained: (1 + 0)(1.1)(0.9)(1.2) − 1 = 0.188; curve 0, 0.10, −0.01, 0.188
# January: 1.1 − 1 = 0.10; February: 0.9 × 1.2 − 1 = 0.08
# total return (money): 0 + 100 − 150 + 270 = 220
# max drawdown: wealth 1, 1.1, 0.99, 1.188 → (0.99 − 1.1) / 1.1 = −0.10
HISTORY = [
    EquityPoint(date(2024, 1, 30), D(1000), deposits=D(1000)),
    EquityPoint(date(2024, 1, 31), D(1100)),
    EquityPoint(date(2024, 2, 1), D(1350), deposits=D(400)),
    EquityPoint(date(2024, 2, 2), D(1320), withdrawals=D(300)),
]


def test_daily_returns_from_equity_points() -> None:
    days = daily_returns(reversed(HISTORY))  # order of input does not matter
    assert [r.day for r in days] == [p.day for p in HISTORY]
    assert [r.value for r in days] == [D(0), D("0.1"), D("-0.1"), D("0.2")]
    assert [r.pnl for r in days] == [D(0), D(100), D(-150), D(270)]


def test_chained_yield_monthly_and_total() -> None:
    days = daily_returns(HISTORY)
    assert total_yield(days) == D("0.188")
    assert [y for _, y in cumulative_yields(days)] == [D(0), D("0.1"), D("-0.01"), D("0.188")]
    months = monthly_returns(days)
    assert [(m.label, m.value) for m in months] == [("2024-01", D("0.1")), ("2024-02", D("0.08"))]
    assert total_return(days) == D(220)
    assert max_drawdown([r.value for r in days]) == D("-0.1")


def test_chain_matches_the_spec_recurrence() -> None:
    # Y1 = (0 + 1)(0.05 + 1) − 1 = 0.05; Y2 = (0.05 + 1)(−0.02 + 1) − 1 = 1.05 × 0.98 − 1 = 0.029
    assert chain([D("0.05")]) == D("0.05")
    assert chain([D("0.05"), D("-0.02")]) == D("0.029")
    assert chain([]) == 0


def test_a_bare_first_snapshot_is_only_the_baseline() -> None:
    # tracking starts on an account already holding 5000: day one has no capital at work (start 0,
    # no deposit), so it is not a 0 % day; day two: (5100 − 5000) / 5000 = 0.02
    days = daily_returns([EquityPoint(date(2024, 5, 1), D(5000)), EquityPoint(date(2024, 5, 2), D(5100))])
    assert [(r.day, r.value) for r in days] == [(date(2024, 5, 2), D("0.02"))]


def test_opening_equity_starts_the_first_day() -> None:
    # opening 2000, end 1900: (1900 − 2000) / 2000 = −0.05
    days = daily_returns([EquityPoint(date(2024, 5, 1), D(1900))], opening_equity=D(2000))
    assert [r.value for r in days] == [D("-0.05")]


def test_two_points_for_one_day_are_refused() -> None:
    with pytest.raises(ValueError):
        daily_returns([EquityPoint(date(2024, 5, 1), D(1)), EquityPoint(date(2024, 5, 1), D(2))])


def test_monthly_returns_chain_inside_each_month_only() -> None:
    # March: 1.1 × 1.1 − 1 = 0.21; April: 0.5 − 1 = −0.5
    days = [
        DailyReturn(date(2024, 4, 1), D(0), D("-0.5")),
        DailyReturn(date(2024, 3, 1), D(0), D("0.1")),
        DailyReturn(date(2024, 3, 31), D(0), D("0.1")),
    ]
    assert [(m.year, m.month, m.value) for m in monthly_returns(days)] == [(2024, 3, D("0.21")), (2024, 4, D("-0.5"))]


# --- trades -----------------------------------------------------------------------------------

MSK = timezone(timedelta(hours=3))
TRADES = [
    # A: same day, held 8 h, +10
    ClosedTrade(datetime(2024, 3, 1, 10, tzinfo=UTC), datetime(2024, 3, 1, 18, tzinfo=UTC), D(10)),
    # B: 1 Mar 23:30 → 3 Mar 01:00, held 25.5 h, −5
    ClosedTrade(datetime(2024, 3, 1, 23, 30, tzinfo=UTC), datetime(2024, 3, 3, 1, tzinfo=UTC), D(-5)),
    # C: 5 Mar, held 2 h, exactly break-even → a win
    ClosedTrade(datetime(2024, 3, 5, 18, tzinfo=UTC), datetime(2024, 3, 5, 20, tzinfo=UTC), D(0)),
    # D: 6 Mar 01:00 → 02:00 Moscow time = 5 Mar 22:00 → 23:00 UTC, held 1 h, +3
    ClosedTrade(datetime(2024, 3, 6, 1, tzinfo=MSK), datetime(2024, 3, 6, 2, tzinfo=MSK), D(3)),
]


def test_win_rate_counts_break_even_as_a_win() -> None:
    # wins: +10, 0, +3 → 3 of 4
    assert win_rate(TRADES) == D("0.75")
    assert win_rate([]) is None


def test_trading_days_are_utc_days_with_an_opening_or_closing() -> None:
    # A: 1 Mar; B: 1 Mar and 3 Mar; C: 5 Mar; D: 5 Mar in UTC (6 Mar in Moscow) → {1, 3, 5 Mar} = 3
    assert trading_days(TRADES) == 3
    assert trading_days([]) == 0


def test_average_holding_period() -> None:
    # (8 + 25.5 + 2 + 1) h / 4 = 36.5 h / 4 = 9 h 7 min 30 s
    assert average_holding_period(TRADES) == timedelta(hours=9, minutes=7, seconds=30)
    assert average_holding_period([]) is None


def test_weekly_trade_frequency() -> None:
    # first opening 1 Mar 10:00; two weeks later: 4 trades / 2 weeks = 2
    assert weekly_trade_frequency(TRADES, datetime(2024, 3, 15, 10, tzinfo=UTC)) == 2
    # 3.5 days later (still within the first week, counted as one week): 4 trades / 1 week = 4
    assert weekly_trade_frequency(TRADES, datetime(2024, 3, 4, 22, tzinfo=UTC)) == 4
    # four weeks: 4 / 4 = 1
    assert weekly_trade_frequency(TRADES, datetime(2024, 3, 29, 10, tzinfo=UTC)) == 1
    assert weekly_trade_frequency([], datetime(2024, 3, 29, tzinfo=UTC)) == 0


def test_last_trade_is_the_latest_closing() -> None:
    # D closed at 23:00 UTC on 5 Mar, after C (20:00 UTC)
    assert last_trade_at(TRADES) == datetime(2024, 3, 5, 23, tzinfo=UTC)
    assert last_trade_at([]) is None


# --- risk level -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("volatility", "drawdown", "level"),
    [
        ("0", "0", 1),
        ("0.05", "0", 1),  # bounds are inclusive
        ("0.0500001", "0", 2),
        ("0.10", "0", 2),
        ("0.20", "0", 4),
        ("0.30", "0", 5),
        ("1.00", "0", 9),
        ("1.0000001", "0", 10),
        ("0", "-0.02", 1),
        ("0", "-0.0200001", 2),
        ("0", "0.0200001", 2),  # either sign of drawdown
        ("0", "-0.16", 5),
        ("0", "-0.55", 9),
        ("0", "-0.5500001", 10),
        ("0.12", "-0.35", 8),  # volatility says 3, drawdown says 8: the worse wins
        ("0.80", "-0.01", 9),  # volatility says 9, drawdown says 1
        ("1.5", "-0.01", 10),
    ],
)
def test_risk_level_boundaries(volatility: str, drawdown: str, level: int) -> None:
    assert risk_level_from(D(volatility), D(drawdown)) == level


def test_risk_level_of_a_return_series() -> None:
    # [+1 %, −1 %]: mean 0, sample std √((0.0001 + 0.0001) / 1) = 0.014142…, × √365 = 0.2702 → level 5;
    # drawdown (1.01 × 0.99 − 1.01) / 1.01 = −0.01 → level 1; the level is 5
    assert risk_level([D("0.01"), D("-0.01")]) == 5
    assert risk_level([D("0.01")]) is None


# --- leaderboard score ------------------------------------------------------------------------


def daily_series(start: date, values: list[Decimal]) -> list[DailyReturn]:
    return [DailyReturn(start + timedelta(days=i), D(0), v) for i, v in enumerate(values)]


def trades_on(days: list[date]) -> list[ClosedTrade]:
    """One 8-hour winning trade on each given day."""
    opens = [datetime(d.year, d.month, d.day, 9, tzinfo=UTC) for d in days]
    return [ClosedTrade(o, o + timedelta(hours=8), D(1)) for o in opens]


def test_score_worked_example() -> None:
    # two days inside both windows: +10 %, −5 %; chained 1.1 × 0.95 − 1 = 0.045; drawdown (1.045 − 1.1) / 1.1 = −0.05
    # 30-day ratio: 0.045 / 0.05 = 0.9
    # 90-day ratio: (1.045^(30/90) − 1) / 0.05 = 0.0147804616… / 0.05 = 0.2956092326…
    # score: 0.4 × 0.9 + 0.6 × 0.2956092326 = 0.5373655396; 20 trading days → activity 1
    as_of = date(2024, 6, 30)
    returns = daily_series(date(2024, 6, 20), [D("0.10"), D("-0.05")])
    active = trades_on([date(2024, 6, 1) + timedelta(days=i) for i in range(20)])
    assert q(window_ratio([D("0.10"), D("-0.05")], 30)) == D("0.900000000000")
    assert q(leaderboard_score(returns, active, as_of), 10) == D("0.5373655396")
    # with 10 trading days the positive score counts half: 0.2686827698
    assert q(leaderboard_score(returns, active[:10], as_of), 10) == D("0.2686827698")


def test_steadier_trader_with_the_same_return_ranks_higher() -> None:
    as_of = date(2024, 6, 30)
    start = as_of - timedelta(days=89)
    # volatile: +6 %, −4 % alternating for 90 days
    volatile = [D("0.06") if i % 2 == 0 else D("-0.04") for i in range(90)]
    total = chain(volatile)
    # steady: the same total yield in 90 equal days
    step = (1 + total) ** (D(1) / 90) - 1
    steady = [step] * 90
    assert abs(chain(steady) - total) < D("1e-20")
    active = trades_on([start + timedelta(days=i) for i in range(0, 90, 2)])
    steady_score = leaderboard_score(daily_series(start, steady), active, as_of)
    volatile_score = leaderboard_score(daily_series(start, volatile), active, as_of)
    assert steady_score > volatile_score > 0


def test_loser_ranks_below_winner_and_inactivity_does_not_help_it() -> None:
    as_of = date(2024, 6, 30)
    start = as_of - timedelta(days=29)
    winner = daily_series(start, [D("0.01")] * 30)
    loser = daily_series(start, [D("-0.01")] * 30)
    busy = trades_on([start + timedelta(days=i) for i in range(30)])
    assert leaderboard_score(winner, busy, as_of) > 0 > leaderboard_score(loser, busy, as_of)
    # a losing score is not scaled down by having few trading days
    assert leaderboard_score(loser, busy[:2], as_of) == leaderboard_score(loser, busy, as_of)


def test_returns_outside_the_windows_do_not_count() -> None:
    as_of = date(2024, 6, 30)
    old = daily_series(date(2024, 1, 1), [D("0.5")] * 10)
    assert leaderboard_score(old, trades_on([date(2024, 6, 1)]), as_of) == 0


# --- the whole report -------------------------------------------------------------------------


def test_performance_report_bundles_the_figures() -> None:
    now = datetime(2024, 3, 15, 10, tzinfo=UTC)
    report = performance_report(HISTORY, TRADES, now)
    assert report.total_return == D(220)
    assert report.total_yield == D("0.188")
    assert [m.value for m in report.monthly_returns] == [D("0.1"), D("0.08")]
    assert report.max_drawdown == D("-0.1")
    assert report.win_rate == D("0.75")
    assert (report.trades, report.winning_trades, report.trading_days) == (4, 3, 3)
    assert report.weekly_trade_frequency == 2
    assert report.average_holding == timedelta(hours=9, minutes=7, seconds=30)
    assert report.last_trade_at == datetime(2024, 3, 5, 23, tzinfo=UTC)
    assert report.sharpe is not None and report.sortino is not None
    assert report.risk_level is not None and 1 <= report.risk_level <= 10


def test_empty_report_has_dashes_not_errors() -> None:
    report = performance_report([], [], datetime(2024, 3, 15, tzinfo=UTC))
    assert (report.total_return, report.total_yield, report.trades, report.score) == (0, 0, 0, 0)
    assert report.max_drawdown is None and report.sharpe is None and report.risk_level is None
    assert report.win_rate is None and report.last_trade_at is None and report.monthly_returns == ()
