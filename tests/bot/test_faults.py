"""Faults: the database away for a while (SQLite locked by another connection, PostgreSQL cut off behind a
proxy on 127.0.0.1): the bot says it will retry, and once the database is back nothing is lost."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TypeVar

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

import storage.db
from bot.testing.harness import Harness, running_townhall
from bot.testing.outage import CuttableProxy, outage_for
from storage.db import create_db_engine
from storage.leader import SCHEDULER_LOCK_NAME, LeaderLock
from storage.models import Idea, Member

T = TypeVar("T")


@pytest.fixture(autouse=True)
def short_sqlite_busy_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """A locked SQLite database is given up on after a tenth of a second instead of ten."""
    monkeypatch.setattr(storage.db, "SQLITE_BUSY_TIMEOUT_MS", 100)


async def test_while_the_database_is_away_the_bot_says_it_will_retry_and_then_loses_nothing(
    database_url: str, tmp_path: Path
) -> None:
    async with outage_for(database_url) as (url, outage), Harness.running(url, tmp_path) as harness:
        await harness.start_parks()
        await harness.say("/idea Benches by the pond", user="alice")
        outage.begin()
        try:
            waiting = []
            for text, user, chat in (
                ("/idea Shade trees on the path", "bob", "room"),
                ("/idea A water fountain", "carol", "room"),
                ("/idea Bins that close", "dave", "other"),
            ):  # each is answered only once stored: the platform learns it was received only then
                waiting.append(asyncio.create_task(harness.say(text, user=user, chat=chat)))
                await asyncio.sleep(0.3)
            told = [sent for sent in harness.adapter.sent if "retry your message" in sent.text]
            assert not any(task.done() for task in waiting)
        finally:
            outage.end()
        assert [sent.address.chat_id for sent in told] == ["room", "other"]  # once per chat
        await asyncio.wait_for(asyncio.gather(*waiting), timeout=60)
        for number in (2, 3, 4):
            await harness.wait_for_text(f"Idea i{number} recorded")
        ideas = sorted((idea.id, idea.text) for idea in harness.rows(Idea))
        assert ideas == [
            (1, "Benches by the pond"),
            (2, "Shade trees on the path"),
            (3, "A water fountain"),
            (4, "Bins that close"),
        ]
        assert len(harness.rows(Member)) == 5
        assert "Benches by the pond" in await harness.reply_text("/ideas", user="erin")


class FullDisk:
    """Fills the database's disk, then frees it. SQLite may grow no further than the pages it has (its
    max_page_count, on every connection) and ballast fills what room is left in them; PostgreSQL answers
    an idea's insert with SQLSTATE 53100 (disk_full), as a server whose disk is full does."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def fill(self) -> None:
        if self.engine.dialect.name == "postgresql":
            with self.engine.begin() as connection:
                connection.exec_driver_sql(
                    "CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION"
                    " 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; END $$"
                )
                connection.exec_driver_sql(
                    "CREATE TRIGGER disk_full BEFORE INSERT ON idea FOR EACH ROW EXECUTE FUNCTION disk_full()"
                )
            return
        with self.engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE ballast (filler TEXT)")
        sa.event.listen(self.engine, "connect", self._no_more_pages)
        self.engine.dispose()  # every connection from now on has no page to add
        for size in (1000, 100, 10):
            try:
                while True:
                    with self.engine.begin() as connection:
                        connection.exec_driver_sql("INSERT INTO ballast VALUES (?)", ("x" * size,))
            except sa.exc.OperationalError as error:
                assert "full" in str(error)

    def free(self) -> None:
        if self.engine.dialect.name == "postgresql":
            with self.engine.begin() as connection:
                connection.exec_driver_sql("DROP TRIGGER disk_full ON idea")
                connection.exec_driver_sql("DROP FUNCTION disk_full()")
            return
        sa.event.remove(self.engine, "connect", self._no_more_pages)
        self.engine.dispose()
        with self.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE ballast")

    @staticmethod
    def _no_more_pages(dbapi_connection, _record) -> None:  # noqa: ANN001 (DB-API types)
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")


async def test_a_full_disk_is_waited_for_like_an_outage_and_the_ideas_are_stored_once_there_is_room(
    harness,  # noqa: ANN001
) -> None:
    """Residents keep sharing ideas as the disk fills up: once it is full, they are told once that their
    messages will be retried, nothing is answered as a bug, and every idea is stored, in order, once space
    is freed."""
    await harness.start_parks()
    disk = FullDisk(harness.townhall.database.engine)
    disk.fill()
    ideas: list[str] = []
    pending: list[asyncio.Task] = []
    try:
        while not told_to_wait(harness) and len(ideas) < 20:
            ideas.append(f"Idea number {len(ideas) + 1}: " + "shade trees and benches along the path " * 45)
            pending.append(asyncio.create_task(harness.say(f"/idea {ideas[-1]}", user="bob")))
            await asyncio.wait([pending[-1]], timeout=2)  # one that is held waits for the disk
        ideas.append("One more while the disk is full: a water fountain by the gate")
        pending.append(asyncio.create_task(harness.say(f"/idea {ideas[-1]}", user="carol")))
        await asyncio.sleep(0.3)
    finally:
        disk.free()
    await asyncio.wait_for(asyncio.gather(*pending), timeout=60)
    answers = [sent.text for sent in harness.adapter.sent]
    notices = [answer for answer in answers if "retry your message" in answer]
    assert len(notices) == 1 and len(ideas) < 20
    assert not any("went wrong" in answer for answer in answers)
    for _ in range(200):  # PostgreSQL spent an id on each refused insert: count the confirmations
        if sum("recorded in #parks" in sent.text for sent in harness.adapter.sent) == len(ideas):
            break
        await asyncio.sleep(0.05)
    assert [idea.text for idea in harness.rows(Idea)] == [text.strip() for text in ideas]


