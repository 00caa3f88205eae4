"""Intake's tables: the ideas residents post, the brainstorm rounds they are posted in, and supports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel, col, select

from storage.kernel import UTCDateTime, timestamp_field
from storage.membership import Campaign


class Round(SQLModel, table=True):
    """A time-boxed brainstorm in a campaign: open until `closes_at`, or until a facilitator closes it."""

    __table_args__ = (sa.Index("ix_round_campaign_status", "campaign_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", ondelete="CASCADE")
    prompt: str = Field(sa_type=sa.Text)
    status: str = Field(default="open", max_length=16)
    opened_by_member_id: int | None = Field(default=None, foreign_key="member.id", ondelete="SET NULL")
    opened_in: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    """The chat the round was opened from (an Address as data): its reminder and digest go there too."""
    opened_at: datetime = timestamp_field()
    closes_at: datetime = Field(sa_type=UTCDateTime)
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


IDEA_HIDDEN = "hidden"
"""A facilitator took the idea out of sight, with a reason (see facilitation.intake.moderation)."""
IDEA_WITHDRAWN = "withdrawn"
"""Its author (or a facilitator) withdrew the idea (see /withdraw)."""
IDEA_OUT_OF_SIGHT = (IDEA_HIDDEN, IDEA_WITHDRAWN)
"""Statuses that take an idea out of listings, digests, themes, close-idea matches, vote counts and exports."""


class Idea(SQLModel, table=True):
    """A resident's contribution, verbatim. One platform message records at most one idea per campaign."""

    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "source_platform", "source_chat_id", "source_message_id"),
        sa.Index("ix_idea_campaign_created", "campaign_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", ondelete="CASCADE")
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True, ondelete="SET NULL")
    text: str = Field(sa_type=sa.Text)
    status: str = Field(default="open", max_length=16)
    merged_into_id: int | None = Field(default=None, foreign_key="idea.id", ondelete="SET NULL")
    round_id: int | None = Field(default=None, foreign_key="round.id", index=True, ondelete="SET NULL")
    """The brainstorm round that was open in the campaign when the idea was posted."""
    hidden_reason: str | None = Field(default=None, sa_type=sa.Text)
    """Why a facilitator hid the idea (status 'hidden'); hidden ideas leave listings, themes and exports."""
    source_platform: str = Field(max_length=32)
    source_chat_id: str = Field(max_length=64)
    source_message_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = timestamp_field()

    @property
    def in_sight(self) -> bool:
        """Neither hidden nor withdrawn; see `IDEA_OUT_OF_SIGHT`."""
        return self.status not in IDEA_OUT_OF_SIGHT

    @staticmethod
    def shown() -> sa.ColumnElement[bool]:
        """SQL condition for ideas in sight: neither hidden nor withdrawn (merged ones are; they count with
        the idea they joined)."""
        return col(Idea.status).not_in(IDEA_OUT_OF_SIGHT)


class IdeaSupport(SQLModel, table=True):
    """A member supporting an idea: at most once per member and idea."""

    __table_args__ = (sa.UniqueConstraint("idea_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    idea_id: int = Field(foreign_key="idea.id", index=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    created_at: datetime = timestamp_field()


def visible_ideas(session: Session, campaign: Campaign) -> list[Idea]:
    """Ideas that may be published: those neither hidden by a moderator nor withdrawn, oldest first."""
    return list(
        session.exec(select(Idea).where(Idea.campaign_id == campaign.id, Idea.shown()).order_by(col(Idea.id)))
    )
