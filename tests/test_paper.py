"""The paper exchange: exact Decimal fills, the market's rules, resting limits against a real replay,
locked funds, idempotent client ids, determinism, and fills pushed to subscribers."""
from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest

from core.errors import BadSymbol, BelowMinimum, InsufficientFunds, InvalidOrder, OrderNotFound
from core.exchange.base import Balance, OrderRequest
from core.exchange.feeds import Candle, ReplayFeed, SyntheticFeed, load_candles, replay_xrp_5m
from core.exchange.paper import PaperExchange, PaperGateway
from core.exchange.paper_book import Fill

FILE_5M = Path(__file__).resolve().parents[1] / "core" / "data" / "XRP_USDT_USDT-5m-futures.json"

XRP = "XRP/USDT"
D = Decimal


def flat_feed(*prices: str) -> ReplayFeed:
    """One tick per price, one minute apart: full control over what the market does."""
    candles = [Candle(60_000 * i, D(p), D(p), D(p), D(p), D(1)) for i, p in enumerate(prices)]
    return ReplayFeed({XRP: candles}, interval_ms=60_000)


def market(side: str, amount: str, cid: str, symbol: str = XRP) -> OrderRequest:
    return OrderRequest(symbol, side, "market", D(amount), cid)  # type: ignore[arg-type]


def limit(side: str, amount: str, price: str, cid: str) -> OrderRequest:
    return OrderRequest(XRP, side, "limit", D(amount), cid, price=D(price))  # type: ignore[arg-type]


async def test_market_buy_and_sell_charge_fee_and_slippage_exactly() -> None:
    venue = PaperExchange(flat_feed("0.5000", "0.5000"), slippage_bps=D(10))
    gw = venue.open_account("a", {"USDT": D("1000")})

    buy = await gw.create_order(market("buy", "100", "b1"))
    # 0.5 × (1 + 10 bps) = 0.5005; cost 50.05; fee 0.1 % = 0.05005
    assert (buy.status, buy.filled, buy.average, buy.fee, buy.fee_currency) == ("closed", D("100"), D("0.5005"), D("0.05005"), "USDT")
    balances = await gw.fetch_balance()
    assert balances["USDT"] == Balance(free=D("949.89995"), used=D(0))
    assert balances["XRP"] == Balance(free=D("100"), used=D(0))

    sell = await gw.create_order(market("sell", "100", "s1"))
    # 0.5 × (1 − 10 bps) = 0.4995; proceeds 49.95 − fee 0.04995
    assert (sell.average, sell.fee) == (D("0.4995"), D("0.04995"))
    balances = await gw.fetch_balance()
    assert balances["USDT"].free == D("949.89995") + D("49.95") - D("0.04995") == D("999.80000")
    assert balances["XRP"].total == 0


async def test_slipped_price_lands_on_the_grid_against_the_taker() -> None:
    venue = PaperExchange(flat_feed("0.5003"), slippage_bps=D(3), fee_rate=D(0))
    gw = venue.open_account("a", {"USDT": D("100"), "XRP": D("100")})
    assert (await gw.create_order(market("buy", "20", "b"))).average == D("0.5005")  # 0.50045009 → up
    assert (await gw.create_order(market("sell", "20", "s"))).average == D("0.5001")  # 0.50014991 → down


async def test_prepare_order_rounds_and_create_order_refuses_off_step_values() -> None:
    gw = PaperExchange(flat_feed("0.5000")).open_account("a", {"USDT": D("1000")})
    assert gw.prepare_order(limit("buy", "100.37", "0.49996", "x")).amount == D("100.3")
    assert gw.prepare_order(limit("buy", "100.37", "0.49996", "x")).price == D("0.4999")
    with pytest.raises(InvalidOrder, match="multiple of 0.1"):
        await gw.create_order(market("buy", "100.37", "x1"))
    with pytest.raises(InvalidOrder, match="multiple of 0.0001"):
        await gw.create_order(limit("buy", "100", "0.49996", "x2"))
    assert (await gw.fetch_balance())["USDT"] == Balance(free=D("1000"), used=D(0))
    assert await gw.fetch_order_by_client_id(XRP, "x1") is None


