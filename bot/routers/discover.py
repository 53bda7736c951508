"""Discover traders: the leaderboard (sort, pages, search by name) and the strategy card.

The figures come from `core.services.leaderboard.Leaderboard` (workflow data `leaderboard`), which
caches each strategy's report for a short while. The card is a photo (the yield chart, drawn in a
worker thread) with the figures as its caption; its Subscribe button starts the subscribe flow.
A deep link's "View strategy" button (`StrategyCallback(action="view")`) opens the card too.
"""
from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.callbacks import MenuCallback, StrategyCallback
from bot.callbacks_trading import BoardCallback, CardCallback
from bot.discover_texts import board_text, card_text
from bot.filters import Onboarded
from bot.keyboards.discover import board_keyboard, card_keyboard, search_keyboard
from bot.menu_registry import MainMenu
from bot.photo_replies import show_photo, show_screen
from bot.routers.menu import DISCOVER
from bot.states import PENDING_STRATEGY
from bot.states_trading import BOARD_QUERY, SearchStrategies
from core.charts import render_yield_curve_async
from core.services.leaderboard import DEFAULT_SORT, Leaderboard

MAX_QUERY = 64


def search_query(text: str) -> str:
    """The part of a name to look for: control and invisible characters become spaces (a NUL is
    not even storable in PostgreSQL text, so comparing with it fails), at most `MAX_QUERY` long."""
    return "".join(ch if ch.isprintable() else " " for ch in text).strip()[:MAX_QUERY]


async def _board(leaderboard: Leaderboard, state: FSMContext, page: int = 0, sort: str = DEFAULT_SORT) -> tuple[str, InlineKeyboardMarkup]:
    query = (await state.get_data()).get(BOARD_QUERY, "")
    shown = await leaderboard.page(sort, page, query)
    return board_text(shown), board_keyboard(shown)


async def open_card(query: CallbackQuery, leaderboard: Leaderboard, strategy_id: int, page: int, sort: str) -> None:
    entry = await leaderboard.entry(strategy_id)
    if entry is None:
        await query.answer(_("This strategy is not available."), show_alert=True)
        return
    await query.answer()
    if query.bot is not None and query.message is not None:
        await query.bot.send_chat_action(query.message.chat.id, "upload_photo")
    chart = await render_yield_curve_async(entry.report.yield_curve, _("Yield"), _("No data yet"))
    await show_photo(query, chart, card_text(entry), card_keyboard(strategy_id, page, sort))


def create_router(main_menu: MainMenu) -> Router:
    main_menu.add(DISCOVER)
    router = Router(name="discover")
    router.message.filter(Onboarded())
    router.callback_query.filter(Onboarded())

    @router.callback_query(MenuCallback.filter(F.action == DISCOVER.key))
    async def discover(query: CallbackQuery, state: FSMContext, leaderboard: Leaderboard) -> None:
        await state.set_state(None)
        await state.update_data({BOARD_QUERY: ""})
        text, markup = await _board(leaderboard, state)
        await show_screen(query, text, markup)
        await query.answer()

    @router.callback_query(BoardCallback.filter(F.action.in_({"show", "clear"})))
    async def board(query: CallbackQuery, callback_data: BoardCallback, state: FSMContext, leaderboard: Leaderboard) -> None:
        await state.set_state(None)
        if callback_data.action == "clear":
            await state.update_data({BOARD_QUERY: ""})
        text, markup = await _board(leaderboard, state, callback_data.page, callback_data.sort)
        await show_screen(query, text, markup)
        await query.answer()

    @router.callback_query(BoardCallback.filter(F.action == "search"))
    async def ask_search(query: CallbackQuery, callback_data: BoardCallback, state: FSMContext) -> None:
        await state.set_state(SearchStrategies.query)
        await show_screen(query, _("Send a part of the strategy's name:"), search_keyboard(callback_data.sort))
        await query.answer()

    @router.message(SearchStrategies.query, F.text, ~F.text.startswith("/"))
    async def search(message: Message, state: FSMContext, leaderboard: Leaderboard) -> None:
        await state.set_state(None)
        await state.update_data({BOARD_QUERY: search_query(message.text or "")})
        text, markup = await _board(leaderboard, state)
        await message.answer(text, reply_markup=markup)

    @router.callback_query(CardCallback.filter())
    async def card(query: CallbackQuery, callback_data: CardCallback, leaderboard: Leaderboard) -> None:
        await open_card(query, leaderboard, callback_data.strategy_id, callback_data.page, callback_data.sort)

    @router.callback_query(StrategyCallback.filter(F.action == "view"))
    async def linked_card(query: CallbackQuery, callback_data: StrategyCallback, state: FSMContext,
                          leaderboard: Leaderboard) -> None:
        """The deep link's strategy: shown once, then the menu stops offering it."""
        data = await state.get_data()
        if data.get(PENDING_STRATEGY) == callback_data.strategy_id:
            await state.update_data({PENDING_STRATEGY: None})
        await open_card(query, leaderboard, callback_data.strategy_id, 0, DEFAULT_SORT)

    return router
