"""Fuzz: Hypothesis-generated text and callback data sent in every FSM state of the bot.

Each scene is one FSM state (every `State` of bot/states.py and bot/states_trading.py) or no state
(a newcomer, and an onboarded user at the menu). A user is driven there through the real
dispatcher with the messages and buttons a person would use; then each example sends ONE arbitrary
text or ONE arbitrary callback data (random strings, and packs with the real CallbackData prefixes
carrying unknown actions and forged ids: someone else's account or subscription, a hidden strategy,
ids beyond the database's integers) and checks that
  (a) the bot answered: a message or an edit for a text, answerCallbackQuery for a button;
  (b) no exception reached the global error handler (and its "reference" apology is not in the chat);
  (c) the database is unchanged (every table; only the demo balance's "measured at" stamps may move).
Buttons that are valid by construction and write on purpose (accept the disclaimer, switch to
another language, open the demo account, Confirm on the confirm step) are not fuzz: their flows'
own tests cover them. When an input moves the user out of the state, the next example drives them
back in (a newcomer cannot go back to "no state": a new person is used instead).
"""
from __future__ import annotations

import asyncio
import inspect
import itertools
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from aiogram import Dispatcher
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import StatesGroup
from aiogram.types import ErrorEvent, TelegramObject
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from tortoise import Tortoise

from bot import callbacks, callbacks_trading, errors, states, states_trading
from bot.i18n import LANGUAGES
from bot.sandbox import UserDriver
from bot.sandbox.state import StoredMessage
from core.db.models import Strategy, StrategyStatus, Subscription
from core.emulator.server import ExchangeEmulator
from tests import factories
from tests.bot_harness import BotHarness, events_since, press_like, start_bot
from tests.trading_world import demo_account, published

D = Decimal
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))  # more for a deeper run
SETTLE_TIMEOUT = 15.0  # a key check goes through real ccxt to the emulator
APOLOGY = "send this reference to support"
AMOUNT_PROMPT = "How much should copy this trader?"
TERMS = dict(min_deposit=D(1000), subscription_step=D(100), recommended_deposit=D(2000))
# Refreshed whenever a demo account is listed (a "last seen" of its balance), by valid commands too.
MEASURED_AT = {"exchange_accounts": frozenset({"equity_at", "last_checked_at"})}
INT32 = callbacks.MAX_ROW_ID


# --- watching the dispatcher ------------------------------------------------------------------------
class Probe:
    """Counts the updates the dispatcher finished and keeps every exception the global error
    handler (bot.errors) had to catch; a feature router's own error handler is not a failure."""

    def __init__(self) -> None:
        self.finished = 0
        self.raised = 0
        self.errors_seen = 0
        self.unhandled: list[BaseException] = []
        self._changed = asyncio.Condition()

    def install(self, dispatcher: Dispatcher) -> None:
        dispatcher.update.outer_middleware(self._update)  # inside aiogram's ErrorsMiddleware: sees the raise
        dispatcher.errors.middleware(self._error)  # inner: wraps the error handler that matched

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _update(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                      event: TelegramObject, data: dict[str, Any]) -> Any:
        try:
            return await handler(event, data)
        except Exception:
            self.raised += 1
            raise
        finally:
            self.finished += 1
            await self._notify()

    async def _error(self, handler: Callable[[ErrorEvent, dict[str, Any]], Awaitable[Any]],
                     event: ErrorEvent, data: dict[str, Any]) -> Any:
        try:
            return await handler(event, data)
        finally:
            if data["handler"].callback.__module__ == errors.__name__:
                self.unhandled.append(event.exception)
            self.errors_seen += 1
            await self._notify()

    async def settle(self, updates: int) -> None:
        """Until `updates` updates are finished, error handlers included."""
        async with asyncio.timeout(SETTLE_TIMEOUT), self._changed:
            await self._changed.wait_for(lambda: self.finished >= updates and self.errors_seen >= self.raised)


async def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, in primary-key order."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for model in Tortoise.apps["models"].values():
        table = model._meta.db_table
        skip = MEASURED_AT.get(table, frozenset())
        rows = await model.all().order_by(model._meta.pk_attr).values()
        tables[table] = [{k: v for k, v in row.items() if k not in skip} for row in rows]
    return tables


