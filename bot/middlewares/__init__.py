"""Update middlewares, in order: the db user (drops banned users), its locale, the flood guard.

They are outer middlewares of the `update` observer, so every event type sees `user` and the
locale. The locale middleware also wraps the `error` observer, so apologies are localized too.
"""
from __future__ import annotations

from aiogram import Dispatcher
from aiogram.utils.i18n import I18n

from bot.middlewares.db_user import DbUserMiddleware
from bot.middlewares.i18n import UserLocaleMiddleware
from bot.middlewares.throttling import ThrottlingMiddleware

__all__ = ["DbUserMiddleware", "ThrottlingMiddleware", "UserLocaleMiddleware", "setup_middlewares"]


def setup_middlewares(dispatcher: Dispatcher, i18n: I18n, throttling: ThrottlingMiddleware) -> None:
    locale = UserLocaleMiddleware(i18n)
    dispatcher.update.outer_middleware(DbUserMiddleware(i18n.default_locale))
    dispatcher.update.outer_middleware(locale)
    dispatcher.update.outer_middleware(throttling)
    dispatcher.errors.outer_middleware(locale)
