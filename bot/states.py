"""FSM states of the multi-step flows."""
from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup

PENDING_STRATEGY = "pending_strategy_id"  # FSM data key: the strategy a /start s_<id> deep link named


class Onboarding(StatesGroup):
    language = State()
    disclaimer = State()


class AddKey(StatesGroup):
    """The exchange is picked with a button; then the key arrives as one message (`credentials`)."""

    credentials = State()
