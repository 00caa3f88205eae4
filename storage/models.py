"""SQLModel tables. Times are stored in UTC (see `UTCDateTime`); every change here needs a migration."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel, col

HASHTAG_MAX_LENGTH = 64
TITLE_MAX_LENGTH = 200


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


def _timestamp(**kwargs: Any) -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, **kwargs)


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
    created_at: datetime = _timestamp()


class Identity(SQLModel, table=True):
    """One platform account of a member."""

    __table_args__ = (sa.UniqueConstraint("platform", "platform_user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    platform: str = Field(max_length=32)
    platform_user_id: str = Field(max_length=64)
    display_name: str = Field(default="", max_length=128)
    created_at: datetime = _timestamp()


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
    created_at: datetime = _timestamp()


class Membership(SQLModel, table=True):
    """A member taking part in a campaign; `left_at` is set by /leave and cleared by a new /join."""

    __table_args__ = (sa.UniqueConstraint("campaign_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    joined_at: datetime = _timestamp()
    left_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CampaignFacilitator(SQLModel, table=True):
    """A member who facilitates one campaign: its creator, or someone a facilitator named."""

    campaign_id: int = Field(foreign_key="campaign.id", primary_key=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", primary_key=True, ondelete="CASCADE")
    granted_by_member_id: int | None = Field(default=None, foreign_key="member.id", ondelete="SET NULL")
    created_at: datetime = _timestamp()


class ChatBinding(SQLModel, table=True):
    """A chat where a campaign was announced; hashtag-free commands there default to that campaign."""

    __table_args__ = (sa.UniqueConstraint("platform", "chat_id", "campaign_id"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True, ondelete="CASCADE")
    platform: str = Field(max_length=32)
    chat_id: str = Field(max_length=64)
    thread_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = _timestamp()


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
    created_at: datetime = _timestamp()

    @property
    def in_sight(self) -> bool:
        """Neither hidden nor withdrawn; see `IDEA_OUT_OF_SIGHT`."""
        return self.status not in IDEA_OUT_OF_SIGHT

    @staticmethod
    def shown() -> sa.ColumnElement[bool]:
        """SQL condition for ideas in sight: neither hidden nor withdrawn (merged ones are; they count with
        the idea they joined)."""
        return col(Idea.status).not_in(IDEA_OUT_OF_SIGHT)


class IdeaEmbedding(SQLModel, table=True):
    """An idea's sentence embedding for one model: float32 little-endian bytes, L2-normalised.

    Computed once per idea and model; a change of model adds rows for the new one in the background.
    """

    idea_id: int = Field(foreign_key="idea.id", primary_key=True, ondelete="CASCADE")
    model: str = Field(primary_key=True, max_length=200)
    vector: bytes = Field(sa_type=sa.LargeBinary)
    created_at: datetime = _timestamp()


class IdeaSupport(SQLModel, table=True):
    """A member supporting an idea: at most once per member and idea."""

    __table_args__ = (sa.UniqueConstraint("idea_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    idea_id: int = Field(foreign_key="idea.id", index=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    created_at: datetime = _timestamp()


THEME_LABEL_MAX_LENGTH = 200


class Theme(SQLModel, table=True):
    """A group of a campaign's ideas close in meaning, as last computed; `parent_id` is set on sub-themes.

    The id stays when themes are recomputed and the group is mostly the same ideas; a theme that no
    longer matches any group is kept, with `status` "retired", so that links to it still resolve.
    """

    __table_args__ = (sa.Index("ix_theme_campaign_status", "campaign_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", ondelete="CASCADE")
    parent_id: int | None = Field(default=None, foreign_key="theme.id", ondelete="CASCADE")
    label: str = Field(max_length=THEME_LABEL_MAX_LENGTH)
    keywords: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    idea_count: int = 0
    representative_idea_ids: list[int] = Field(default_factory=list, sa_type=sa.JSON)
    status: str = Field(default="active", max_length=16)
    computed_at: datetime = _timestamp()
    created_at: datetime = _timestamp()


class IdeaTheme(SQLModel, table=True):
    """Where an idea was placed when themes were last computed: no theme means "other".

    Ideas posted since have no row yet; a merged idea has none of its own (it counts with the idea it joined).
    """

    idea_id: int = Field(foreign_key="idea.id", primary_key=True, ondelete="CASCADE")
    theme_id: int | None = Field(default=None, foreign_key="theme.id", index=True, ondelete="CASCADE")
    subtheme_id: int | None = Field(default=None, foreign_key="theme.id", ondelete="SET NULL")


class Round(SQLModel, table=True):
    """A time-boxed brainstorm in a campaign: open until `closes_at`, or until a facilitator closes it."""

    __table_args__ = (sa.Index("ix_round_campaign_status", "campaign_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", ondelete="CASCADE")
    prompt: str = Field(sa_type=sa.Text)
    status: str = Field(default="open", max_length=16)
    opened_by_member_id: int | None = Field(default=None, foreign_key="member.id", ondelete="SET NULL")
    opened_at: datetime = _timestamp()
    closes_at: datetime = Field(sa_type=UTCDateTime)
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class IdeaVote(SQLModel, table=True):
    """A member's opinion of an idea: agree, disagree or pass. One per member and idea; changing it updates
    the row, so that the participant x idea matrix reads straight from this table."""

    __table_args__ = (sa.UniqueConstraint("idea_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    idea_id: int = Field(foreign_key="idea.id", index=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    choice: str = Field(max_length=16)
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class Prototype(SQLModel, table=True):
    """Something a team builds from a theme or an idea of a campaign, published in versions."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=TITLE_MAX_LENGTH)
    idea_id: int | None = Field(default=None, foreign_key="idea.id", ondelete="SET NULL")
    theme_id: int | None = Field(default=None, foreign_key="theme.id", index=True, ondelete="SET NULL")
    created_by_member_id: int | None = Field(default=None, foreign_key="member.id", ondelete="SET NULL")
    created_at: datetime = _timestamp()


