"""Subscribe in three steps: (1) the strategy, (2) the account, the amount and the risk limits,
(3) the confirm screen → `core.services.subscriptions.subscribe`.

Step 1 is the card's Subscribe button (`StrategyCallback(action="subscribe")`; a deep link reaches
the card through the menu's "View strategy"). Every value of step 2 is checked by `quote`, the same
rules `subscribe` re-checks at the end; a refused value gets its precise reason and the same step is
asked again, and nothing is written before Confirm. The choices so far live in the FSM data
(`SUBSCRIBE`) as strings; equities are read once, when the account is picked (`core.services.balances`).
"""
from __future__ import annotations

from decimal import Decimal

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.callbacks import StrategyCallback
from bot.callbacks_trading import AccountPick, SubscribeStep
from bot.filters import Onboarded
from bot.keyboards.subscribe import (
    accounts_keyboard,
    confirm_keyboard,
    done_keyboard,
    no_accounts_keyboard,
    step_keyboard,
)
from bot.menu_registry import MainMenu
from bot.photo_replies import show_screen
from bot.replies import edit_screen
from bot.routers.menu import show_menu
from bot.states import PENDING_STRATEGY
from bot.states_trading import SUBSCRIBE, Subscribe
from bot.subscribe_draft import Draft, available_strategy, parse_number
from bot.subscribe_texts import (
    accounts_prompt,
    amount_prompt,
    confirm_text,
    limit_prompt,
    limit_refusal,
    no_accounts_text,
    not_a_number_text,
    not_enough_money_text,
    refusal_text,
    subscribed_text,
)
from core.config import Settings
from core.db.models import AccountStatus, Strategy, User
from core.engine.replicator import ReplicationEngine
from core.errors import AccountNotFound, ExchangeError, SubscriptionRefused
from core.services.accounts import AccountService
from core.services.balances import account_equity, master_equity
from core.services.subscriptions import RiskLimits, quote, requested_amount, subscribe

LIMIT_STATES = {"max_drawdown": Subscribe.max_drawdown, "stop_loss": Subscribe.stop_loss, "take_profit": Subscribe.take_profit}
LIMIT_ORDER = tuple(LIMIT_STATES)
# Refusals that concern the account itself, whatever the amount: told when the account is picked.
ACCOUNT_REASONS = frozenset({"account_busy", "open_positions", "margin_mismatch", "account_invalid", "own_strategy",
                             "strategy_unavailable"})
TOO_SMALL = frozenset({"above_usable", "above_cap"})  # ...for the strategy's minimum deposit


async def _end(state: FSMContext) -> None:
    await state.set_state(None)
    await state.update_data({SUBSCRIBE: None})


