"""A campaign's public web page, off until a facilitator says /public on: the invitation and challenge,
the goals with their charts, the themes with verbatim quotes and the map, the prototypes and how to join,
and the open data. No pseudonym, member list or moderation shows there."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from facilitation.civic.goals import format_number
from facilitation.civic.report import line_chart
from facilitation.dashboard.themes import ThemesView, themes_view
from facilitation.kernel.context import Context
from facilitation.kernel.i18n import N_
from facilitation.kernel.refs import prototype_ref
from facilitation.kernel.router import CommandSet, Role, UsageError
from facilitation.kernel.text import normalise_hashtag
from facilitation.membership.campaigns import resolve_campaign
from storage.models import Campaign, Goal, GoalMeasurement, Prototype, PrototypeVersion, PublicPage

commands = CommandSet()
PUBLIC_PATH = "/p/"


@commands.command(
    "public",
    N_("Turn the campaign's public web page on or off"),
    N_("/public on|off [#hashtag]"),
    role=Role.FACILITATOR,
)
def public_command(ctx: Context, args: str) -> None:
    _ = ctx._
    campaign, rest = resolve_campaign(ctx, args)
    ctx.require_facilitator(campaign)
    choice = rest.strip().casefold()
    if choice not in ("on", "off"):
        raise UsageError(_("Say on or off."))
    page = ctx.session.get(PublicPage, campaign.id)
    if choice == "off":
        if page is not None:
            ctx.session.delete(page)
        ctx.reply(_("The public page of #{hashtag} is off.", hashtag=campaign.hashtag))
        return
    if page is None:
        ctx.session.add(PublicPage(campaign_id=campaign.id, created_at=ctx.now()))
    address = f"{ctx.config.web_url}{PUBLIC_PATH}{campaign.hashtag}" if ctx.config.web_url else ""
    ctx.reply(
        _("The public page of #{hashtag} is on: {address}", hashtag=campaign.hashtag, address=address)
        if address
        else _(
            "The public page of #{hashtag} is on; it shows once the web dashboard is turned on (DASHBOARD_PORT).",
            hashtag=campaign.hashtag,
        )
    )


@dataclass(frozen=True)
class PublicGoal:
    name: str
    target: str
    unit: str
    latest: str | None
    chart: str
    """An inline SVG of the measurements against the target (escaped by its maker), or ""."""


@dataclass(frozen=True)
class PublicCampaign:
    campaign: Campaign
    goals: list[PublicGoal]
    themes: ThemesView
    prototypes: list[tuple[str, str, int]]
    """(ref, title, versions published) of each prototype."""


def public_campaign(session: Session, hashtag: str) -> PublicCampaign | None:
    """The open campaign with this hashtag, if its public page is on."""
    campaign = session.exec(
        select(Campaign).where(Campaign.hashtag == normalise_hashtag(hashtag), Campaign.status == "open")
    ).first()
    if campaign is None or session.get(PublicPage, campaign.id) is None:
        return None
    goals = []
    for goal in session.exec(select(Goal).where(Goal.campaign_id == campaign.id).order_by(col(Goal.id))):
        points = [
            (row.recorded_at, row.value)
            for row in session.exec(
                select(GoalMeasurement)
                .where(GoalMeasurement.goal_id == goal.id, col(GoalMeasurement.removed_at).is_(None))
                .order_by(col(GoalMeasurement.recorded_at), col(GoalMeasurement.id))
            )
        ]
        goals.append(
            PublicGoal(
                goal.name,
                format_number(goal.target),
                goal.unit,
                format_number(points[-1][1]) if points else None,
                line_chart(points, goal.target, goal.name),
            )
        )
    versions = dict(
        session.exec(
            select(PrototypeVersion.prototype_id, func.count()).group_by(col(PrototypeVersion.prototype_id))
        ).all()
    )
    prototypes = [
        (prototype_ref(prototype), prototype.title, versions.get(prototype.id, 0))
        for prototype in session.exec(
            select(Prototype).where(Prototype.campaign_id == campaign.id).order_by(col(Prototype.id))
        )
    ]
    return PublicCampaign(campaign, goals, themes_view(session, campaign), prototypes)
