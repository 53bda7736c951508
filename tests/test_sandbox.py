"""The Bot API sandbox, exercised by the REAL aiogram Bot and Dispatcher over HTTP."""
from __future__ import annotations

import asyncio
import struct
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)

from bot.sandbox import BotAccount, FloodLimits, TelegramSandbox
from bot.sandbox.pulse import Pulse


def png(width: int, height: int) -> bytes:
    """A valid grey PNG, so the sandbox can read its size like Telegram does."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


CHART = png(200, 100)


def counter_keyboard(n: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text="Count", callback_data=f"count:{n}")],
        [InlineKeyboardButton(text="Docs", url="https://example.com/docs")],
    ])


class Seen(list[object]):
    """What the bot's handlers saw, with a wake-up for tests that wait on the bot's side."""

    def __init__(self) -> None:
        super().__init__()
        self.pulse = Pulse()

    def add(self, item: object) -> None:
        self.append(item)
        self.pulse.fire()

    async def wait_for(self, item: object) -> None:
        assert await self.pulse.wait_until(lambda: (item in self) or None, 5.0), f"{item!r} not seen: {self}"


def build_router(seen: Seen) -> Router:
    router = Router()

    @router.message(CommandStart(deep_link=True))
    async def deep_link(message: Message, command: CommandObject) -> None:
        await message.answer(f"Deep link: <code>{command.args}</code>")

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        name = message.from_user.first_name if message.from_user else "?"
        await message.answer(f"Welcome, <b>{name}</b>! Count: 0", reply_markup=counter_keyboard(0))

    @router.callback_query(F.data.startswith("count:"))
    async def count(query: CallbackQuery) -> None:
        seen.add(query.data)
        n = int((query.data or "count:0").split(":")[1]) + 1
        if isinstance(query.message, Message):
            await query.message.edit_text(f"Count: {n}", reply_markup=counter_keyboard(n))
        await query.answer(f"counted {n}")

    @router.callback_query()
    async def other(query: CallbackQuery) -> None:
        seen.add(query.data)
        await query.answer("unknown action", show_alert=True)

    @router.message(Command("photo"))
    async def photo(message: Message) -> None:
        await message.answer_photo(BufferedInputFile(CHART, "chart.png"), caption="<b>Chart</b>")

    @router.message(Command("temp"))
    async def temp(message: Message) -> None:
        sent = await message.answer("temporary")
        await sent.delete()
        await message.answer("deleted it")

    @router.message(Command("menu"))
    async def menu(message: Message) -> None:
        keyboard = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="Balance")]], resize_keyboard=True)
        await message.answer("Pick one", reply_markup=keyboard)

    @router.my_chat_member()
    async def member(update: ChatMemberUpdated) -> None:
        seen.add((update.chat.id, update.new_chat_member.status))

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(f"echo: {message.text}", parse_mode=None)

    return router


def make_bot(sandbox: TelegramSandbox, account: BotAccount) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(sandbox.url))
    return Bot(account.token, session=session, default=DefaultBotProperties(parse_mode="HTML"))


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Running:
    sandbox: TelegramSandbox
    account: BotAccount
    bot: Bot
    seen: Seen


@pytest.fixture
async def sandbox() -> AsyncIterator[TelegramSandbox]:
    async with TelegramSandbox(flood=FloodLimits.off()) as sb:
        yield sb


@pytest.fixture
async def running(sandbox: TelegramSandbox) -> AsyncIterator[Running]:
    """A bot polling the sandbox through aiogram's own Dispatcher."""
    account = sandbox.add_bot()
    bot = make_bot(sandbox, account)
    seen = Seen()
    await bot.delete_webhook(drop_pending_updates=True)  # what a polling bot does at startup
    dp = Dispatcher()
    dp.include_router(build_router(seen))
    task = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=30))
    try:
        yield Running(sandbox, account, bot, seen)
    finally:
        await dp.stop_polling()
        await task


