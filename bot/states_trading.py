"""FSM states of discovery and the subscribe flow."""
from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup

BOARD_QUERY = "board_query"  # FSM data key: the leaderboard's name filter
SUBSCRIBE = "subscribe"  # FSM data key: the subscribe flow's choices so far (a dict of strings)


class SearchStrategies(StatesGroup):
    query = State()


class Subscribe(StatesGroup):
    """Step 2 asks the amount, then each risk limit in turn; step 3 is the confirm screen."""

    amount = State()
    max_drawdown = State()
    stop_loss = State()
    take_profit = State()
    confirm = State()
