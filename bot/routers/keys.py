"""My keys: list, add (exchange → one message with the key), re-check, delete, demo account.

The work is `core.services.accounts.AccountService` (workflow data `accounts`); this router only
renders. The key arrives as ONE message "KEY SECRET" (okx and bitget: "KEY SECRET PASSPHRASE",
where the passphrase is the rest of the message); that message is deleted before anything else
happens, and no reply ever repeats the secret: only the key's hint (first and last 4 characters).
"""
from __future__ import annotations

import logging
from html import escape

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, ExceptionTypeFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, ErrorEvent, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from bot.callbacks import ExchangeCallback, KeyCallback, KeysCallback, MenuCallback
from bot.filters import Onboarded
from bot.key_texts import account_lines, add_key_prompt, keys_list_text, refusal_text
from bot.keyboards.keys import (
    account_keyboard,
    back_to_keys_keyboard,
    cancel_keyboard,
    confirm_delete_keyboard,
    exchanges_keyboard,
    keys_list_keyboard,
    retry_keyboard,
)
from bot.menu_registry import MainMenu, MenuEntry
from bot.replies import edit_screen
from bot.states import AddKey
from core.db.models import User
from core.errors import AccountInUse, AccountNotFound, ExchangeError
from core.exchange.base import Credentials
from core.exchange.ccxt_gateway import SUPPORTED
from core.money import fmt
from core.services.accounts import EXCHANGE_NAMES, PASSPHRASE_EXCHANGES, QUOTE, AccountService

log = logging.getLogger(__name__)

KEYS = MenuEntry("keys", __("🔑 My keys"), order=30)
EXCHANGE = "exchange"  # FSM data key while adding a key


def parse_credentials(text: str, exchange: str) -> Credentials | None:
    """KEY SECRET, or KEY SECRET PASSPHRASE for okx/bitget; None when the message has another shape.

    Exchanges issue keys (and take passphrases) in printable ASCII, and they travel in HTTP headers,
    where a control character is refused by the HTTP client itself: such a message is no key."""
    if exchange in PASSPHRASE_EXCHANGES:
        parts = text.strip().split(maxsplit=2)
        parts = [*parts[:2], parts[2].strip()] if len(parts) == 3 else []
    else:
        parts = text.split()
        parts = parts if len(parts) == 2 else []
    if not parts or not all(part.isascii() and part.isprintable() for part in parts):
        return None
    return Credentials(*parts)


async def _show_list(query: CallbackQuery, user: User, accounts: AccountService) -> None:
    rows = await accounts.list_accounts(user)
    await edit_screen(query, keys_list_text(rows), keys_list_keyboard(rows))


