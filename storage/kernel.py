"""The kernel's tables and what every table shares: UTC times, the timestamp column, the title length.

The outbox, button actions and APScheduler's job store belong to the kernel. Times are stored in UTC (see
`UTCDateTime`); every change to a table needs a migration.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

TITLE_MAX_LENGTH = 200
"""Campaigns' and prototypes' titles."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC on every backend and hands back aware UTC datetimes."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def timestamp_field(**kwargs: Any) -> Any:
    """A UTC time column that defaults to now: every table's `created_at` and similar."""
    return Field(default_factory=utcnow, sa_type=UTCDateTime, **kwargs)


class ButtonAction(SQLModel, table=True):
    """What a button does, behind the short opaque token the platform sends back on press."""

    token: str = Field(primary_key=True, max_length=32)
    action: str = Field(max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    link: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    """Made to be shared as a link too (an invitation's Join): only such a token is honoured from a link."""
    created_at: datetime = timestamp_field()


class OutboxMessage(SQLModel, table=True):
    """A message waiting for, or done with, delivery. Written before any send; marked sent after."""

    __table_args__ = (sa.Index("ix_outbox_due", "status", "platform", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    address: dict[str, Any] = Field(sa_type=sa.JSON)
    payload: dict[str, Any] = Field(sa_type=sa.JSON)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = timestamp_field()
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    platform_message_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = timestamp_field()
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class HandledUpdate(SQLModel, table=True):
    """An update the core handled, by the platform's id for its delivery, written in the same transaction
    as what the update changed: a delivery seen again (Telegram re-sending what it was never told was
    received, a webhook retried, a replayed gateway event) is recognised and handled once. A chat's keys
    older than a week are pruned as its new ones arrive (on the chat's index)."""

    __table_args__ = (sa.Index("ix_handledupdate_chat", "platform", "chat_id", "handled_at"),)

    platform: str = Field(primary_key=True, max_length=32)
    update_key: str = Field(primary_key=True, max_length=64)
    chat_id: str = Field(max_length=64)
    handled_at: datetime = timestamp_field()


class InboxUpdate(SQLModel, table=True):
    """An update received and not yet handled, waiting for a core worker of any process (PostgreSQL).

    Stored before the platform is told it was received, keyed by the platform's id for its delivery, so
    that a delivery received twice (a retried webhook, the same update posted to two processes) waits
    once. A worker takes a sender's oldest row under the sender's lock and handles it in a transaction that
    records its key in `HandledUpdate` (a later delivery of it changes nothing), then deletes the row."""

    __table_args__ = (
        sa.UniqueConstraint("platform", "update_key", name="uq_inboxupdate_key"),
        sa.Index("ix_inboxupdate_sender", "platform", "sender_id", "id"),
    )

    id: int | None = Field(
        default=None, sa_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True
    )
    platform: str = Field(max_length=32)
    update_key: str = Field(max_length=64)
    sender_id: str = Field(max_length=64)
    payload: dict[str, Any] = Field(sa_type=sa.JSON)
    received_at: datetime = timestamp_field()


SCHEDULER_JOBS_TABLE = "apscheduler_jobs"

scheduler_jobs = sa.Table(
    SCHEDULER_JOBS_TABLE,
    SQLModel.metadata,
    # The shape APScheduler 3's SQLAlchemyJobStore expects; declared here so that migrations own it.
    sa.Column("id", sa.Unicode(191), primary_key=True),
    sa.Column("next_run_time", sa.Float(25), index=True),
    sa.Column("job_state", sa.LargeBinary, nullable=False),
)