async def test_long_polling_delivers_and_echoes(running: Running) -> None:
    user = running.sandbox.user(101, "Ann")
    await user.send("hello <there>")
    reply = await user.wait_for("echo:")
    assert reply.text == "echo: hello <there>"
    assert reply.sender is running.account.me
    # Real long polling: the bot waited on the server, it did not spin on empty answers.
    assert running.sandbox.calls["getUpdates"] <= 3


async def test_deep_link_payload_reaches_command_start(running: Running) -> None:
    user = running.sandbox.user(102, "Bob")
    await user.send("/start ref_42")
    reply = await user.wait_for("Deep link")
    assert reply.text == "Deep link: ref_42"
    assert reply.html == "Deep link: <code>ref_42</code>"
    assert reply.entities == [{"type": "code", "offset": 11, "length": 6}]


async def test_pressing_a_button_edits_the_message_and_records_the_answer(running: Running) -> None:
    user = running.sandbox.user(103, "Cleo")
    await user.send("/start")
    welcome = await user.wait_for("Welcome")
    assert welcome.html == "Welcome, <b>Cleo</b>! Count: 0"
    assert welcome.buttons == ["Count", "Docs"]

    await user.press("Count")
    answer = await user.wait_for_answer()
    edited = await user.wait_for("Count: 1", kinds=("edit",))
    assert answer.text == "counted 1" and answer.data == "count:0"
    assert edited is welcome and edited.edited and edited.history == ["Welcome, <b>Cleo</b>! Count: 0"]
    assert running.seen == ["count:0"]
    with pytest.raises(ValueError):
        await user.press("Docs")  # a URL button opens a link, it sends nothing to the bot

    await user.press("Count")
    await user.wait_for("Count: 2", kinds=("edit",))
    await user.wait_for_answer()
    assert [a.text for a in user.callback_answers] == ["counted 1", "counted 2"]


async def test_forged_callback_data_reaches_the_bot(running: Running) -> None:
    user = running.sandbox.user(104, "Dan")
    await user.send("/start")
    welcome = await user.wait_for("Welcome")
    await user.press_data(welcome.message_id, "admin:drop_all")
    answer = await user.wait_for_answer()
    assert running.seen == ["admin:drop_all"]
    assert answer.show_alert and answer.text == "unknown action"


async def test_delete_message_marks_it_deleted(running: Running) -> None:
    user = running.sandbox.user(105, "Eve")
    await user.send("/temp")
    gone = await user.wait_for("temporary", kinds=("delete",))
    await user.wait_for("deleted it")
    assert gone.deleted
    assert user.last_message is not None and user.last_message.text == "deleted it"
    assert [m.text for m in user.messages] == ["temporary", "deleted it"]


async def test_send_photo_multipart_stores_the_image(running: Running) -> None:
    user = running.sandbox.user(106, "Fay")
    await user.send("/photo")
    sent = await user.wait_for(lambda m: m.has_photo)
    assert user.photo_bytes(sent) == CHART
    assert sent.caption == "Chart" and sent.html == "<b>Chart</b>"
    assert (sent.photo or [])[-1]["width"] == 200 and (sent.photo or [])[-1]["height"] == 100
    downloaded = await running.bot.download((sent.photo or [])[-1]["file_id"])
    assert downloaded is not None and downloaded.read() == CHART


async def test_reply_keyboard_button_sends_its_label(running: Running) -> None:
    user = running.sandbox.user(107, "Gus")
    await user.send("/menu")
    await user.wait_for("Pick one")
    await user.press("Balance")
    assert (await user.wait_for("echo:")).text == "echo: Balance"


async def test_blocked_user_gives_forbidden_and_a_member_update(running: Running) -> None:
    user = running.sandbox.user(108, "Hal")
    await user.send("hi")
    await user.wait_for("echo: hi")
    user.block()
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await running.bot.send_message(user.id, "still there?")
    await running.seen.wait_for((user.id, "kicked"))
    stranger = running.sandbox.user(109, "Ivy")
    with pytest.raises(TelegramForbiddenError, match="can't initiate conversation"):
        await running.bot.send_message(stranger.id, "hello")