def fsm_groups() -> list[type[StatesGroup]]:
    return [obj for module in (states, states_trading) for obj in vars(module).values()
            if inspect.isclass(obj) and issubclass(obj, StatesGroup) and obj is not StatesGroup]


# --- the world and the scenes ----------------------------------------------------------------------
class World:
    """One bot, its rows, and the person being fuzzed (a plain class: Hypothesis prints its repr)."""

    def __init__(self, h: BotHarness, probe: Probe, scene: Scene, *, alpha: Strategy, hidden: Strategy,
                 victim_account: str, victim_subscription: int) -> None:
        self.h, self.probe, self.scene = h, probe, scene
        self.alpha = alpha  # approved and public: the one the subscribe scenes copy
        self.hidden = hidden  # pending, not public: its id is real but must not open
        self.victim_account = victim_account  # someone else's demo account and subscription
        self.victim_subscription = victim_subscription
        self.user: UserDriver | None = None
        self.own_account = ""
        self._names = itertools.count()

    def __repr__(self) -> str:
        return f"World({self.scene.name})"

    async def person(self) -> UserDriver:
        """A new person; onboarded with a demo account unless the scene is before onboarding."""
        user = self.h.user(f"Fuzz{next(self._names)}")
        if self.scene.onboarded:
            await self.h.onboard(user)
            self.own_account = str((await demo_account(self.h, user)).id)
        return user

    async def fsm_state(self, user: UserDriver) -> str | None:
        return await self.h.dispatcher.fsm.get_context(self.h.bot, chat_id=user.id, user_id=user.id).get_state()

    async def in_scene(self, user: UserDriver) -> bool:
        row = await self.h.db_user(user)
        onboarded = row.disclaimer_accepted_at is not None
        return await self.fsm_state(user) == self.scene.state and onboarded == self.scene.onboarded

    async def ready(self) -> UserDriver:
        """The fuzzed user, in the scene's state (driven back in if the last input moved them)."""
        user = self.user
        if user is not None and await self.in_scene(user):
            return user
        if user is None or not self.scene.reusable:
            user = self.user = await self.person()
        await self.scene.enter(self, user)
        assert await self.in_scene(user), (self.scene.name, await self.fsm_state(user))
        return user


async def say_hello(w: World, user: UserDriver) -> None:
    await user.send("hello")
    await user.wait_for("/start")


async def start(w: World, user: UserDriver) -> None:
    await user.send("/start")
    await user.wait_for("Choose your language")


async def pick_language(w: World, user: UserDriver) -> None:
    await start(w, user)
    await press_like(user, "English")
    await user.wait_for("How it works", kinds=("edit",))


async def menu(w: World, user: UserDriver) -> None:
    await user.send("/menu")
    await user.wait_for("Main menu")


def add_key(exchange: str) -> Callable[[World, UserDriver], Awaitable[None]]:
    async def enter(w: World, user: UserDriver) -> None:
        await user.send("/keys")
        await user.wait_for("My keys")
        await user.press("➕ Add a key")
        await user.wait_for("Which exchange", kinds=("edit",))
        await user.press(exchange)
        await user.wait_for("one message", kinds=("edit",))

    return enter


async def search(w: World, user: UserDriver) -> None:
    await menu(w, user)
    await user.press("🔎 Discover traders")
    await user.wait_for("Traders", kinds=("edit",))
    await user.press("🔍 Search by name")
    await user.wait_for("Send a part", kinds=("edit",))


async def amount(w: World, user: UserDriver) -> None:
    """Deep link → View strategy → card → Subscribe → the demo account (an older card's Subscribe
    button is pressed again when there is one, as a person scrolling up would)."""
    if not any("✅ Subscribe" in m.buttons for m in user.messages if not m.deleted):
        await user.send(f"/start s_{w.alpha.id}")
        await user.wait_for("View strategy")
        await user.press("🔎 View strategy")
        await user.wait_for(lambda m: m.has_photo)
    await user.press("✅ Subscribe")
    await user.wait_for("step 2 of 3")
    await press_like(user, "🎮 Demo")
    await user.wait_for(AMOUNT_PROMPT, kinds=("edit",))


