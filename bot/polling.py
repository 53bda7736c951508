"""Long polling in the background of another task: the offline chat demo and the end-to-end tests run
the real dispatcher against the Bot API sandbox this way, while they play the user."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiogram import Bot, Dispatcher


@asynccontextmanager
async def polling_in_background(dispatcher: Dispatcher, bot: Bot, *, timeout: int = 30) -> AsyncIterator[None]:
    """Poll until the block exits; enters once the dispatcher's startup hooks have run (a failing
    startup raises here), and leaves after polling stopped and the bot's session is closed."""
    started = asyncio.Event()

    async def on_started() -> None:
        started.set()

    dispatcher.startup.register(on_started)
    polling = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False, polling_timeout=timeout))
    try:
        waiting = asyncio.ensure_future(started.wait())
        await asyncio.wait([waiting, polling], return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        if polling.done():
            polling.result()  # startup failed: raise its error here
        yield
    finally:
        if not polling.done():
            await dispatcher.stop_polling()
        await asyncio.gather(polling, return_exceptions=True)
