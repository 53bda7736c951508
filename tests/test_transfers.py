"""Deposits and withdrawals: read through real ccxt from the Binance emulator (and from the paper venue),
stored once however often the sync runs, kept out of the daily yield, and followed by k."""
from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.analytics.store import strategy_report, subscription_report
from core.bus import EventBus
from core.config import Limits, Settings
from core.db.models import AccountTransfer, EquitySnapshot, Strategy, Subscription, TransferCursor
from core.emulator.server import ExchangeEmulator
from core.engine.master_state import datetime_to_ms
from core.engine.replicator import ReplicationEngine
from core.engine.sizing import proportional_k
from core.errors import InsufficientFunds
from core.exchange.base import Transfer
from core.exchange.ccxt_shared import CcxtShared
from core.exchange.feeds import SyntheticFeed
from core.exchange.paper import PaperExchange
from core.exchange.provider import Gateways
from core.jobs import JobServices, Prices, snapshots, transfers
from core.keystore import load_credentials
from core.risk.equity import subscription_equity
from core.risk.monitor import RiskMonitor
from core.services.subscriptions import SubscriptionControl
from tests import factories
from tests.engine_harness import EngineHarness

D = Decimal
DEPOSITS = "/sapi/v1/capital/deposit/hisrec"
WITHDRAWALS = "/sapi/v1/capital/withdraw/history"


def job_services(engine: ReplicationEngine, gateways: Gateways, bus: EventBus) -> JobServices:
    async def no_stop(sub: Subscription, reason: str) -> None:
        raise AssertionError("no risk limit is set in these tests")

    monitor = RiskMonitor(bus, SubscriptionControl(bus, engine.invalidate), no_stop, Limits())
    return JobServices(engine, gateways, bus, monitor)


