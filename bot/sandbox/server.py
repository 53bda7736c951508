"""The local Bot API server: aiogram's real Bot talks HTTP to it instead of api.telegram.org.

URLs follow aiogram's `TelegramAPIServer.from_base(url)`: `{url}/bot{token}/{method}` for methods
and `{url}/file/bot{token}/{path}` for downloads. Answers have Telegram's shapes:
`{"ok": true, "result": ...}` or `{"ok": false, "error_code": ..., "description": ...}`.
"""
from __future__ import annotations

import socket
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from aiohttp import web

from bot.sandbox.api import ApiError, error, not_found, ok, read_params, unauthorized
from bot.sandbox.flood import FloodLimits
from bot.sandbox.methods_bot import BOT_METHODS
from bot.sandbox.methods_messages import MESSAGE_METHODS
from bot.sandbox.world import BotAccount, World

if TYPE_CHECKING:
    from bot.sandbox.driver import UserDriver

METHODS = {**BOT_METHODS, **MESSAGE_METHODS}


class TelegramSandbox(World):
    """Registry plus HTTP front; start on port 0 and hand `url` to `TelegramAPIServer.from_base`."""

    def __init__(self, flood: FloodLimits | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(flood, clock)
        self._runner: web.AppRunner | None = None
        self.url = ""

    def user(self, user_id: int, first_name: str, *, language_code: str | None = "en",
             username: str | None = None, last_name: str | None = None,
             bot: BotAccount | None = None) -> UserDriver:
        """A person who talks to `bot` (default: the first bot registered)."""
        from bot.sandbox.driver import UserDriver

        if bot is None:
            if not self.bots:
                raise RuntimeError("add_bot() first")
            bot = next(iter(self.bots.values()))
        person = self.add_person(user_id, first_name, username=username,
                                 language_code=language_code, last_name=last_name)
        return UserDriver(self, bot, person)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # Cancel a handler when its client goes away, so an abandoned long poll does not linger.
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None,
                                    shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        site = web.SockSite(self._runner, sock)
        await site.start()
        self.url = f"http://{host}:{sock.getsockname()[1]}"
        return self.url

    async def stop(self) -> None:
        for account in self.bots.values():
            account.updates.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> TelegramSandbox:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()

    async def _handle_method(self, request: web.Request) -> web.Response:
        account = self.bots.get(request.match_info["token"])
        if account is None:
            return error(unauthorized())
        name = request.match_info["method"]
        self.calls[name] += 1
        handler = METHODS.get(name.lower())
        if handler is None:
            return error(not_found())
        try:
            params = await read_params(request)
            return ok(await handler(self, account, params))
        except ApiError as exc:
            return error(exc)

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] not in self.bots:
            return error(unauthorized())
        stored = self.files.by_path(request.match_info["path"])
        if stored is None:
            return error(not_found())
        return web.Response(body=stored.content, content_type="application/octet-stream")