async def max_drawdown(w: World, user: UserDriver) -> None:
    await amount(w, user)
    await user.send("2000")
    await user.wait_for("Maximum drawdown")


async def stop_loss(w: World, user: UserDriver) -> None:
    await max_drawdown(w, user)
    await user.press("Skip")
    await user.wait_for("Stop-loss", kinds=("edit",))


async def take_profit(w: World, user: UserDriver) -> None:
    await stop_loss(w, user)
    await user.send("10")
    await user.wait_for("Take-profit")


async def confirm(w: World, user: UserDriver) -> None:
    await take_profit(w, user)
    await user.press("Skip")
    await user.wait_for("step 3 of 3", kinds=("edit",))


@dataclass(frozen=True)
class Scene:
    name: str
    state: str | None
    enter: Callable[[World, UserDriver], Awaitable[None]]
    onboarded: bool = True
    reusable: bool = True  # False: no way back into the state, so a new person each time it is left


SCENES = (
    Scene("newcomer", None, say_hello, onboarded=False, reusable=False),
    Scene("onboarding-language", states.Onboarding.language.state, start, onboarded=False),
    Scene("onboarding-disclaimer", states.Onboarding.disclaimer.state, pick_language, onboarded=False),
    Scene("menu", None, menu),
    Scene("add-key-binance", states.AddKey.credentials.state, add_key("Binance")),
    Scene("add-key-okx", states.AddKey.credentials.state, add_key("OKX")),  # KEY SECRET PASSPHRASE
    Scene("search", states_trading.SearchStrategies.query.state, search),
    Scene("subscribe-amount", states_trading.Subscribe.amount.state, amount),
    Scene("subscribe-max-drawdown", states_trading.Subscribe.max_drawdown.state, max_drawdown),
    Scene("subscribe-stop-loss", states_trading.Subscribe.stop_loss.state, stop_loss),
    Scene("subscribe-take-profit", states_trading.Subscribe.take_profit.state, take_profit),
    Scene("subscribe-confirm", states_trading.Subscribe.confirm.state, confirm),
)


# --- inputs ------------------------------------------------------------------------------------------
NASTY = (
    "<b>", "</b>", "<b>bold</b>", "<i>x", '<a href="tg://user?id=1">x</a>', "<script>alert(1)</script>", "<>",
    "&", "&amp;", "&lt;", "&#0;", "a < b > c", "<pre><code>",
    "1e9", "1E+9", "-0", "+0", "0", "0.0", "NaN", "-NaN", "sNaN", "nan%", "Infinity", "-inf", "∞", "-∞",
    "1,5", "1.5", "1 500,5", "1\u00a0500", "1_000", "1,000.5", "10%%", "%", "%50", "50%", "100%", "-5%", "0%",
    "1e999999", "-1e999999", "1e-999999", "1e308", "9" * 400, "0." + "0" * 400 + "1", "0x10", "١٢٣", "１２３",
    "²", "½", "Ⅻ", " ", "\n", "\t", "\u200b", "\u202e", "\ufeff", "\x00", "\x7f", "😀", "👨‍👩‍👧‍👦", "🇺🇦",
    "/start", "/start s_1", "/start s_0", "/start s_9999999999", "/start s_-1", "/start <b>", "/menu", "/keys",
    "/settings", "/", "//", "/unknown", "/start@other_bot", "KEY SECRET", "KEY SECRET PASSPHRASE", "a" * 4096,
    "%_%", "_", "\\", "'", '"', "' OR 1=1 --",
)
_fragments = st.one_of(st.sampled_from(NASTY), st.text(max_size=8))
_word = st.text(alphabet=st.characters(blacklist_categories=("Zs", "Cc", "Cs")), min_size=1, max_size=40)
TEXTS = st.one_of(
    st.sampled_from(NASTY),
    st.text(min_size=1, max_size=60),
    st.lists(_fragments, min_size=1, max_size=6).map("".join),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(repr),
    st.integers().map(str),
    st.tuples(st.decimals(allow_nan=False, allow_infinity=False), st.sampled_from(["%", " %", "%%", ""])).map(
        lambda p: f"{p[0]}{p[1]}"),
    st.lists(_word, min_size=2, max_size=3).map(" ".join),  # shaped like KEY SECRET [PASSPHRASE]
    st.tuples(st.text(min_size=1, max_size=16), st.integers(100, 1000)).map(lambda p: (p[0] * p[1])[:4096]),
).filter(lambda text: 0 < len(text) <= 4096)


