"""The inbox's SQL (PostgreSQL): updates stored on receipt, and each sender's oldest one taken under the
sender's lock, so that workers in any number of threads and processes handle every update once, each
sender's in the order received (see `facilitation.kernel.inbox` for the workers).

A sender's lock is a session-level advisory lock held on the worker's own connection while it handles one
of their updates: it dies with the connection, so a process killed mid-update leaves the update to the
next worker that takes the lock. The two-key form (`INBOX_LOCK_CLASS`, hash of schema, platform and
sender) keeps these locks apart from the scheduler's election, which uses the one-key form, and from
other databases' schemas on the same server.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from storage.kernel import InboxUpdate

INBOX_LOCK_CLASS = 1_620_020
"""The first key of every sender's lock: a number of Townhall's own, so no other lock is mistaken for one."""

HEADS_READ = 64
"""How many senders' oldest updates a worker looks at for one it can lock."""

_SENDER_KEY = "hashtext(current_schema() || chr(31) || :platform || chr(31) || :sender_id)"


@dataclass(frozen=True)
class Waiting:
    """A sender's oldest unhandled update, as a worker takes it."""

    id: int
    platform: str
    update_key: str
    sender_id: str
    payload: dict[str, Any]


def store(
    session: Session, platform: str, update_key: str, sender_id: str, payload: dict, now: datetime
) -> None:
    """Put an update in the inbox unless the same delivery waits there already (then nothing changes)."""
    table = InboxUpdate.__table__  # type: ignore[attr-defined]
    session.execute(
        insert(table)
        .values(
            platform=platform, update_key=update_key, sender_id=sender_id, payload=payload, received_at=now
        )
        .on_conflict_do_nothing(index_elements=["platform", "update_key"])
    )


def waits(session: Session, platform: str, update_key: str) -> bool:
    """Whether that delivery is still in the inbox, unhandled."""
    return (
        session.exec(
            select(InboxUpdate.id).where(
                InboxUpdate.platform == platform, InboxUpdate.update_key == update_key
            )
        ).first()
        is not None
    )


def discard(engine: Engine, inbox_id: int) -> None:
    """Drop a handled update from the inbox (its key is in `HandledUpdate`, written with what it changed)."""
    table = InboxUpdate.__table__  # type: ignore[attr-defined]
    with engine.begin() as connection:
        connection.execute(table.delete().where(table.c.id == inbox_id))


class SenderLocks:
    """One worker's connection, holding the lock of the sender whose update it handles."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Connection | None = None

    @property
    def connection(self) -> Connection:
        if self._connection is None or self._connection.closed or self._connection.invalidated:
            self._connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self._connection

    def claim(self, turn: Callable[[tuple[str, str]], float] = lambda sender: 0.0) -> Waiting | None:
        """Lock a sender who has updates waiting and return their oldest; None when every sender with
        updates waiting is locked by another worker (or none waits). Senders are tried by `turn` (lowest
        first), then by how long their oldest update has waited."""
        heads = self.connection.execute(
            sa.text(
                "SELECT id, platform, sender_id FROM (SELECT DISTINCT ON (platform, sender_id) id, platform, "
                "sender_id FROM inboxupdate ORDER BY platform, sender_id, id) AS heads ORDER BY id LIMIT :limit"
            ),
            {"limit": HEADS_READ},
        ).all()
        heads = sorted(heads, key=lambda head: (turn((head.platform, head.sender_id)), head.id))
        for _id, platform, sender_id in heads:
            if not self._try_lock(platform, sender_id):
                continue
            oldest = self._oldest(platform, sender_id)  # read again under the lock: it may be handled now
            if oldest is not None:
                return oldest
            self.release(platform, sender_id)
        return None

    def _try_lock(self, platform: str, sender_id: str) -> bool:
        statement = sa.text(f"SELECT pg_try_advisory_lock({INBOX_LOCK_CLASS}, {_SENDER_KEY})")
        return bool(
            self.connection.execute(statement, {"platform": platform, "sender_id": sender_id}).scalar()
        )

    def _oldest(self, platform: str, sender_id: str) -> Waiting | None:
        row = self.connection.execute(
            sa.select(InboxUpdate.id, InboxUpdate.update_key, InboxUpdate.payload)  # type: ignore[call-overload]
            .where(col(InboxUpdate.platform) == platform, col(InboxUpdate.sender_id) == sender_id)
            .order_by(col(InboxUpdate.id))
            .limit(1)
        ).first()
        if row is None:
            return None
        return Waiting(row.id, platform, row.update_key, sender_id, row.payload)

    def release(self, platform: str, sender_id: str) -> None:
        statement = sa.text(f"SELECT pg_advisory_unlock({INBOX_LOCK_CLASS}, {_SENDER_KEY})")
        self.connection.execute(statement, {"platform": platform, "sender_id": sender_id})

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
