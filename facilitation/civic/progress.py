"""/report in chat: collective progress for everyone, never a leaderboard, and the citizen report as a file.

Counts only: commitments by status, how many check-ins were answered week by week, pods, and prototypes
with their versions where that feature is present. No name appears and nothing is ranked. The counts are
computed here once (`commitment_counts`, `checkin_weeks`) for the chat summary, the citizen report and
the open data package.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, SQLModel, col, select

from facilitation.accountability.commitments.summary import DONE
from facilitation.accountability.pods.checkins import BLOCKED, NEED_HELP, ON_TRACK
from facilitation.kernel.context import Context
from facilitation.kernel.i18n import N_
from facilitation.kernel.router import CommandSet
from facilitation.kernel.text import find_hashtags
from facilitation.membership.campaigns import campaign_candidates, resolve_campaign
from facilitation.membership.preferences import local_day, show_day
from storage.models import Campaign, CheckIn, Commitment, Pod, PodSchedule

commands = CommandSet()

REPORT_WEEKS = 4
"""How many calendar weeks, this one included, the check-in response rate covers, one line each."""
REPORTS_FOLDER = "reports"
"""Under the data folder: where citizen reports sent in chat are written."""


def _commitments_in(campaign: Campaign | None):  # noqa: ANN202 (a SQLAlchemy condition)
    return sa.true() if campaign is None else col(Commitment.campaign_id) == campaign.id


def _pods_in(campaign: Campaign | None):  # noqa: ANN202 (a SQLAlchemy subquery)
    """The ids of the pods of `campaign`, or of every pod, as a subquery."""
    statement = select(Pod.id).join(PodSchedule, col(PodSchedule.id) == col(Pod.schedule_id))
    if campaign is not None:
        statement = statement.where(PodSchedule.campaign_id == campaign.id)
    return statement


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


@commands.command(
    "report",
    N_("Collective progress: commitments, check-ins, prototypes, and the citizen report"),
    N_("/report [#hashtag]"),
)
def report(ctx: Context, args: str) -> None:
    _, ngettext = ctx._, ctx.ngettext
    campaign = None
    if find_hashtags(args):
        campaign, _rest = resolve_campaign(ctx, args)
    elif len(candidates := campaign_candidates(ctx)) == 1:
        campaign = candidates[0]
    now = ctx.now()
    counts = commitment_counts(ctx.session, campaign, local_day(ctx.member, now))
    title = (
        _("Collective progress in #{hashtag}", hashtag=campaign.hashtag)
        if campaign
        else _("Collective progress")
    )
    lines = [title, ngettext("{count} commitment:", "{count} commitments:", counts.total)]
    lines.append(
        _(
            "{done} done · {moving} under way · {starting} not started yet · {overdue} past their date",
            done=counts.done,
            moving=counts.moving,
            starting=counts.starting,
            overdue=counts.overdue,
        )
    )
    active = ctx.session.exec(
        select(func.count()).where(col(Pod.id).in_(_pods_in(campaign)), col(Pod.ended_at).is_(None))
    ).one()
    lines.append(ngettext("{count} active pod.", "{count} active pods.", active))
    lines.append(_("Check-ins answered, week by week:"))
    this_week = week_of(now)
    weeks = checkin_weeks(ctx.session, campaign, this_week - timedelta(weeks=REPORT_WEEKS - 1), this_week)
    lines += [_response_line(ctx, week) for week in weeks]
    prototypes = prototype_counts(ctx.session, campaign)
    if prototypes is not None:
        lines.append(
            ngettext("{count} prototype", "{count} prototypes", prototypes[0])
            + ", "
            + ngettext("{count} version", "{count} versions", prototypes[1])
            + "."
        )
    lines.append(_("Everyone's step counts; this report never ranks anyone."))
    ctx.reply("\n".join(lines))
    if campaign is not None:
        ctx.reply(
            _(
                "The citizen report of #{hashtag}: one page that opens in any browser.",
                hashtag=campaign.hashtag,
            ),
            file_path=str(write_report_file(ctx, campaign)),
        )


def write_report_file(ctx: Context, campaign: Campaign) -> Path:
    """The citizen report of `campaign` in the reader's language, written under the data folder."""
    from facilitation.civic.report import render_report  # the report builds on this module's counts

    stamp = ctx.now().strftime("%Y%m%d-%H%M%S")
    path = ctx.config.data_dir / REPORTS_FOLDER / f"{campaign.hashtag}-{stamp}-{ctx.member.language}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    page = render_report(ctx.session, campaign, ctx.config.open_data_license, ctx.member.language, ctx.now())
    path.write_text(page, encoding="utf-8")
    return path


def _response_line(ctx: Context, week: CheckInWeek) -> str:
    _ = ctx._
    day = show_day(ctx.member.language, week.week_of)
    if not week.sent:
        return _("week of {day}: no check-ins", day=day)
    return _(
        "week of {day}: {answered} of {sent} ({rate}%)",
        day=day,
        answered=week.answered,
        sent=week.sent,
        rate=week.response_rate,
    )
