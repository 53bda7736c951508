"""Typed callback data of discovery, the subscribe flow and the portfolio (≤ 64 bytes packed).

Every id in here comes back from the client and may be forged: handlers re-check that a
subscription or an account belongs to the user pressing the button before acting on it.
The strategy card's Subscribe button is `bot.callbacks.StrategyCallback(action="subscribe")`.
"""
from __future__ import annotations

from typing import Literal
from uuid import UUID

from aiogram.filters.callback_data import CallbackData

from bot.callbacks import RowId


class BoardCallback(CallbackData, prefix="lb"):
    """The leaderboard: a page in a sort order, or the search prompt / clearing the search."""

    action: Literal["show", "search", "clear"]
    page: int = 0
    sort: str = "score"


class CardCallback(CallbackData, prefix="card"):
    """Open a strategy card from a leaderboard page (kept so Back returns to that page)."""

    strategy_id: RowId
    page: int = 0
    sort: str = "score"


class AccountPick(CallbackData, prefix="subacc"):
    """Subscribe, step 2: the account to copy into."""

    strategy_id: RowId
    account_id: UUID


class SubscribeStep(CallbackData, prefix="substep"):
    """Subscribe: keep a risk limit's default, confirm the terms, or give up."""

    action: Literal["skip", "confirm", "cancel"]


class MySubscription(CallbackData, prefix="mysub"):
    """An action on one of the user's subscriptions in the portfolio."""

    action: Literal["open", "pause", "resume", "unsubscribe", "ask_close", "ask_keep", "close", "keep"]
    subscription_id: RowId
