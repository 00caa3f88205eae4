"""Scheduled jobs: they run on time, survive restarts without doubling, and only one process runs them."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bot.testing.harness import Harness
from facilitation.features import FEATURES
from facilitation.kernel import scheduling
from facilitation.kernel.context import Context, Effects
from facilitation.kernel.events import Address
from facilitation.kernel.router import CommandSet
from facilitation.kernel.scheduling import JobSpec
from storage.models import scheduler_jobs

reminders = CommandSet()
stored_reminders: list[JobSpec] = []
"""Stands in for state a real feature keeps in its tables, for the reconciler test."""


def reminder_job(ctx: Context, seconds: float, text: str) -> JobSpec:
    return JobSpec(
        job_id=f"reminder:{text}",
        kind="reminder",
        run_at=datetime.now(UTC) + timedelta(seconds=seconds),
        payload={"address": ctx.incoming.address.to_dict(), "text": text},
    )


@reminders.command("remind", "test: remind me in N seconds")
def remind(ctx: Context, args: str) -> None:
    seconds, _, text = args.partition(" ")
    ctx.schedule(reminder_job(ctx, float(seconds), text))
    ctx.reply(f"I will remind you: {text}")


@reminders.job("reminder")
def send_reminder(effects: Effects, payload: dict) -> None:
    effects.send(Address.from_dict(payload["address"]), f"Reminder: {payload['text']}")


@reminders.reconciler
def pending_reminders(session, now):  # noqa: ANN001
    return list(stored_reminders)


FEATURES_WITH_REMINDERS = (*FEATURES, reminders)


def job_rows(harness: Harness) -> list[str]:
    with harness.townhall.database.engine.connect() as connection:
        return [row.id for row in connection.execute(sa.select(scheduler_jobs.c.id))]


async def test_a_scheduled_job_runs_at_its_time_and_its_message_is_delivered(database_url, tmp_path):
    async with Harness.running(database_url, tmp_path, features=FEATURES_WITH_REMINDERS) as harness:
        await harness.say("/remind 0.3 water the seedlings")
        assert "Reminder: water the seedlings" in await harness.wait_for_text("Reminder:")
        assert job_rows(harness) == []  # a date job leaves the store once it has run


async def test_jobs_survive_a_restart_once_and_one_due_meanwhile_runs_at_start(database_url, tmp_path):
    async with Harness.running(database_url, tmp_path, features=FEATURES_WITH_REMINDERS) as harness:
        await harness.say("/remind 3600 bring chairs")
        await harness.say("/remind 1 fix the gate")
        assert sorted(job_rows(harness)) == ["reminder:bring chairs", "reminder:fix the gate"]
    await asyncio.sleep(1.2)  # the gate reminder falls due while Townhall is stopped

    async with Harness.running(database_url, tmp_path, features=FEATURES_WITH_REMINDERS) as harness:
        assert "Reminder: fix the gate" in await harness.wait_for_text("fix the gate")
        await harness.say("/remind 3600 bring chairs")  # the same job decided again is replaced, not doubled
        assert job_rows(harness) == ["reminder:bring chairs"]


async def test_reconcile_restores_a_job_lost_between_commit_and_crash(database_url, tmp_path):
    address = Address("recording", "room")
    lost = JobSpec(
        "reminder:lost",
        "reminder",
        datetime.now(UTC) + timedelta(hours=1),
        {"address": address.to_dict(), "text": "lost"},
    )
    stored_reminders[:] = [lost]
    try:
        async with Harness.running(database_url, tmp_path, features=FEATURES_WITH_REMINDERS) as harness:
            assert job_rows(harness) == ["reminder:lost"]
            await harness.townhall.scheduler.reconcile()
            assert job_rows(harness) == ["reminder:lost"]
    finally:
        stored_reminders.clear()


async def test_only_one_process_leads_and_a_follower_takes_over_when_it_stops(
    database_url, tmp_path, monkeypatch
):
    monkeypatch.setattr(scheduling, "LEADER_RETRY_SECONDS", 0.1)
    async with (
        Harness.running(database_url, tmp_path / "a", features=FEATURES_WITH_REMINDERS) as first,
        Harness.running(database_url, tmp_path / "b", features=FEATURES_WITH_REMINDERS) as second,
    ):
        assert first.townhall.scheduler.leading and not second.townhall.scheduler.leading
        await first.townhall.scheduler.stop()
        for _ in range(100):
            if second.townhall.scheduler.leading:
                break
            await asyncio.sleep(0.05)
        assert second.townhall.scheduler.leading


work_done: list[str] = []


@reminders.job("slow")
def slow_job(effects: Effects, payload: dict) -> None:
    """Work that takes a while on the core's worker, as a busy replay's jobs do."""
    time.sleep(payload["seconds"])
    work_done.append(payload["name"])


def slow_job_spec(name: str, seconds: float) -> JobSpec:
    return JobSpec(f"slow:{name}", "slow", datetime.now(UTC), {"name": name, "seconds": seconds})


def problems(records: list[logging.LogRecord]) -> list[str]:
    """Log lines a reader would take for trouble: warnings, errors and tracebacks."""
    return [
        record.getMessage()
        for record in records
        if record.levelno >= logging.WARNING or record.exc_info is not None
    ]


async def test_a_job_due_again_while_it_runs_is_coalesced_not_reported_as_skipped(
    database_url, tmp_path, caplog
):
    caplog.set_level(logging.INFO)
    work_done.clear()
    async with Harness.running(database_url, tmp_path, features=FEATURES_WITH_REMINDERS) as harness:
        scheduler = harness.townhall.scheduler
        scheduler.submit([slow_job_spec("digest", 0.5)])
        await asyncio.sleep(0.2)  # it runs now on the worker
        scheduler.submit([slow_job_spec("digest", 0.5)])  # decided again (a reconcile, a new event)
        for _ in range(60):
            if len(work_done) == 2:
                break
            await asyncio.sleep(0.05)
    assert work_done == ["digest", "digest"]  # the second run waits for the first, then runs: none lost
    assert not [line for line in caplog.messages if "skipped" in line]
    assert problems(caplog.records) == []


async def test_stopping_with_many_jobs_due_logs_no_traceback(database_url, tmp_path, caplog, monkeypatch):
    monkeypatch.setattr(scheduling, "STOP_WAIT_FOR_JOBS_SECONDS", 0.5)
    caplog.set_level(logging.INFO)
    work_done.clear()
    async with Harness.running(database_url, tmp_path, features=FEATURES_WITH_REMINDERS) as harness:
        harness.townhall.scheduler.submit([slow_job_spec(f"news{n}", 0.05) for n in range(40)])
        await asyncio.sleep(0.3)  # some have run, the others wait for the worker
    assert problems(caplog.records) == []
    assert "CancelledError" not in caplog.text and "Traceback" not in caplog.text
    assert 0 < len(work_done) < 40  # the stop let running work finish, then left the rest
    assert "stopping with" in caplog.text and "jobs unfinished: they run at the next start" in caplog.text
