"""The overview page's data: a campaign's counts, its activity per day, its open round and latest ideas,
under pseudonyms only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import String, cast, func, literal, union_all
from sqlmodel import Session, col, select

from facilitation.kernel.refs import idea_ref
from facilitation.membership.campaigns import open_round
from storage.models import (
    Campaign,
    Commitment,
    Feedback,
    Idea,
    IdeaVote,
    Member,
    Membership,
    Prototype,
    PrototypeVersion,
)

CHART_DAYS = 14
LATEST_IDEAS = 10
SERIES = ("ideas", "votes", "feedback", "commitments")
"""What the activity chart counts each day, in the order of its legend."""


@dataclass(frozen=True)
class IdeaLine:
    ref: str
    author: str
    """The author's pseudonym, "" once they left without their name."""
    text: str


@dataclass(frozen=True)
class OpenRound:
    prompt: str
    closes_at: datetime
    seconds_left: int


@dataclass
class Overview:
    campaign_id: int
    hashtag: str
    title: str
    counts: dict[str, int]
    """members, ideas, votes, feedback, commitments."""
    days: list[date]
    per_day: dict[str, list[int]]
    """For each of `SERIES`, how many were added on each of `days`."""
    open_round: OpenRound | None
    latest: list[IdeaLine] = field(default_factory=list)


def _vote_query(campaign_id: int):  # noqa: ANN202 (a select of votes joined to their ideas)
    return (
        select(IdeaVote.created_at)
        .join(Idea, col(Idea.id) == col(IdeaVote.idea_id))
        .where(Idea.campaign_id == campaign_id, Idea.shown())
    )


def _feedback_query(campaign_id: int):  # noqa: ANN202
    return (
        select(Feedback.created_at)
        .join(PrototypeVersion, col(PrototypeVersion.id) == col(Feedback.version_id))
        .join(Prototype, col(Prototype.id) == col(PrototypeVersion.prototype_id))
        .where(Prototype.campaign_id == campaign_id)
    )


def overview(session: Session, campaign: Campaign, now: datetime, chart: bool = True) -> Overview:
    """The overview as it stands at `now`; without `chart`, no activity per day (the live updates).

    A few queries whatever the campaign's size: the counts in one, the activity per day in one, the open
    round and the latest ideas (the page asks for the live part every second)."""
    campaign_id = campaign.id
    assert campaign_id is not None
    queries = {
        "ideas": select(Idea.created_at).where(Idea.campaign_id == campaign_id, Idea.shown()),
        "votes": _vote_query(campaign_id),
        "feedback": _feedback_query(campaign_id),
        "commitments": select(Commitment.created_at).where(Commitment.campaign_id == campaign_id),
    }
    members = (
        select(func.count())
        .select_from(Membership)
        .where(Membership.campaign_id == campaign_id, col(Membership.left_at).is_(None))
    )
    counted = session.exec(
        select(
            members.scalar_subquery(),
            *(
                select(func.count()).select_from(query.subquery()).scalar_subquery()
                for query in queries.values()
            ),
        )
    ).one()
    counts = dict(zip(["members", *queries], counted, strict=True))
    first_day = (now - timedelta(days=CHART_DAYS - 1)).date()
    days = [first_day + timedelta(days=offset) for offset in range(CHART_DAYS)] if chart else []
    since = datetime.combine(first_day, datetime.min.time(), tzinfo=now.tzinfo)
    round_ = open_round(session, campaign_id, now)
    return Overview(
        campaign_id=campaign_id,
        hashtag=campaign.hashtag,
        title=campaign.title,
        counts=counts,
        days=days,
        per_day=_daily(session, queries, since, days) if chart else {},
        open_round=None
        if round_ is None
        else OpenRound(round_.prompt, round_.closes_at, int((round_.closes_at - now).total_seconds())),
        latest=latest_ideas(session, campaign_id),
    )


def _daily(session: Session, queries: dict, since: datetime, days: list[date]) -> dict[str, list[int]]:
    """How many rows each query finds on each of `days` (UTC) from `since`, counted by the database in
    one query."""
    moments = []
    for name, query in queries.items():
        recent = query.where(query.selected_columns[0] >= since).subquery()
        moments.append(
            select(cast(literal(name), String).label("series"), func.date(recent.c.created_at).label("day"))
        )
    every = union_all(*moments).subquery()
    tally = {
        (series, str(day)): count  # 'YYYY-MM-DD' on SQLite, a date on PostgreSQL
        for series, day, count in session.exec(
            select(every.c.series, every.c.day, func.count()).group_by(every.c.series, every.c.day)
        ).all()
    }
    return {name: [tally.get((name, one.isoformat()), 0) for one in days] for name in queries}


def latest_ideas(session: Session, campaign_id: int, limit: int = LATEST_IDEAS) -> list[IdeaLine]:
    rows = session.exec(
        select(Idea, Member.pseudonym)
        .join(Member, col(Member.id) == col(Idea.member_id), isouter=True)
        .where(Idea.campaign_id == campaign_id, Idea.shown())
        .order_by(col(Idea.id).desc())
        .limit(limit)
    ).all()
    return [IdeaLine(idea_ref(idea), pseudonym or "", idea.text) for idea, pseudonym in rows]
