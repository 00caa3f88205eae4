"""Scheduled jobs: round closes, reminders, check-ins. APScheduler with its job store in Townhall's database.

Features declare job kinds and reconcilers on their `CommandSet`. A handler schedules a `JobSpec` through
`Effects.schedule`; it reaches the scheduler once the transaction commits. Job ids are deterministic
(`round-close:42`) and added with `replace_existing`, so nothing is ever scheduled twice. Reconcilers say
which jobs the stored state calls for; the leader runs them at start and every `RECONCILE_SECONDS`, which
repairs a job lost between a commit and a crash and picks up jobs decided by non-leader processes. Job
handlers must therefore be idempotent: check the state, act once, update the state.

A job that falls due again while it is still running (decided again by a reconcile or a new event while
it waits its turn on the core's worker) is coalesced: it runs once more when the running one ends, and
is never reported as skipped. At stop, running jobs are given `STOP_WAIT_FOR_JOBS_SECONDS` to end; those
still waiting then are dropped quietly, and the reconcilers give them back at the next start.

Only one process runs the scheduler (see `storage.leader`); the others try to take over every
`LEADER_RETRY_SECONDS`. A leader killed outright loses its lock at once (its connection or its lock file
closes with it), so another process leads within that interval plus its own start of the scheduler;
`on_lead` then lets the wiring do what one process does for all (a platform's webhook).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from storage.db import Database
from storage.leader import LeaderLock
from storage.models import SCHEDULER_JOBS_TABLE

log = logging.getLogger(__name__)

LEADER_RETRY_SECONDS = 1.0
"""How often a follower tries to take over the scheduler from a leader that may have stopped, and how
often the leader checks that it still holds its lock: the bound on a takeover after the leader dies (one
cheap query a second per process)."""
RECONCILE_SECONDS = 60.0
"""How often the leader re-derives jobs from the stored state."""
STOP_WAIT_FOR_JOBS_SECONDS = 5.0
"""How long a stop waits for the jobs already running (or waiting for the core's worker) to end."""
INSTANCES_ALLOWED = 1_000_000
"""APScheduler's per-job limit, set out of reach: `Scheduler._run` coalesces a job due while it runs, so
APScheduler never has to skip (and report) one."""


@dataclass(frozen=True)
class JobSpec:
    """One job to run once at `run_at` (aware UTC): `kind` names the handler, `payload` is plain data."""

    job_id: str
    kind: str
    run_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)


JobRunner = Callable[[str, dict[str, Any]], Awaitable[None]]
_active_runner: JobRunner | None = None


async def run_scheduled_job(kind: str, payload: dict[str, Any]) -> None:
    """What APScheduler stores and calls (by import path, so jobs survive restarts)."""
    if _active_runner is None:
        raise RuntimeError("a scheduled job ran with no Townhall scheduler active")
    await _active_runner(kind, payload)


