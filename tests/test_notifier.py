"""The notifier: every event in en and ru, and delivery through the real aiogram Bot to the sandbox
with Telegram's flood limits on (429s waited out, blocked users dropped, bursts digested, fairness)."""
from __future__ import annotations

import re
import shutil
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.utils.i18n import I18n
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import core.events
from bot.i18n import DOMAIN, compile_catalogs, locales_dir
from bot.notifier import AdminChat, DeliveryLimits, Notifier, Recipient, render
from bot.notifier.queue import DeliveryQueue, Notice
from bot.notifier.recipients import resolve
from bot.notifier.render import REASONS, Text
from bot.sandbox import BotAccount, FloodLimits, TelegramSandbox, UserDriver
from bot.sandbox.state import StoredMessage
from core.bus import EventBus
from core.db.models import User, UserStatus
from core.events import (
    CopyFailed,
    CopySkipped,
    DrawdownWarning,
    DriftDetected,
    Event,
    ExchangeDown,
    FeeCharged,
    KeyInvalid,
    OrderCancelled,
    OrderEnded,
    PortfolioDigest,
    StopLossHit,
    SubscriptionEvent,
    SubscriptionPaused,
    SubscriptionResumed,
    SubscriptionStopped,
    TakeProfitHit,
    TradeCopied,
    TraderResumed,
    TraderSuspended,
)

ROOT = Path(__file__).resolve().parents[1]
LANGS = ("en", "ru")
CYRILLIC = re.compile("[а-яА-ЯёЁ]")
ADMIN_CHAT = -1001234567890


# --- catalogs ---------------------------------------------------------------------------------
def catalog_source(lang: str) -> Path:
    """The notifier's fragment until the lead merges it, then the project catalog."""
    part = locales_dir() / f"notifier.{lang}.po.part"
    return part if part.exists() else locales_dir() / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@pytest.fixture(scope="module")
def i18n(tmp_path_factory: pytest.TempPathFactory) -> I18n:
    """The notifier's strings compiled into a temporary catalog, so tests do not wait for the merge."""
    root = tmp_path_factory.mktemp("locales")
    for lang in LANGS:
        target = root / lang / "LC_MESSAGES"
        target.mkdir(parents=True)
        shutil.copyfile(catalog_source(lang), target / f"{DOMAIN}.po")
    compile_catalogs(root)
    return I18n(path=root, default_locale="en", domain=DOMAIN)


def sub(**kw: object) -> dict[str, object]:
    return {"subscription_id": 11, "user_id": 5, "strategy_id": 3, **kw}


