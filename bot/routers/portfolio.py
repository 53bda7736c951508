"""My portfolio: the user's subscriptions, one in detail, pause / resume / unsubscribe.

Every button carries a subscription id that the client could forge, so each handler loads the
subscription through `core.services.portfolio.subscription_of(user, id)`, which only finds the
user's own: anyone else's id gets the same "not found" as a deleted one, and nothing changes.
Pausing and resuming go through `SubscriptionControl` (resume recalculates k from fresh equities);
unsubscribing through `core.engine.unsubscribe.unsubscribe`, with or without closing positions.
"""
from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.callbacks import MenuCallback
from bot.callbacks_trading import MySubscription
from bot.filters import Onboarded
from bot.keyboards.portfolio import back_keyboard, confirm_keyboard, detail_keyboard, list_keyboard, mode_keyboard
from bot.menu_registry import MainMenu
from bot.photo_replies import show_screen
from bot.portfolio_texts import ask_mode_text, confirm_unsubscribe_text, detail_text, list_text, unsubscribed_text
from bot.routers.menu import PORTFOLIO
from core.bus import EventBus
from core.db.models import Subscription, User
from core.engine.replicator import ReplicationEngine
from core.engine.unsubscribe import unsubscribe
from core.errors import ExchangeError
from core.jobs import Prices
from core.services.balances import account_equity, master_equity
from core.services.portfolio import subscription_of, subscriptions_of, view
from core.services.subscriptions import SubscriptionControl


async def _detail(query: CallbackQuery, sub: Subscription, engine: ReplicationEngine, i18n: I18n) -> None:
    shown = await view(sub, Prices(engine.gateways))
    await show_screen(query, detail_text(shown, i18n), detail_keyboard(sub))


def create_router(main_menu: MainMenu) -> Router:
    main_menu.add(PORTFOLIO)
    router = Router(name="portfolio")
    router.message.filter(Onboarded())
    router.callback_query.filter(Onboarded())

    @router.callback_query(MenuCallback.filter(F.action == PORTFOLIO.key))
    async def portfolio(query: CallbackQuery, user: User, state: FSMContext, engine: ReplicationEngine) -> None:
        await state.set_state(None)
        subscriptions = await subscriptions_of(user)
        prices = Prices(engine.gateways)
        views = [await view(sub, prices) for sub in subscriptions]
        await show_screen(query, list_text(views), list_keyboard(subscriptions))
        await query.answer()

    @router.callback_query(MySubscription.filter())
    async def act(query: CallbackQuery, callback_data: MySubscription, user: User, engine: ReplicationEngine,
                  bus: EventBus, i18n: I18n) -> None:
        sub = await subscription_of(user, callback_data.subscription_id)
        if sub is None:
            await query.answer(_("Subscription not found."), show_alert=True)
            return
        action = callback_data.action
        name = sub.strategy.name
        if action == "open":
            await query.answer()
            await _detail(query, sub, engine, i18n)
        elif action == "pause":
            paused = await SubscriptionControl(bus, engine.invalidate).pause(sub, "manual")
            await query.answer(_("Copying paused.") if paused else _("Nothing to pause."))
            await _detail(query, sub, engine, i18n)
        elif action == "resume":
            await _resume(query, sub, engine, bus, i18n)
        elif action == "unsubscribe":
            await query.answer()
            await show_screen(query, ask_mode_text(name), mode_keyboard(sub))
        elif action in ("ask_close", "ask_keep"):
            await query.answer()
            close = action == "ask_close"
            await show_screen(query, confirm_unsubscribe_text(name, close), confirm_keyboard(sub, close))
        else:
            await query.answer(_("Unsubscribing…"))
            close = action == "close"
            result = await unsubscribe(engine, sub, close_positions=close)
            await show_screen(query, unsubscribed_text(name, result.finished, close, result.failures, i18n),
                              back_keyboard())

    return router


async def _resume(query: CallbackQuery, sub: Subscription, engine: ReplicationEngine, bus: EventBus, i18n: I18n) -> None:
    """k is recalculated from the account's equity now and the master's (the spec's "on resume")."""
    try:
        equity = await account_equity(engine.gateways, sub.account, sub.strategy.quote_currency)
        master = await master_equity(engine.gateways, sub.strategy)
    except ExchangeError:
        await query.answer(_("The exchange is not answering right now. Please try again in a minute."), show_alert=True)
        return
    if master <= 0:
        await query.answer(_("The trader's account shows no balance yet; please try again later."), show_alert=True)
        return
    resumed = await SubscriptionControl(bus, engine.invalidate).resume(sub, equity=equity, master_equity=master)
    await query.answer(_("Copying resumed.") if resumed else _("Nothing to resume."))
    await _detail(query, sub, engine, i18n)
