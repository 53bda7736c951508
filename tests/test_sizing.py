"""Sizing of follower orders: the spec's worked examples, caps, exchange minimums, and properties."""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.config import Limits
from core.engine.sizing import (
    Exposure,
    Leg,
    SizingDecision,
    SkipReason,
    allocation_multiplier,
    committed_capital,
    exit_quantity,
    fixed_quantity,
    proportional_k,
    proportional_quantity,
    size_entry,
    size_exit,
    split_master_trade,
)
from core.errors import CopytradeError, InvalidSizingInput, NotEnoughMoney
from core.exchange.base import MarketRules, fit_amount, min_accepted_amount

BTC = MarketRules(
    symbol="BTC/USDT", base="BTC", quote="USDT", amount_step=D("0.00001"), price_step=D("0.01"),
    min_amount=D("0.00001"), min_cost=D("5"),
)
ETH_PERP = MarketRules(
    symbol="ETH/USDT:USDT", base="ETH", quote="USDT", amount_step=D("1"), price_step=D("0.01"),
    min_amount=D("1"), min_cost=D("5"), contract=True, contract_size=D("0.1"),
)


# --- subscription multiplier (spec 003/004) ---------------------------------------------------
def test_multiplier_first_worked_example() -> None:
    result = allocation_multiplier(D("50515"), D("50000"), D("100"), D("200"))
    assert result.usable == D("50009.85")
    assert result.amount == D("50000")
    assert result.multiplier == D("250")


def test_multiplier_second_worked_example() -> None:
    result = allocation_multiplier(D("76667"), D("40000"), D("3000"), D("40000"))
    assert result.usable == D("75900.33")
    assert result.amount == D("73000")
    assert result.multiplier == D("1.825")


def test_multiplier_without_step_uses_all_usable_assets() -> None:
    result = allocation_multiplier(D("1000"), D("500"), D("0"), D("400"))
    assert result.amount == D("990")
    assert result.multiplier == D("2.475")


def test_multiplier_is_rounded_to_six_places() -> None:
    result = allocation_multiplier(D("10000"), D("1000"), D("1000"), D("3000"))
    assert result.amount == D("9000")
    assert result.multiplier == D("3.000000")
    assert allocation_multiplier(D("10000"), D("1000"), D("100"), D("7000")).multiplier == D("1.414286")  # 9,900
    assert allocation_multiplier(D("10000"), D("1000"), D("1000"), D("7000")).multiplier == D("1.285714")


def test_not_enough_money_counts_the_one_percent() -> None:
    # 50,200 is above the minimum, but 50,200 − 1 % = 49,698 is not.
    with pytest.raises(NotEnoughMoney) as caught:
        allocation_multiplier(D("50200"), D("50000"), D("100"), D("200"))
    assert caught.value.code == "not_enough_money"
    assert isinstance(caught.value, CopytradeError)
    assert caught.value.required == D("50000")
    assert caught.value.available == D("49698")


def test_usable_exactly_at_minimum_subscribes_with_the_minimum() -> None:
    result = allocation_multiplier(D("50000") / D("0.99"), D("50000"), D("100"), D("50000"))
    assert result.amount == D("50000")
    assert result.multiplier == D("1")


def test_empty_account_is_not_enough_money_even_with_no_minimum() -> None:
    with pytest.raises(NotEnoughMoney):
        allocation_multiplier(D("0"), D("0"), D("10"), D("100"))


@pytest.mark.parametrize(
    ("minimum", "step", "recommended", "name"),
    [(D("-1"), D("1"), D("1"), "minimum"), (D("1"), D("-1"), D("1"), "step"), (D("1"), D("1"), D("0"), "recommended")],
)
def test_multiplier_rejects_meaningless_inputs(minimum: D, step: D, recommended: D, name: str) -> None:
    with pytest.raises(InvalidSizingInput) as caught:
        allocation_multiplier(D("1000"), minimum, step, recommended)
    assert caught.value.name == name


@given(
    total=st.decimals(min_value=0, max_value=10**7, places=2),
    minimum=st.decimals(min_value=0, max_value=10**6, places=2),
    step=st.decimals(min_value=0, max_value=10**4, places=2),
)
def test_multiplier_amount_is_the_largest_step_within_99_percent(total: D, minimum: D, step: D) -> None:
    try:
        result = allocation_multiplier(total, minimum, step, D("1000"))
    except NotEnoughMoney:
        assert total * D("0.99") < minimum or total == 0
        return
    assert minimum <= result.amount <= result.usable <= total * D("0.99")
    if step > 0:
        assert (result.amount - minimum) % step == 0
        assert result.amount + step > result.usable
    else:
        assert result.amount == result.usable