# One sample per event type with a fragment each language must show.
SAMPLES: dict[type[Event], tuple[Event, str, str]] = {
    TradeCopied: (TradeCopied(**sub(), master_event_id=1, copy_order_id=2, symbol="BTC/USDT", side="buy",
                              order_type="market", amount=Decimal("0.015000000000000000"),
                              filled=Decimal("0.015"), price=Decimal("65000.5"), fee=Decimal("0.0615")),
                  "Trade copied: BUY 0.015 BTC/USDT at 65000.50\nFee: 0.0615",
                  "Сделка скопирована: ПОКУПКА 0.015 BTC/USDT по 65000.50\nКомиссия: 0.0615"),
    CopySkipped: (CopySkipped(**sub(), master_event_id=1, copy_order_id=None, symbol="ETH/USDT", side="sell",
                              reason="below_minimum", detail="amount 0.0001 is below the minimum 0.001"),
                  "Trade not copied: SELL ETH/USDT\nReason: the order would be below the exchange's minimum size",
                  "Сделка не скопирована: ПРОДАЖА ETH/USDT\nПричина: ордер был бы меньше минимального размера"),
    CopyFailed: (CopyFailed(**sub(), master_event_id=1, copy_order_id=2, symbol="ETH/USDT", side="buy",
                            reason="insufficient_funds"),
                 "Order not placed: BUY ETH/USDT\nReason: not enough free balance",
                 "Ордер не размещён: ПОКУПКА ETH/USDT\nПричина: недостаточно свободных средств"),
    OrderCancelled: (OrderCancelled(**sub(), master_event_id=1, copy_order_id=2, symbol="XRP/USDT"),
                     "Order cancelled: XRP/USDT, following the trader", "Ордер отменён: XRP/USDT"),
    OrderEnded: (OrderEnded(**sub(), master_event_id=1, copy_order_id=2, symbol="XRP/USDT", side="buy",
                            amount=Decimal("100.0"), filled=Decimal("40"), status="cancelled"),
                 "Order cancelled on the exchange: BUY XRP/USDT\n40 of 100 XRP/USDT filled",
                 "Ордер отменён на бирже: ПОКУПКА XRP/USDT\nИсполнено 40 из 100 XRP/USDT"),
    DriftDetected: (DriftDetected(**sub(), symbol="XRP/USDT", expected=Decimal("100"), actual=Decimal("97.5"),
                                  drift_pct=Decimal("2.5"), corrected=True),
                    "expected 100, actual 97.5 (2.50%)\nCorrected automatically.",
                    "ожидалось 100, фактически 97.5 (2.50%)\nИсправлено автоматически."),
    DrawdownWarning: (DrawdownWarning(**sub(), drawdown_pct=Decimal("12"), limit_pct=Decimal("15"), level=80),
                      "Drawdown warning: 12.00%, 80% of your 15.00% limit",
                      "Предупреждение о просадке: 12.00%, это 80% от вашего лимита 15.00%"),
    StopLossHit: (StopLossHit(**sub(), equity=Decimal("1234.5"), threshold=Decimal("1250")),
                  "Stop-loss hit: equity 1234.50 reached your stop level 1250.00",
                  "Сработал стоп-лосс: капитал 1234.50 достиг вашего уровня 1250.00"),
    TakeProfitHit: (TakeProfitHit(**sub(), equity=Decimal("2600"), threshold=Decimal("2500.125")),
                    "Take-profit hit: equity 2600.00 reached your target 2500.125",
                    "Сработал тейк-профит: капитал 2600.00 достиг вашей цели 2500.125"),
    SubscriptionPaused: (SubscriptionPaused(**sub(), reason="drawdown_limit"),
                         "Copying paused\nReason: your drawdown limit was reached",
                         "Копирование приостановлено\nПричина: достигнут ваш лимит просадки"),
    SubscriptionResumed: (SubscriptionResumed(**sub(), multiplier=Decimal("1.825000")),
                          "Copying resumed, multiplier 1.825", "Копирование возобновлено, множитель 1.825"),
    SubscriptionStopped: (SubscriptionStopped(**sub(), reason="stop_loss", positions_closed=True),
                          "Copying stopped\nReason: your stop-loss was hit\nOpen positions were closed.",
                          "Копирование остановлено\nПричина: сработал ваш стоп-лосс\nОткрытые позиции закрыты."),
    FeeCharged: (FeeCharged(**sub(), kind="profit_share", amount=Decimal("12.3"), currency="USDT",
                            period_key="2025-01"),
                 "Fee charged: 12.30 USDT, profit share, period 2025-01",
                 "Списана комиссия: 12.30 USDT, доля от прибыли, период 2025-01"),
    PortfolioDigest: (PortfolioDigest(**sub(), equity=Decimal("1035.5"), start_equity=Decimal("1000"),
                                      return_pct=Decimal("3.55")),
                      "Portfolio summary, strategy #3: equity 1035.50 (start 1000.00), return +3.55%",
                      "Сводка по портфелю, стратегия #3: капитал 1035.50 (на старте 1000.00), доходность +3.55%"),
    TraderSuspended: (TraderSuspended(strategy_id=3, trader_user_id=7, reason="drawdown",
                                      drawdown_pct=Decimal("15.2")),
                      "Strategy #3 suspended: new trades are not copied\nReason: the drawdown exceeded the "
                      "platform's limit\nDrawdown: 15.20%",
                      "Стратегия #3 приостановлена: новые сделки не копируются\nПричина: просадка превысила "
                      "лимит платформы\nПросадка: 15.20%"),
    TraderResumed: (TraderResumed(strategy_id=3, trader_user_id=7),
                    "Strategy #3 resumed: copying continues", "Стратегия #3 возобновлена"),
    KeyInvalid: (KeyInvalid(account_id="0f8c2a11-aaaa-bbbb-cccc-1234567890ab", user_id=5, reason="auth_failed"),
                 "API key no longer works (account 0f8c2a11)\nReason: the exchange rejected your API key",
                 "API-ключ больше не работает (аккаунт 0f8c2a11)\nПричина: биржа отклонила ваш API-ключ"),
    ExchangeDown: (ExchangeDown(exchange="okx", detail="503 from /api/v5"),
                   "Exchange unavailable: okx", "Биржа недоступна: okx"),
}


