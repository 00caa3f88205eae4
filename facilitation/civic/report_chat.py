"""/report: collective progress in chat (commitments, check-ins, prototypes, and what the capabilities
above add through `REPORT_PARTS`), followed by the citizen report's page in the reader's language."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from facilitation.civic.progress import (
    CheckInWeek,
    active_pod_count,
    checkin_weeks,
    commitment_counts,
    first_week,
    prototype_counts,
    week_of,
)
from facilitation.civic.report import REPORTS_FOLDER, render_report
from facilitation.kernel.context import Context
from facilitation.kernel.hooks import REPORT_PARTS
from facilitation.kernel.i18n import N_
from facilitation.kernel.router import CommandSet
from facilitation.kernel.text import find_hashtags
from facilitation.membership.campaigns import campaign_candidates, resolve_campaign
from facilitation.membership.preferences import local_day, show_day
from storage.models import Campaign

REPORT_WEEKS = 4
"""How many calendar weeks, this one included, /report's check-in response rate covers, one line each
(fewer for a campaign younger than that)."""

commands = CommandSet()


@commands.command(
    "report",
    N_("Collective progress: commitments, check-ins, prototypes, and the citizen report"),
    N_("/report [#hashtag]"),
)
def report_command(ctx: Context, args: str) -> None:
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
        " · ".join(
            (
                ngettext("{count} done", "{count} done", counts.done),
                ngettext("{count} under way", "{count} under way", counts.moving),
                ngettext("{count} not started yet", "{count} not started yet", counts.starting),
                ngettext("{count} past its date", "{count} past their date", counts.overdue),
            )
        )
    )
    active = active_pod_count(ctx.session, campaign)
    lines.append(ngettext("{count} active pod.", "{count} active pods.", active))
    lines.append(_("Check-ins answered, week by week:"))
    this_week = week_of(now)
    first = max(this_week - timedelta(weeks=REPORT_WEEKS - 1), first_week(ctx.session, campaign) or this_week)
    weeks = checkin_weeks(ctx.session, campaign, first, this_week)
    lines += [_response_line(ctx, week) for week in weeks]
    prototypes = prototype_counts(ctx.session, campaign)
    if prototypes is not None:
        lines.append(
            ngettext("{count} prototype", "{count} prototypes", prototypes[0])
            + ", "
            + ngettext("{count} version", "{count} versions", prototypes[1])
            + "."
        )
    for part in ctx.hooks.call(REPORT_PARTS, ctx, campaign):
        lines += part
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
    stamp = ctx.now().strftime("%Y%m%d-%H%M%S")
    path = ctx.config.data_dir / REPORTS_FOLDER / f"{campaign.hashtag}-{stamp}-{ctx.member.language}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    page = render_report(
        ctx.session, campaign, ctx.config.open_data_license, ctx.member.language, ctx.now(), ctx.hooks
    )
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
