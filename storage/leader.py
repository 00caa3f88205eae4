"""Electing the one process that runs the scheduler.

APScheduler 3 cannot share a job store between two live schedulers, so exactly one Townhall process may
run it. On PostgreSQL a session-level advisory lock, held on a dedicated connection, elects it; the lock
is released when that process stops or dies. On SQLite, which serves one machine, an exclusive lock on a
file beside the database does the same.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

SCHEDULER_LOCK_NAME = "townhall-scheduler"
# Advisory locks are per database; keyed by schema too, so that deployments in separate schemas of one
# database elect their leaders independently.
ADVISORY_KEY = "hashtext(current_schema() || ':' || :name)"
LOST_LEADER_SETTINGS = {
    "tcp_keepalives_idle": 10,
    "tcp_keepalives_interval": 5,
    "tcp_keepalives_count": 3,
    "tcp_user_timeout": 25_000,
}
"""Set on the leader's lock connection, so that PostgreSQL drops a leader whose machine vanished (no
connection closed to tell it) after about 25 s, releasing the lock, instead of the system's two hours.
A leader process that dies on a live machine has its connection closed at once by the system."""


class LeaderLock:
    """Non-blocking leadership: `try_acquire` returns True once this process leads, until `release`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Connection | None = None
        self._lock_file: int | None = None

    @property
    def held(self) -> bool:
        return self._connection is not None or self._lock_file is not None

    def try_acquire(self) -> bool:
        if self.held:
            return True
        if self.engine.dialect.name == "postgresql":
            return self._try_advisory_lock()
        return self._try_file_lock()

    def _try_advisory_lock(self) -> bool:
        connection = self.engine.connect()
        acquired = connection.execute(
            sa.text(f"SELECT pg_try_advisory_lock({ADVISORY_KEY})"), {"name": SCHEDULER_LOCK_NAME}
        ).scalar()
        connection.commit()
        if acquired:
            for name, value in LOST_LEADER_SETTINGS.items():
                connection.execute(sa.text(f"SET {name} = {int(value)}"))
            connection.commit()
            self._connection = connection
        else:
            connection.close()
        return bool(acquired)

    def still_held(self) -> bool:
        """Whether this process still leads. A PostgreSQL advisory lock dies with its connection (the
        server restarted, the network cut it), and another process may then take it: ask the connection."""
        if self._connection is None:
            return self._lock_file is not None
        try:
            self._connection.execute(sa.text("SELECT 1"))
            self._connection.commit()
            return True
        except sa.exc.DBAPIError:
            self._drop_connection()
            return False

    def _drop_connection(self) -> None:
        assert self._connection is not None
        with contextlib.suppress(sa.exc.DBAPIError):
            self._connection.close()
        self._connection = None

    def _try_file_lock(self) -> bool:
        database = self.engine.url.database
        if not database or database == ":memory:":
            self._lock_file = -1  # a private in-memory database has no other process to share it with
            return True
        descriptor = os.open(f"{Path(database).resolve()}.scheduler-lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return False
        self._lock_file = descriptor
        return True

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(
                    sa.text(f"SELECT pg_advisory_unlock({ADVISORY_KEY})"), {"name": SCHEDULER_LOCK_NAME}
                )
                self._connection.commit()
            except sa.exc.DBAPIError:
                pass  # the connection is gone, and the lock with it
            finally:
                self._drop_connection()
        if self._lock_file is not None:
            if self._lock_file >= 0:
                os.close(self._lock_file)  # closing drops the flock
            self._lock_file = None