def concrete_events() -> set[type[Event]]:
    """Event types defined in core.events (slots dataclasses leave stale twins in __subclasses__)."""
    return {kind for kind in vars(core.events).values()
            if isinstance(kind, type) and issubclass(kind, Event) and kind not in (Event, SubscriptionEvent)}


def plain(html_text: str) -> str:
    return re.sub(r"<[^>]+>", "", html_text)


# --- rendering --------------------------------------------------------------------------------
def test_every_event_type_has_a_sample() -> None:
    assert concrete_events() == set(SAMPLES)


@pytest.mark.parametrize("kind", list(SAMPLES), ids=lambda k: k.__name__)
def test_each_event_renders_in_en_and_ru(kind: type[Event], i18n: I18n) -> None:
    event, en, ru = SAMPLES[kind]
    en_text, ru_text = plain(render(event, "en", i18n)), plain(render(event, "ru", i18n))
    assert en in en_text
    assert ru in ru_text
    assert not CYRILLIC.search(en_text)
    assert "{" not in ru_text and "{" not in en_text


def test_amounts_are_plain_decimals_without_float_noise(i18n: I18n) -> None:
    event = TradeCopied(**sub(), master_event_id=1, copy_order_id=2, symbol="BTC/USDT", side="sell",
                        order_type="market", amount=Decimal("0.3"), filled=Decimal("0.1"),
                        price=Decimal("1E+3"), fee=Decimal("0"), partial=True)
    assert plain(render(event, "en", i18n)) == "◑ Partially filled: SELL 0.1 of 0.3 BTC/USDT at 1000.00"
    placed = TradeCopied(**sub(), master_event_id=1, copy_order_id=2, symbol="BTC/USDT", side="buy",
                         order_type="limit", amount=Decimal("2"), filled=Decimal("0"),
                         price=Decimal("0.51230000"), fee=Decimal("0"))
    assert plain(render(placed, "ru", i18n)) == "📝 Ордер выставлен: ПОКУПКА 2 BTC/USDT, лимит 0.5123"


@pytest.mark.parametrize(("status", "filled", "en", "ru"), [
    pytest.param("cancelled", "0", "🚫 Order cancelled on the exchange: SELL ETH/USDT\nNothing filled",
                 "🚫 Ордер отменён на бирже: ПРОДАЖА ETH/USDT\nНичего не исполнено", id="cancelled"),
    pytest.param("expired", "0.25", "⌛ Order expired: SELL ETH/USDT\n0.25 of 1.5 ETH/USDT filled",
                 "⌛ Срок действия ордера истёк: ПРОДАЖА ETH/USDT\nИсполнено 0.25 из 1.5 ETH/USDT", id="expired-in-part"),
    pytest.param("failed", "0", "❌ Order rejected by the exchange: SELL ETH/USDT\nNothing filled",
                 "❌ Биржа отклонила ордер: ПРОДАЖА ETH/USDT\nНичего не исполнено", id="rejected"),
    pytest.param("unknown", "0", "⏹ Order ended on the exchange: SELL ETH/USDT\nNothing filled",
                 "⏹ Биржа завершила ордер: ПРОДАЖА ETH/USDT\nНичего не исполнено", id="unknown-status"),
])
def test_order_ended_says_how_it_ended_and_what_filled(status: str, filled: str, en: str, ru: str, i18n: I18n) -> None:
    event = OrderEnded(**sub(), master_event_id=1, copy_order_id=2, symbol="ETH/USDT", side="sell",
                       amount=Decimal("1.500"), filled=Decimal(filled), status=status)
    assert plain(render(event, "en", i18n)) == en
    assert plain(render(event, "ru", i18n)) == ru


