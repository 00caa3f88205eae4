"""Collective progress, counted once for /report, the citizen report and the open data package.

Counts only: commitments by where they stand, check-ins sent and answered week by week, active pods,
and prototypes with their versions where that feature is present. No name appears and nothing is ranked.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, SQLModel, col, select

from facilitation.accountability.commitments.summary import DONE
from facilitation.accountability.pods.checkins import BLOCKED, NEED_HELP, ON_TRACK
from storage.models import Campaign, CheckIn, Commitment, Pod, PodSchedule


def _commitments_in(campaign: Campaign | None):  # noqa: ANN202 (a SQLAlchemy condition)
    return sa.true() if campaign is None else col(Commitment.campaign_id) == campaign.id


def _pods_in(campaign: Campaign | None):  # noqa: ANN202 (a SQLAlchemy subquery)
    """The ids of the pods of `campaign`, or of every pod, as a subquery."""
    statement = select(Pod.id).join(PodSchedule, col(PodSchedule.id) == col(Pod.schedule_id))
    if campaign is not None:
        statement = statement.where(PodSchedule.campaign_id == campaign.id)
    return statement


def active_pod_count(session: Session, campaign: Campaign | None) -> int:
    """How many pods of `campaign` (or of every campaign) have not ended."""
    return session.exec(
        select(func.count()).where(col(Pod.id).in_(_pods_in(campaign)), col(Pod.ended_at).is_(None))
    ).one()


def prototype_counts(session: Session, campaign: Campaign | None) -> tuple[int, int] | None:
    """(prototypes, versions) when the prototypes feature is present, else None."""
    prototypes = SQLModel.metadata.tables.get("prototype")
    versions = SQLModel.metadata.tables.get("prototypeversion")
    if prototypes is None or versions is None:
        return None
    condition = sa.true() if campaign is None else prototypes.c.campaign_id == campaign.id
    prototype_count = session.execute(
        sa.select(func.count()).select_from(prototypes).where(condition)
    ).scalar_one()
    version_count = session.execute(
        sa.select(func.count())
        .select_from(versions.join(prototypes, versions.c.prototype_id == prototypes.c.id))
        .where(condition)
    ).scalar_one()
    return prototype_count, version_count


@dataclass(frozen=True)
class CommitmentCounts:
    """Commitments by where they stand; every commitment is in exactly one count."""

    done: int
    moving: int
    """Open, not yet due, with some progress reported."""
    starting: int
    """Open, not yet due, with no progress reported yet."""
    overdue: int
    """Open past their due day."""

    @property
    def total(self) -> int:
        return self.done + self.moving + self.starting + self.overdue


def commitment_counts(session: Session, campaign: Campaign | None, today: date) -> CommitmentCounts:
    """How the commitments of `campaign` (or of everyone) stand on `today`."""
    rows = session.exec(
        select(Commitment.status, Commitment.due_on, Commitment.progress_percent).where(
            _commitments_in(campaign)
        )
    ).all()
    done = sum(1 for status, _due, _percent in rows if status == DONE)
    overdue = sum(1 for status, due, _percent in rows if status != DONE and due < today)
    moving = sum(1 for status, due, percent in rows if status != DONE and due >= today and percent > 0)
    return CommitmentCounts(done, moving, len(rows) - done - overdue - moving, overdue)


@dataclass(frozen=True)
class CheckInWeek:
    """The check-ins sent in one calendar week (Monday to Sunday, UTC), and how they were answered."""

    week_of: date
    """The Monday the week starts on."""
    sent: int
    answered: int
    on_track: int
    need_help: int
    blocked: int

    @property
    def response_rate(self) -> int | None:
        """Answered check-ins as a whole percentage of those sent; None in a week with none sent."""
        return round(100 * self.answered / self.sent) if self.sent else None


def week_of(moment: datetime | date) -> date:
    """The Monday starting the calendar week (UTC) of `moment`."""
    day = moment.astimezone(UTC).date() if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday())


def first_week(session: Session, campaign: Campaign | None) -> date | None:
    """The Monday of the week `campaign` (or the first campaign) was created; None with no campaign."""
    if campaign is not None:
        return week_of(campaign.created_at)
    created = session.exec(select(func.min(Campaign.created_at))).one()
    return week_of(created) if created is not None else None


def checkin_weeks(
    session: Session, campaign: Campaign | None, first: date | None = None, last: date | None = None
) -> list[CheckInWeek]:
    """Check-ins of the pods of `campaign` (or of every pod) counted per calendar week, never per person.

    Every week from the week of `first` to the week of `last` is listed, quiet weeks included; by default
    from the week of the first check-in sent to the week of the last.
    """
    statement = select(CheckIn.sent_at, CheckIn.answered_at, CheckIn.status).where(
        col(CheckIn.pod_id).in_(_pods_in(campaign))
    )
    if first is not None:
        statement = statement.where(CheckIn.sent_at >= _monday_start(week_of(first)))
    if last is not None:
        statement = statement.where(CheckIn.sent_at < _monday_start(week_of(last) + timedelta(weeks=1)))
    rows = session.exec(statement).all()
    if not rows and (first is None or last is None):
        return []
    by_week: dict[date, list[tuple[datetime | None, str | None]]] = {}
    for sent_at, answered_at, status in rows:
        by_week.setdefault(week_of(sent_at), []).append((answered_at, status))
    week = week_of(first) if first is not None else min(by_week)
    end = week_of(last) if last is not None else max(by_week)
    weeks = []
    while week <= end:
        answers = by_week.get(week, [])
        statuses = Counter(status for answered_at, status in answers if answered_at is not None)
        weeks.append(
            CheckInWeek(
                week_of=week,
                sent=len(answers),
                answered=sum(1 for answered_at, _status in answers if answered_at is not None),
                on_track=statuses[ON_TRACK],
                need_help=statuses[NEED_HELP],
                blocked=statuses[BLOCKED],
            )
        )
        week += timedelta(weeks=1)
    return weeks


def _monday_start(monday: date) -> datetime:
    return datetime.combine(monday, time(), tzinfo=UTC)
