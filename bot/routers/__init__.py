"""Routers, one per use case, each built by a factory (no module-level router state).

Order matters: feature routers first, then `fallback` (answers what nobody handled), then the
global error handler. A new feature adds its factory to `build_routers` before `fallback`; a factory
that adds a main-menu entry takes the `MainMenu` and calls `main_menu.add(...)`.
"""
from __future__ import annotations

from aiogram import Router

from bot import errors
from bot.menu_registry import MainMenu
from bot.routers import discover, fallback, keys, menu, portfolio, settings, start, subscribe


def build_routers(main_menu: MainMenu) -> list[Router]:
    return [
        start.create_router(),
        menu.create_router(main_menu),
        keys.create_router(main_menu),
        settings.create_router(main_menu),
        discover.create_router(main_menu),
        subscribe.create_router(main_menu),
        portfolio.create_router(main_menu),
        fallback.create_router(),
        errors.create_router(),
    ]