def create_router(main_menu: MainMenu) -> Router:
    main_menu.add(KEYS)
    router = Router(name="keys")
    router.message.filter(Onboarded())
    router.callback_query.filter(Onboarded())

    # --- the list -------------------------------------------------------------------------------
    @router.message(Command("keys"))
    async def keys_command(message: Message, user: User, state: FSMContext, accounts: AccountService) -> None:
        await state.set_state(None)
        rows = await accounts.list_accounts(user)
        await message.answer(keys_list_text(rows), reply_markup=keys_list_keyboard(rows))

    @router.callback_query(MenuCallback.filter(F.action == KEYS.key))
    @router.callback_query(KeysCallback.filter(F.action.in_({"list", "cancel"})))
    async def keys_list(query: CallbackQuery, user: User, state: FSMContext, accounts: AccountService) -> None:
        await state.set_state(None)
        await _show_list(query, user, accounts)
        await query.answer()

    # --- adding a key ---------------------------------------------------------------------------
    @router.callback_query(KeysCallback.filter(F.action == "add"))
    async def choose_exchange(query: CallbackQuery) -> None:
        await edit_screen(query, _("Which exchange is the key from?"), exchanges_keyboard())
        await query.answer()

    @router.callback_query(ExchangeCallback.filter(F.exchange.in_(set(SUPPORTED))))
    async def ask_for_key(query: CallbackQuery, callback_data: ExchangeCallback, state: FSMContext) -> None:
        await state.set_state(AddKey.credentials)
        await state.update_data({EXCHANGE: callback_data.exchange})
        needs_passphrase = callback_data.exchange in PASSPHRASE_EXCHANGES
        await edit_screen(query, add_key_prompt(callback_data.exchange, needs_passphrase), cancel_keyboard())
        await query.answer()

    @router.message(AddKey.credentials, F.text, ~F.text.startswith("/"))
    async def key_received(message: Message, user: User, state: FSMContext, accounts: AccountService) -> None:
        try:
            await message.delete()  # first: the secret must not stay in the chat whatever happens next
        except TelegramBadRequest as exc:
            log.warning("could not delete a message holding an API key: %s", exc.message)
        exchange = (await state.get_data()).get(EXCHANGE, "")
        if exchange not in SUPPORTED:
            await state.set_state(None)
            return
        credentials = parse_credentials(message.text or "", exchange)
        if credentials is None:
            await message.answer(_("That does not look right, so I deleted it. {how}").format(
                how=_("Expected: <code>KEY SECRET PASSPHRASE</code>") if exchange in PASSPHRASE_EXCHANGES
                else _("Expected: <code>KEY SECRET</code>")), reply_markup=cancel_keyboard())
            return
        await state.set_state(None)
        progress = await message.answer(_("🔐 Your message with the key was deleted. Checking the key with {exchange}…")
                                        .format(exchange=EXCHANGE_NAMES[exchange]))
        try:
            account = await accounts.add_key(user, exchange, credentials)
        except ExchangeError as exc:
            log.info("key for %s refused: %s", exchange, exc.code)
            await progress.edit_text(refusal_text(exc, exchange), reply_markup=retry_keyboard())
            return
        await progress.edit_text(_("✅ Key added. It can trade and cannot withdraw.") + "\n\n" + account_lines(account),
                                 reply_markup=back_to_keys_keyboard())

    # --- one account ----------------------------------------------------------------------------
    @router.callback_query(KeyCallback.filter(F.action == "open"))
    async def open_account(query: CallbackQuery, callback_data: KeyCallback, user: User, accounts: AccountService) -> None:
        account = await accounts.get(user, callback_data.account_id)
        await edit_screen(query, account_lines(account), account_keyboard(account))
        await query.answer()

    @router.callback_query(KeyCallback.filter(F.action == "recheck"))
    async def recheck(query: CallbackQuery, callback_data: KeyCallback, user: User, accounts: AccountService) -> None:
        await query.answer(_("Checking…"))
        account = await accounts.get(user, callback_data.account_id)
        try:
            account = await accounts.recheck(user, account.id)
            verdict = _("✅ The key works.")
        except ExchangeError as exc:
            account = await accounts.get(user, account.id)
            verdict = refusal_text(exc, account.exchange)
        await edit_screen(query, verdict + "\n\n" + account_lines(account), account_keyboard(account))

    @router.callback_query(KeyCallback.filter(F.action == "delete"))
    async def ask_delete(query: CallbackQuery, callback_data: KeyCallback, user: User, accounts: AccountService) -> None:
        account = await accounts.get(user, callback_data.account_id)
        text = _("Delete <b>{label}</b>? The key is erased; copying stops on this account.").format(label=escape(account.label))
        await edit_screen(query, text, confirm_delete_keyboard(account))
        await query.answer()

    @router.callback_query(KeyCallback.filter(F.action == "confirm_delete"))
    async def delete(query: CallbackQuery, callback_data: KeyCallback, user: User, accounts: AccountService) -> None:
        try:
            await accounts.delete(user, callback_data.account_id)
        except AccountInUse:
            await query.answer(_("This account is used by an active subscription or strategy. Stop it first, "
                                 "then delete the key."), show_alert=True)
            return
        await query.answer(_("Key deleted."))
        await _show_list(query, user, accounts)

    # --- demo -----------------------------------------------------------------------------------
    @router.callback_query(KeysCallback.filter(F.action == "demo"))
    async def demo(query: CallbackQuery, user: User, accounts: AccountService) -> None:
        account, created = await accounts.open_demo(user)
        if created:
            head = _("🎮 Your demo account is ready with {amount} {currency} of virtual money. Copy traders "
                     "with it to see how it works — no key needed.").format(amount=fmt(account.equity), currency=QUOTE)
        else:
            head = _("You already have a demo account.")
        await edit_screen(query, head + "\n\n" + account_lines(account), account_keyboard(account))
        await query.answer()

    @router.error(ExceptionTypeFilter(AccountNotFound), F.update.callback_query.as_("query"))
    async def gone(event: ErrorEvent, query: CallbackQuery) -> None:
        """A stale button (the account was deleted) or a forged one (someone else's account)."""
        await query.answer(_("This account no longer exists."), show_alert=True)

    return router
