"""Listing ideas: /ideas, ten a page, newest first, with a vote button for each idea shown."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import col, select

from facilitation.intake.close_ideas import IDEA_PREVIEW_WIDTH
from facilitation.kernel.context import Context
from facilitation.kernel.i18n import N_
from facilitation.kernel.refs import idea_ref
from facilitation.kernel.router import (
    HASHTAG_OPTION,
    CommandSet,
    Option,
    OptionKind,
    UsageError,
    UserError,
)
from facilitation.kernel.text import shorten
from facilitation.membership.campaigns import (
    resolve_campaign,
)
from facilitation.planning.votes import vote_buttons
from storage.models import Campaign, Idea, Member

commands = CommandSet()

IDEAS_PAGE_SIZE = 10


@commands.command(
    "ideas",
    N_("Show the latest ideas, page by page"),
    N_("/ideas [#hashtag] [page]"),
    options=(HASHTAG_OPTION, Option("page", N_("Page number; 1 is the newest ideas"), OptionKind.INTEGER)),
)
def list_ideas(ctx: Context, args: str) -> None:
    campaign, rest = resolve_campaign(ctx, args)
    page = 1
    if rest:
        if not rest.isdigit() or int(rest) < 1:
            raise UsageError(ctx._("The page must be a number, such as /ideas 2."))
        page = int(rest)
    show_ideas_page(ctx, campaign, page)


@commands.action("ideas_page")
def ideas_page_pressed(ctx: Context, payload: dict) -> None:
    campaign = ctx.session.get(Campaign, payload["campaign_id"])
    if campaign is None:
        raise UserError(ctx._("This campaign is closed."))
    show_ideas_page(ctx, campaign, int(payload["page"]))


def show_ideas_page(ctx: Context, campaign: Campaign, page: int) -> None:
    _ = ctx._
    listed = (Idea.campaign_id == campaign.id, Idea.shown())
    total = ctx.session.exec(select(func.count()).where(*listed)).one()
    if total == 0:
        ctx.reply(_("No ideas yet in #{hashtag}. Be the first: /idea <your idea>.", hashtag=campaign.hashtag))
        return
    pages = (total + IDEAS_PAGE_SIZE - 1) // IDEAS_PAGE_SIZE
    if page > pages:
        raise UserError(_("There are only {pages} pages of ideas.", pages=pages))
    rows = ctx.session.exec(
        select(Idea, Member.pseudonym)
        .join(Member, col(Member.id) == col(Idea.member_id), isouter=True)
        .where(*listed)
        .order_by(col(Idea.created_at).desc(), col(Idea.id).desc())
        .offset((page - 1) * IDEAS_PAGE_SIZE)
        .limit(IDEAS_PAGE_SIZE)
    ).all()
    lines = [
        _(
            "Ideas in #{hashtag} (page {page} of {pages}, newest first):",
            hashtag=campaign.hashtag,
            page=page,
            pages=pages,
        )
    ]
    for idea, pseudonym in rows:
        author = pseudonym or _("a former member")
        lines.append(
            f"{idea_ref(idea)} · " + _("{name}:", name=author) + " " + shorten(idea.text, IDEA_PREVIEW_WIDTH)
        )
    buttons = vote_buttons(ctx, [idea for idea, _pseudonym in rows])
    if len(buttons) < len(rows):  # a message carries only so many buttons: say how to vote on the rest
        lines.append(
            _(
                "Buttons for the newest {count}; vote on the others with /vote <idea id>.",
                count=len(buttons),
            )
        )
    if page < pages:
        buttons += (ctx.button(_("Older ideas"), "ideas_page", campaign_id=campaign.id, page=page + 1),)
    ctx.reply("\n".join(lines), buttons=buttons)
