"""Several `townhall run` processes on one database, as a deployment runs them: started, watched by their
log, stopped or killed. Used by `deploy/run_two_processes.py`, the cross-process tests and benchmarks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from storage.db import create_db_engine

ROOT = Path(__file__).resolve().parents[2]
LEADS = "scheduler started: this process leads"
"""The log line of the process elected to run the scheduler (`facilitation/kernel/scheduling.py`)."""
STARTED = "adapter started"
STOP_SECONDS = 30.0
"""How long a stopped process may take to finish its work before it is killed."""


@dataclass
class Replica:
    """One `townhall run` process; its log (stderr, or the console's log file) is kept in its data folder."""

    name: str
    data_dir: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def log_path(self) -> Path:
        return self.data_dir / "stderr.log"

    def start(self) -> Replica:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "run"],
                stdin=subprocess.PIPE,  # held open: a console process runs until stopped
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env={**self.env, "DATA_DIR": str(self.data_dir)},
                cwd=ROOT,
            )
        return self

    def log(self) -> str:
        """Everything the process logged, wherever it logs (the console's log file, or stderr)."""
        paths = (self.log_path, self.data_dir / "townhall.log")
        return "\n".join(path.read_text("utf-8", "replace") for path in paths if path.exists())

    def says(self, text: str) -> bool:
        return text in self.log()

    def wait_until_says(self, text: str, timeout: float = 120) -> float:
        """Wait for a line of the log; fails at once, with the log, if the process ended meanwhile."""

        def said() -> bool:
            if self.says(text):
                return True
            if not self.running:
                raise AssertionError(f"{self.name} ended before saying {text!r}:\n{self.log()[-3000:]}")
            return False

        return wait_for(said, timeout, f"{self.name} to say {text!r}")

    @property
    def leads(self) -> bool:
        return self.says(LEADS)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no clean stop, as when a machine or the kernel ends the process."""
        if self.running:
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=STOP_SECONDS)

    def stop(self) -> int | None:
        """SIGTERM, as systemd or docker stop it; killed if it does not end in time. Its exit code."""
        if self.process is None:
            return None
        if self.running:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def replica_env(database_url: str, base: Mapping[str, str] | None = None, **settings: str) -> dict[str, str]:
    """The environment shared by every replica: the database, this checkout, no embedding model to load
    (unless `settings` say otherwise), no dashboard unless a port is given."""
    env = dict(os.environ if base is None else base)
    env.update(
        DATABASE_URL=database_url,
        PYTHONPATH=str(ROOT),
        EMBEDDING_MODEL="",
        MULTILINGUAL_EMBEDDING_MODEL="",
        DASHBOARD_PORT="0",
        HF_HUB_OFFLINE="1",
    )
    env.update(settings)
    return env


def wait_for(condition: Callable[[], object], timeout: float, what: str, poll: float = 0.05) -> float:
    """Wait until `condition()` is true; the seconds it took. Fails, naming `what`, after `timeout`."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"waited {timeout:.0f} s for {what}")
        time.sleep(poll)
    return time.monotonic() - started


def schema_url(database_url: str, schema: str) -> str:
    """`database_url` confined to one PostgreSQL schema through the connection's search_path."""
    separator = "&" if "?" in database_url else "?"
    return f"{database_url}{separator}options=-csearch_path%3D{schema}"


@contextmanager
def throwaway_schema(database_url: str, prefix: str = "replicas") -> Iterator[str]:
    """A fresh schema in a shared PostgreSQL database (dropped afterwards): the URL confined to it."""
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_db_engine(database_url)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema_url(database_url, schema)
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def replicas(
    count: int, env: Mapping[str, str], folder: Path, **per_replica: Callable[[int], str]
) -> Iterator[list[Replica]]:
    """`count` replicas started one after the other, the first elected leader before the next starts;
    `per_replica` gives settings that differ between them (a port, by index). All stopped at the end."""
    started: list[Replica] = []
    try:
        for index in range(count):
            own = {name.upper(): value(index) for name, value in per_replica.items()}
            replica = Replica(f"replica-{index}", folder / f"replica-{index}", {**env, **own}).start()
            started.append(replica)
            if index == 0:
                replica.wait_until_says(LEADS)
            replica.wait_until_says(STARTED)
        yield started
    finally:
        for replica in started:
            replica.stop()