async def test_per_chat_flood_limit_answers_429_with_retry_after() -> None:
    clock = FakeClock()
    async with TelegramSandbox(flood=FloodLimits(), clock=clock) as sandbox:
        account = sandbox.add_bot()
        user = sandbox.user(201, "Jo")
        await user.send("/start")
        async with make_bot(sandbox, account) as bot:
            for i in range(3):  # the burst
                await bot.send_message(user.id, f"m{i}")
            with pytest.raises(TelegramRetryAfter) as caught:
                await bot.send_message(user.id, "one too many")
            assert caught.value.retry_after == 1
            clock.now += caught.value.retry_after
            await bot.send_message(user.id, "after waiting")
        assert sandbox.flood.hits[account.me.id] == 1
        assert [m.text for m in user.messages] == ["m0", "m1", "m2", "after waiting"]


async def test_group_and_global_flood_limits() -> None:
    clock = FakeClock()
    async with TelegramSandbox(flood=FloodLimits(), clock=clock) as sandbox:
        account = sandbox.add_bot()
        sandbox.add_chat(-1001, "supergroup", "Traders")
        sandbox.set_member(-1001, account.me.id, "member")
        async with make_bot(sandbox, account) as bot:
            for i in range(20):
                await bot.send_message(-1001, f"g{i}")
            with pytest.raises(TelegramRetryAfter) as caught:
                await bot.send_message(-1001, "g20")
            assert caught.value.retry_after == 3  # 20/min refills one message every 3 s

            clock.now += 60
            users = [sandbox.user(300 + i, f"U{i}") for i in range(31)]
            for user in users:
                await user.send("/start")
            for user in users[:30]:
                await bot.send_message(user.id, "news")
            with pytest.raises(TelegramRetryAfter):
                await bot.send_message(users[30].id, "news")
        assert sandbox.flood.total_hits == 2


async def test_get_updates_long_polls_confirms_and_conflicts(sandbox: TelegramSandbox) -> None:
    account = sandbox.add_bot()
    user = sandbox.user(401, "Kim")
    async with make_bot(sandbox, account) as bot:
        waiting = asyncio.create_task(bot.get_updates(timeout=20))
        await sandbox.bots[account.token].updates.arrived.wait_until(
            lambda: sandbox.calls["getUpdates"] or None, 5)
        assert not waiting.done()
        await user.send("/start")
        updates = await waiting
        assert [u.message.text for u in updates if u.message] == ["/start"]
        assert updates[0].message and updates[0].message.entities
        assert updates[0].message.entities[0].type == "bot_command"

        again = await bot.get_updates(timeout=0)
        assert [u.update_id for u in again] == [updates[0].update_id]  # not confirmed yet
        assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == []

        first = asyncio.create_task(bot.get_updates(timeout=20))
        await sandbox.bots[account.token].updates.arrived.wait_until(
            lambda: sandbox.calls["getUpdates"] >= 4 or None, 5)
        second = asyncio.create_task(bot.get_updates(timeout=20))
        with pytest.raises(TelegramConflictError):
            await first
        await user.send("next")
        assert [u.message.text for u in await second if u.message] == ["next"]

        await bot.set_webhook("https://example.com/hook")
        with pytest.raises(TelegramConflictError, match="webhook is active"):
            await bot.get_updates(timeout=0)
        assert (await bot.get_webhook_info()).pending_update_count == 1  # "next", unconfirmed
        await bot.delete_webhook(drop_pending_updates=True)
        assert await bot.get_updates(timeout=0) == []