class PrototypeMember(SQLModel, table=True):
    """A member of a prototype's team: they may publish its versions."""

    prototype_id: int = Field(foreign_key="prototype.id", primary_key=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", primary_key=True, ondelete="CASCADE")
    joined_at: datetime = _timestamp()


class PrototypeVersion(SQLModel, table=True):
    """One published version of a prototype, numbered from 1, with what changed since the previous one."""

    __table_args__ = (sa.UniqueConstraint("prototype_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    prototype_id: int = Field(foreign_key="prototype.id", index=True, ondelete="CASCADE")
    number: int
    changes: str = Field(sa_type=sa.Text)
    author_member_id: int | None = Field(default=None, foreign_key="member.id", ondelete="SET NULL")
    created_at: datetime = _timestamp()


class Feedback(SQLModel, table=True):
    """A rating (1 to 5) and optional text on a version. A member's latest rating is the one that counts;
    every text they wrote is kept."""

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="prototypeversion.id", index=True, ondelete="CASCADE")
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True, ondelete="SET NULL")
    rating: int
    text: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = _timestamp()


class ContributorNotice(SQLModel, table=True):
    """Something that became of a member's idea, waiting for (or included in) their daily private message.

    `kind` names the event; `details` holds the ids and words the message needs.
    """

    __table_args__ = (sa.Index("ix_notice_member_sent", "member_id", "sent_at"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE")
    kind: str = Field(max_length=32)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    created_at: datetime = _timestamp()
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


COMMITMENT_ACTION_MAX_LENGTH = 500


class Commitment(SQLModel, table=True):
    """An action a member takes on, due on a local date; progress is what the member reports.

    `theme_id` and `prototype_id` link it to what it serves, checked by facilitation/commitments.py when
    the member writes them (plain ids: the commitments table came before those two).
    """

    __table_args__ = (sa.Index("ix_commitment_member_status", "member_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE")
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id", index=True, ondelete="SET NULL")
    action: str = Field(max_length=COMMITMENT_ACTION_MAX_LENGTH)
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
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()
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
    formed_at: datetime = _timestamp()
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
    sent_at: datetime = _timestamp()
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
    created_at: datetime = _timestamp()
    deliver_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)


class SentPrompt(SQLModel, table=True):
    """The idempotency record of a proactive prompt (check-in, reminder, nudge), written before its message.

    The key names the prompt and whom it is for, so the same prompt is never handed to the outbox twice,
    even when two processes or a replayed job try.
    """

    key: str = Field(primary_key=True, max_length=128)
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True, ondelete="CASCADE")
    created_at: datetime = _timestamp()


class ButtonAction(SQLModel, table=True):
    """What a button does, behind the short opaque token the platform sends back on press."""

    token: str = Field(primary_key=True, max_length=32)
    action: str = Field(max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    created_at: datetime = _timestamp()


class ChatNotice(SQLModel, table=True):
    """A one-time notice already given in a chat (such as "I cannot read messages here"), kept across restarts."""

    __table_args__ = (sa.UniqueConstraint("platform", "chat_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    chat_id: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    created_at: datetime = _timestamp()


class OutboxMessage(SQLModel, table=True):
    """A message waiting for, or done with, delivery. Written before any send; marked sent after."""

    __table_args__ = (sa.Index("ix_outbox_due", "status", "platform", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    address: dict[str, Any] = Field(sa_type=sa.JSON)
    payload: dict[str, Any] = Field(sa_type=sa.JSON)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = _timestamp()
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    platform_message_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = _timestamp()
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


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
    created_at: datetime = _timestamp()


class GoalMeasurement(SQLModel, table=True):
    """One recorded value of a goal; the history shows the trend."""

    id: int | None = Field(default=None, primary_key=True)
    goal_id: int = Field(foreign_key="goal.id", index=True, ondelete="CASCADE")
    value: float
    member_id: int | None = Field(default=None, foreign_key="member.id", ondelete="SET NULL")
    recorded_at: datetime = _timestamp()


class GoalRecorder(SQLModel, table=True):
    """A member whom facilitators allowed to record measurements of a goal."""

    goal_id: int = Field(foreign_key="goal.id", primary_key=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", primary_key=True, ondelete="CASCADE")


SCHEDULER_JOBS_TABLE = "apscheduler_jobs"

scheduler_jobs = sa.Table(
    SCHEDULER_JOBS_TABLE,
    SQLModel.metadata,
    # The shape APScheduler 3's SQLAlchemyJobStore expects; declared here so that migrations own it.
    sa.Column("id", sa.Unicode(191), primary_key=True),
    sa.Column("next_run_time", sa.Float(25), index=True),
    sa.Column("job_state", sa.LargeBinary, nullable=False),
)
