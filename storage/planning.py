"""Planning's tables: votes on ideas, prototypes with their teams and versions, and feedback on versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.kernel import TITLE_MAX_LENGTH, UTCDateTime, timestamp_field


class IdeaVote(SQLModel, table=True):
    """A member's opinion of an idea: agree, disagree or pass. One per member and idea; changing it updates
    the row, so that the participant x idea matrix reads straight from this table."""

    __table_args__ = (sa.UniqueConstraint("idea_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    idea_id: int = Field(foreign_key="idea.id", index=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    choice: str = Field(max_length=16)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


class Prototype(SQLModel, table=True):
    """Something a team builds from a theme or an idea of a campaign, published in versions."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=TITLE_MAX_LENGTH)
    idea_id: int | None = Field(default=None, foreign_key="idea.id", ondelete="SET NULL")
    theme_id: int | None = Field(default=None, foreign_key="theme.id", index=True, ondelete="SET NULL")
    created_by_member_id: int | None = Field(default=None, foreign_key="member.id", ondelete="SET NULL")
    created_at: datetime = timestamp_field()


class PrototypeMember(SQLModel, table=True):
    """A member of a prototype's team: they may publish its versions."""

    prototype_id: int = Field(foreign_key="prototype.id", primary_key=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", primary_key=True, ondelete="CASCADE")
    joined_at: datetime = timestamp_field()


class PrototypeVersion(SQLModel, table=True):
    """One published version of a prototype, numbered from 1, with what changed since the previous one."""

    __table_args__ = (sa.UniqueConstraint("prototype_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    prototype_id: int = Field(foreign_key="prototype.id", index=True, ondelete="CASCADE")
    number: int
    changes: str = Field(sa_type=sa.Text)
    author_member_id: int | None = Field(default=None, foreign_key="member.id", ondelete="SET NULL")
    created_at: datetime = timestamp_field()


class Feedback(SQLModel, table=True):
    """A rating (1 to 5) and optional text on a version. A member's latest rating is the one that counts;
    every text they wrote is kept."""

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="prototypeversion.id", index=True, ondelete="CASCADE")
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True, ondelete="SET NULL")
    rating: int
    text: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = timestamp_field()


class OpinionGroupState(SQLModel, table=True):
    """A campaign's opinion groups as last computed in the background, which /groups, /mygroup, /vote and
    open data read: each grouped member's group (`labels`, member id to group id), every voter's place
    on the map (`coordinates`, member id to [x, y]) and each idea's extremity (idea id to a number), with
    the algorithm, its seed and when it ran; `labels` is empty when there were not enough votes.

    `state` is what the computation returned, handed to the next one so that the number of groups
    changes only after several wins and group ids follow their members; `votes_key` names the votes it
    read (the same key: nothing to recompute), `votes_at` the latest of them."""

    campaign_id: int = Field(foreign_key="campaign.id", primary_key=True, ondelete="CASCADE")
    algorithm: str = Field(max_length=32)
    seed: int
    votes_key: str = Field(max_length=64)
    state: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    labels: dict[str, int] = Field(default_factory=dict, sa_type=sa.JSON)
    coordinates: dict[str, list[float]] = Field(default_factory=dict, sa_type=sa.JSON)
    extremity: dict[str, float] = Field(default_factory=dict, sa_type=sa.JSON)
    votes_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    requested_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When a vote first asked for groups newer than these; a recomputation is due after it."""
    computed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When the groups were last computed (or found unchanged); None before the first computation."""
