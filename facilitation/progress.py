"""/report in chat: collective progress for everyone, never a leaderboard.

Counts only: commitments by status, how many check-ins were answered week by week, pods, and prototypes
with their versions where that feature is present. No name appears and nothing is ranked.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, SQLModel, col, select

from facilitation.campaigns import campaign_candidates, resolve_campaign
from facilitation.context import Context
from facilitation.i18n import N_
from facilitation.preferences import local_day, show_day
from facilitation.router import CommandSet
from facilitation.text import find_hashtags
from storage.models import Campaign, CheckIn, Commitment, Pod, PodSchedule

commands = CommandSet()

REPORT_WEEKS = 4
"""How many past weeks the check-in response rate covers, one line each."""


def _commitments_in(campaign: Campaign | None):  # noqa: ANN202 (a SQLAlchemy condition)
    return sa.true() if campaign is None else col(Commitment.campaign_id) == campaign.id


def _pods_in(session: Session, campaign: Campaign | None) -> list[int]:
    statement = select(Pod.id).join(PodSchedule, col(PodSchedule.id) == col(Pod.schedule_id))
    if campaign is not None:
        statement = statement.where(PodSchedule.campaign_id == campaign.id)
    return list(session.exec(statement))


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


@commands.command(
    "report", N_("Collective progress: commitments, check-ins, prototypes"), N_("/report [#hashtag]")
)
def report(ctx: Context, args: str) -> None:
    _, ngettext = ctx._, ctx.ngettext
    campaign = None
    if find_hashtags(args):
        campaign, _rest = resolve_campaign(ctx, args)
    elif len(candidates := campaign_candidates(ctx)) == 1:
        campaign = candidates[0]
    now = ctx.now()
    today = local_day(ctx.member, now)
    rows = ctx.session.exec(
        select(Commitment.status, Commitment.due_on, Commitment.progress_percent).where(
            _commitments_in(campaign)
        )
    ).all()
    done = sum(1 for status, _due, _percent in rows if status == "done")
    overdue = sum(1 for status, due, _percent in rows if status == "open" and due < today)
    moving = sum(1 for status, due, percent in rows if status == "open" and due >= today and percent > 0)
    starting = len(rows) - done - overdue - moving
    title = (
        _("Collective progress in #{hashtag}", hashtag=campaign.hashtag)
        if campaign
        else _("Collective progress")
    )
    lines = [title, ngettext("{count} commitment:", "{count} commitments:", len(rows))]
    lines.append(
        _(
            "{done} done · {moving} under way · {starting} not started yet · {overdue} past their date",
            done=done,
            moving=moving,
            starting=starting,
            overdue=overdue,
        )
    )
    pod_ids = _pods_in(ctx.session, campaign)
    active = ctx.session.exec(
        select(func.count()).where(col(Pod.id).in_(pod_ids), col(Pod.ended_at).is_(None))
    ).one()
    lines.append(ngettext("{count} active pod.", "{count} active pods.", active))
    lines.append(_("Check-ins answered, week by week:"))
    lines += _response_lines(ctx, pod_ids, now)
    counts = prototype_counts(ctx.session, campaign)
    if counts is not None:
        lines.append(
            ngettext("{count} prototype", "{count} prototypes", counts[0])
            + ", "
            + ngettext("{count} version", "{count} versions", counts[1])
            + "."
        )
    lines.append(_("Everyone's step counts; this report never ranks anyone."))
    ctx.reply("\n".join(lines))


def _response_lines(ctx: Context, pod_ids: list[int], now: datetime) -> list[str]:
    _ = ctx._
    lines = []
    for weeks_ago in range(REPORT_WEEKS - 1, -1, -1):
        end = now - timedelta(weeks=weeks_ago)
        start = end - timedelta(weeks=1)
        checkins = ctx.session.exec(
            select(CheckIn.answered_at).where(
                col(CheckIn.pod_id).in_(pod_ids), CheckIn.sent_at > start, CheckIn.sent_at <= end
            )
        ).all()
        answered = sum(1 for answered_at in checkins if answered_at is not None)
        week = show_day(ctx.member.language, local_day(ctx.member, start))
        if checkins:
            lines.append(
                _(
                    "week of {day}: {answered} of {sent} ({rate}%)",
                    day=week,
                    answered=answered,
                    sent=len(checkins),
                    rate=round(100 * answered / len(checkins)),
                )
            )
        else:
            lines.append(_("week of {day}: no check-ins", day=week))
    return lines
