"""Membership's tables: members and their platform identities, campaigns and who takes part in or
facilitates them, the chats they were announced in, notices given once, news for contributors, and the
proactive prompts already sent to a member."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.kernel import TITLE_MAX_LENGTH, UTCDateTime, timestamp_field

HASHTAG_MAX_LENGTH = 64


class Member(SQLModel, table=True):
    """A person, known by one or more platform identities; published under `pseudonym`."""

    id: int | None = Field(default=None, primary_key=True)
    pseudonym: str = Field(max_length=64, unique=True)
    language: str = Field(max_length=8)
    timezone: str = Field(max_length=64)
    muted: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    """Set by /mute: no proactive message (digest, check-in, nudge) reaches this member."""
    quiet_hours: str | None = Field(default=None, max_length=16)
    """"HH:MM-HH:MM" in the member's time zone; None means the settings' default, "" means none."""
    paused_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """No check-ins, reminders or nudges reach the member before this moment (/pause)."""
    created_at: datetime = timestamp_field()


class Identity(SQLModel, table=True):
    """One platform account of a member."""

    __table_args__ = (sa.UniqueConstraint("platform", "platform_user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    platform: str = Field(max_length=32)
    platform_user_id: str = Field(max_length=64)
    display_name: str = Field(default="", max_length=128)
    username: str | None = Field(default=None, max_length=64, index=True)
    """The account's handle, case-folded, where the platform keeps it unique (Telegram's @username): only
    the latest account seen with a handle holds it, so `@handle` names one person."""
    created_at: datetime = timestamp_field()


class ForgottenAccount(SQLModel, table=True):
    """A platform account whose member used /forget, known only by a keyed, non-reversible digest of
    "platform:user_id" (see facilitation.kernel.identity): when the account writes again, its new
    profile is told it starts afresh, and the row goes. Nothing else of the person is kept."""

    digest: str = Field(primary_key=True, max_length=64)


class Campaign(SQLModel, table=True):
    """An open-invitation mission on one shared challenge, tagged by a hashtag (stored lower-case, no #)."""

    __table_args__ = (
        sa.Index(
            "uq_campaign_open_hashtag",
            "hashtag",
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    hashtag: str = Field(max_length=HASHTAG_MAX_LENGTH)
    title: str = Field(max_length=TITLE_MAX_LENGTH)
    challenge: str = Field(sa_type=sa.Text)
    status: str = Field(default="open", max_length=16)
    creator_member_id: int | None = Field(default=None, foreign_key="member.id", ondelete="SET NULL")
    created_at: datetime = timestamp_field()
    language: str = Field(default="en", max_length=8, sa_column_kwargs={"server_default": "en"})
    """The language of its ideas: "en", "fr" or "mixed" (French and English); it chooses the model that
    embeds them (see facilitation/intelligence/campaign_language.py)."""


class Membership(SQLModel, table=True):
    """A member taking part in a campaign; `left_at` is set by /leave and cleared by a new /join."""

    __table_args__ = (sa.UniqueConstraint("campaign_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    joined_at: datetime = timestamp_field()
    left_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CampaignFacilitator(SQLModel, table=True):
    """A member who facilitates one campaign: its creator, or someone a facilitator named."""

    campaign_id: int = Field(foreign_key="campaign.id", primary_key=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", primary_key=True, ondelete="CASCADE")
    granted_by_member_id: int | None = Field(default=None, foreign_key="member.id", ondelete="SET NULL")
    created_at: datetime = timestamp_field()


class ChatBinding(SQLModel, table=True):
    """A chat where a campaign was announced; hashtag-free commands there default to that campaign."""

    __table_args__ = (sa.UniqueConstraint("platform", "chat_id", "campaign_id"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True, ondelete="CASCADE")
    platform: str = Field(max_length=32)
    chat_id: str = Field(max_length=64)
    thread_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = timestamp_field()


class ChatNotice(SQLModel, table=True):
    """A one-time notice already given in a chat (such as "I cannot read messages here"), kept across restarts."""

    __table_args__ = (sa.UniqueConstraint("platform", "chat_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    chat_id: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    created_at: datetime = timestamp_field()


class ContributorNotice(SQLModel, table=True):
    """Something that became of a member's idea, waiting for (or included in) their daily private message.

    `kind` names the event; `details` holds the ids and words the message needs.
    """

    __table_args__ = (sa.Index("ix_notice_member_sent", "member_id", "sent_at"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE")
    kind: str = Field(max_length=32)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    created_at: datetime = timestamp_field()
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SentPrompt(SQLModel, table=True):
    """The idempotency record of a proactive prompt (check-in, reminder, nudge), written before its message.

    The key names the prompt and whom it is for, so the same prompt is never handed to the outbox twice,
    even when two processes or a replayed job try.
    """

    key: str = Field(primary_key=True, max_length=128)
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True, ondelete="CASCADE")
    created_at: datetime = timestamp_field()
