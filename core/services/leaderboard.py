"""The leaderboard: approved public strategies with their metrics, sorted, searched and paginated.

Every strategy's report (core.analytics.store.strategy_report) reads all its snapshots and fills,
so a page of the leaderboard would cost one full analytics pass per strategy on every click.
Reports are kept for `ttl` seconds instead: paging, re-sorting and searching within that window
reuse them, and a strategy card opened from the list shows the same figures as the list.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tortoise.functions import Count

from core.analytics.report import StrategyReport
from core.analytics.returns import chain
from core.analytics.store import strategy_report
from core.db.models import Strategy, StrategyStatus, Subscription, SubscriptionStatus

SORTS = ("score", "return_30d", "drawdown", "followers", "win_rate")
DEFAULT_SORT = "score"
PAGE_SIZE = 5
RECENT_DAYS = 30
FOLLOWING = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAUSED)
LOWEST = Decimal("-1e30")  # where a missing figure ("not enough history") sorts: last


@dataclass(frozen=True, slots=True)
class Entry:
    strategy: Strategy
    report: StrategyReport
    followers: int

    @property
    def return_30d(self) -> Decimal:
        """The chained daily yields of the last 30 days of history."""
        if not self.report.daily:
            return Decimal(0)
        since = self.report.daily[-1].day - timedelta(days=RECENT_DAYS)
        return chain(r.value for r in self.report.daily if r.day > since)

    def sort_key(self, sort: str) -> Decimal:
        """Bigger is better for every sort; a drawdown is ≤ 0, so the shallowest comes first."""
        report = self.report
        if sort == "return_30d":
            return self.return_30d
        if sort == "drawdown":
            return report.max_drawdown if report.max_drawdown is not None else LOWEST
        if sort == "followers":
            return Decimal(self.followers)
        if sort == "win_rate":
            return report.win_rate if report.win_rate is not None else LOWEST
        return report.score


@dataclass(frozen=True, slots=True)
class Page:
    entries: list[Entry]
    page: int  # 0-based, clamped into range
    pages: int  # at least 1
    sort: str
    query: str
    first: int  # rank of the first entry on this page (1-based)


class Leaderboard:
    def __init__(self, *, ttl: float = 60.0, page_size: int = PAGE_SIZE,
                 clock: Callable[[], float] = time.monotonic, now: Callable[[], datetime] | None = None) -> None:
        self.ttl = ttl
        self.page_size = page_size
        self.clock = clock
        self.now = now or (lambda: datetime.now(UTC))  # the reports' "today" (the offline demo's is the replay's)
        self._reports: dict[int, tuple[float, StrategyReport]] = {}

    async def page(self, sort: str = DEFAULT_SORT, page: int = 0, query: str = "") -> Page:
        sort = sort if sort in SORTS else DEFAULT_SORT
        listed = Strategy.filter(status=StrategyStatus.APPROVED, is_public=True)
        if query.strip():
            listed = listed.filter(name__icontains=query.strip())
        strategies = await listed.order_by("id")
        entries = await self._entries(strategies)
        entries.sort(key=lambda e: (-e.sort_key(sort), e.strategy.name.lower()))
        pages = max(1, -(-len(entries) // self.page_size))
        page = min(max(page, 0), pages - 1)
        start = page * self.page_size
        return Page(entries[start:start + self.page_size], page, pages, sort, query.strip(), start + 1)

    async def entry(self, strategy_id: int) -> Entry | None:
        """One strategy for its card; None unless it is approved and public (what the list shows)."""
        strategy = await Strategy.get_or_none(id=strategy_id, status=StrategyStatus.APPROVED, is_public=True)
        if strategy is None:
            return None
        return (await self._entries([strategy]))[0]

    async def _entries(self, strategies: list[Strategy]) -> list[Entry]:
        if not strategies:
            return []
        counts = dict(await Subscription.filter(
            strategy_id__in=[s.id for s in strategies], status__in=FOLLOWING,
        ).annotate(n=Count("id")).group_by("strategy_id").values_list("strategy_id", "n"))
        return [Entry(s, await self._report(s), int(counts.get(s.id, 0))) for s in strategies]

    async def _report(self, strategy: Strategy) -> StrategyReport:
        now = self.clock()
        cached = self._reports.get(strategy.id)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        report = await strategy_report(strategy, self.now())
        self._reports[strategy.id] = (now, report)
        return report
