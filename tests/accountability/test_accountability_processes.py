"""Pods and check-ins through real `townhall run` processes: the console tour, and a leader killed mid-way."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from bot.testing.harness import townhall
from storage.db import Database
from storage.models import (
    CheckIn,
    Identity,
    Member,
    OutboxMessage,
    Pod,
    PodMember,
    PodSchedule,
    SentPrompt,
    scheduler_jobs,
)
from tests.conftest import POSTGRES_URL

CONSOLE_TOUR = [
    "/commit Organise a snow-clearing crew for Rue Clark by friday",
    "/timezone America/Montreal",
    "/as Bob",
    "/commit Shovel the school steps by vendredi",
    "/timezone America/Toronto",
    "/as",
    "/pods 2",
]


def stored_jobs(database_url: str) -> list[tuple[str, float]]:
    """Every row of APScheduler's job-store table: job id and next run time, by id."""
    database = Database(database_url)
    try:
        with database.engine.connect() as connection:
            rows = connection.execute(sa.select(scheduler_jobs.c.id, scheduler_jobs.c.next_run_time))
            return sorted((row.id, row.next_run_time) for row in rows)
    finally:
        database.dispose()


def test_console_commitments_and_pods_schedule_check_ins_that_a_restart_keeps_once(
    environment,
    tmp_path,
    database_url,
):
    environment = {**environment, "DEFAULT_QUIET_HOURS": ""}  # pods are introduced at once, at any hour
    first = townhall("run", stdin="\n".join(CONSOLE_TOUR) + "\n", env=environment, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stdout + first.stderr
    assert "Commitment c1 recorded: Organise a snow-clearing crew for Rue Clark" in first.stdout
    assert "Your time zone is now America/Montreal" in first.stdout
    assert "1 pod formed (rotation 1)" in first.stdout
    assert first.stdout.count("Your accountability pod:") == 2
    jobs = stored_jobs(database_url)
    assert [job_id for job_id, _moment in jobs] == [
        "checkin:1:1",
        "checkin:1:2",
        "commitment-follow-up:1",
        "commitment-follow-up:2",
        "commitment-reminder:1",
        "commitment-reminder:2",
    ]

    second = townhall("run", stdin="/mine\n", env=environment, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "Organise a snow-clearing crew for Rue Clark" in second.stdout
    assert stored_jobs(database_url) == jobs  # the same jobs at the same times: none doubled or re-timed


CHECKINS = 12
POD_SIZE = 3


def seed_pods(database_url: str, first_due: datetime) -> None:
    """Twelve members in four pods, their first check-ins spread over the next half minute."""
    database = Database(database_url)
    database.upgrade()
    with database.session() as session:
        schedule = PodSchedule(size=POD_SIZE, rotation=1)
        session.add(schedule)
        session.flush()
        pod = None
        for index in range(CHECKINS):
            member = Member(pseudonym=f"Peer {index}", language="en", timezone="UTC", quiet_hours="")
            session.add(member)
            session.flush()
            session.add(Identity(member_id=member.id, platform="console", platform_user_id=f"peer{index}"))
            if index % POD_SIZE == 0:
                pod = Pod(schedule_id=schedule.id, rotation=1)
                session.add(pod)
                session.flush()
            assert pod is not None
            due = first_due + timedelta(seconds=2 * index)
            session.add(PodMember(pod_id=pod.id, member_id=member.id, next_checkin_at=due))
    database.dispose()


def start_process(env: dict[str, str], data_dir: Path, cwd: Path) -> subprocess.Popen[bytes]:
    """`townhall run` on the console, its input held open so that it keeps running."""
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**env, "DATA_DIR": str(data_dir)},
        cwd=cwd,
    )


def wait_for(condition, timeout: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"waited {timeout} s for {what}")


def log_says(data_dir: Path, text: str) -> bool:
    log = data_dir / "townhall.log"
    return log.exists() and text in log.read_text(encoding="utf-8")


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="needs TOWNHALL_TEST_DATABASE_URL")
def test_two_processes_on_postgresql_the_leader_killed_mid_way_no_check_in_lost_or_doubled(
    environment,
    tmp_path,
    database_url,
):
    if not database_url.startswith("postgresql"):
        pytest.skip("the two-process election runs on PostgreSQL")
    seed_pods(database_url, datetime.now(UTC) + timedelta(seconds=8))
    env = {**environment, "DEFAULT_QUIET_HOURS": ""}
    leader = start_process(env, tmp_path / "a", tmp_path)
    follower = None
    database = Database(database_url)
    try:
        wait_for(lambda: log_says(tmp_path / "a", "this process leads"), 60, "the first process to lead")
        follower = start_process(env, tmp_path / "b", tmp_path)
        wait_for(lambda: log_says(tmp_path / "b", "adapter started"), 60, "the second process to start")
        assert not log_says(tmp_path / "b", "this process leads")

        def sent() -> int:
            with Session(database.engine) as session:
                return len(session.exec(select(CheckIn)).all())

        wait_for(lambda: sent() >= 3, 60, "the first check-ins")
        leader.send_signal(signal.SIGKILL)  # mid-way: some check-ins sent, most still due
        leader.wait(timeout=10)
        killed_at = time.monotonic()
        wait_for(lambda: log_says(tmp_path / "b", "this process leads"), 60, "the follower to take over")
        assert time.monotonic() - killed_at < 60
        wait_for(lambda: sent() == CHECKINS, 60, "every check-in")
        time.sleep(2)  # room for a double to show up, were there one

        with Session(database.engine) as session:
            checkins = session.exec(select(CheckIn)).all()
            keys = [row.key for row in session.exec(select(SentPrompt)) if row.key.startswith("checkin:")]
            outbox = [
                row for row in session.exec(select(OutboxMessage)) if "Check-in time" in row.payload["text"]
            ]
        assert sorted((row.pod_id, row.member_id) for row in checkins) == sorted(
            {(row.pod_id, row.member_id) for row in checkins}
        )
        assert len(checkins) == len(keys) == len(outbox) == CHECKINS
        assert len({row.address["user_id"] for row in outbox}) == CHECKINS
    finally:
        for process in (leader, follower):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
        database.dispose()