async def test_below_min_notional_is_refused_before_anything_happens() -> None:
    venue = PaperExchange(flat_feed("0.5000"))
    gw = venue.open_account("a", {"USDT": D("1000")})
    fills = gw.subscribe()
    request = market("buy", "9.9", "tiny")  # 9.9 × 0.5 = 4.95 USDT < 5
    with pytest.raises(BelowMinimum) as refused:
        gw.prepare_order(request, reference_price=await gw.fetch_price(XRP))
    assert (refused.value.limit, refused.value.minimum, refused.value.value) == ("cost", D(5), D("4.950"))
    with pytest.raises(BelowMinimum):
        await gw.create_order(request)
    with pytest.raises(BelowMinimum):
        await gw.create_order(limit("buy", "10", "0.4999", "tiny-limit"))  # 4.999 USDT
    assert (await gw.fetch_balance())["USDT"] == Balance(free=D("1000"), used=D(0))
    assert await gw.fetch_order_by_client_id(XRP, "tiny") is None
    assert await gw.fetch_open_orders() == []
    assert fills.empty()
    assert (await gw.create_order(market("buy", "10", "ok"))).status == "closed"  # exactly 5 passes


async def test_limit_order_rests_and_fills_when_the_replay_crosses() -> None:
    feed = replay_xrp_5m(intrabar=True)
    venue = PaperExchange(feed)
    gw = venue.open_account("a", {"USDT": D("1000")})
    fills = gw.subscribe()
    assert await gw.fetch_price(XRP) == D("1.1893")

    order = await gw.create_order(limit("buy", "100", "1.1800", "dip"))
    assert order.status == "open"
    locked = D("100") * D("1.18") * D("1.001")
    assert (await gw.fetch_balance())["USDT"] == Balance(free=D("1000") - locked, used=locked)
    assert await gw.fetch_open_orders(XRP) == [order]

    # where the file says the price first reaches 1.18: that candle's low, visited at its low tick
    candle = next(c for c in load_candles(FILE_5M) if c.low <= D("1.18"))
    low_tick = candle.open_time + (75_000 if candle.close >= candle.open else 150_000)
    while feed.now_ms() < low_tick:
        assert (await gw.fetch_open_orders()) == [order]
        assert await feed.advance()
    fill = fills.get_nowait()
    assert (fill.trade.price, fill.trade.amount, fill.trade.timestamp) == (D("1.18"), D("100"), low_tick)
    assert fill.order.status == "closed" and fill.order.id == order.id
    balances = await gw.fetch_balance()
    assert balances["USDT"] == Balance(free=D("1000") - locked, used=D(0))
    assert balances["XRP"].free == D("100")
    assert await gw.fetch_open_orders() == []
    assert (await gw.fetch_order_by_client_id(XRP, "dip")).filled == D("100")  # type: ignore[union-attr]


async def test_sell_limit_fills_when_price_rises_to_it() -> None:
    feed = flat_feed("0.5000", "0.5100", "0.5200", "0.5300")
    gw = PaperExchange(feed).open_account("a", {"XRP": D("50")})
    await gw.create_order(limit("sell", "50", "0.5200", "tp"))
    assert (await gw.fetch_balance())["XRP"] == Balance(free=D(0), used=D("50"))
    await feed.advance()
    assert len(await gw.fetch_open_orders()) == 1
    await feed.advance()
    [trade] = await gw.fetch_my_trades(XRP)
    assert (trade.price, trade.fee, trade.timestamp) == (D("0.52"), D("0.026"), 120_000)
    balances = await gw.fetch_balance()
    assert balances["USDT"].free == D("26") - D("0.026")
    assert balances["XRP"].total == 0


async def test_marketable_limit_fills_at_once_and_never_beyond_its_limit() -> None:
    venue = PaperExchange(flat_feed("0.5000"), slippage_bps=D(50))
    gw = venue.open_account("a", {"USDT": D("100")})
    order = await gw.create_order(limit("buy", "20", "0.5010", "m"))
    assert (order.status, order.average) == ("closed", D("0.501"))  # slipped 0.5025 is capped at the limit
    order = await gw.create_order(limit("buy", "20", "0.5100", "n"))
    assert order.average == D("0.5025")  # better than the limit, so the market price wins


async def test_cancel_releases_locked_funds_and_the_order_never_fills() -> None:
    feed = flat_feed("0.5000", "0.4000")
    gw = PaperExchange(feed).open_account("a", {"USDT": D("100")})
    order = await gw.create_order(limit("buy", "100", "0.4500", "c"))
    assert (await gw.fetch_balance())["USDT"].used == D("45.045")
    canceled = await gw.cancel_order(XRP, client_order_id="c")
    assert (canceled.id, canceled.status) == (order.id, "canceled")
    assert (await gw.fetch_balance())["USDT"] == Balance(free=D("100"), used=D(0))
    await feed.advance()  # price goes through the old limit
    assert await gw.fetch_my_trades(XRP) == []
    assert (await gw.fetch_order_by_client_id(XRP, "c")).status == "canceled"  # type: ignore[union-attr]
    with pytest.raises(OrderNotFound):
        await gw.cancel_order(XRP, order_id=order.id)
    with pytest.raises(OrderNotFound):
        await gw.cancel_order(XRP, order_id="999")