# --- k (spec 004) ------------------------------------------------------------------------------
def test_k_examples() -> None:
    assert proportional_k(D("2500"), D("10000")) == D("0.25")
    assert proportional_k(D("1000"), D("150000")) == D("0.006667")
    assert proportional_k(D("0"), D("150000")) == D("0")


def test_k_rounds_half_up_to_six_places() -> None:
    assert proportional_k(D("1"), D("2000000")) == D("0.000001")  # exactly half a millionth
    assert proportional_k(D("1"), D("3000000")) == D("0.000000")
    assert proportional_k(D("2"), D("3")) == D("0.666667")
    assert proportional_k(D("2"), D("3")).as_tuple().exponent == -6


@pytest.mark.parametrize("master", [D("0"), D("-5")])
def test_k_needs_positive_master_equity(master: D) -> None:
    with pytest.raises(InvalidSizingInput) as caught:
        proportional_k(D("1000"), master)
    assert caught.value.code == "invalid_sizing_input"
    assert caught.value.name == "master_equity"


def test_k_refuses_negative_follower_equity() -> None:
    with pytest.raises(InvalidSizingInput):
        proportional_k(D("-1"), D("1000"))


# --- legs of a master trade ---------------------------------------------------------------------
def test_open_and_increase_are_single_open_legs() -> None:
    assert split_master_trade(D("0"), "buy", D("2"), can_short=True) == [Leg("open", "long", D("2"), D("0"))]
    assert split_master_trade(D("2"), "buy", D("1"), can_short=True) == [Leg("open", "long", D("1"), D("2"))]
    assert split_master_trade(D("-2"), "sell", D("1"), can_short=True) == [Leg("open", "short", D("1"), D("2"))]


def test_partial_and_full_close() -> None:
    assert split_master_trade(D("4"), "sell", D("1"), can_short=True) == [Leg("close", "long", D("1"), D("4"))]
    assert split_master_trade(D("-4"), "buy", D("4"), can_short=True) == [Leg("close", "short", D("4"), D("4"))]


def test_reversal_is_a_full_close_plus_an_open() -> None:
    legs = split_master_trade(D("1"), "sell", D("3"), can_short=True)
    assert legs == [Leg("close", "long", D("1"), D("1")), Leg("open", "short", D("2"), D("0"))]
    assert [leg.side for leg in legs] == ["sell", "sell"]
    legs = split_master_trade(D("-1"), "buy", D("1.5"), can_short=True)
    assert legs == [Leg("close", "short", D("1"), D("1")), Leg("open", "long", D("0.5"), D("0"))]
    assert [leg.side for leg in legs] == ["buy", "buy"]


def test_spot_never_opens_a_short() -> None:
    assert split_master_trade(D("1"), "sell", D("3"), can_short=False) == [Leg("close", "long", D("1"), D("1"))]
    # The master sells holdings we never saw bought: the follower closes what it holds for this trader.
    assert split_master_trade(D("0"), "sell", D("1"), can_short=False) == [Leg("close", "long", D("1"), D("0"))]


def test_nothing_traded_means_no_leg() -> None:
    assert split_master_trade(D("1"), "sell", D("0"), can_short=True) == []


# --- raw quantities -----------------------------------------------------------------------------
def test_proportional_quantity_is_master_times_k() -> None:
    k = proportional_k(D("1000"), D("150000"))
    assert proportional_quantity(D("0.5"), k) == D("0.0033335")


def test_fixed_quantity_spends_the_fixed_amount() -> None:
    assert fixed_quantity(D("100"), D("25000")) == D("0.004")
    # 100 USDT of margin at 5x on contracts of 0.1 ETH at 2,000: 500 notional = 2.5 contracts.
    assert fixed_quantity(D("100"), D("2000"), contract_size=D("0.1"), leverage=D("5")) == D("2.5")


def test_fixed_quantity_needs_a_price() -> None:
    with pytest.raises(InvalidSizingInput):
        fixed_quantity(D("100"), D("0"))


