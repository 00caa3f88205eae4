"""Civic tables: a campaign's shared goals, their measurements, and who may record them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.kernel import UTCDateTime, timestamp_field

GOAL_NAME_MAX_LENGTH = 40
UNIT_MAX_LENGTH = 32


class Goal(SQLModel, table=True):
    """A shared, measurable goal of a campaign: reach `target` `unit`s."""

    __table_args__ = (sa.UniqueConstraint("campaign_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=GOAL_NAME_MAX_LENGTH)
    target: float
    unit: str = Field(max_length=UNIT_MAX_LENGTH)
    created_at: datetime = timestamp_field()


class GoalMeasurement(SQLModel, table=True):
    """One recorded value of a goal; the history shows the trend."""

    id: int | None = Field(default=None, primary_key=True)
    goal_id: int = Field(foreign_key="goal.id", index=True, ondelete="CASCADE")
    value: float
    member_id: int | None = Field(default=None, foreign_key="member.id", ondelete="SET NULL")
    recorded_at: datetime = timestamp_field()
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """Set when a facilitator removed a mistaken value: it stays in the history, out of every count."""


class GoalRecorder(SQLModel, table=True):
    """A member whom facilitators allowed to record measurements of a goal."""

    goal_id: int = Field(foreign_key="goal.id", primary_key=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", primary_key=True, ondelete="CASCADE")
