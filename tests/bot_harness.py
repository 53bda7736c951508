"""End-to-end harness: the REAL dispatcher polling the Bot API sandbox, with a database, the exchange
emulator (optional) and a paper venue, and `UserDriver`s that play the people.

    async with start_bot(db, emulator=emulator) as h:        # or the `harness` fixture
        ann = h.user("Ann")                                   # language_code="en" by default
        menu = await h.onboard(ann)                           # /start → English → accept → menu
        await ann.press("🔑 My keys"); await ann.wait_for("My keys")

`start_bot(..., services={"accounts": other})` replaces workflow data (e.g. a failing service);
`settings={...}` overrides Settings fields; each exchange's base_url points at the emulator when one
is given. `h.engine` is the ReplicationEngine (workflow data `engine`) on the same paper venue.
`flood=FloodLimits()` turns the sandbox's flood control on (Telegram's limits; off by default), and
`notify=True` subscribes the real Notifier (`h.notifier`, on its own Bot as in the app) to `h.bus`,
paced by `delivery` (DeliveryLimits; Telegram's by default).
Import the fixtures into a test module with `from tests.bot_harness import harness`.
"""
from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from aiogram import Bot, Dispatcher

from bot.app import core_services, create_bot, create_dispatcher
from bot.i18n import create_i18n
from bot.middlewares import ThrottlingMiddleware
from bot.notifier import DeliveryLimits, Notifier
from bot.polling import polling_in_background
from bot.sandbox import BotAccount, FloodLimits, TelegramSandbox, UserDriver
from bot.sandbox.state import ChatEvent, StoredMessage
from core.bus import EventBus
from core.config import EXCHANGES, Settings
from core.db.models import User
from core.emulator.server import ExchangeEmulator
from core.engine.replicator import ReplicationEngine
from core.exchange.ccxt_shared import CcxtShared
from core.exchange.feeds import SyntheticFeed
from core.exchange.paper import PaperExchange
from core.exchange.provider import Gateways
from core.vault import Vault, generate_key

PAPER_PRICES = {"BTC/USDT": Decimal("60000"), "ETH/USDT": Decimal("3000"), "XRP/USDT": Decimal("0.5")}
LANGUAGE_LABELS = {"en": "English", "ru": "Русский"}


@dataclass
class BotHarness:
    sandbox: TelegramSandbox
    account: BotAccount
    bot: Bot
    dispatcher: Dispatcher
    settings: Settings
    vault: Vault
    paper: PaperExchange
    bus: EventBus
    emulator: ExchangeEmulator | None
    engine: ReplicationEngine
    notifier: Notifier | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(10_001))

    def user(self, first_name: str = "Ann", *, language_code: str | None = "en", user_id: int | None = None,
             username: str | None = None) -> UserDriver:
        """A new person talking to the bot (a fresh Telegram id unless `user_id` is given)."""
        return self.sandbox.user(user_id or next(self._ids), first_name, language_code=language_code,
                                 username=username, bot=self.account)

    async def onboard(self, user: UserDriver, language: str = "en") -> StoredMessage:
        """/start, pick `language`, accept the disclaimer; returns the main-menu message."""
        await user.send("/start")
        await user.wait_for(lambda m: any(LANGUAGE_LABELS[language] in b for b in m.buttons))
        await press_like(user, LANGUAGE_LABELS[language])
        await user.wait_for(lambda m: len(m.buttons) == 1, kinds=("edit",))
        await press_like(user, "✅")
        return await user.wait_for(lambda m: len(m.buttons) >= 4, kinds=("edit",))

    async def db_user(self, user: UserDriver) -> User:
        return await User.get(telegram_id=user.id)


async def press_like(user: UserDriver, fragment: str) -> str:
    """Press the newest visible inline button whose label contains `fragment` (labels carry emoji)."""
    for message in reversed(user.messages):
        if message.deleted:
            continue
        for row in (message.reply_markup or {}).get("inline_keyboard", []):
            for button in row:
                if fragment in button["text"] and "callback_data" in button:
                    return await user.press_data(message.message_id, button["callback_data"])
    raise LookupError(f"no button containing {fragment!r}")


def events_since(user: UserDriver, mark: int) -> list[ChatEvent]:
    """What happened in the chat after `mark` (take `len(user.conv.events)` before an action)."""
    return user.conv.events[mark:]


def chat_texts(user: UserDriver) -> list[str]:
    """Every text the bot ever showed in the chat: messages, their earlier versions, button labels."""
    texts: list[str] = []
    for message in user.messages:
        texts += [message.content, message.html or "", *(h or "" for h in message.history), *message.buttons]
    texts += [answer.text or "" for answer in user.callback_answers]
    return texts


@asynccontextmanager
async def start_bot(
    database_url: str,
    *,
    emulator: ExchangeEmulator | None = None,
    services: dict[str, Any] | None = None,
    settings: dict[str, Any] | None = None,
    throttling: ThrottlingMiddleware | None = None,
    configure: Callable[[Dispatcher], None] | None = None,
    flood: FloodLimits | None = None,
    notify: bool = False,
    delivery: DeliveryLimits | None = None,
) -> AsyncIterator[BotHarness]:
    """Run the bot against a fresh sandbox until the block exits (the database must be initialised)."""
    exchanges = {name: {"base_url": emulator.base_url(name)} for name in EXCHANGES} if emulator else {}
    async with TelegramSandbox(flood=flood or FloodLimits.off()) as sandbox:
        account = sandbox.add_bot()
        config = Settings(_env_file=None, bot_token=account.token, telegram_api_url=sandbox.url,  # type: ignore[call-arg]
                          vault_key=generate_key(), database_url=database_url, **{**exchanges, **(settings or {})})
        ccxt = CcxtShared(timeout_ms=3_000)
        paper = PaperExchange(SyntheticFeed(PAPER_PRICES, seed=7))
        bus = EventBus()
        vault = Vault.from_settings(config)
        engine = ReplicationEngine(Gateways(config, vault=vault, shared=ccxt, paper=paper), bus, config.limits)
        workflow = {**core_services(config, ccxt=ccxt, paper=paper, bus=bus, vault=vault), "engine": engine,
                    **(services or {})}
        dispatcher = create_dispatcher(config, throttling=throttling or ThrottlingMiddleware(limit=10_000), **workflow)
        if configure is not None:
            configure(dispatcher)
        bot = create_bot(config)
        notifier_bot = create_bot(config, wait_out_flood=False)
        notifier = Notifier(notifier_bot, create_i18n(config), limits=delivery) if notify else None
        if notifier is not None:
            bus.subscribe(notifier.on_event)
        try:
            async with polling_in_background(dispatcher, bot):
                yield BotHarness(sandbox, account, bot, dispatcher, config, vault, paper, bus, emulator, engine,
                                 notifier)
        finally:
            await bus.drain()
            if notifier is not None:
                await notifier.close()
            await notifier_bot.session.close()
            await bus.close()
            await engine.gateways.close()
            await ccxt.close()


@pytest.fixture
async def harness(db: str, emulator: ExchangeEmulator) -> AsyncIterator[BotHarness]:
    """The bot with the exchange emulator behind every exchange's base URL."""
    async with start_bot(db, emulator=emulator) as running:
        yield running
