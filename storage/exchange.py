"""Exchange tables: offers and needs, the matches between them and what was given, pledges and budgets."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.kernel import UTCDateTime, timestamp_field

OFFER, NEED = "offer", "need"
POST_OPEN, POST_WITHDRAWN, POST_EXPIRED = "open", "withdrawn", "expired"
MATCH_ASKED, MATCH_CONNECTED, MATCH_DECLINED = "asked", "connected", "declined"
PLEDGE_PROMISED, PLEDGE_CONDITION_MET, PLEDGE_FULFILLED, PLEDGE_LAPSED = (
    "promised",
    "condition met",
    "fulfilled",
    "lapsed",
)
PLEDGE_UNIT_MAX_LENGTH = 8
"""A currency code (CAD, EUR) or `hours`."""
ORGANISATION_NAME_MAX_LENGTH = 80
SECTORS = ("public", "private", "non-profit", "community")


class Organisation(SQLModel, table=True):
    """An organisation taking part in a campaign next to residents; public, unlike residents' names."""

    __table_args__ = (sa.UniqueConstraint("campaign_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=ORGANISATION_NAME_MAX_LENGTH)
    sector: str = Field(max_length=16)
    created_at: datetime = timestamp_field()


class OrganisationSpeaker(SQLModel, table=True):
    """A member who asked to speak for an organisation; they may act in its name once a facilitator
    confirmed them."""

    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", primary_key=True, ondelete="CASCADE")
    requested_at: datetime = timestamp_field()
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class OrganisationCommitment(SQLModel, table=True):
    """A commitment made in the name of an organisation (`/commit … as <organisation> by …`)."""

    commitment_id: int = Field(foreign_key="commitment.id", primary_key=True, ondelete="CASCADE")
    organisation_id: int = Field(foreign_key="organisation.id", index=True, ondelete="CASCADE")


class ExchangePost(SQLModel, table=True):
    """An offer (what a member can give: skills, time, tools, space) or a need (what is needed, maybe by a
    prototype's team), kept verbatim with the vector it is matched by."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=8)
    """`offer` or `need`."""
    prototype_id: int | None = Field(default=None, foreign_key="prototype.id", ondelete="SET NULL")
    """The prototype whose team needs it, for a need posted as `/need p3 …`."""
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", ondelete="SET NULL")
    """The organisation it was posted in the name of (`… as <organisation>`)."""
    text: str = Field(sa_type=sa.Text)
    status: str = Field(default=POST_OPEN, max_length=16)
    vector: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    vector_model: str | None = Field(default=None, max_length=200)
    """The embedder name `vector` was made with: a change of model re-embeds the post when next compared."""
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When an offer stops being shown; needs do not expire."""
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    close_looked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When its close needs (or offers) were looked for and shown to its author; None while that waits
    for the model."""
    created_at: datetime = timestamp_field()


class ExchangeMatch(SQLModel, table=True):
    """An offer and a need connected by one of their authors; contacts are exchanged once both accept."""

    __table_args__ = (sa.UniqueConstraint("offer_id", "need_id"),)

    id: int | None = Field(default=None, primary_key=True)
    offer_id: int = Field(foreign_key="exchangepost.id", index=True, ondelete="CASCADE")
    need_id: int = Field(foreign_key="exchangepost.id", index=True, ondelete="CASCADE")
    offer_accepted: bool = False
    need_accepted: bool = False
    status: str = Field(default=MATCH_ASKED, max_length=16)
    created_at: datetime = timestamp_field()
    connected_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Gift(SQLModel, table=True):
    """What was given through a match, in hours or in words, counted once the other side confirms it."""

    id: int | None = Field(default=None, primary_key=True)
    match_id: int = Field(foreign_key="exchangematch.id", index=True, ondelete="CASCADE")
    hours: float | None = None
    words: str = Field(default="", sa_type=sa.Text)
    recorded_by_member_id: int = Field(foreign_key="member.id", ondelete="CASCADE")
    created_at: datetime = timestamp_field()
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Pledge(SQLModel, table=True):
    """A promise of money or hours to a prototype, unconditional or once a shared goal reaches a value.

    Townhall holds no money: it keeps the promise and its state (see the PLEDGE_ states)."""

    id: int | None = Field(default=None, primary_key=True)
    prototype_id: int = Field(foreign_key="prototype.id", index=True, ondelete="CASCADE")
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True, ondelete="SET NULL")
    """Who pledged; None once they were forgotten, for a pledge kept under its organisation."""
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", ondelete="SET NULL")
    """The organisation pledging, for a pledge made `as <organisation>`."""
    amount: float
    unit: str = Field(max_length=PLEDGE_UNIT_MAX_LENGTH)
    goal_id: int | None = Field(default=None, foreign_key="goal.id", ondelete="SET NULL")
    goal_value: float | None = None
    """The pledge holds once `goal_id` is measured at this value or more."""
    lapses_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str = Field(default=PLEDGE_PROMISED, max_length=16)
    condition_met_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    fulfilled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When the prototype's team acknowledged receiving it."""
    created_at: datetime = timestamp_field()


class Budget(SQLModel, table=True):
    """A prototype's minimum and optimum, as its team set them, in one unit."""

    prototype_id: int = Field(foreign_key="prototype.id", primary_key=True, ondelete="CASCADE")
    minimum: float
    optimum: float
    unit: str = Field(max_length=PLEDGE_UNIT_MAX_LENGTH)
    set_at: datetime = timestamp_field()


class Pool(SQLModel, table=True):
    """A sponsor's matching pool for a campaign, split among its prototypes at the next round's close."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True, ondelete="CASCADE")
    amount: float
    unit: str = Field(max_length=PLEDGE_UNIT_MAX_LENGTH)
    created_at: datetime = timestamp_field()
    round_id: int | None = Field(default=None, foreign_key="round.id", ondelete="SET NULL")
    """The round at whose close it was split; None while it waits."""
    allocated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PoolAllocation(SQLModel, table=True):
    """One prototype's share of a pool, by quadratic matching of its distinct pledgers."""

    pool_id: int = Field(foreign_key="pool.id", primary_key=True, ondelete="CASCADE")
    prototype_id: int = Field(foreign_key="prototype.id", primary_key=True, ondelete="CASCADE")
    pledgers: int
    pledged: float
    match: float
    """(Σ√cᵢ)² − Σcᵢ over its pledgers' totals cᵢ, before scaling to the pool."""
    share: float