def create_router(main_menu: MainMenu) -> Router:
    router = Router(name="subscribe")
    router.message.filter(Onboarded())
    router.callback_query.filter(Onboarded())

    # --- step 1 → 2: the strategy is chosen; which account? ------------------------------------
    @router.callback_query(StrategyCallback.filter(F.action == "subscribe"))
    async def choose_account(query: CallbackQuery, callback_data: StrategyCallback, user: User, state: FSMContext,
                             accounts: AccountService) -> None:
        strategy = await available_strategy(callback_data.strategy_id)
        if strategy is None:
            await query.answer(_("This strategy is not available."), show_alert=True)
            return
        await _end(state)
        await show_screen(query, *await _accounts_screen(user, strategy, accounts))
        await query.answer()

    @router.callback_query(AccountPick.filter())
    async def account_picked(query: CallbackQuery, callback_data: AccountPick, user: User, state: FSMContext,
                             accounts: AccountService, engine: ReplicationEngine, settings: Settings) -> None:
        strategy = await available_strategy(callback_data.strategy_id)
        try:
            account = await accounts.get(user, callback_data.account_id)
        except AccountNotFound:
            await query.answer(_("This account no longer exists."), show_alert=True)
            return
        if strategy is None:
            await query.answer(_("This strategy is not available."), show_alert=True)
            return
        try:
            equity = await account_equity(engine.gateways, account, strategy.quote_currency)
            master = await master_equity(engine.gateways, strategy)
        except ExchangeError:
            await query.answer(_("The exchange is not answering right now. Please try again in a minute."), show_alert=True)
            return
        await query.answer()
        if master <= 0:
            await edit_screen(query, _("The trader's account shows no balance yet, so copies cannot be sized. "
                                       "Please try again later."), done_keyboard())
            return
        minimum = max(Decimal(strategy.min_deposit), Decimal(1))
        try:  # the smallest amount the strategy takes: if even that is refused, this account cannot be used
            await quote(user, account, strategy, minimum, settings.limits, equity=equity, master_equity=master)
        except SubscriptionRefused as refused:
            if refused.reason in ACCOUNT_REASONS or refused.reason in TOO_SMALL:  # the same step again
                reason = (not_enough_money_text(equity, minimum, strategy.quote_currency, settings.limits)
                          if refused.reason in TOO_SMALL else refusal_text(refused, strategy.quote_currency, settings.limits))
                text, markup = await _accounts_screen(user, strategy, accounts)
                await edit_screen(query, reason + "\n\n" + text, markup)
                return
        await state.update_data({SUBSCRIBE: {"strategy_id": strategy.id, "account_id": str(account.id),
                                             "equity": str(equity), "master_equity": str(master)}})
        await state.set_state(Subscribe.amount)
        await edit_screen(query, amount_prompt(strategy, account, equity, settings.limits), step_keyboard())

    # --- step 2: the amount ---------------------------------------------------------------------
    @router.message(Subscribe.amount, F.text, ~F.text.startswith("/"))
    async def amount_received(message: Message, user: User, state: FSMContext, accounts: AccountService,
                              settings: Settings) -> None:
        draft = await Draft.load(state, user, accounts)
        if draft is None:
            await _end(state)
            await message.answer(_("This subscription request has expired. Please start again."))
            return
        text = message.text or ""
        value = parse_number(text)
        prompt = amount_prompt(draft.strategy, draft.account, draft.equity, settings.limits)
        if value is None:
            await message.answer(not_a_number_text() + "\n\n" + prompt, reply_markup=step_keyboard())
            return
        try:
            requested = requested_amount(draft.equity, percent=value) if text.strip().endswith("%") else value
            await draft.quote(user, requested, settings)
        except SubscriptionRefused as refused:
            reason = refusal_text(refused, draft.strategy.quote_currency, settings.limits)
            await message.answer(reason + "\n\n" + prompt, reply_markup=step_keyboard())
            return
        await draft.save(state, requested=str(requested))
        await _ask_limit(message, state, draft, 0, settings, user)

    # --- step 2: the risk limits, one by one ------------------------------------------------------
    @router.message(StateFilter(*LIMIT_STATES.values()), F.text, ~F.text.startswith("/"))
    async def limit_received(message: Message, user: User, state: FSMContext, accounts: AccountService,
                             settings: Settings) -> None:
        draft = await Draft.load(state, user, accounts)
        step = await _current_step(state)
        if draft is None or step is None:
            await _end(state)
            await message.answer(_("This subscription request has expired. Please start again."))
            return
        value = parse_number(message.text or "")
        try:
            if value is None:
                raise SubscriptionRefused("bad_limit")
            RiskLimits(**{f"{step}_pct": value}).validate()
        except SubscriptionRefused:
            await message.answer(limit_refusal(step) + "\n\n" + limit_prompt(step, _default(step, settings)),
                                 reply_markup=step_keyboard(skippable=True))
            return
        await draft.save(state, **{step: str(value)})
        await _ask_limit(message, state, draft, LIMIT_ORDER.index(step) + 1, settings, user)

    @router.callback_query(SubscribeStep.filter(F.action == "skip"), StateFilter(*LIMIT_STATES.values()))
    async def limit_skipped(query: CallbackQuery, user: User, state: FSMContext, accounts: AccountService,
                            settings: Settings) -> None:
        draft = await Draft.load(state, user, accounts)
        step = await _current_step(state)
        if draft is None or step is None:
            await _end(state)
            await query.answer(_("This subscription request has expired. Please start again."), show_alert=True)
            return
        default = _default(step, settings)
        await draft.save(state, **{step: str(default) if default is not None else None})
        await query.answer()
        await _ask_limit(query, state, draft, LIMIT_ORDER.index(step) + 1, settings, user)

    # --- step 3: confirm --------------------------------------------------------------------------
    @router.callback_query(SubscribeStep.filter(F.action == "confirm"), Subscribe.confirm)
    async def confirmed(query: CallbackQuery, user: User, state: FSMContext, accounts: AccountService,
                        engine: ReplicationEngine, settings: Settings) -> None:
        await state.set_state(None)  # first: a second press of Confirm finds the step over
        draft = await Draft.load(state, user, accounts)
        await _end(state)
        if draft is None:
            await query.answer(_("This subscription request has expired. Please start again."), show_alert=True)
            return
        try:
            terms = await draft.quote(user, Decimal(draft.data["requested"]), settings)
            await subscribe(user, draft.account, draft.strategy, terms, draft.risk(), settings.limits,
                            master_equity=draft.master_equity)
        except SubscriptionRefused as refused:
            await query.answer()
            await edit_screen(query, refusal_text(refused, draft.strategy.quote_currency, settings.limits), done_keyboard())
            return
        engine.invalidate(draft.strategy.id)
        if (await state.get_data()).get(PENDING_STRATEGY) == draft.strategy.id:
            await state.update_data({PENDING_STRATEGY: None})
        await query.answer(_("Subscribed."))
        await edit_screen(query, subscribed_text(draft.strategy, terms), done_keyboard())

    @router.callback_query(SubscribeStep.filter(F.action == "cancel"))
    async def cancelled(query: CallbackQuery, user: User, state: FSMContext, main_menu: MainMenu) -> None:
        await _end(state)
        await query.answer(_("Cancelled."))
        await show_menu(query, user, state, main_menu)

    @router.callback_query(SubscribeStep.filter())
    async def stale(query: CallbackQuery) -> None:
        """Skip or Confirm of a step that is already over (pressed twice, or an old message)."""
        await query.answer(_("This step is over. Please start again."), show_alert=True)

    return router


