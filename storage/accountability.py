"""Accountability's tables: commitments, and pods with their schedules, members, check-ins and cheers."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.kernel import UTCDateTime, timestamp_field

COMMITMENT_ACTION_MAX_LENGTH = 500


class Commitment(SQLModel, table=True):
    """An action a member takes on, due on a local date; progress is what the member reports.

    `theme_id` and `prototype_id` link it to what it serves, checked by
    facilitation.accountability.commitments when the member writes them (plain ids: the commitments table
    came before those two).
    """

    __table_args__ = (sa.Index("ix_commitment_member_status", "member_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE")
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id", index=True, ondelete="SET NULL")
    action: str = Field(max_length=COMMITMENT_ACTION_MAX_LENGTH)
    private: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    """Made with /commit private: counted everywhere, its action and notes shown to its owner alone."""
    due_on: date
    status: str = Field(default="open", max_length=16)
    progress_percent: int = 0
    progress_note: str | None = Field(default=None, sa_type=sa.Text)
    theme_id: int | None = Field(default=None, index=True)
    prototype_id: int | None = Field(default=None, index=True)
    remind_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When the reminder before the due day goes out; None once handled (or when there is none)."""
    follow_up_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When the kind follow-up after the due day goes out; None once handled."""
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PodSchedule(SQLModel, table=True):
    """How the pods of one scope (a campaign, or everyone when `campaign_id` is None) are formed and rotated."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id", unique=True, ondelete="CASCADE")
    size: int = 3
    rotate_days: int | None = None
    next_rotation_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rotation: int = 0
    """How many times pods were formed in this scope; each pod remembers its rotation."""


class Pod(SQLModel, table=True):
    """A small group of peers who check in on each other; ended pods stay as the history of who met whom."""

    id: int | None = Field(default=None, primary_key=True)
    schedule_id: int = Field(foreign_key="podschedule.id", index=True, ondelete="CASCADE")
    rotation: int
    cadence_days: int = 7
    formed_at: datetime = timestamp_field()
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PodMember(SQLModel, table=True):
    """A member in a pod, with the time of their next check-in and how many in a row went unanswered."""

    __table_args__ = (sa.Index("ix_podmember_next", "next_checkin_at"),)

    pod_id: int = Field(foreign_key="pod.id", primary_key=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", primary_key=True, ondelete="CASCADE")
    next_checkin_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    checkins_sent: int = 0
    missed: int = 0
    introduce_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When the member is told their pod (after their pause and quiet hours); None once handled."""


class CheckIn(SQLModel, table=True):
    """One check-in prompt sent to a pod member, and their answer once they give it."""

    __table_args__ = (sa.Index("ix_checkin_pod_member", "pod_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    pod_id: int = Field(foreign_key="pod.id", ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE")
    sequence: int
    sent_at: datetime = timestamp_field()
    remind_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str | None = Field(default=None, max_length=16)
    note: str | None = Field(default=None, sa_type=sa.Text)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Cheer(SQLModel, table=True):
    """A peer cheering a pod member on for a check-in answer, once per peer and check-in.

    `deliver_at` is when the cheer reaches the member, after their quiet hours; None once handled.
    """

    checkin_id: int = Field(foreign_key="checkin.id", primary_key=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", primary_key=True, ondelete="CASCADE")
    created_at: datetime = timestamp_field()
    deliver_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