class Scheduler:
    """Leads or waits: once elected, runs APScheduler on the database's job store and keeps it reconciled."""

    def __init__(
        self,
        database: Database,
        run_job: JobRunner,
        reconcile: Callable[[], Awaitable[list[JobSpec]]],
    ) -> None:
        self.database = database
        self._run_job = run_job
        self._reconcile = reconcile
        self._lock = LeaderLock(database.engine)
        self._scheduler: AsyncIOScheduler | None = None
        self._task: asyncio.Task[None] | None = None
        self._running: dict[str, asyncio.Task[Any]] = {}
        """Each running job's task, by its kind and payload (what makes a job id)."""
        self._due_again: set[str] = set()
        self.on_lead: Callable[[], Awaitable[None]] | None = None
        """Awaited each time this process becomes the leader, once its scheduler runs."""

    @property
    def leading(self) -> bool:
        return self._scheduler is not None

    async def start(self) -> None:
        """Try to lead now (so a due job runs at start), and keep trying in the background if another leads."""
        await self._try_to_lead()
        self._task = asyncio.create_task(self._keep_leading(), name="scheduler-leadership")

    async def _try_to_lead(self) -> None:
        if self.leading or not await asyncio.to_thread(self._lock.try_acquire):
            return
        global _active_runner
        _active_runner = self._run
        scheduler = AsyncIOScheduler(
            jobstores={
                "default": SQLAlchemyJobStore(engine=self.database.engine, tablename=SCHEDULER_JOBS_TABLE)
            },
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": INSTANCES_ALLOWED},
            timezone=UTC,
        )
        scheduler.start()
        self._scheduler = scheduler
        log.info("scheduler started: this process leads")
        await self.reconcile()
        if self.on_lead is not None:
            await self.on_lead()

    async def _keep_leading(self) -> None:
        since_reconcile = 0.0
        while True:
            await asyncio.sleep(LEADER_RETRY_SECONDS)
            try:
                if not self.leading:
                    await self._try_to_lead()
                elif not await asyncio.to_thread(self._lock.still_held):
                    log.warning("scheduler lock lost with its database connection: this process stands down")
                    self._stand_down()
                elif (since_reconcile := since_reconcile + LEADER_RETRY_SECONDS) >= RECONCILE_SECONDS:
                    since_reconcile = 0.0
                    await self.reconcile()
            except Exception:
                log.exception("scheduler upkeep failed")

    def _stand_down(self) -> None:
        """Stop running jobs here; the process that holds the lock (maybe this one again later) runs them."""
        global _active_runner
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
            if _active_runner == self._run:
                _active_runner = None

    async def _run(self, kind: str, payload: dict[str, Any]) -> None:
        """Run a job, or if the same job is running, have it run once more when it ends."""
        key = json.dumps([kind, payload], sort_keys=True, default=str)
        if key in self._running:
            self._due_again.add(key)
            log.debug("job kind=%s due again while running: it runs once more after", kind)
            return
        task = asyncio.current_task()
        assert task is not None
        self._running[key] = task
        try:
            while True:
                self._due_again.discard(key)
                await self._run_job(kind, payload)
                if key not in self._due_again:
                    return
        except asyncio.CancelledError:  # the stop gave up waiting: the reconcilers bring it back
            log.debug("job kind=%s left for the next start", kind)
        finally:
            del self._running[key]
            self._due_again.discard(key)

    def pause(self) -> None:
        """Start no new job (the first step of a stop); those running go on."""
        if self._scheduler is not None:
            self._scheduler.pause()

    async def _finish_running_jobs(self) -> None:
        """Let the running jobs end, up to `STOP_WAIT_FOR_JOBS_SECONDS`; no new one starts meanwhile."""
        if self._scheduler is None or not self._running:
            return
        self.pause()
        _done, unfinished = await asyncio.wait(
            list(self._running.values()), timeout=STOP_WAIT_FOR_JOBS_SECONDS
        )
        if unfinished:
            log.info("stopping with %d jobs unfinished: they run at the next start", len(unfinished))

    async def reconcile(self) -> None:
        """Add every job the stored state calls for that the job store lacks."""
        specs = await self._reconcile()
        scheduler = self._scheduler
        if scheduler is None:
            return
        missing = [spec for spec in specs if scheduler.get_job(spec.job_id) is None]
        self.submit(missing)

    def submit(self, specs: list[JobSpec]) -> None:
        """Schedule jobs now if this process leads; otherwise the leader's reconcile will add them."""
        if self._scheduler is None:
            return
        for spec in specs:
            self._scheduler.add_job(
                run_scheduled_job,
                trigger="date",
                run_date=spec.run_at,
                args=[spec.kind, spec.payload],
                id=spec.job_id,
                name=spec.kind,
                replace_existing=True,
            )

    def job_ids(self) -> list[str]:
        return [job.id for job in self._scheduler.get_jobs()] if self._scheduler is not None else []

    def jobs(self) -> list[JobSpec]:
        """The jobs waiting in the store, soonest first (empty unless this process leads)."""
        if self._scheduler is None:
            return []
        return [
            JobSpec(job.id, job.args[0], job.next_run_time, job.args[1]) for job in self._scheduler.get_jobs()
        ]

    def remove(self, job_id: str) -> None:
        """Take a job out of the store without running it (tests that drive jobs with their own clock)."""
        if self._scheduler is not None and self._scheduler.get_job(job_id) is not None:
            self._scheduler.remove_job(job_id)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self._finish_running_jobs()
        self._stand_down()
        await asyncio.to_thread(self._lock.release)