def test_every_reason_code_has_a_localized_explanation(i18n: I18n) -> None:
    en, ru = Text(i18n, "en"), Text(i18n, "ru")
    for code in ("below_minimum", "insufficient_funds", "exchange_down", "slippage", "allocation_cap",
                 "not_enough_money", "no_position", "subscription_paused", "trader_suspended", "auth_failed",
                 "timeout", "rate_limited", "invalid_order", "order_expired", "order_cancelled", *REASONS):
        assert code in REASONS
        assert en.reason(code) == REASONS[code] and "_" not in en.reason(code)
        assert CYRILLIC.search(ru.reason(code)), code
    assert en.reason("new_code") == "unexpected condition (new_code)"
    assert ru.reason("new_code") == "непредвиденная ситуация (new_code)"


def test_admin_copy_adds_ids_and_escaped_detail(i18n: I18n) -> None:
    event = CopyFailed(**sub(), master_event_id=1, copy_order_id=2, symbol="ETH/USDT", side="buy",
                       reason="invalid_order", detail="price <0 & bad")
    follower = render(event, "en", i18n)
    admin = render(event, "ru", i18n, admin=True)
    assert "bad" not in follower and "#5" not in follower
    assert "<i>Пользователь #5 · Подписка #11 · Стратегия #3 · Подробности: price &lt;0 &amp; bad</i>" in admin


def test_catalog_translates_every_notifier_string() -> None:
    """Every msgid in bot/notifier has a Russian text with the same placeholders."""
    with catalog_source("ru").open("rb") as fh:
        catalog = read_po(fh, locale="ru")
    for _, _, msgid, _, _ in extract_from_dir(str(ROOT / "bot" / "notifier")):
        message = catalog.get(msgid)
        assert message is not None and message.string, f"no ru text for {msgid!r}"
        assert re.findall(r"{\w+}", msgid) == re.findall(r"{\w+}", str(message.string)), msgid


# --- recipients ---------------------------------------------------------------------------------
async def make_user(telegram_id: int, language: str, status: UserStatus = UserStatus.ACTIVE) -> User:
    return await User.create(telegram_id=telegram_id, language=language, status=status)


async def test_recipients_follow_the_event(db: str) -> None:
    follower = await make_user(1001, "ru")
    trader = await make_user(1002, "en")
    gone = await make_user(1003, "en", UserStatus.BLOCKED_BOT)
    admin = AdminChat(ADMIN_CHAT, "en")
    trade = SAMPLES[TradeCopied][0]
    events: list[Event] = [
        TradeCopied(**{**vars_of(trade), "user_id": follower.id}),
        TradeCopied(**{**vars_of(trade), "user_id": gone.id}),
        TraderSuspended(strategy_id=3, trader_user_id=trader.id, reason="drawdown"),
        ExchangeDown(exchange="okx"),
        DriftDetected(**{**vars_of(SAMPLES[DriftDetected][0]), "user_id": follower.id}),
        CopyFailed(**{**vars_of(SAMPLES[CopyFailed][0]), "user_id": follower.id, "admin": True}),
    ]
    got = await resolve(events, admin)
    to_admin = Recipient(ADMIN_CHAT, "en", admin=True)
    assert got == [
        [Recipient(1001, "ru")],
        [],
        [Recipient(1002, "en"), to_admin],
        [to_admin],
        [Recipient(1001, "ru"), to_admin],
        [Recipient(1001, "ru"), to_admin],
    ]
    assert await resolve([ExchangeDown(exchange="okx")], None) == [[]]


def vars_of(event: Event) -> dict[str, object]:
    return {name: getattr(event, name) for name in event.__dataclass_fields__}


# --- delivery through the sandbox --------------------------------------------------------------
@dataclass
class Tg:
    sandbox: TelegramSandbox
    account: BotAccount
    bot: Bot

    async def person(self, user_id: int, language: str = "en") -> UserDriver:
        user = self.sandbox.user(user_id, f"user{user_id}", language_code=language)
        await user.send("/start")  # a private chat opens when the user writes first
        return user

    def chat_messages(self, chat_id: int) -> list[StoredMessage]:
        conv = self.sandbox.conversation(self.account, self.sandbox.chats[chat_id])
        return [m for m in conv.messages.values() if m.from_bot]


