"""/dashboard: a facilitator gets, privately, a link that opens the campaign's web dashboard once."""

from __future__ import annotations

from sqlalchemy import delete, func
from sqlmodel import col, select

from facilitation.dashboard.access import LINK_LIFETIME, issue_link
from facilitation.kernel.context import Context
from facilitation.kernel.hooks import Forgetting, PersonalData
from facilitation.kernel.i18n import N_
from facilitation.kernel.router import HASHTAG_OPTION, CommandSet, Role, UserError
from facilitation.membership.campaigns import resolve_campaign
from storage.models import DashboardLink, DashboardSession

commands = CommandSet()


@commands.command(
    "dashboard",
    N_("Get a private link to the campaign's web dashboard"),
    N_("/dashboard [#hashtag]"),
    role=Role.FACILITATOR,
    options=(HASHTAG_OPTION,),
)
def dashboard(ctx: Context, args: str) -> None:
    _ = ctx._
    campaign, _rest = resolve_campaign(ctx, args)
    ctx.require_facilitator(campaign)
    if not ctx.config.web_url:
        raise UserError(_("The web dashboard is off here (DASHBOARD_PORT is 0)."))
    url = issue_link(ctx.session, ctx.config, ctx.member, campaign)
    ctx.reply(
        _(
            "Your dashboard of #{hashtag}: {url}\nThis link works once, within {minutes} minutes. Keep it to yourself.",
            hashtag=campaign.hashtag,
            url=url,
            minutes=int(LINK_LIFETIME.total_seconds() // 60),
        ),
        private=True,
        erase_when_sent=True,
    )


def describe(ctx: Context) -> list[str]:
    sessions = ctx.session.exec(
        select(func.count()).select_from(DashboardSession).where(DashboardSession.member_id == ctx.member.id)
    ).one()
    return [
        ctx.ngettext(
            "{count} web dashboard session of yours", "{count} web dashboard sessions of yours", sessions
        )
    ]


def erase(ctx: Context, forgetting: Forgetting) -> None:
    """Links and sessions go with the member: they sign no one in any more."""
    for table in (DashboardLink, DashboardSession):
        ctx.session.exec(delete(table).where(col(table.member_id) == forgetting.member_id))  # type: ignore[call-overload]


commands.holds(PersonalData(tables=("dashboardlink", "dashboardsession"), describe=describe, erase=erase))