async def test_insufficient_funds_is_refused_and_leaves_no_trace() -> None:
    gw = PaperExchange(flat_feed("0.5000")).open_account("a", {"USDT": D("50")})
    with pytest.raises(InsufficientFunds):
        await gw.create_order(market("buy", "100", "big"))  # 50 + 0.05 fee > 50
    with pytest.raises(InsufficientFunds):
        await gw.create_order(market("sell", "10", "naked"))  # no XRP at all
    await gw.create_order(limit("buy", "60", "0.4000", "first"))  # locks 24.024
    with pytest.raises(InsufficientFunds):
        await gw.create_order(limit("buy", "70", "0.4000", "second"))  # 28.028 > 25.976 still free
    assert (await gw.fetch_balance())["USDT"] == Balance(free=D("25.976"), used=D("24.024"))
    assert await gw.fetch_order_by_client_id(XRP, "big") is None
    assert [o.client_order_id for o in await gw.fetch_open_orders()] == ["first"]


async def test_client_order_id_is_idempotent() -> None:
    venue = PaperExchange(flat_feed("0.5000"))
    gw = venue.open_account("a", {"USDT": D("1000")})
    first = await gw.create_order(market("buy", "100", "once"))
    again = await gw.create_order(market("buy", "100", "once"))
    assert again == first
    assert len(await gw.fetch_my_trades(XRP)) == 1
    assert (await gw.fetch_balance())["XRP"].free == D("100")
    with pytest.raises(InvalidOrder, match="used for another order"):
        await gw.create_order(market("buy", "200", "once"))
    # the same client id on another account is another order
    other = venue.open_account("b", {"USDT": D("1000")})
    assert (await other.create_order(market("buy", "100", "once"))).id != first.id
    assert await gw.fetch_order_by_client_id(XRP, "once") == first
    assert await gw.fetch_order_by_client_id(XRP, "never") is None


async def test_fills_are_pushed_to_the_accounts_subscribers_only() -> None:
    feed = flat_feed("0.5000", "0.4000")
    venue = PaperExchange(feed)
    master, follower = venue.open_account("m", {"USDT": D("100")}), venue.open_account("f", {"USDT": D("100")})
    master_fills, follower_fills = master.subscribe(), follower.subscribe()
    await master.create_order(market("buy", "20", "m1"))
    await master.create_order(limit("buy", "20", "0.4500", "m2"))
    first: Fill = await asyncio.wait_for(master_fills.get(), 1)
    assert (first.account_id, first.order.client_order_id, first.trade.price) == ("m", "m1", D("0.5"))
    assert master_fills.empty()
    await feed.advance()
    second = master_fills.get_nowait()
    assert (second.order.client_order_id, second.trade.price, second.order.status) == ("m2", D("0.45"), "closed")
    assert follower_fills.empty()


async def test_unknown_symbol_is_bad_symbol_everywhere() -> None:
    gw = PaperExchange(flat_feed("0.5000")).open_account("a", {"USDT": D("100")})
    assert set(await gw.load_markets()) == {XRP}  # only what the feed prices
    with pytest.raises(BadSymbol):
        await gw.create_order(market("buy", "1", "x", symbol="DOGE/USDT"))
    with pytest.raises(BadSymbol):
        await gw.fetch_price("BTC/USDT")
    with pytest.raises(BadSymbol):
        gw.market("ETH/USDT")


async def test_key_and_positions_of_a_demo_account() -> None:
    venue = PaperExchange(flat_feed("0.5000"))
    gw = venue.open_account("a")
    permissions = await gw.inspect_key()
    assert (permissions.read, permissions.trade, permissions.withdraw) == (True, True, False)
    assert await gw.fetch_positions() == []
    assert isinstance(venue.gateway("a"), PaperGateway)
    with pytest.raises(ValueError):
        venue.open_account("a")