async def test_a_database_mistake_is_answered_at_once_not_held_for_retry(harness) -> None:  # noqa: ANN001
    """Only a database that is away is waited for; an error that would happen again is answered."""
    await harness.start_parks()
    await harness.say("/idea Lights by the gate")  # so that /top reads the supports
    with harness.townhall.database.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE ideasupport")
    answer = await harness.reply_text("/top")
    assert "something went wrong on my side" in answer and "retry your message" not in answer
    assert "Idea i2 recorded" in await harness.reply_text("/idea Benches by the pond")


def told_to_wait(harness: Harness) -> bool:
    return any("retry your message" in sent.text for sent in harness.adapter.sent)


def test_a_leader_whose_database_connection_is_cut_knows_it_no_longer_leads(database_url: str) -> None:
    """On PostgreSQL the scheduler's lock lives on one connection: when the server drops it, the lock is
    gone and another process may lead; the old leader must notice rather than run jobs beside it."""
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("SQLite's leader holds a file lock, which no database outage can take away")
    engine = create_db_engine(database_url)
    first, second = LeaderLock(engine), LeaderLock(engine)
    try:
        assert first.try_acquire() and first.still_held() and not second.try_acquire()
        with engine.begin() as admin:
            # Only the backend holding this schema's lock: other processes on the server are left alone.
            cut = admin.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                    " AND objid::bigint = (hashtext(current_schema() || ':' || :name)::bigint & 4294967295)"
                ),
                {"name": SCHEDULER_LOCK_NAME},
            ).all()
        assert len(cut) == 1
        assert not first.still_held()
        assert second.try_acquire()
        first.release()  # nothing left to release, and no error
    finally:
        second.release()
        engine.dispose()


class StderrLines:
    """Reads a child process's stderr on a thread, so a test can wait for a line without blocking."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        assert process.stderr is not None
        threading.Thread(target=self._read, args=(process.stderr,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line)

    def wait_for(self, words: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(queue.Empty):
                self.seen.append(self.lines.get(timeout=0.2))
                if words in self.seen[-1]:
                    return self.seen[-1]
        raise AssertionError(f"no line with {words!r} in {self.seen!r}")

    def rest(self) -> str:
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return "".join(self.seen)


@contextlib.contextmanager
def unreachable_database(database_url: str, tmp_path: Path) -> Iterator[tuple[str, Callable[[], None]]]:
    """A database URL that cannot be reached yet, and the call that makes it reachable: PostgreSQL behind a
    proxy that is cut, or a SQLite file whose path is taken by a folder."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        blocked = tmp_path / "blocked" / "townhall.db"
        blocked.mkdir(parents=True)  # a folder where the file should be: SQLite cannot open it
        yield f"sqlite:///{blocked}", blocked.rmdir
        return
    with CuttableProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        proxy.cut_off()
        yield url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False), proxy.restore


def test_a_database_unreachable_at_start_is_told_in_one_line_and_tried_again_until_it_answers(
    database_url: str, environment: dict[str, str], tmp_path: Path
) -> None:
    """`townhall run` started before its database is reachable says so on one line (no traceback), keeps
    trying, and starts once the database answers; stopped while it waits, it stops cleanly at once."""
    with unreachable_database(database_url, tmp_path) as (url, make_reachable):
        waiting = running_townhall("run", env={**environment, "DATABASE_URL": url}, cwd=tmp_path)
        stderr = StderrLines(waiting)
        line = stderr.wait_for("database unavailable")
        assert "trying again in 1 s" in line
        waiting.send_signal(signal.SIGTERM)
        assert waiting.wait(timeout=10) == 0
        assert "Traceback" not in stderr.rest()

        patient = running_townhall(
            "run",
            env={**environment, "DATABASE_URL": url},
            cwd=tmp_path,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        stderr = StderrLines(patient)
        stderr.wait_for("database unavailable")
        make_reachable()
        output, _ = patient.communicate("/campaign #parks Better parks | Welcoming parks?\n", timeout=120)
        assert patient.returncode == 0
        assert "Campaign #parks created" in output
        assert "Traceback" not in stderr.rest()
