"""The test harness: Townhall's real wiring with the recording adapter, driven like a chat."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from adapters.recording import RecordingAdapter
from adapters.recording.adapter import Sent
from bot.app import Townhall
from bot.settings import Settings
from facilitation.features import FEATURES
from facilitation.intelligence.embeddings import Embedder
from facilitation.kernel.router import CommandSet, Role, Router
from storage.models import utcnow

FACILITATOR = "fran"
"""The recording platform's configured facilitator; every other user is a resident."""


def make_settings(database_url: str, data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "data_dir": data_dir,
        "facilitator_ids": [f"recording:{FACILITATOR}"],
        "telegram_bot_token": "",
        "discord_bot_token": "",
        "embedding_model": "",  # tests that need the model pass the session's shared embedder
        "multilingual_embedding_model": "",  # and the multilingual one, for French campaigns
        "dashboard_port": 0,  # dashboard tests pass a free port
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


DEFERRED_WAIT_SECONDS = 60.0
"""How long `run_due_jobs` waits for the computations its jobs handed off the worker."""


class Clock:
    """A clock tests set and move by hand; it stands still between moves."""

    def __init__(self, start: datetime | None = None) -> None:
        self.moment = start or utcnow()

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, delta: timedelta | None = None, **parts: float) -> None:
        """Move forward by `delta`, or by keyword parts as timedelta takes them (`days=3`)."""
        self.moment += (delta or timedelta()) + timedelta(**parts)


class Harness:
    """Push updates as residents and facilitators would; read what the bot sent back."""

    def __init__(self, townhall: Townhall, adapter: RecordingAdapter) -> None:
        self.townhall = townhall
        self.adapter = adapter

    @classmethod
    @asynccontextmanager
    async def running(
        cls,
        database_url: str,
        data_dir: Path,
        adapter: RecordingAdapter | None = None,
        features: Iterable[CommandSet] = FEATURES,
        clock: Callable[[], datetime] = utcnow,
        embedder: Embedder | None = None,
        multilingual: Embedder | None = None,
        **settings: object,
    ) -> AsyncIterator[Harness]:
        adapter = adapter or RecordingAdapter()
        settings_ = make_settings(database_url, data_dir, **settings)
        townhall = Townhall(
            settings_, [adapter], features, clock=clock, embedder=embedder, multilingual=multilingual
        )
        await townhall.start()
        try:
            yield cls(townhall, adapter)
        finally:
            await townhall.stop()

    async def say(self, text: str, user: str = "alice", **options: object) -> list[Sent]:
        """Send a message as `user`; returns the messages the bot sent in answer."""
        return await self._push(self.adapter.incoming(text, user=user, **options))  # type: ignore[arg-type]

    async def press(self, label: str, user: str = "alice", **options: object) -> list[Sent]:
        """Press the most recent button whose label contains `label`."""
        for sent in reversed(self.adapter.sent):
            for button in sent.message.buttons:
                if label in button.label:
                    incoming = self.adapter.incoming(user=user, button_token=button.token, **options)  # type: ignore[arg-type]
                    return await self._push(incoming)
        raise AssertionError(f"no button labelled {label!r} was sent")

    async def wait_for_text(self, fragment: str, timeout: float = 30.0) -> str:
        """Wait until the bot sends a message containing `fragment` (scheduled and proactive messages)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            for sent in self.adapter.sent:
                if fragment in sent.text:
                    return sent.text
            await asyncio.sleep(0.05)
        raise AssertionError(f"no message containing {fragment!r} within {timeout} s")

    async def _push(self, incoming) -> list[Sent]:  # noqa: ANN001
        before = len(self.adapter.sent)
        await self.townhall.on_incoming(incoming)
        return self.adapter.sent[before:]

    async def reply_text(self, text: str, user: str = "alice", **options: object) -> str:
        """The text of everything the bot answered, joined."""
        return "\n".join(sent.text for sent in await self.say(text, user=user, **options))

    async def run_due_jobs(self) -> list[str]:
        """Run, in time order, every stored job due by the core's clock, as the scheduler would, and wait
        for what they computed off the worker; returns their ids. Tests that set a clock in the future
        drive jobs this way instead of waiting."""
        ran: list[str] = []
        scheduler = self.townhall.scheduler
        now = self.townhall.core.config.clock()
        while due := [job for job in scheduler.jobs() if job.run_at <= now]:
            job = due[0]
            scheduler.remove(job.job_id)
            await self.townhall.core.run_job(job.kind, job.payload)
            ran.append(job.job_id)
        await self.townhall.core.finish_deferred(DEFERRED_WAIT_SECONDS)
        await self.townhall.delivery.deliver_due()
        return ran

    async def run_until(self, clock: Clock, until: datetime) -> list[str]:
        """Move `clock` to each stored job's time in turn up to `until`, running it then, as a live
        scheduler would; the clock ends at `until`."""
        ran: list[str] = []
        while due := [job for job in self.townhall.scheduler.jobs() if job.run_at <= until]:
            clock.moment = max(clock.moment, due[0].run_at)
            ran += await self.run_due_jobs()
        clock.moment = until
        return ran

    def rows(self, model: type) -> list:
        with Session(self.townhall.database.engine) as session:
            return list(session.exec(select(model)))

    async def start_parks(self) -> None:
        """A facilitator creates #parks and invites this chat."""
        await self.say(
            "/campaign #parks Better parks | How can we make our parks welcoming?", user=FACILITATOR
        )
        await self.say("/invite #parks", user=FACILITATOR)


BOOKKEEPING_TABLES = {"outboxmessage", "buttonaction", "handledupdate"}
"""Replies, their buttons and the delivery key of each update are written for every answer, refusals
included."""

FACILITATOR_COMMANDS = sorted(
    name for name, command in Router(FEATURES).commands.items() if command.role is Role.FACILITATOR
)
"""Every command only facilitators may use, from the router: a new one is tried everywhere at once."""


def state(running: Townhall) -> dict[str, list[tuple]]:
    """Every row of every table that holds campaign state, to show that something changed nothing."""
    with running.database.engine.connect() as connection:
        return {
            name: sorted(map(tuple, connection.execute(sa.select(table)).all()), key=repr)
            for name, table in SQLModel.metadata.tables.items()
            if name not in BOOKKEEPING_TABLES
        }


def running_townhall(
    *args: str,
    env: dict[str, str],
    cwd: Path,
    stdin: int = subprocess.DEVNULL,
    stdout: int = subprocess.DEVNULL,
) -> subprocess.Popen[str]:
    """Start the real command line in a child process and leave it running (to be stopped or killed);
    its log is read from `stderr`."""
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *args],
        stdin=stdin,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=cwd,
    )


def townhall(
    *args: str, stdin: str = "", env: dict[str, str], cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a child process, as a shell would."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
    )
