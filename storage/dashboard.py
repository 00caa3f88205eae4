"""The web dashboard's tables: its signing secret, the single-use links facilitators open, the sessions
those links start (only hashes of their cookies are stored), and the campaigns whose public page is on."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.kernel import UTCDateTime, timestamp_field

DASHBOARD_SECRET_ROW = 1


class DashboardSecret(SQLModel, table=True):
    """The key that signs dashboard links and forms, made once when no DASHBOARD_SECRET is set."""

    id: int = Field(default=DASHBOARD_SECRET_ROW, primary_key=True)
    secret: str = Field(max_length=128)
    created_at: datetime = timestamp_field()


class PublicPage(SQLModel, table=True):
    """A campaign whose public web page a facilitator turned on (/public on); none until then."""

    campaign_id: int = Field(foreign_key="campaign.id", primary_key=True, ondelete="CASCADE")
    created_at: datetime = timestamp_field()


class DashboardLink(SQLModel, table=True):
    """A signed link sent privately to a facilitator: it opens one session, once, before `expires_at`."""

    token: str = Field(primary_key=True, max_length=64)
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    campaign_id: int = Field(foreign_key="campaign.id", ondelete="CASCADE")
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = timestamp_field()


class DashboardSession(SQLModel, table=True):
    """A browser signed in as a facilitator; `token_hash` is the SHA-256 of its cookie."""

    token_hash: str = Field(primary_key=True, max_length=64)
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    expires_at: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = timestamp_field()