def test_exit_scales_by_the_master_exit_fraction() -> None:
    assert exit_quantity(D("0.004"), D("0.5"), D("2")) == D("0.001")
    assert exit_quantity(D("0.004"), D("2"), D("2")) == D("0.004")  # full exit
    assert exit_quantity(D("0.004"), D("3"), D("2")) == D("0.004")  # never more than held
    assert exit_quantity(D("0.004"), D("1"), D("0")) == D("0.004")  # unknown master position: full exit
    assert exit_quantity(D("0"), D("1"), D("2")) == D("0")


# --- entries: caps and exchange rules -----------------------------------------------------------
def entry(quantity: D, *, price: D = D("60000"), assets: D = D("1000"), subscription: D = D("0"),
          account: D | None = None, pct: D = D("30"), round_up: bool = False, rules: MarketRules = BTC,
          leverage: D = D("1"), limits: Limits | None = None) -> SizingDecision:
    exposure = Exposure(assets, subscription, subscription if account is None else account)
    return size_entry(quantity, price=price, rules=rules, exposure=exposure, allocation_pct=pct,
                      leverage=leverage, round_up_to_min=round_up, limits=limits or Limits())


def test_proportional_entry_is_floored_to_the_step() -> None:
    k = proportional_k(D("1000"), D("150000"))
    decision = entry(proportional_quantity(D("0.5"), k))  # the master puts 20 % of its equity in
    assert not decision.skipped
    assert decision.quantity == D("0.00333")
    assert not decision.reduced and not decision.rounded_up


def test_fixed_entry_then_partial_exit() -> None:
    opened = entry(fixed_quantity(D("100"), D("25000")), price=D("25000"))
    assert opened.quantity == D("0.004")
    closed = size_exit(opened.quantity, D("0.5"), D("2"), price=D("26000"), rules=BTC)
    assert closed.quantity == D("0.001")
    rest = size_exit(opened.quantity - closed.quantity, D("1.5"), D("1.5"), price=D("26000"), rules=BTC)
    assert rest.quantity == D("0.003")


def test_entry_over_the_cap_is_reduced_to_fit() -> None:
    # 30 % of 1,000 = 300 USDT; the raw entry is worth 450.
    decision = entry(D("0.0075"))
    assert decision.reduced and not decision.skipped
    assert decision.quantity == D("0.005")
    assert committed_capital(decision.quantity, D("60000")) <= D("300")


def test_cap_counts_existing_exposure() -> None:
    decision = entry(D("0.0075"), subscription=D("250"))  # 50 USDT of room left
    assert decision.reduced
    assert decision.quantity == D("0.00083")
    assert committed_capital(decision.quantity, D("60000")) <= D("50")


def test_entry_is_skipped_when_the_cap_is_used_up() -> None:
    decision = entry(D("0.001"), subscription=D("300"))
    assert decision.reason == SkipReason.ALLOCATION_CAP == "allocation_cap"
    assert decision.quantity == 0


def test_entry_is_skipped_when_what_fits_is_below_the_exchange_minimum() -> None:
    decision = entry(D("0.001"), subscription=D("297"), round_up=True)  # 3 USDT of room, minimum is 5
    assert decision.reason == SkipReason.ALLOCATION_CAP


BTC_MAX_100 = replace(BTC, max_amount=D("100"))
WHALE = D("10000000")  # assets whose 30 % cap (3M USDT = 50 BTC at 60,000) is not what binds below


def test_entry_over_the_exchange_maximum_is_cut_to_the_largest_order() -> None:
    decision = entry(D("40"), assets=WHALE, rules=replace(BTC, max_amount=D("25")))
    assert (decision.quantity, decision.reduced, decision.skipped) == (D("25"), True, False)
    assert decision.detail == "cut to the exchange's largest order, 25 BTC"
    assert entry(D("40"), assets=WHALE, rules=BTC_MAX_100) == entry(D("40"), assets=WHALE)  # under it: untouched


def test_the_stricter_of_cap_and_maximum_binds() -> None:
    by_cap = entry(D("80"), assets=WHALE, rules=BTC_MAX_100)  # the cap allows 50 BTC, the exchange 100
    assert (by_cap.quantity, by_cap.reduced) == (D("50"), True) and "cap" in by_cap.detail
    by_max = entry(D("80"), assets=WHALE, rules=replace(BTC, max_amount=D("30")))
    assert (by_max.quantity, by_max.reduced) == (D("30"), True) and "largest order" in by_max.detail