def make_bot(url: str, token: str) -> Bot:
    return Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(url)))


@pytest.fixture
def flood() -> FloodLimits:
    return FloodLimits()  # Telegram's limits


@pytest.fixture
async def tg(flood: FloodLimits) -> AsyncIterator[Tg]:
    async with TelegramSandbox(flood=flood) as sandbox:
        account = sandbox.add_bot()
        bot = make_bot(sandbox.url, account.token)
        try:
            yield Tg(sandbox, account, bot)
        finally:
            await bot.session.close()


def header(count: int, lang: str) -> str:
    return f"DIGEST {count} {lang}"


async def test_events_reach_each_chat_in_its_language(db: str, tg: Tg, i18n: I18n) -> None:
    follower = await make_user(2001, "ru")
    trader = await make_user(2002, "en")
    ann, bob = await tg.person(2001, "ru"), await tg.person(2002)
    tg.sandbox.add_chat(ADMIN_CHAT, "supergroup", "Admins")
    tg.sandbox.add_bot_to_chat(tg.account, ADMIN_CHAT)
    bus = EventBus()
    notifier = Notifier(tg.bot, i18n, admin=AdminChat(ADMIN_CHAT, "en"))
    bus.subscribe(notifier.on_event)
    bus.publish(TradeCopied(**{**vars_of(SAMPLES[TradeCopied][0]), "user_id": follower.id}))
    bus.publish(TraderSuspended(strategy_id=3, trader_user_id=trader.id, reason="drawdown"))
    await bus.drain()
    await notifier.close()
    await bus.close()

    assert [m.text for m in ann.messages] == [plain(render(SAMPLES[TradeCopied][0], "ru", i18n))]
    assert [m.html for m in bob.messages] == [
        "⛔ <b>Strategy #3 suspended</b>: new trades are not copied\nReason: the drawdown exceeded the platform's limit"]
    admin_texts = [m.text for m in tg.chat_messages(ADMIN_CHAT)]
    assert admin_texts == [f"⛔ Strategy #3 suspended: new trades are not copied\nReason: the drawdown exceeded "
                           f"the platform's limit\nUser #{trader.id}"]
    assert notifier.stats.sent == 3 and tg.sandbox.flood.total_hits == 0


async def test_a_429_is_waited_out_and_the_message_still_delivered(tg: Tg) -> None:
    """The queue is set looser than Telegram (5/s in a chat), so the sandbox answers 429."""
    user = await tg.person(3001)
    queue = DeliveryQueue(tg.bot, header, limits=DeliveryLimits(private_rate=5, private_burst=5,
                                                                digest_threshold=100))
    texts = [f"message {i}" for i in range(6)]
    for text in texts:
        queue.put(user.id, Notice(text, "en"))
    await queue.close()
    assert [m.text for m in user.messages] == texts  # all of them, in order
    assert tg.sandbox.flood.total_hits >= 1
    assert queue.stats.rate_limited == tg.sandbox.flood.total_hits
    assert queue.stats.failed == 0 and queue.stats.global_backoffs == 0


@pytest.mark.parametrize("flood", [FloodLimits(bot_rate=3, bot_burst=2)])
async def test_429s_from_two_chats_pause_the_whole_bot(tg: Tg) -> None:
    users = [await tg.person(3100 + i) for i in range(5)]
    queue = DeliveryQueue(tg.bot, header, limits=DeliveryLimits(global_rate=100, global_burst=100))
    for user in users:
        queue.put(user.id, Notice(f"hello {user.id}", "en"))
    await queue.close()
    assert [[m.text for m in u.messages] for u in users] == [[f"hello {u.id}"] for u in users]
    assert queue.stats.rate_limited == tg.sandbox.flood.total_hits >= 2
    assert queue.stats.global_backoffs >= 1


