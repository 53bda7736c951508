"""Local Telegram Bot API sandbox: the real aiogram Bot talks HTTP to it, a user driver plays the human.

    sandbox = TelegramSandbox(); await sandbox.start(); account = sandbox.add_bot()
    bot = Bot(account.token, session=AiohttpSession(api=TelegramAPIServer.from_base(sandbox.url)))
    user = sandbox.user(42, "Ann"); await user.send("/start"); await user.wait_for("Welcome")
"""
from bot.sandbox.driver import UserDriver
from bot.sandbox.flood import FloodLimits
from bot.sandbox.server import TelegramSandbox
from bot.sandbox.world import BotAccount

__all__ = ["BotAccount", "FloodLimits", "TelegramSandbox", "UserDriver"]