async def _accounts_screen(user: User, strategy: Strategy, accounts: AccountService) -> tuple[str, InlineKeyboardMarkup]:
    usable = [a for a in await accounts.list_accounts(user) if a.status == AccountStatus.ACTIVE and a.can_trade]
    if not usable:
        return no_accounts_text(), no_accounts_keyboard()
    return accounts_prompt(strategy), accounts_keyboard(strategy.id, usable)


def _default(step: str, settings: Settings) -> Decimal | None:
    return settings.limits.default_max_drawdown_pct if step == "max_drawdown" else None


async def _current_step(state: FSMContext) -> str | None:
    current = await state.get_state()
    return next((step for step, st in LIMIT_STATES.items() if st.state == current), None)


async def _ask_limit(target: Message | CallbackQuery, state: FSMContext, draft: Draft, index: int, settings: Settings,
                     user: User) -> None:
    """Ask the risk limit number `index`, or show the confirm screen after the last one."""
    if index < len(LIMIT_ORDER):
        step = LIMIT_ORDER[index]
        await state.set_state(LIMIT_STATES[step])
        text, markup = limit_prompt(step, _default(step, settings)), step_keyboard(skippable=True)
    else:
        try:
            terms = await draft.quote(user, Decimal(draft.data["requested"]), settings)
        except SubscriptionRefused as refused:  # the account changed meanwhile (another subscription, a position)
            await _end(state)
            text, markup = refusal_text(refused, draft.strategy.quote_currency, settings.limits), done_keyboard()
        else:
            await state.set_state(Subscribe.confirm)
            text, markup = confirm_text(draft.strategy, draft.account, terms, draft.risk()), confirm_keyboard()
    if isinstance(target, CallbackQuery):
        await edit_screen(target, text, markup)
    else:
        await target.answer(text, reply_markup=markup)