async def test_a_user_who_blocked_the_bot_is_marked_and_not_retried(db: str, tg: Tg, i18n: I18n) -> None:
    user = await make_user(4001, "en")
    driver = await tg.person(4001)
    driver.block()
    notifier = Notifier(tg.bot, i18n)
    trade = vars_of(SAMPLES[TradeCopied][0])
    for _ in range(3):
        await notifier.on_event(TradeCopied(**{**trade, "user_id": user.id}))
    await notifier.drain()
    assert tg.sandbox.calls["sendMessage"] == 1  # one 403, the rest of the chat's queue dropped
    assert (await User.get(id=user.id)).status == UserStatus.BLOCKED_BOT
    assert notifier.stats.blocked == 1 and notifier.stats.failed == 3

    await notifier.on_event(TradeCopied(**{**trade, "user_id": user.id}))
    await notifier.close()
    assert tg.sandbox.calls["sendMessage"] == 1  # skipped at resolution now
    assert driver.messages == []


async def test_a_burst_to_one_chat_becomes_a_digest(db: str, tg: Tg, i18n: I18n) -> None:
    follower = await make_user(5001, "ru")
    driver = await tg.person(5001, "ru")
    bus = EventBus()
    notifier = Notifier(tg.bot, i18n)
    bus.subscribe(notifier.on_event)
    trade = vars_of(SAMPLES[TradeCopied][0])
    for i in range(30):
        bus.publish(TradeCopied(**{**trade, "user_id": follower.id, "copy_order_id": i,
                                   "amount": Decimal(i + 1), "filled": Decimal(i + 1)}))
    await bus.drain()
    await notifier.close()
    await bus.close()

    texts = [m.text or "" for m in driver.messages]
    assert 1 <= len(texts) <= 3
    assert sum(t.count("Сделка скопирована") for t in texts) == 30
    digests = [t for t in texts if t.startswith("📬 Уведомления (")]
    assert digests and notifier.stats.digests == len(digests)
    first_lines = [line for t in texts for line in t.splitlines() if "Сделка скопирована" in line]
    assert [int(line.split()[4]) for line in first_lines] == list(range(1, 31))  # order kept
    assert tg.sandbox.flood.total_hits == 0


@pytest.mark.parametrize("flood", [FloodLimits(private_rate=100, private_burst=100)])
async def test_a_busy_chat_does_not_starve_the_others(tg: Tg) -> None:
    """With the chat limit out of the way, a FIFO would send the busy chat's 12 first; we take turns."""
    busy = await tg.person(6000)
    others = [await tg.person(6001 + i) for i in range(6)]
    order: list[int] = []
    check = tg.sandbox.check_flood

    def spy(account: BotAccount, method: str, chat: object) -> None:
        order.append(chat.id)  # type: ignore[attr-defined]
        check(account, method, chat)  # type: ignore[arg-type]

    tg.sandbox.check_flood = spy  # type: ignore[method-assign]
    queue = DeliveryQueue(tg.bot, header, limits=DeliveryLimits(
        global_rate=10, global_burst=1, private_rate=100, private_burst=100, digest_threshold=100))
    for i in range(12):
        queue.put(busy.id, Notice(f"busy {i}", "en"))
    for user in others:
        queue.put(user.id, Notice("hi", "en"))
    await queue.close()
    assert len(busy.messages) == 12 and all(len(u.messages) == 1 for u in others)
    assert order[:2].count(busy.id) == 1
    assert set(order[:7]) == {busy.id, *(u.id for u in others)}  # everyone served in the first round


async def test_a_bad_request_is_dropped_and_others_still_delivered(tg: Tg) -> None:
    user = await tg.person(7001)
    queue = DeliveryQueue(tg.bot, header)
    queue.put(424242, Notice("to nowhere", "en"))  # a chat that does not exist: 400
    queue.put(user.id, Notice("to someone", "en"))
    await queue.close()
    assert [m.text for m in user.messages] == ["to someone"]
    assert tg.sandbox.calls["sendMessage"] == 2
    assert queue.stats.failed == 1 and queue.stats.retries == 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_network_errors_are_retried_a_bounded_number_of_times() -> None:
    bot = make_bot(f"http://127.0.0.1:{free_port()}", "1:nobody-listens")
    queue = DeliveryQueue(bot, header, limits=DeliveryLimits(max_attempts=3, retry_backoff=0.01,
                                                             private_rate=100, private_burst=100))
    try:
        queue.put(8001, Notice("lost", "en"))
        await queue.close()
    finally:
        await bot.session.close()
    assert queue.stats.retries == 2 and queue.stats.failed == 1 and queue.stats.sent == 0
    assert queue.pending == 0
