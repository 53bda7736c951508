"""Discovery end to end: the leaderboard's sort orders, pages and search, and the strategy card
(a photo of the yield chart with the figures), through the real dispatcher and the Bot API sandbox."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from core.analytics.store import strategy_report
from core.charts import render_yield_curve
from core.db.models import EquitySnapshot, Strategy, StrategyStatus, SubscriptionStatus
from core.services.leaderboard import Leaderboard
from tests import factories
from tests.bot_harness import BotHarness, harness  # noqa: F401  (fixture)
from tests.trading_world import published, round_trip

D = Decimal
SERIES = {  # name → daily equities: 30-day yield, max drawdown
    "Alpha": [1000, 1100, 1050],  # +5 %, −4.55 %
    "Bravo": [1000, 1010, 1020],  # +2 %, 0
    "Charlie": [1000, 900, 950],  # −5 %, −10 %
    "Delta": [1000, 1300, 1200],  # +20 %, −7.69 %
    "Echo": [1000, 1000, 1001],  # +0.1 %, 0
    "Foxtrot": [1000, 800, 1250],  # +25 %, −20 %
    "Golf": [],  # no history yet
}
FOLLOWERS = {"Alpha": 3, "Charlie": 1, "Echo": 2}


async def board_world() -> dict[str, Strategy]:
    strategies = {name: await published(name, series, min_deposit=D(1000), recommended_deposit=D(2000),
                                        fee_fixed=D(10), profit_share_pct=D(20), description=f"{name} trades XRP.")
                  for name, series in SERIES.items()}
    await published("Hidden", [1000, 2000], is_public=False)
    await published("Waiting", [1000, 2000], status=StrategyStatus.PENDING)
    for name, count in FOLLOWERS.items():
        for n in range(count):
            status = SubscriptionStatus.PAUSED if n == 1 else SubscriptionStatus.ACTIVE  # paused ones still follow
            await factories.subscription(strategies[name], await factories.account(await factories.user()), k=D(1),
                                         status=status)
    await factories.subscription(strategies["Bravo"], await factories.account(await factories.user()), k=D(1),
                                 status=SubscriptionStatus.CANCELLED)  # left: not a follower any more
    await round_trip(strategies["Alpha"], 1, "1.0", "1.1", days_ago=2)
    await round_trip(strategies["Alpha"], 2, "1.0", "0.9", days_ago=1)
    await round_trip(strategies["Delta"], 3, "1.0", "1.2", days_ago=1)
    return strategies


def names(message_buttons: list[str]) -> list[str]:
    """Strategy names of the entry buttons ("3. Alpha" → "Alpha"), in order."""
    return [b.split(". ", 1)[1] for b in message_buttons if ". " in b and b.split(". ", 1)[0].isdigit()]


async def test_leaderboard_sorts_pages_and_searches(harness: BotHarness) -> None:
    strategies = await board_world()
    ann = harness.user("Ann")
    await harness.onboard(ann)
    await ann.press("🔎 Discover traders")
    board = await ann.wait_for("Traders", kinds=("edit",))
    now = datetime.now(UTC)
    scores = {name: (await strategy_report(s, now)).score for name, s in strategies.items()}
    by_score = sorted(scores, key=lambda name: (-scores[name], name.lower()))
    assert names(board.buttons) == by_score[:5]
    assert "sorted by ⭐ Score" in board.content and "Page 1 of 2" in board.content
    assert "Hidden" not in board.content and "Waiting" not in board.content
    assert {"✓ ⭐ Score", "📈 30 days", "◀️", "1/2", "▶️", "🔍 Search by name"} <= set(board.buttons)

    await ann.press("▶️")
    second = await ann.wait_for("Page 2 of 2", kinds=("edit",))
    assert names(second.buttons) == by_score[5:]
    assert second.buttons[0].startswith("6. ")

    await ann.press("📈 30 days")
    recent = await ann.wait_for("sorted by 📈 30 days", kinds=("edit",))
    assert names(recent.buttons) == ["Foxtrot", "Delta", "Alpha", "Bravo", "Echo"]
    assert "1. Foxtrot · ⭐" in recent.content and "30 days +25.00%" in recent.content
    await ann.press("▶️")
    assert names((await ann.wait_for("Page 2 of 2", kinds=("edit",))).buttons) == ["Golf", "Charlie"]

    await ann.press("📉 Drawdown")
    drawdown = await ann.wait_for("sorted by 📉 Drawdown", kinds=("edit",))
    assert names(drawdown.buttons) == ["Bravo", "Echo", "Alpha", "Delta", "Charlie"]  # shallowest first
    await ann.press("👥 Followers")
    followers = await ann.wait_for("sorted by 👥 Followers", kinds=("edit",))
    assert names(followers.buttons) == ["Alpha", "Echo", "Charlie", "Bravo", "Delta"]
    assert "👥 3 · risk" in followers.content
    await ann.press("🏆 Win rate")
    wins = await ann.wait_for("sorted by 🏆 Win rate", kinds=("edit",))
    assert names(wins.buttons)[:2] == ["Delta", "Alpha"]  # 100 % then 50 %; no trades sort last

    await ann.press("🔍 Search by name")
    await ann.wait_for("part of the strategy's name", kinds=("edit",))
    await ann.send("O")
    found = await ann.wait_for("Search: “O”")
    assert names(found.buttons) == [name for name in by_score if "o" in name.lower()]  # ranked by score
    assert "Page 1 of 1" in found.content and "✖️ Clear search" in found.buttons
    await ann.press("🔍 Search by name")
    await ann.wait_for("part of the strategy's name", kinds=("edit",))
    await ann.send("zzz")
    assert "No strategy matches this search." in (await ann.wait_for("Search: “zzz”")).content
    await ann.press("✖️ Clear search")
    cleared = await ann.wait_for("Page 1 of 2", kinds=("edit",))
    assert "Search:" not in cleared.content


async def test_strategy_card_is_a_chart_with_the_figures(harness: BotHarness) -> None:
    await board_world()
    bob = harness.user("Bob")
    await harness.onboard(bob)
    await bob.press("🔎 Discover traders")
    await bob.wait_for("Traders", kinds=("edit",))
    await bob.press("👥 Followers")
    board = await bob.wait_for("sorted by 👥 Followers", kinds=("edit",))
    await bob.press("1. Alpha")
    card = await bob.wait_for(lambda m: m.has_photo)
    assert bob.photo_bytes(card)[:8] == b"\x89PNG\r\n\x1a\n"
    for line in ("Alpha trades XRP.", "👥 Subscribers: 3", "📈 Yield: +5.00%", "📅 Trading days: 2",
                 "🏆 Winning trades: 1 of 2", "⚠️ Risk level: ", "📉 Maximum drawdown: -4.55%",
                 "💰 Minimum deposit: 1000.00 USDT · recommended: 2000.00 USDT",
                 "💸 Fees: 10.00 USDT per 30 days · profit share 20.00%"):
        assert line in card.content, line
    assert "🗓 Monthly return (" in card.content
    assert card.buttons == ["✅ Subscribe", "⬅️ Back"]
    assert "upload_photo" in bob.chat_actions
    await bob.wait_for(lambda m: m is board, kinds=("delete",))  # the card took the leaderboard's place

    await bob.press("⬅️ Back")
    back = await bob.wait_for("sorted by 👥 Followers")
    await bob.wait_for(lambda m: m is card, kinds=("delete",))
    assert names(back.buttons)[0] == "Alpha"

    await bob.press("▶️")
    await bob.wait_for("Page 2 of 2", kinds=("edit",))
    await bob.press("7. Golf")
    empty = await bob.wait_for(lambda m: m.has_photo)
    assert bob.photo_bytes(empty) == render_yield_curve([], "Yield", "No data yet")
    assert "📈 Yield: —" in empty.content and "📉 Maximum drawdown: —" in empty.content


async def test_a_card_out_of_reach_is_refused(harness: BotHarness) -> None:
    hidden = await published("Hidden", [1000, 1100], is_public=False)
    cleo = harness.user("Cleo")
    menu = await harness.onboard(cleo)
    for data in (f"card:{hidden.id}:0:score", f"strategy:view:{hidden.id}", "strategy:view:999999"):
        await cleo.press_data(menu.message_id, data)
        assert (await cleo.wait_for_answer()).text == "This strategy is not available."


async def test_reports_are_cached_for_the_ttl(db: str) -> None:
    strategy = await published("Alpha", [1000, 1100])
    clock = [0.0]
    board = Leaderboard(ttl=60, clock=lambda: clock[0])
    first = await board.page()
    assert first.entries[0].report.total_yield == D("0.1")
    await EquitySnapshot.create(strategy=strategy, taken_at=datetime.now(UTC), equity=D(1210))
    clock[0] = 59.0
    assert (await board.page()).entries[0].report is first.entries[0].report  # within the TTL: not recomputed
    clock[0] = 60.0
    assert (await board.page()).entries[0].report.total_yield == D("0.21")
