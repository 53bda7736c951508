"""Fidelity of replication: on a replayed market with no fees and no minimums, every follower's return
equals the master's within 0.1 percentage points, whatever its size.

The master trades the real XRP/USDT 5-minute candles (core/data) on the paper exchange with a
deterministic rule — enter on a close above the moving average, take half off at +1 %, leave on a
close below it — and each master fill becomes a MasterEvent that the engine replicates to followers
of 137.5, 1,000 and 25,000 USDT with k = follower equity ÷ master equity (6 places, as the spec says).
"""
from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

from core.bus import EventBus
from core.config import Limits, Settings
from core.db.models import CopyOrder, CopyOrderStatus, MasterEvent, Strategy
from core.engine.replicator import ReplicationEngine
from core.engine.sizing import proportional_k
from core.exchange.base import MarketRules, OrderRequest
from core.exchange.feeds import replay_xrp_5m
from core.exchange.paper import PaperExchange, PaperGateway
from core.exchange.provider import Gateways
from core.money import ZERO, floor_to_step
from tests import factories

D = Decimal
SYMBOL = "XRP/USDT"
MASTER_EQUITY = D(12_345)  # k = 137.5 / 12,345 is not exact: the 6-place rounding of k is part of the test
FOLLOWER_EQUITIES = (D("137.5"), D(1_000), D(25_000))
MA_WINDOW = 24  # two hours of 5-minute candles
ENTRY_FRACTION = D("0.3")  # of the master's cash per entry: far inside every follower's allocation cap
TAKE_PROFIT = D("1.01")
TOLERANCE_PP = D("0.1")
RULES = MarketRules(SYMBOL, "XRP", "USDT", amount_step=D("0.000001"), price_step=D("0.0001"), min_amount=ZERO, min_cost=ZERO)


def equity(venue: PaperExchange, account_id: str) -> Decimal:
    """Cash plus holdings at the last price."""
    balances = venue.account(account_id).balances()
    cash = balances["USDT"].total if "USDT" in balances else ZERO
    held = balances["XRP"].total if "XRP" in balances else ZERO
    return cash + held * venue.feed.price(SYMBOL)


class Master:
    """The master's trading rule on the replay, and the MasterEvent of each of its fills."""

    def __init__(self, venue: PaperExchange, gateway: PaperGateway, strategy: Strategy) -> None:
        self.venue, self.gateway, self.strategy = venue, gateway, strategy
        self.position = ZERO
        self.entry = ZERO
        self.took_profit = False
        self.fills = 0
        self.kinds: Counter[str] = Counter()  # entry, partial exit, full exit

    async def trade(self, kind: str, side: str, amount: Decimal) -> MasterEvent | None:
        amount = floor_to_step(amount, RULES.amount_step)
        if amount <= 0:
            return None
        self.fills += 1
        self.kinds[kind] += 1
        order = await self.gateway.create_order(OrderRequest(SYMBOL, side, "market", amount, f"master-{self.fills}"))  # type: ignore[arg-type]
        assert order.status == "closed" and order.average is not None
        now = datetime.now(UTC)
        event = await MasterEvent.create(
            strategy=self.strategy, exchange_event_id=f"paper:{order.id}", kind="fill", symbol=SYMBOL, side=side,
            master_order_id=order.id, amount=order.filled, price=order.average, position_before=self.position,
            occurred_at=now, detected_at=now,
        )
        self.position += order.filled if side == "buy" else -order.filled
        return event

    async def on_close(self, close: Decimal, average: Decimal, above_before: bool) -> MasterEvent | None:
        """At most one trade per candle: enter on a cross up, half out at +1 %, all out on a cross down."""
        above = close > average
        if self.position == 0 and above and not above_before:
            cash = self.venue.account(self.gateway.account_id).balances()["USDT"].free
            self.entry, self.took_profit = close, False
            return await self.trade("entry", "buy", cash * ENTRY_FRACTION / close)
        if self.position > 0 and not above and above_before:
            return await self.trade("full exit", "sell", self.position)
        if self.position > 0 and not self.took_profit and close >= self.entry * TAKE_PROFIT:
            self.took_profit = True
            return await self.trade("partial exit", "sell", self.position / 2)
        return None


async def test_followers_of_any_size_earn_the_masters_return(db: str) -> None:
    feed = replay_xrp_5m(intrabar=False)
    venue = PaperExchange(feed, markets={SYMBOL: RULES}, fee_rate=ZERO, slippage_bps=ZERO)
    master_account = await factories.account(await factories.user(is_trader=True), equity=MASTER_EQUITY)
    master_id = str(master_account.id)
    strategy = await factories.strategy(master_account)
    master = Master(venue, venue.open_account(master_id, {"USDT": MASTER_EQUITY}), strategy)
    followers: dict[str, Decimal] = {}
    for start in FOLLOWER_EQUITIES:
        account = await factories.account(await factories.user(), equity=start)
        venue.open_account(str(account.id), {"USDT": start})
        await factories.subscription(strategy, account, k=proportional_k(start, MASTER_EQUITY))
        followers[str(account.id)] = start
    engine = ReplicationEngine(Gateways(Settings(), paper=venue), EventBus(), Limits())

    closes: list[Decimal] = [feed.price(SYMBOL)]
    above_before = False
    while await feed.advance():
        closes.append(feed.price(SYMBOL))
        if len(closes) <= MA_WINDOW:
            continue
        average = sum(closes[-MA_WINDOW:], ZERO) / MA_WINDOW
        event = await master.on_close(closes[-1], average, above_before)
        above_before = closes[-1] > average
        if event is not None:
            fan = await engine.replicate(event)
            assert [(r.status, r.reason) for r in fan.rows] == [(CopyOrderStatus.FILLED, None)] * len(followers)
    await engine.bus.drain()

    master_return = equity(venue, master_id) / MASTER_EQUITY - 1
    assert master.fills >= 10 and await CopyOrder.all().count() == master.fills * len(followers)
    print(f"\nmaster: {master.fills} fills {dict(master.kinds)}, return {master_return:.5%}")
    assert min(master.kinds[k] for k in ("entry", "partial exit", "full exit")) >= 2, master.kinds
    assert abs(master_return) > D("0.005"), f"the master barely moved ({master_return:.4%}): the test would prove nothing"
    for account_id, start in followers.items():
        follower_return = equity(venue, account_id) / start - 1
        diff_pp = abs(follower_return - master_return) * 100
        print(f"follower {start}: return {follower_return:.5%}, master {master_return:.5%}, diff {diff_pp:.5f} pp")
        assert diff_pp < TOLERANCE_PP, f"follower of {start}: {follower_return:.4%} vs master {master_return:.4%}"