async def test_html_markup_keyboard_and_edit_errors(sandbox: TelegramSandbox) -> None:
    account = sandbox.add_bot()
    user = sandbox.user(501, "Lee")
    await user.send("/start")
    async with make_bot(sandbox, account) as bot:
        with pytest.raises(TelegramBadRequest, match="can't parse entities"):
            await bot.send_message(user.id, "price <script>")
        with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
            await bot.send_message(user.id, "x", reply_markup=InlineKeyboardMarkup(inline_keyboard=[
                [InlineKeyboardButton(text="long", callback_data="x" * 65)]]))
        sent = await bot.send_message(user.id, "<b>bold</b> &amp; plain", reply_markup=counter_keyboard(0))
        assert sent.text == "bold & plain" and sent.entities and sent.entities[0].type == "bold"
        with pytest.raises(TelegramBadRequest, match="message is not modified"):
            await bot.edit_message_text("<b>bold</b> &amp; plain", chat_id=user.id, message_id=sent.message_id,
                                        reply_markup=counter_keyboard(0))
        await bot.edit_message_text("plain now", chat_id=user.id, message_id=sent.message_id)
        assert user.messages[-1].buttons == []  # an edit without reply_markup drops the keyboard
        with pytest.raises(TelegramBadRequest, match="message to edit not found"):
            await bot.edit_message_reply_markup(chat_id=user.id, message_id=999)
        await bot.delete_message(user.id, sent.message_id)
        with pytest.raises(TelegramBadRequest, match="message to delete not found"):
            await bot.delete_message(user.id, sent.message_id)
        await bot.send_chat_action(user.id, "typing")
    assert user.chat_actions == ["typing"]


async def test_commands_chats_and_members(sandbox: TelegramSandbox) -> None:
    account = sandbox.add_bot()
    owner = sandbox.user(601, "Max", username="max")
    channel = sandbox.add_chat(-100777, "channel", "Signals", username="signals")
    sandbox.set_member(channel.id, owner.id, "creator")
    async with make_bot(sandbox, account) as bot:
        await bot.set_my_commands([BotCommand(command="start", description="Start")])
        await bot.set_my_commands([BotCommand(command="start", description="Начать")], language_code="ru")
        assert [c.description for c in await bot.get_my_commands(language_code="ru")] == ["Начать"]
        assert await bot.delete_my_commands(language_code="ru")
        assert await bot.get_my_commands(language_code="ru") == []
        assert [c.command for c in await bot.get_my_commands()] == ["start"]

        with pytest.raises(TelegramForbiddenError, match="not a member of the channel"):
            await bot.send_message("@signals", "hi")
        sandbox.add_bot_to_chat(account, channel.id, "administrator", by=owner.id)
        post = await bot.send_message("@signals", "signal")
        assert post.sender_chat and post.sender_chat.id == channel.id

        info = await bot.get_chat(channel.id)
        assert info.type == "channel" and info.title == "Signals"
        assert (await bot.get_chat_member(channel.id, owner.id)).status == "creator"
        assert (await bot.get_chat_member(channel.id, account.me.id)).status == "administrator"
        with pytest.raises(TelegramBadRequest, match="user not found"):
            await bot.get_chat_member(channel.id, 999_999)


async def test_unknown_method_token_and_chat(sandbox: TelegramSandbox) -> None:
    account = sandbox.add_bot()
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{sandbox.url}/bot{account.token}/sendSticker") as resp:
            assert resp.status == 404
            assert await resp.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        async with http.post(f"{sandbox.url}/bot1:wrong/getMe") as resp:
            assert resp.status == 401
        async with http.get(f"{sandbox.url}/bot{account.token}/getMe") as resp:
            body = await resp.json()
            assert body["ok"] and body["result"]["is_bot"] and body["result"]["username"] == "copytrade_bot"
    async with make_bot(sandbox, account) as bot:
        with pytest.raises(TelegramBadRequest, match="chat not found"):
            await bot.send_message(123456, "hello")


async def test_two_bots_keep_separate_conversations(sandbox: TelegramSandbox) -> None:
    first, second = sandbox.add_bot("first_bot"), sandbox.add_bot("second_bot")
    with_first = sandbox.user(701, "Nia", bot=first)
    with_second = sandbox.user(701, "Nia", bot=second)
    await with_second.send("/start")
    async with make_bot(sandbox, first) as bot_one, make_bot(sandbox, second) as bot_two:
        assert (await bot_two.get_me()).username == "second_bot"
        await bot_two.send_message(701, "from the second bot")
        with pytest.raises(TelegramForbiddenError):  # Nia never started the first bot
            await bot_one.send_message(701, "from the first bot")
        assert len(await bot_two.get_updates(timeout=0)) == 1
        assert await bot_one.get_updates(timeout=0) == []
    assert [m.text for m in with_second.messages] == ["from the second bot"]
    assert with_first.messages == []