def test_a_maximum_off_the_step_grid_is_floored_onto_it() -> None:
    rules = replace(BTC, amount_step=D("0.01"), min_amount=D("0.01"), max_amount=D("12.345"))
    assert fit_amount(rules, D("20"), D("60000")) == D("12.34")
    assert fit_amount(rules, D("12.339"), D("60000")) == D("12.33")


def test_exit_over_the_exchange_maximum_closes_the_largest_order_and_leaves_the_rest() -> None:
    decision = size_exit(D("250"), D("2"), D("2"), price=D("60000"), rules=BTC_MAX_100)  # the master closes all
    assert (decision.quantity, decision.reduced, decision.skipped) == (D("100"), True, False)
    assert "largest order" in decision.detail
    small = size_exit(D("250"), D("0.5"), D("2"), price=D("60000"), rules=BTC_MAX_100)  # a quarter: 62.5 BTC
    assert (small.quantity, small.reduced) == (D("62.5"), False)


def test_allocation_pct_is_clamped_to_the_hard_cap() -> None:
    decision = entry(D("0.01"), pct=D("80"))  # 600 USDT asked for, 50 % = 500 allowed
    assert decision.reduced
    assert decision.quantity == D("0.00833")
    assert entry(D("0.01"), pct=D("40")).quantity == D("0.00666")


def test_leveraged_entry_is_capped_on_margin() -> None:
    # 30 contracts × 0.1 ETH × 2,000 = 6,000 notional, 600 margin at 10x; the cap is 300 margin.
    decision = entry(D("30"), price=D("2000"), rules=ETH_PERP, leverage=D("10"))
    assert decision.reduced
    assert decision.quantity == D("15")


def test_account_may_commit_at_most_99_percent() -> None:
    # Other positions on the account already commit 980 of 1,000: 10 USDT is left under 99 %.
    decision = entry(D("0.001"), account=D("980"))
    assert decision.reduced
    assert decision.quantity == D("0.00016")
    assert committed_capital(decision.quantity, D("60000")) <= D("10")
    # Even a platform that allows 100 % per trader stops at 99 % of the account.
    generous = Limits(max_allocation_pct=D("100"))
    decision = entry(D("1"), pct=D("100"), limits=generous)
    assert decision.quantity == D("0.0165")  # 990 USDT


def test_empty_account_is_not_enough_money() -> None:
    assert entry(D("0.001"), assets=D("0")).reason == SkipReason.NOT_ENOUGH_MONEY == "not_enough_money"


def test_zero_k_is_a_skip_not_an_order() -> None:
    assert entry(proportional_quantity(D("1"), D("0")), round_up=True).reason == SkipReason.BELOW_MINIMUM


def test_below_minimum_is_skipped_by_default() -> None:
    decision = entry(D("0.00005"))  # 3 USDT, the minimum notional is 5
    assert decision.reason == SkipReason.BELOW_MINIMUM == "below_minimum"
    assert "cost" in decision.detail


def test_below_minimum_is_rounded_up_when_allowed_and_within_the_cap() -> None:
    decision = entry(D("0.00005"), round_up=True)
    assert not decision.skipped and decision.rounded_up
    assert decision.quantity == D("0.00009") == min_accepted_amount(BTC, D("60000"))


def test_round_up_that_would_breach_the_cap_is_skipped() -> None:
    # 30 % of 10 USDT = 3 USDT of room; the raw 2.4 USDT fits, the minimum 5.4 USDT does not.
    decision = entry(D("0.00004"), assets=D("10"), round_up=True)
    assert decision.reason == SkipReason.ALLOCATION_CAP
    assert "rounding up" in decision.detail


# --- exits ---------------------------------------------------------------------------------------
def test_exit_without_a_position_is_skipped() -> None:
    assert size_exit(D("0"), D("1"), D("1"), price=D("60000"), rules=BTC).reason == SkipReason.NO_POSITION


def test_exit_dust_below_minimum_is_skipped() -> None:
    decision = size_exit(D("0.00005"), D("1"), D("1"), price=D("60000"), rules=BTC, round_up_to_min=True)
    assert decision.reason == SkipReason.BELOW_MINIMUM


