"""The master's scripted session and `run_demo`, the entry point of `copytrade demo`.

The master trades XRP/USDT on the replay: an entry, an increase, a partial exit at market, a limit
buy that is amended and then cancelled, a take-profit limit sell that rests until the replay
reaches it (the followers' copies rest too and fill on the same tick, booked by order sync), a
reconciliation (order sync's poll, stored positions against the exchange's balances), and a full
exit. Order sizes are fractions of the master's equity at the current price, so every seed's window
gets the same shape of session. The entry is 44 % of equity: the 12 USDT follower's copy of
it is just above the 5 USDT minimum, and every smaller order of that follower is skipped.
"""
from __future__ import annotations

from decimal import Decimal

from core.bus import EventBus
from core.demo.printer import Write, clock, day, price, xrp
from core.demo.session import (
    ALLOCATION_PCT,
    FEE_RATE,
    MASTER_EQUITY,
    SLIPPAGE_BPS,
    SYMBOL,
    DemoSession,
    open_session,
)
from core.demo.summary import DemoSummary, follower_row, render, return_pct, signed
from core.engine.order_sync import sync_open_orders
from core.money import ceil_to_step, floor_to_step, fmt

LOT = Decimal(10)  # the master trades round lots of 10 XRP
CANDLE = 4  # replay ticks per 5-minute candle (open, low/high, high/low, close)
TAKE_PROFIT_WAIT = 6 * CANDLE  # ticks the take-profit may rest before the master gives up on it


async def run_demo(seed: int = 7, *, write: Write = print, bus: EventBus | None = None) -> DemoSummary:
    """Run the whole demo, print it through `write`, and return the summary table's data.

    Pass `bus` to attach more subscribers (a notifier) to the engine's events; the demo adds its own."""
    async with open_session(seed, write, bus) as session:
        _introduce(session, seed, write)
        await _trade(session)
        summary = await _summarize(session)
    write("")
    write(f"Summary: the master made {signed(summary.master_pnl, 2)} USDT on {fmt(summary.master_start, 2)} USDT "
          f"({signed(summary.master_return_pct, 3)} %). Columns are defined in docs/demo.md.")
    for line in render(summary):
        write(line)
    return summary


def _introduce(s: DemoSession, seed: int, write: Write) -> None:
    rules = s.venue.market(SYMBOL)
    start = s.feed.now_ms()
    write(f"copytrade demo (seed {seed}): the replication engine, offline, on the paper exchange")
    write(f"Market: {SYMBOL}, real Binance 5-minute candles replayed from {day(start)} {clock(start)} UTC "
          f"(each candle as open, low/high, high/low, close)")
    write(f"Rules: amount step {rules.amount_step} XRP, price step {rules.price_step}, minimum order "
          f"{fmt(rules.min_cost, 0)} USDT; fee {fmt(FEE_RATE * 100, 1)} %, slippage {SLIPPAGE_BPS} bps")
    write("Database: a fresh SQLite file in a temporary directory, deleted at the end")
    write(f"Master: {fmt(MASTER_EQUITY, 0)} USDT. Followers copy proportionally (k = follower equity ÷ master "
          f"equity), allocation cap {fmt(ALLOCATION_PCT, 0)} %:")
    for follower in s.followers:
        write(f"  {follower.name:<6}{fmt(follower.equity, 0):>6} USDT   k {fmt(follower.multiplier, 6)}")
    write("Each step: the master's order, what the master watcher detected, then every follower event on the")
    write("bus (what the notifier would tell them). Times are the replay's clock.")


async def _trade(s: DemoSession) -> None:
    s.log.title("1. Entry: the master buys at market with 44 % of its equity")
    await s.market("buy", _lots(MASTER_EQUITY * Decimal("0.44") / s.price()))

    await s.advance(3 * CANDLE)
    s.log.title("2. Increase: the master adds 4.5 % of its equity at market")
    await s.market("buy", _lots(MASTER_EQUITY * Decimal("0.045") / s.price()))

    await s.advance(3 * CANDLE)
    s.log.title("3. Partial exit: the master sells a quarter of its position at market")
    await s.market("sell", _lots(await s.holding(s.master) / 4))

    await s.advance(2 * CANDLE)
    s.log.title("4. A limit buy 3 % below the market, amended, then cancelled")
    step = s.venue.market(SYMBOL).price_step
    bid = floor_to_step(s.price() * Decimal("0.97"), step)
    order = await s.limit("buy", _lots(MASTER_EQUITY * Decimal("0.10") / bid), bid)
    await s.advance(CANDLE)
    lower = floor_to_step(s.price() * Decimal("0.965"), step)
    order = await s.amend(order, at=lower, amount=_lots(MASTER_EQUITY * Decimal("0.08") / lower))
    await s.advance(CANDLE)
    await s.cancel(order)

    await s.advance(CANDLE)
    s.log.title("5. Partial exit with a take-profit: a limit sell of 45 % of the position, 0.2 % above the market")
    ask = ceil_to_step(s.price() * Decimal("1.002"), step)
    order = await s.limit("sell", _lots(await s.holding(s.master) * Decimal("0.45")), ask)
    for _ in range(TAKE_PROFIT_WAIT):
        if not await s.advance(1) or not await s.is_open(order):
            break
    if await s.is_open(order):
        s.log.line("master", f"the replay did not reach {price(ask)} in {TAKE_PROFIT_WAIT // CANDLE * 5} minutes")
        await s.cancel(order)
    else:
        s.log.line("replay", f"the price reaches {price(s.price())}: the master's limit sell and the followers' copies fill")
        await s.settle(1)

    s.log.title("6. Reconciliation: order sync polls every resting copy; stored positions against the exchange")
    updated = await sync_open_orders(s.engine)
    s.log.line("sync", f"{updated} copies had fills the push had not booked (0: the push missed nothing)")
    for follower in s.followers:
        booked, held = await s.booked(follower), await s.holding(follower)
        verdict = "agree" if booked == held else "DISAGREE"
        s.log.line(follower.name, f"position in the database {xrp(booked)}, on the exchange {xrp(held)}: {verdict}")

    await s.advance(2 * CANDLE)
    s.log.title("7. Full exit: the master sells everything it holds at market")
    await s.market("sell", await s.holding(s.master))


async def _summarize(s: DemoSession) -> DemoSummary:
    master_end = await s.equity(s.master)
    master_return = return_pct(s.master.equity, master_end)
    rows = []
    for follower in s.followers:
        end = await s.equity(follower)
        rows.append(await follower_row(
            follower.name, follower.subscription_id, follower.multiplier, follower.equity, end, master_return
        ))
    s.log.line("replay", f"session ends; positions valued at {price(s.price())}")
    return DemoSummary(s.master.equity, master_end - s.master.equity, master_return, tuple(rows))


def _lots(amount: Decimal) -> Decimal:
    return floor_to_step(amount, LOT)
