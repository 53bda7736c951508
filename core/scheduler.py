"""Periodic jobs that survive restarts and never run twice for the same period.

Each job has a fixed schedule (a period length and an offset from midnight UTC). Before running, the
runner claims the current period by inserting a `JobRun` row; the (job, period) unique constraint
makes the claim atomic across restarts and across several processes. apscheduler only supplies the
tick: the state lives in the database, so rescheduling after a restart is idempotent, and a period
missed while the process was down is run at the next tick of the same period.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from tortoise.exceptions import IntegrityError

from core.db.models import JobRun
from core.events import utcnow

log = logging.getLogger(__name__)
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Schedule:
    every: timedelta
    offset: timedelta = timedelta(0)  # e.g. 10 h: daily at 10:00 UTC

    def period_start(self, now: datetime) -> datetime:
        periods = (now - EPOCH - self.offset) // self.every
        return EPOCH + self.offset + periods * self.every


DAILY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    schedule: Schedule
    run: Callable[[datetime], Awaitable[object]]  # gets the start of the period it runs for


def period_key(start: datetime) -> str:
    return start.strftime("%Y-%m-%dT%H:%M")


async def claim(job: str, key: str) -> bool:
    try:
        await JobRun.create(job=job, period_key=key)
    except IntegrityError:
        return False
    return True


class JobRunner:
    def __init__(self, jobs: Sequence[Job], clock: Callable[[], datetime] = utcnow) -> None:
        self.jobs = list(jobs)
        self.clock = clock
        self._seen: dict[str, str] = {}  # job → last period handled by this process (spares the claim query)

    async def run_due(self, now: datetime | None = None) -> list[tuple[str, str]]:
        """Run every job whose current period nobody has claimed yet; returns what ran."""
        now = now or self.clock()
        ran: list[tuple[str, str]] = []
        for job in self.jobs:
            start = job.schedule.period_start(now)
            key = period_key(start)
            if self._seen.get(job.name) == key or not await claim(job.name, key):
                self._seen[job.name] = key
                continue
            try:
                await job.run(start)
            except Exception:
                log.exception("job %s for %s failed; it will be retried", job.name, key)
                await JobRun.filter(job=job.name, period_key=key).delete()  # let the next tick try again
                continue
            await JobRun.filter(job=job.name, period_key=key).update(finished_at=self.clock())
            self._seen[job.name] = key
            ran.append((job.name, key))
        return ran


def start_scheduler(runner: JobRunner, tick_seconds: int = 30) -> AsyncIOScheduler:
    """Tick the runner from apscheduler in UTC; one tick at a time, missed ticks coalesced."""
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_job(runner.run_due, IntervalTrigger(seconds=tick_seconds), max_instances=1, coalesce=True,
                      next_run_time=datetime.now(UTC))
    scheduler.start()
    return scheduler