def _fit(data: str) -> str:
    """Callback data is 1-64 bytes."""
    return data.encode()[:64].decode(errors="ignore")


def callback_data(w: World) -> st.SearchStrategy[str]:
    """Random strings, and packs with the real prefixes: unknown actions, forged or out-of-range ids."""
    junk = st.text(max_size=12)  # may hold ":" and shift the fields
    big = st.sampled_from([0, -1, INT32, INT32 + 1, 2**63 - 1, 2**63, -(2**63) - 1, 10**30, 9_999_999_999])
    strategy_ids = st.one_of(st.integers(), big, st.just(w.hidden.id)).filter(lambda i: i != w.alpha.id)
    subscription_ids = st.one_of(st.integers(), big, st.just(w.victim_subscription))
    accounts = st.one_of(st.uuids().map(str), st.just(w.victim_account), junk)

    def action(*valid: str) -> st.SearchStrategy[str]:
        return st.one_of(st.sampled_from(valid), junk) if valid else junk

    def pack(cls: type[CallbackData], *fields: st.SearchStrategy[Any]) -> st.SearchStrategy[str]:
        exact = st.tuples(*fields)
        shaped = st.one_of(exact, exact, exact, st.tuples(*fields, junk), st.tuples(*fields[:-1]))
        return shaped.map(lambda values: cls.__separator__.join([cls.__prefix__, *map(str, values)]))

    packs = st.one_of(
        pack(callbacks.LanguageCallback, action("en", "xx", "EN", "ru_RU"), action("onboarding", "settings")),
        pack(callbacks.DisclaimerCallback, action("decline", "Accept")),
        pack(callbacks.MenuCallback, action("main", "discover", "portfolio", "keys", "settings", "admin")),
        pack(callbacks.StrategyCallback, action("view", "subscribe"), strategy_ids),
        pack(callbacks.ExchangeCallback, action("paper", "kraken", "BINANCE")),
        pack(callbacks.KeyCallback, action("open", "recheck", "delete", "confirm_delete"), accounts),
        pack(callbacks.KeysCallback, action("list", "add", "cancel", "purge")),
        pack(callbacks_trading.BoardCallback, action("show", "search", "clear"), st.one_of(st.integers(), big),
             action("score", "drawdown", "nope")),
        pack(callbacks_trading.CardCallback, strategy_ids, st.one_of(st.integers(), big), junk),
        pack(callbacks_trading.AccountPick, strategy_ids, st.one_of(accounts, st.just(w.own_account))),
        pack(callbacks_trading.SubscribeStep, action("skip", "cancel", "back")),
        pack(callbacks_trading.MySubscription,
             action("open", "pause", "resume", "unsubscribe", "ask_close", "ask_keep", "close", "keep"),
             subscription_ids),
    )
    random = st.text(min_size=1, max_size=64)
    return st.one_of(random, packs, packs, packs).map(_fit).filter(bool)  # mostly packs: they reach handlers


def writes_on_purpose(data: str, scene: Scene) -> bool:
    """A real button that is meant to change the database (not fuzz)."""
    if data in ("disclaimer:accept", "keys:demo"):
        return True
    if data == "substep:confirm" and scene.state == states_trading.Subscribe.confirm.state:
        return True
    return any(data == f"lang:{code}:{origin}" for code in LANGUAGES if code != "en"
               for origin in ("onboarding", "settings"))


@dataclass(frozen=True)
class Send:
    text: str


@dataclass(frozen=True)
class Press:
    data: str
    back: int  # which visible bot message carries the button: 0 = the newest


def inputs(w: World) -> st.SearchStrategy[Send | Press]:
    return st.one_of(TEXTS.map(Send), st.builds(Press, callback_data(w), st.integers(0, 2)))


