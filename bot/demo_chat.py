"""`copytrade demo`, the follower's side: one person's whole conversation with the real bot, offline.

After the engine demo (core/demo), the same replay window runs again with the Telegram side:
the Bot API sandbox in-process (bot/sandbox) with the real dispatcher polling it over local HTTP
(TELEGRAM_API_URL is the sandbox's address), a fresh SQLite file in a temporary directory, the paper
venue on the replay, a published strategy on a paper master account with a month of equity history,
and the real MasterWatcher (paper push), ReplicationEngine and Notifier. A `UserDriver` plays the
follower: /start → language → disclaimer → demo account → the leaderboard → the card → subscribe in
three steps; then the master trades (entry, partial exit, full exit) and the copied-trade
notifications arrive. `Transcript` prints all of it.

Deterministic: after every action `settle()` waits until the dispatcher has handled every update
sent to it, the watcher has handed over and the engine finished every master event, and the bus
and the notifier are drained; only then is the chat printed. Telegram ids and the master's account
id are fixed, the leaderboard's "today" is the replay's day, prices are the replay's, message dates
are not printed. The sandbox's flood control is off (the notifier still paces itself as in
production), so the demo takes a few seconds.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiogram.types import TelegramObject
from pydantic import SecretStr
from tortoise import Tortoise

from bot.app import core_services, create_bot, create_dispatcher
from bot.chat_transcript import Transcript, Write
from bot.i18n import create_i18n
from bot.middlewares import ThrottlingMiddleware
from bot.notifier import Notifier
from bot.polling import polling_in_background
from bot.sandbox import FloodLimits, TelegramSandbox, UserDriver
from bot.sandbox.pulse import Pulse
from core.bus import EventBus
from core.config import Settings
from core.db import close_db, init_db
from core.db.models import EquitySnapshot, ExchangeAccount, MasterEvent, Strategy, StrategyStatus, User
from core.demo.session import FEE_RATE, SLIPPAGE_BPS, SYMBOL, session_feed
from core.engine.replicator import ReplicationEngine
from core.engine.watcher import MasterWatcher, WatcherConfig
from core.exchange.base import OrderRequest, Side
from core.exchange.ccxt_shared import CcxtShared
from core.exchange.feeds import ReplayFeed
from core.exchange.paper import PaperExchange, PaperGateway
from core.exchange.provider import Gateways
from core.money import floor_to_step, fmt
from core.services.leaderboard import Leaderboard
from core.vault import Vault, generate_key

FOLLOWER_ID, FOLLOWER_NAME = 5_550_001, "Ann"
TRADER_ID = 5_550_000
MASTER_ACCOUNT = uuid.UUID(int=1)
MASTER_EQUITY = Decimal(10_000)
STRATEGY = dict(name="XRP swing", description="Swing trades on XRP/USDT, spot only, no leverage.",
                min_deposit=Decimal(100), subscription_step=Decimal(10), recommended_deposit=Decimal(1000),
                fee_fixed=Decimal(5), profit_share_pct=Decimal(10))
HISTORY_DAYS = 30
WIGGLE = (60, -40, 20, -70, 30)  # the master's daily equity: a rising line with some noise
# The master's closed trades before today (days back, buy price, sell price), 1,000 XRP each: four wins of six.
HISTORY_TRADES = ((27, "1.0200", "1.0650"), (22, "1.0800", "1.0500"), (16, "1.0400", "1.0900"),
                  (11, "1.1000", "1.1300"), (6, "1.1200", "1.0950"), (3, "1.0700", "1.1050"))
LOT = Decimal(10)  # the master trades round lots, so the follower's copies (k = 0.1) are whole XRP
CANDLE = 4  # replay ticks per 5-minute candle
WAIT_S = 30.0  # real seconds before a step that never settles is reported, not hung on
NOISY = ("aiogram", "bot", "core")  # their INFO lines carry wall-clock timings


def equity_history() -> list[Decimal]:
    """The master's equity at the end of each of the last `HISTORY_DAYS` days, ending at its equity now."""
    values = [Decimal(9_200 + 800 * day // (HISTORY_DAYS - 1) + WIGGLE[day % len(WIGGLE)]) for day in range(HISTORY_DAYS)]
    values[-1] = MASTER_EQUITY
    return values


class HandledUpdates:
    """Dispatcher middleware that counts the updates whose handling has finished (with or without an error)."""

    def __init__(self, pulse: Pulse) -> None:
        self.count = 0
        self.pulse = pulse

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        try:
            return await handler(event, data)
        finally:
            self.count += 1
            self.pulse.fire()


class ChatStage:
    """The running bot, engine and watcher, the follower's driver and the transcript. Use `open_stage`."""

    def __init__(self, seed: int, feed: ReplayFeed, venue: PaperExchange, user: UserDriver, transcript: Transcript,
                 handled: HandledUpdates, bus: EventBus, notifier: Notifier, engine: ReplicationEngine) -> None:
        self.seed = seed
        self.feed = feed
        self.venue = venue
        self.user = user
        self.transcript = transcript
        self.handled = handled
        self.bus = bus
        self.notifier = notifier
        self.engine = engine
        self.pulse = handled.pulse
        self.updates = 0  # updates the user sent
        self.expected_events = 0  # master events the watcher should hand to the engine
        self.delivered_events = 0
        self._orders = 0

    # --- the follower -----------------------------------------------------------------------------
    async def says(self, text: str) -> None:
        self.transcript.says(text)
        await self.user.send(text)
        self.updates += 1
        await self.settle()

    async def presses(self, label: str) -> None:
        self.transcript.presses(label)
        await self.user.press(label)
        self.updates += 1
        await self.settle()

    # --- the master ---------------------------------------------------------------------------------
    @property
    def master(self) -> PaperGateway:
        return self.venue.gateway(str(MASTER_ACCOUNT))

    async def master_trades(self, side: Side, amount: Decimal, why: str) -> None:
        """The trader's market order on the paper venue; the chat then shows what the follower is told."""
        moment = datetime.fromtimestamp(self.feed.now_ms() // 1000, UTC).strftime("%H:%M")
        self.transcript.narrate(f"{moment} UTC (replay clock): the trader {why}, a market {side} of {fmt(amount, 0)} XRP "
                                f"with XRP/USDT at {fmt(self.feed.price(SYMBOL), 4)}")
        self._orders += 1
        await self.master.create_order(OrderRequest(SYMBOL, side, "market", amount, f"demo-chat-master-{self._orders}"))
        self.expected_events += 1
        await self.settle()

    async def holding(self) -> Decimal:
        balance = (await self.master.fetch_balance()).get("XRP")
        return balance.total if balance is not None else Decimal(0)

    async def advance(self, ticks: int) -> None:
        for _ in range(ticks):
            if not await self.feed.advance():
                return

    async def on_master_event(self, event: MasterEvent) -> None:
        """The watcher's hand-off to the engine, counted so `settle` knows when the copies are done."""
        try:
            await self.engine.replicate(event)
        finally:
            self.delivered_events += 1
            self.pulse.fire()

    # --- waiting ------------------------------------------------------------------------------------
    async def settle(self) -> None:
        """Until the bot has handled every update, the engine every master event, and every notice is out."""
        def done() -> bool | None:
            return (self.handled.count >= self.updates and self.delivered_events >= self.expected_events) or None

        if await self.pulse.wait_until(done, WAIT_S) is None:
            raise RuntimeError(f"chat demo: the bot did not settle within {WAIT_S:.0f}s")
        await self.bus.drain()
        await self.notifier.drain()


@contextlib.contextmanager
def quiet_logs() -> Iterator[None]:
    """Only warnings from the bot, aiogram and the engine while the chat prints (their INFO lines carry timings)."""
    loggers = [logging.getLogger(name) for name in NOISY]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(max(logger.level, logging.WARNING))
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


async def _publish_strategy(venue: PaperExchange, today: datetime) -> Strategy:
    """The trader, the master's paper account (its equity on the row, as the snapshot job keeps it),
    an approved public strategy, its daily equity snapshots (the last one yesterday) and its closed
    trades of the last weeks (stored master fills, long since copied), so the card has figures."""
    trader = await User.create(telegram_id=TRADER_ID, full_name="Mia Master", is_trader=True,
                               disclaimer_accepted_at=today)
    master = await ExchangeAccount.create(id=MASTER_ACCOUNT, owner=trader, exchange="paper", label="master",
                                          equity=MASTER_EQUITY, is_demo=True, can_trade=True)
    venue.open_account(str(master.id), {"USDT": MASTER_EQUITY})
    strategy = await Strategy.create(trader=trader, account=master, status=StrategyStatus.APPROVED, **STRATEGY)
    evening = datetime.combine(today.date(), time(23, 0), tzinfo=UTC)
    for back, equity in enumerate(reversed(equity_history()), start=1):
        await EquitySnapshot.create(strategy=strategy, taken_at=evening - timedelta(days=back), equity=equity)
    for n, (back, buy, sell) in enumerate(HISTORY_TRADES):
        opened = datetime.combine(today.date() - timedelta(days=back), time(10, 0), tzinfo=UTC)
        for side, price, before, at in (("buy", buy, 0, opened), ("sell", sell, 1000, opened + timedelta(hours=5))):
            await MasterEvent.create(strategy=strategy, exchange_event_id=f"history:{n}:{side}", kind="fill",
                                     symbol=SYMBOL, side=side, amount=Decimal(1000), price=Decimal(price),
                                     position_before=Decimal(before), occurred_at=at, detected_at=at, fanned_out_at=at)
    return await Strategy.get(id=strategy.id).select_related("account")


@contextlib.asynccontextmanager
async def open_stage(seed: int, write: Write, database_url: str) -> AsyncIterator[ChatStage]:
    feed = session_feed(seed)
    venue = PaperExchange(feed, fee_rate=FEE_RATE, slippage_bps=SLIPPAGE_BPS)
    today = datetime.fromtimestamp(feed.now_ms() // 1000, UTC)
    strategy = await _publish_strategy(venue, today)
    async with TelegramSandbox(flood=FloodLimits.off()) as sandbox:
        account = sandbox.add_bot(username="copytrade_bot", first_name="CopyTrade")
        settings = Settings.model_construct(  # defaults only: the demo must not depend on the environment
            bot_token=SecretStr(account.token), telegram_api_url=sandbox.url, database_url=database_url,
            vault_key=SecretStr(generate_key()))
        i18n = create_i18n(settings)
        ccxt = CcxtShared()
        bus = EventBus()
        vault = Vault.from_settings(settings)
        engine = ReplicationEngine(Gateways(settings, vault=vault, shared=ccxt, paper=venue), bus, settings.limits)
        services = {**core_services(settings, ccxt=ccxt, paper=venue, bus=bus, vault=vault), "engine": engine,
                    "leaderboard": Leaderboard(now=lambda: today)}  # the reports' "today" is the replay's day
        dispatcher = create_dispatcher(settings, i18n=i18n, throttling=ThrottlingMiddleware(limit=10_000), **services)
        pulse = Pulse()
        handled = HandledUpdates(pulse)
        dispatcher.update.outer_middleware(handled)
        notifier_bot = create_bot(settings, wait_out_flood=False)
        notifier = Notifier(notifier_bot, i18n)
        bus.subscribe(notifier.on_event)
        user = sandbox.user(FOLLOWER_ID, FOLLOWER_NAME, language_code="en", bot=account)
        stage = ChatStage(seed, feed, venue, user, Transcript(user, FOLLOWER_NAME, write), handled, bus, notifier, engine)
        watcher = MasterWatcher.for_strategy(strategy, stage.master, stage.on_master_event,
                                             WatcherConfig(symbols=(SYMBOL,), push_poll_interval=0.05))
        watching = asyncio.create_task(watcher.run())
        try:
            async with asyncio.timeout(WAIT_S):
                while watcher.polls == 0 and not watching.done():
                    await asyncio.sleep(0.001)
            if watching.done():
                watching.result()
            async with polling_in_background(dispatcher, create_bot(settings)):
                yield stage
                stage.transcript.catch_up()
        finally:
            watching.cancel()
            await asyncio.gather(watching, return_exceptions=True)
            await bus.drain()
            await notifier.close()
            await notifier_bot.session.close()
            await bus.close()
            await engine.gateways.close()
            await ccxt.close()


async def run_chat_demo(seed: int = 7, *, write: Write = print) -> None:
    """Print one follower's conversation with the bot, from /start to the copied-trade notifications."""
    with quiet_logs(), tempfile.TemporaryDirectory(prefix="copytrade-chat-") as folder:
        database_url = f"sqlite://{Path(folder) / 'chat.sqlite3'}"
        await init_db(database_url)
        try:
            await Tortoise.generate_schemas()
            async with open_stage(seed, write, database_url) as stage:
                await _conversation(stage, write)
        finally:
            await close_db()


async def _conversation(s: ChatStage, write: Write) -> None:
    write(f"The follower's side (seed {s.seed}): {FOLLOWER_NAME}'s whole chat with the bot, offline")
    write("The real bot (aiogram dispatcher, routers, notifier) talks HTTP to a Telegram Bot API sandbox in this")
    write(f"process; the trader's strategy \"{STRATEGY['name']}\" runs on a paper account with {fmt(MASTER_EQUITY, 0)} USDT "
          "on the same replay,")
    write("watched by the real MasterWatcher and copied by the real engine. Button presses are shown as [label].")
    write("")
    await s.says("/start")
    await s.presses("✓ English")
    await s.presses("✅ I understand and accept")
    for label in ("🔑 My keys", "🎮 Demo account", "⬅️ My keys", "⬅️ Main menu"):
        await s.presses(label)
    await s.presses("🔎 Discover traders")
    await s.presses(f"1. {STRATEGY['name']}")
    await s.presses("✅ Subscribe")
    await s.presses("🎮 Demo · 10000.00 USDT")
    await s.says("1000")
    await s.presses("Skip")  # the maximum drawdown keeps its default
    await s.says("25")  # a stop-loss of 25 %
    await s.presses("Skip")  # no take-profit
    await s.presses("✅ Confirm")

    await s.advance(CANDLE)
    await s.master_trades("buy", _lots(MASTER_EQUITY * Decimal("0.44") / s.feed.price(SYMBOL)), "opens a position")
    await s.advance(6 * CANDLE)
    await s.master_trades("sell", _lots(await s.holding() / 2), "sells half of it")
    await s.advance(6 * CANDLE)
    await s.master_trades("sell", await s.holding(), "closes the rest")
    s.transcript.catch_up()
    write("")
    write(f"~~ End of the chat: {len(s.user.messages)} messages from the bot, "
          f"{s.notifier.stats.delivered} of them notifications.")


def _lots(amount: Decimal) -> Decimal:
    return floor_to_step(amount, LOT)