def midnights() -> tuple[datetime, datetime]:
    """Today's and tomorrow's daily snapshot times: a transfer made now falls between them."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today, today + timedelta(days=1)


@pytest.fixture
async def h(db: str, emulator: ExchangeEmulator, ccxt_shared: CcxtShared) -> AsyncIterator[EngineHarness]:
    harness = await EngineHarness.create(emulator, ccxt_shared, master_equity=D(10_000))
    yield harness
    await harness.close()


async def test_binance_master_deposit_is_stored_once_kept_out_of_the_yield_and_moves_k(
    h: EngineHarness, emulator: ExchangeEmulator,
) -> None:
    services = job_services(h.engine, h.gateways, h.bus)
    alice = await h.add_follower(D(1000))
    assert alice.subscription.multiplier == D("0.1")
    master_key = load_credentials(h.vault, h.master).api_key
    venue_account = emulator.binance.accounts[emulator.keys.get("binance", master_key).account_id]  # type: ignore[union-attr]
    today, tomorrow = midnights()
    await snapshots(services, "daily", today)  # the master's baseline: 10,000

    emulator.deposit(master_key, "USDT", D(5000))
    pending = emulator.deposit(master_key, "USDT", D(700), pending=True)  # not confirmed yet: not money yet
    venue_account.free["USDT"] += D(150)  # what trading made today
    await transfers(services, today)
    await transfers(services, today)  # a second run finds the same deposit and stores nothing

    rows = await AccountTransfer.all().values_list("account_id", "kind", "amount", "value", "subscription_id")
    assert rows == [(h.master.id, "deposit", D(5000), D(5000), None)]
    await h.master.refresh_from_db()
    assert h.master.equity == D(15_150)
    sub = await Subscription.get(id=alice.id)
    # k = the subscription's equity ÷ the master's equity after the deposit
    assert sub.multiplier == proportional_k(await subscription_equity(sub, Prices(h.gateways)), D(15_150)) == D("0.066007")

    emulator.credit_deposit(master_key, pending)  # confirmed later: the next run's overlap finds it
    await transfers(services, today)
    assert await AccountTransfer.filter(kind="deposit").values_list("amount", flat=True) == [D(5000), D(700)]
    assert (await Subscription.get(id=alice.id)).multiplier == proportional_k(D(1000), D(15_850)) == D("0.063091")
    # one signed call per history, account (master and follower) and run; no capital/config on the way
    assert emulator.request_count("binance", DEPOSITS) == emulator.request_count("binance", WITHDRAWALS) == 2 * 3
    assert emulator.request_count("binance", "/sapi/v1/capital/config/getall") == 0

    await snapshots(services, "daily", tomorrow)  # after the sync: the new row takes the day's deposits
    snap = await EquitySnapshot.get(strategy_id=h.strategy.id, period="daily", taken_at=tomorrow)
    assert (snap.equity, snap.deposits, snap.withdrawals) == (D(15_850), D(5700), D(0))
    report = await strategy_report(h.strategy, tomorrow + timedelta(hours=1))
    assert [(r.day, r.pnl) for r in report.daily] == [(tomorrow.date(), D(150))]
    assert report.total_yield.quantize(D("1e-12")) == D("0.009554140127")  # 150 ÷ 15,700, not 5,850 ÷ 10,000


async def test_binance_follower_deposit_and_withdrawal_move_its_capital(h: EngineHarness, emulator: ExchangeEmulator) -> None:
    services = job_services(h.engine, h.gateways, h.bus)
    bob = await h.add_follower(D(1000), high_water_mark=D(1000), peak_equity=D(1000))
    today, tomorrow = midnights()
    await snapshots(services, "daily", today)

    emulator.deposit(bob.api_key, "USDT", D(600))
    emulator.withdraw(bob.api_key, "USDT", D(100), fee=D(1))  # the fee leaves the account too
    emulator.faults.add("binance", WITHDRAWALS, "unavailable")  # the master's read fails (it comes first) …
    await transfers(services, today)
    assert not await TransferCursor.exists(account_id=h.master.id)  # … and is retried next run, cursor unmoved

    moves = await AccountTransfer.filter(subscription_id=bob.id).order_by("id").values_list("kind", "amount")
    assert sorted(moves) == [("deposit", D(600)), ("withdrawal", D(101))]
    sub = await Subscription.get(id=bob.id)
    # no profit share on a deposit, no drawdown from a withdrawal: the marks moved with the money
    assert (sub.start_equity, sub.allocation, sub.high_water_mark, sub.peak_equity) == (D(1499),) * 4
    assert sub.multiplier == proportional_k(D(1499), D(10_000)) == D("0.1499")
    await bob.account.refresh_from_db()
    assert bob.account.equity == D(1499)  # the stored account equity too (the planner's caps)
    await transfers(services, today)
    assert await TransferCursor.exists(account_id=h.master.id)
    assert await AccountTransfer.all().count() == 2

    await snapshots(services, "daily", tomorrow)
    snap = await EquitySnapshot.get(subscription_id=bob.id, taken_at=tomorrow)
    assert (snap.equity, snap.deposits, snap.withdrawals) == (D(1499), D(600), D(101))
    report = await subscription_report(sub, tomorrow + timedelta(hours=1))
    assert [r.value for r in report.daily] == [D(0), D(0)]  # from 1,000 at the start: the money moved, nothing was made


async def test_paper_transfers_snapshot_first_then_sync(db: str) -> None:
    venue = PaperExchange(SyntheticFeed({"XRP/USDT": D(1)}, seed=5), fee_rate=D(0))
    bus = EventBus()
    gateways = Gateways(Settings(), paper=venue)
    engine = ReplicationEngine(gateways, bus, Limits())
    services = job_services(engine, gateways, bus)
    master = await factories.account(await factories.user(is_trader=True), equity=D(2000))
    venue.open_account(str(master.id), {"USDT": D(2000)})
    strategy = await factories.strategy(master)
    follower = await factories.account(await factories.user(), equity=D(500))
    venue.open_account(str(follower.id), {"USDT": D(500)})
    sub = await factories.subscription(strategy, follower, k=D("0.25"))
    today, tomorrow = midnights()
    yesterday = today - timedelta(days=1)
    await Strategy.filter(id=strategy.id).update(created_at=yesterday - timedelta(days=1))
    await Subscription.filter(id=sub.id).update(created_at=yesterday - timedelta(days=1))
    await snapshots(services, "daily", yesterday)

    noon = datetime_to_ms(yesterday + timedelta(hours=12))
    venue.withdraw(str(master.id), "USDT", D(500), at_ms=noon)
    venue.deposit(str(follower.id), "USDT", D(250), at_ms=noon)
    await snapshots(services, "daily", today)  # taken before the sync stored yesterday's moves
    assert (await EquitySnapshot.get(strategy_id=strategy.id, taken_at=today)).withdrawals == 0
    await transfers(services, today)
    await transfers(services, today)

    assert await AccountTransfer.all().order_by("id").values_list("kind", "amount", "subscription_id") == [
        ("withdrawal", D(500), None), ("deposit", D(250), sub.id)]
    assert await TransferCursor.filter(account_id__in=[master.id, follower.id]).count() == 2
    snap = await EquitySnapshot.get(strategy_id=strategy.id, taken_at=today)
    assert (snap.equity, snap.deposits, snap.withdrawals) == (D(1500), D(0), D(500))  # the sync filled it in
    assert (await strategy_report(strategy, today)).total_yield == 0  # not −25 %
    assert (await Subscription.get(id=sub.id)).multiplier == proportional_k(D(750), D(1500)) == D("0.5")

    # the follower's row of today was computed before the deposit was applied: tomorrow's carries it
    assert (await EquitySnapshot.get(subscription_id=sub.id, taken_at=today)).deposits == 0
    await snapshots(services, "daily", tomorrow)
    follower_snap = await EquitySnapshot.get(subscription_id=sub.id, taken_at=tomorrow)
    assert (follower_snap.equity, follower_snap.deposits) == (D(750), D(250))
    fresh = await Subscription.get(id=sub.id)
    assert (await subscription_report(fresh, tomorrow)).total_yield == 0


async def test_paper_venue_moves_balances_and_lists_transfers() -> None:
    venue = PaperExchange(SyntheticFeed({"XRP/USDT": D(1)}, seed=5))
    gateway = venue.open_account("demo", {"USDT": D(100)})
    first = venue.deposit("demo", "USDT", D(50), at_ms=1_000)
    second = venue.withdraw("demo", "USDT", D(30), at_ms=2_000)
    with pytest.raises(InsufficientFunds):
        venue.withdraw("demo", "USDT", D(121))
    assert (await gateway.fetch_balance())["USDT"].total == D(120)
    assert await gateway.fetch_transfers(0) == [first, second]
    assert await gateway.fetch_transfers(1_500) == [Transfer(second.id, "withdrawal", "USDT", D(30), 2_000)]
    with pytest.raises(ValueError):
        venue.deposit("demo", "USDT", D(0))