def test_partial_exit_rounds_up_only_within_the_position() -> None:
    # 10 % of 0.0005 BTC is 3 USDT; the minimum 0.00009 is still inside the position.
    assert size_exit(D("0.0005"), D("1"), D("10"), price=D("60000"), rules=BTC).reason == SkipReason.BELOW_MINIMUM
    raised = size_exit(D("0.0005"), D("1"), D("10"), price=D("60000"), rules=BTC, round_up_to_min=True)
    assert raised.rounded_up and raised.quantity == D("0.00009")
    # Half of a 0.00008 position at 70,000 (2.8 USDT) rounds up to the minimum, which is the whole position.
    whole = size_exit(D("0.00008"), D("1"), D("2"), price=D("70000"), rules=BTC, round_up_to_min=True)
    assert whole.rounded_up and whole.quantity == D("0.00008")
    # At 60,000 the minimum is 0.00009, more than the follower holds.
    tiny = size_exit(D("0.00008"), D("1"), D("2"), price=D("60000"), rules=BTC, round_up_to_min=True)
    assert tiny.reason == SkipReason.BELOW_MINIMUM
    assert "exceeds the position" in tiny.detail


def test_reduce_only_exit_can_ignore_the_notional_minimum() -> None:
    decision = size_exit(D("0.00005"), D("1"), D("1"), price=None, rules=BTC)
    assert decision.quantity == D("0.00005")


# --- properties ------------------------------------------------------------------------------------
steps = st.sampled_from([D("0"), D("0.00001"), D("0.001"), D("0.1"), D("1")])


@given(
    quantity=st.decimals(min_value=0, max_value=100, places=6),
    price=st.decimals(min_value=D("0.01"), max_value=100000, places=2),
    assets=st.decimals(min_value=0, max_value=10**6, places=2),
    used=st.decimals(min_value=0, max_value=1, places=3),
    other=st.decimals(min_value=0, max_value=1, places=3),
    pct=st.decimals(min_value=0, max_value=100, places=1),
    step=steps,
    min_cost=st.sampled_from([D("0"), D("1"), D("5"), D("100")]),
    leverage=st.sampled_from([D("1"), D("3"), D("20")]),
    round_up=st.booleans(),
    maximum=st.sampled_from([None, D("0.5"), D("7"), D("60")]),
)
def test_entry_never_exceeds_the_cap_and_stays_on_the_grid(
    quantity: D, price: D, assets: D, used: D, other: D, pct: D, step: D, min_cost: D, leverage: D, round_up: bool,
    maximum: D | None,
) -> None:
    rules = MarketRules(symbol="X/USDT", base="X", quote="USDT", amount_step=step, price_step=D("0.01"),
                        min_amount=step, min_cost=min_cost, max_amount=maximum)
    subscription = assets * used * D("0.5")
    account = subscription + assets * other * D("0.5")
    decision = size_entry(quantity, price=price, rules=rules, exposure=Exposure(assets, subscription, account),
                          allocation_pct=pct, leverage=leverage, round_up_to_min=round_up)
    if decision.skipped:
        assert decision.quantity == 0 and decision.reason in set(SkipReason)
        return
    q = decision.quantity
    cap = min(assets * min(pct, D("50")) / 100 - subscription, assets * D("0.99") - account)
    assert committed_capital(q, price, leverage=leverage) <= cap
    if step > 0:
        assert q % step == 0
    assert q > 0 and q >= rules.min_amount and q * price >= min_cost
    assert maximum is None or q <= maximum
    if decision.rounded_up:
        assert round_up and q == min_accepted_amount(rules, price)
    else:
        assert q <= quantity


@given(
    position=st.decimals(min_value=0, max_value=10, places=5),
    master_exit=st.decimals(min_value=D("0.001"), max_value=10, places=3),
    master_before=st.decimals(min_value=0, max_value=10, places=3),
    price=st.decimals(min_value=D("0.01"), max_value=100000, places=2),
    step=steps,
    round_up=st.booleans(),
    maximum=st.sampled_from([None, D("0.5"), D("3")]),
)
def test_exit_never_sells_more_than_held(
    position: D, master_exit: D, master_before: D, price: D, step: D, round_up: bool, maximum: D | None
) -> None:
    rules = MarketRules(symbol="X/USDT", base="X", quote="USDT", amount_step=step, price_step=D("0.01"),
                        min_amount=step, min_cost=D("5"), max_amount=maximum)
    decision = size_exit(position, master_exit, master_before, price=price, rules=rules, round_up_to_min=round_up)
    if decision.skipped:
        return
    assert 0 < decision.quantity <= position
    assert maximum is None or decision.quantity <= maximum
    if step > 0:
        assert decision.quantity % step == 0
    if not decision.rounded_up:
        assert decision.quantity <= exit_quantity(position, master_exit, master_before)
