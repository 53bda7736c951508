"""Builds the Bot and the Dispatcher and runs them with the core's services.

Services reach handlers as the dispatcher's workflow data, never as globals: `settings`, `vault`,
`ccxt` (the shared ccxt resources), `gateways` (a gateway factory for keys being checked), `paper`
(the one paper venue of the process), `bus` (the event bus), `accounts` (AccountService),
`leaderboard` (strategy rankings with cached reports) and `main_menu` (the menu registry).
The discover/subscribe/portfolio routers also need `engine` (the process's ReplicationEngine). Tests build the same dispatcher with their own services.

Updates arrive by long polling, or by webhook when WEBHOOK_URL is set (the bot listens on
WEBHOOK_PORT at the URL's path, behind the TLS proxy that WEBHOOK_URL names).
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import BotCommand
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from bot.i18n import LANGUAGES, create_i18n
from bot.menu_registry import MainMenu
from bot.middlewares import ThrottlingMiddleware, setup_middlewares
from bot.middlewares.flood_wait import FloodWait
from bot.notifier import AdminChat, Notifier
from bot.routers import build_routers
from core.bus import EventBus
from core.config import Settings
from core.engine.replicator import ReplicationEngine
from core.exchange.ccxt_shared import CcxtShared
from core.exchange.paper import PaperExchange
from core.heap import settle_heap
from core.runtime import Core
from core.services.accounts import AccountService, ccxt_gateway_factory
from core.services.leaderboard import Leaderboard
from core.vault import Vault

log = logging.getLogger(__name__)

COMMANDS = (
    ("start", __("Start or restart")),
    ("menu", __("Main menu")),
    ("keys", __("My exchange keys")),
    ("settings", __("Settings and language")),
)


def create_bot(settings: Settings, *, wait_out_flood: bool = True) -> Bot:
    """A Bot pointed at api.telegram.org, or at TELEGRAM_API_URL (self-hosted server or the sandbox).

    Its calls wait out Telegram's 429s (`FloodWait`); the notifier's Bot passes `wait_out_flood=False`
    because its delivery queue handles 429s itself."""
    assert settings.bot_token is not None
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url)) if settings.telegram_api_url \
        else AiohttpSession()
    if wait_out_flood:
        session.middleware(FloodWait())
    return Bot(
        token=settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


def core_services(settings: Settings, *, ccxt: CcxtShared, paper: PaperExchange, bus: EventBus,
                  vault: Vault | None = None, engine: ReplicationEngine | None = None) -> dict[str, object]:
    """The workflow data handlers use, built from the process-wide resources."""
    vault = vault or Vault.from_settings(settings)
    gateways = ccxt_gateway_factory(settings, ccxt)
    services: dict[str, object] = {
        "vault": vault,
        "ccxt": ccxt,
        "gateways": gateways,
        "paper": paper,
        "bus": bus,
        "accounts": AccountService(vault, gateways, paper, settings.limits),
        "leaderboard": Leaderboard(),
    }
    if engine is not None:
        services["engine"] = engine
    return services


def create_dispatcher(
    settings: Settings,
    *,
    storage: BaseStorage | None = None,
    i18n: I18n | None = None,
    throttling: ThrottlingMiddleware | None = None,
    **services: object,
) -> Dispatcher:
    """The dispatcher with middlewares, routers and the commands menu; `services` become workflow data."""
    main_menu = MainMenu()
    i18n = i18n or create_i18n(settings)
    dispatcher = Dispatcher(storage=storage, settings=settings, main_menu=main_menu, **services)
    setup_middlewares(dispatcher, i18n, throttling or ThrottlingMiddleware())
    dispatcher.include_routers(*build_routers(main_menu))
    dispatcher.startup.register(_startup_commands(i18n))
    return dispatcher


def _startup_commands(i18n: I18n) -> Callable[[Bot], Awaitable[None]]:
    async def set_commands(bot: Bot) -> None:
        """The "/" menu of commands in each language, and in the default language for the rest."""
        for language in (None, *LANGUAGES):
            with i18n.context(), i18n.use_locale(language or i18n.default_locale):
                commands = [BotCommand(command=name, description=str(text)) for name, text in COMMANDS]
            await bot.set_my_commands(commands, language_code=language)

    return set_commands


def webhook_secret(settings: Settings) -> str:
    """Telegram echoes this in a header so that only Telegram can feed the webhook."""
    assert settings.bot_token is not None
    return hashlib.sha256(b"copytrade-webhook\x00" + settings.bot_token.get_secret_value().encode()).hexdigest()[:48]


async def _serve_webhook(dispatcher: Dispatcher, bot: Bot, settings: Settings) -> None:
    assert settings.webhook_url is not None
    secret = webhook_secret(settings)
    app = web.Application()
    SimpleRequestHandler(dispatcher=dispatcher, bot=bot, secret_token=secret).register(
        app, path=urlsplit(settings.webhook_url).path or "/")
    setup_application(app, dispatcher, bot=bot)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "0.0.0.0", settings.webhook_port).start()
    await bot.set_webhook(settings.webhook_url, secret_token=secret)
    log.info("bot starting (webhook on port %d)", settings.webhook_port)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


async def run_app(settings: Settings) -> None:
    """The whole service in one process: the core (engine, watchers, risk, scheduler), the notifier, the bot."""
    core = Core.build(settings)
    await core.start()
    assert core.gateways.shared is not None and core.gateways.paper is not None
    bot = create_bot(settings)
    i18n = create_i18n(settings)
    admin = AdminChat(settings.admin_chat_id, settings.default_language) if settings.admin_chat_id else None
    notifier_bot = create_bot(settings, wait_out_flood=False)  # its queue handles 429s itself
    notifier = Notifier(notifier_bot, i18n, admin=admin)
    core.bus.subscribe(notifier.on_event)
    dispatcher = create_dispatcher(settings, i18n=i18n, **core_services(
        settings, ccxt=core.gateways.shared, paper=core.gateways.paper, bus=core.bus,
        vault=core.gateways.vault, engine=core.engine,
    ))
    settle_heap()  # everything long-lived is loaded: keep the collector off the fan-outs (core/heap.py)
    try:
        if settings.webhook_url:
            await _serve_webhook(dispatcher, bot, settings)
        else:
            log.info("bot starting (long polling)")
            await bot.delete_webhook()
            await dispatcher.start_polling(bot, handle_signals=True)
    finally:
        await notifier.close()
        await core.stop()
        await notifier_bot.session.close()
        await bot.session.close()
