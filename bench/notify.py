"""How fast the notifier delivers inside Telegram's limits: 5,000 notifications to 1,000 chats.

    .venv/bin/python bench/notify.py            # the full run, about 3 minutes
    .venv/bin/python bench/notify.py --quick    # 60 chats, about 10 seconds

Every notification is a TradeCopied event published on the EventBus, resolved against a SQLite
database of followers (half of them Russian), rendered and sent by the real aiogram Bot to the
Bot API sandbox with flood control enforcing Telegram's limits (30/s per bot, 1/s per private
chat, 429 beyond), in real time. Digests are switched off so every notification is one message
and the queue is measured honestly. The floor is max(total / 30, per_chat / 1) seconds.
"""
from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiogram import Bot  # noqa: E402
from aiogram.client.session.aiohttp import AiohttpSession  # noqa: E402
from aiogram.client.telegram import TelegramAPIServer  # noqa: E402
from aiogram.utils.i18n import I18n  # noqa: E402
from tortoise import Tortoise  # noqa: E402

from bot.i18n import DOMAIN, compile_catalogs, locales_dir  # noqa: E402
from bot.notifier import DeliveryLimits, Notifier  # noqa: E402
from bot.sandbox import FloodLimits, TelegramSandbox  # noqa: E402
from bot.sandbox.state import StoredMessage  # noqa: E402
from core.bus import EventBus  # noqa: E402
from core.db import close_db, init_db  # noqa: E402
from core.db.models import User  # noqa: E402
from core.events import TradeCopied  # noqa: E402
from core.loop import run  # noqa: E402

RUN_TIMEOUT_S = 600
PRICE = re.compile(r"(\d+\.\d+)\n")  # the price ends the first line, the fee line follows
FIRST_TELEGRAM_ID = 10_000_000


def prices(messages: list[StoredMessage]) -> list[Decimal]:
    """The price of each trade message; the bench raises it by 1 per round, so order shows."""
    return [Decimal(PRICE.findall(m.text or "")[0]) for m in messages]


async def bench(chats: int, per_chat: int, workdir: Path) -> None:
    await init_db(f"sqlite://{workdir / 'bench.sqlite3'}")
    await Tortoise.generate_schemas()
    await User.bulk_create([User(telegram_id=FIRST_TELEGRAM_ID + i, language="ru" if i % 2 else "en")
                            for i in range(chats)])
    users = await User.all().order_by("id").values_list("id", flat=True)

    limits = FloodLimits()
    async with TelegramSandbox(flood=limits) as sandbox:
        account = sandbox.add_bot()
        drivers = [sandbox.user(FIRST_TELEGRAM_ID + i, f"user{i}") for i in range(chats)]
        for driver in drivers:
            await driver.send("/start")
        bot = Bot(account.token, session=AiohttpSession(api=TelegramAPIServer.from_base(sandbox.url)))
        compile_catalogs()
        i18n = I18n(path=locales_dir(), domain=DOMAIN)
        notifier = Notifier(bot, i18n, limits=DeliveryLimits(digest_threshold=10**9))
        bus = EventBus()
        bus.subscribe(notifier.on_event)
        try:
            started = time.perf_counter()
            for n in range(per_chat):
                for i, user_id in enumerate(users):
                    bus.publish(TradeCopied(
                        subscription_id=i + 1, user_id=user_id, strategy_id=1, master_event_id=n + 1,
                        copy_order_id=n * chats + i + 1, symbol="BTC/USDT", side="buy" if n % 2 else "sell",
                        order_type="market", amount=Decimal("0.015"), filled=Decimal("0.015"),
                        price=Decimal("65000.5") + n, fee=Decimal("0.0615")))
            await bus.drain()
            handed = time.perf_counter() - started
            await notifier.drain()
            elapsed = time.perf_counter() - started
        finally:
            await notifier.close()
            await bus.close()
            await bot.session.close()

        total = chats * per_chat
        received = [len(d.messages) for d in drivers]
        in_order = all(prices(d.messages) == sorted(prices(d.messages)) for d in drivers)
        floor = max(total / limits.bot_rate, per_chat / limits.private_rate)
        stats = notifier.stats
        print(f"notifications      {total} to {chats} chats ({per_chat} each), flood control: "
              f"{limits.bot_rate:g}/s per bot, {limits.private_rate:g}/s per private chat")
        print(f"handed to notifier {handed * 1000:.0f} ms for all events (on_event + bus)")
        print(f"delivered          {stats.delivered} notices in {stats.sent} messages "
              f"(digests {stats.digests}, failed {stats.failed}); every chat got {set(received)}")
        print(f"last delivery at   {elapsed:.1f} s; theoretical minimum {floor:.1f} s "
              f"(max({total}/{limits.bot_rate:g}, {per_chat}/{limits.private_rate:g})); "
              f"ratio {elapsed / floor:.3f}")
        print(f"throughput         {stats.sent / elapsed:.2f} messages/s")
        print(f"429 answers        {sandbox.flood.total_hits} (sandbox), {stats.rate_limited} seen by the queue")
        print(f"per-chat order     {'kept' if in_order else 'BROKEN'} in every chat")
    await close_db()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--per-chat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="60 chats, about 10 seconds")
    args = parser.parse_args()
    chats = 60 if args.quick else args.chats
    with tempfile.TemporaryDirectory() as tmp:
        run(asyncio.wait_for(bench(chats, args.per_chat, Path(tmp)), RUN_TIMEOUT_S))


if __name__ == "__main__":
    main()