# --- the test ----------------------------------------------------------------------------------------
@pytest.fixture
async def world(db: str, emulator: ExchangeEmulator, scene: Scene) -> AsyncIterator[World]:
    """One bot per scene, with a strategy to copy, a hidden one, and someone else's subscription."""
    probe = Probe()
    async with start_bot(db, emulator=emulator, configure=probe.install) as h:
        alpha = await published("Alpha", [1000, 1100], **TERMS)
        hidden = await published("Hidden", [1000], status=StrategyStatus.PENDING, is_public=False)
        victim = h.user("Victim")
        await h.onboard(victim)
        account = await demo_account(h, victim)
        sub: Subscription = await factories.subscription(alpha, account, k=D("0.02"))
        yield World(h, probe, scene, alpha=alpha, hidden=hidden, victim_account=str(account.id),
                    victim_subscription=sub.id)


def pick(user: UserDriver, back: int) -> StoredMessage:
    visible = [m for m in user.messages if not m.deleted]
    return visible[-1 - min(back, len(visible) - 1)]


async def exercise(w: World, user: UserDriver, action: Send | Press) -> None:
    before = await snapshot()
    done, caught, mark = w.probe.finished + 1, len(w.probe.unhandled), len(user.conv.events)
    if isinstance(action, Send):
        await user.send(action.text)
    else:
        await user.press_data(pick(user, action.back).message_id, action.data)
    await w.probe.settle(done)
    if isinstance(action, Send):
        await user.wait_for(lambda m: True, timeout=1.0)  # a new message or an edit
    else:
        await user.wait_for_answer(timeout=1.0)
    assert not w.probe.unhandled[caught:], f"the global error handler caught {w.probe.unhandled[caught:]!r}"
    assert not any(APOLOGY in event.message.content for event in events_since(user, mark))
    assert await snapshot() == before


@pytest.mark.parametrize("scene", SCENES, ids=[s.name for s in SCENES])
@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much, HealthCheck.data_too_large])
@given(data=st.data())
async def test_any_input_is_answered_without_error_and_changes_nothing(world: World, scene: Scene,
                                                                       data: st.DataObject) -> None:
    user = await world.ready()
    action = data.draw(inputs(world), label="input")
    assume(not (isinstance(action, Press) and writes_on_purpose(action.data, scene)))
    await exercise(world, user, action)


SCENE = {scene.name: scene for scene in SCENES}
# Inputs the fuzz failed on before the fix (each raised in a handler); kept as plain cases.
FOUND = (
    ("add-key-binance", Send("\x1b 0")),  # a control character in a key: aiohttp refuses the header
    ("add-key-okx", Send("key secret pass\x07word")),
    ("menu", Press("strategy:view:9223372036854775808", 0)),  # beyond SQLite's integers
    ("menu", Press("mysub:open:2147483648", 0)),  # beyond PostgreSQL's integer
    ("menu", Send("/start s_9999999999")),  # its "View strategy" id: beyond PostgreSQL's integer
    ("subscribe-stop-loss", Press("subacc:2147483648:00000000-0000-0000-0000-000000000000", 0)),
    ("subscribe-amount", Send("1e999999%")),  # Decimal overflow in the amount
    ("subscribe-take-profit", Send("1e999999")),  # the confirm screen could not format it
    ("subscribe-max-drawdown", Send("1e999999١٢٣")),  # Arabic-Indic digits: an exponent beyond Decimal's
    ("search", Send("\x00")),  # PostgreSQL text cannot hold NUL
)


@pytest.mark.parametrize(("scene", "action"), [(SCENE[name], action) for name, action in FOUND],
                         ids=[f"{name}-{n}" for n, (name, _) in enumerate(FOUND)])
async def test_inputs_the_fuzz_once_failed_on(world: World, action: Send | Press) -> None:
    await exercise(world, await world.ready(), action)


def test_every_fsm_state_has_a_scene() -> None:
    declared = {s.state for group in fsm_groups() for s in group.__all_states__}
    assert declared and declared <= {scene.state for scene in SCENES}
    assert {s.state for s in SCENES if s.state is None} == {None}  # and no state at all