async def scripted_run(seed: int) -> list[tuple]:
    """Market orders and resting limits on a seeded synthetic market; returns every fill."""
    feed = SyntheticFeed({"BTC/USDT": D("30000"), "ETH/USDT": D("2000")}, seed=seed, price_step=D("0.01"), volatility=D("0.003"))
    venue = PaperExchange(feed, slippage_bps=D(2))
    gw = venue.open_account("a", {"USDT": D("100000")})
    fills = gw.subscribe()
    for step in range(60):
        btc, eth = await gw.fetch_price("BTC/USDT"), await gw.fetch_price("ETH/USDT")
        if step % 10 == 0:
            await gw.create_order(OrderRequest("BTC/USDT", "buy", "market", D("0.01"), f"mb{step}"))
            await gw.create_order(OrderRequest("ETH/USDT", "buy", "limit", D("0.5"), f"le{step}", price=(eth * D("0.997")).quantize(D("0.01"))))
            await gw.create_order(OrderRequest("BTC/USDT", "sell", "limit", D("0.005"), f"lb{step}", price=(btc * D("1.003")).quantize(D("0.01"))))
        await feed.advance()
    out = []
    while not fills.empty():
        f = fills.get_nowait()
        out.append((f.trade.id, f.trade.client_order_id, f.trade.price, f.trade.amount, f.trade.fee, f.trade.timestamp))
    out.append(tuple(sorted((await gw.fetch_balance()).items())))
    return out


async def test_two_runs_with_the_same_seed_fill_identically() -> None:
    first, again, other = await scripted_run(11), await scripted_run(11), await scripted_run(12)
    assert len(first) > 10  # market fills and some crossed limits
    assert any(cid.startswith("l") for _, cid, *_ in first[:-1])
    assert first == again
    assert first != other


async def test_amend_keeps_the_order_id_moves_the_lock_and_fills_at_the_new_price() -> None:
    feed = flat_feed("0.5000", "0.4200", "0.3900")
    gw = PaperExchange(feed, fee_rate=D("0.001")).open_account("a", {"USDT": D("100")})
    order = await gw.create_order(limit("buy", "100", "0.4500", "c"))
    amended = await gw.amend_order(XRP, order.id, price=D("0.4000"), amount=D("120"))
    assert (amended.id, amended.client_order_id, amended.status) == (order.id, "c", "open")
    assert (amended.price, amended.amount) == (D("0.4000"), D("120"))
    assert (await gw.fetch_balance())["USDT"] == Balance(free=D("51.952"), used=D("48.048"))  # 120 × 0.40 × 1.001
    assert await gw.fetch_order_by_client_id(XRP, "c") == amended
    assert [o.id for o in await gw.fetch_open_orders(XRP)] == [order.id]
    await feed.advance()  # 0.42 would have filled the old 0.45 limit, not the amended 0.40 one
    assert await gw.fetch_my_trades(XRP) == []
    await feed.advance()
    [trade] = await gw.fetch_my_trades(XRP)
    assert (trade.order_id, trade.price, trade.amount) == (order.id, D("0.4000"), D("120"))
    assert (await gw.fetch_balance())["USDT"] == Balance(free=D("51.952"), used=D(0))
    with pytest.raises(OrderNotFound):  # filled: nothing left to amend
        await gw.amend_order(XRP, order.id, price=D("0.3800"))


async def test_a_refused_amend_leaves_the_order_as_it_was() -> None:
    gw = PaperExchange(flat_feed("0.5000"), fee_rate=D(0)).open_account("a", {"USDT": D("50")})
    order = await gw.create_order(limit("buy", "100", "0.4500", "c"))  # locks 45
    with pytest.raises(InsufficientFunds):
        await gw.amend_order(XRP, order.id, amount=D("120"))  # 54 > 50
    with pytest.raises(InvalidOrder, match="multiple"):
        await gw.amend_order(XRP, order.id, price=D("0.45005"))  # off the price grid
    with pytest.raises(BelowMinimum):
        await gw.amend_order(XRP, order.id, amount=D("10"))  # 4.5 USDT < 5
    with pytest.raises(OrderNotFound):
        await gw.amend_order(XRP, "999", price=D("0.4000"))
    assert await gw.fetch_open_orders(XRP) == [order]
    assert (await gw.fetch_balance())["USDT"] == Balance(free=D("5"), used=D("45"))


async def test_an_amend_across_the_market_fills_at_once_within_the_limit() -> None:
    gw = PaperExchange(flat_feed("0.5000"), fee_rate=D(0), slippage_bps=D(10)).open_account("a", {"USDT": D("100")})
    order = await gw.create_order(limit("buy", "100", "0.4500", "c"))
    filled = await gw.amend_order(XRP, order.id, price=D("0.5002"))
    assert (filled.id, filled.status, filled.average) == (order.id, "closed", D("0.5002"))  # 0.5005 capped at the limit
    assert (await gw.fetch_balance())["USDT"] == Balance(free=D("49.98"), used=D(0))
