"""Moderation: facilitators hide an idea with a reason, and restore it; its author is told why."""

from __future__ import annotations

from facilitation.context import Context
from facilitation.i18n import N_
from facilitation.ideas import idea_by_ref
from facilitation.members import notify_member
from facilitation.router import CommandSet, Role, UsageError, UserError
from facilitation.text import clean_user_text, shorten
from storage.models import Campaign, Member

commands = CommandSet()

HIDDEN = "hidden"
QUOTE_WIDTH = 80


@commands.command(
    "hide",
    N_("Hide an idea from listings, themes and open data"),
    N_("/hide <idea id> <reason>"),
    role=Role.FACILITATOR,
)
def hide(ctx: Context, args: str) -> None:
    _ = ctx._
    ref, _space, reason = args.partition(" ")
    idea = idea_by_ref(ctx, ref)
    campaign = ctx.session.get_one(Campaign, idea.campaign_id)
    ctx.require_facilitator(campaign)
    reason = clean_user_text(reason)
    if not reason:
        raise UsageError(_("Say why: the author is told."))
    if idea.status == HIDDEN:
        raise UserError(_("Idea {ref} is already hidden.", ref=ref))
    idea.status, idea.hidden_reason = HIDDEN, reason
    ctx.reply(_("Idea {ref} is hidden. /unhide {ref} restores it.", ref=ref))
    author = ctx.session.get(Member, idea.member_id) if idea.member_id is not None else None
    if author is not None and author.id != ctx.member.id:
        notify_member(
            ctx,
            author,
            lambda _: _(
                "A facilitator of #{hashtag} hid your idea “{quote}”. Reason: {reason}",
                hashtag=campaign.hashtag,
                quote=shorten(idea.text, QUOTE_WIDTH),
                reason=reason,
            ),
        )


@commands.command("unhide", N_("Restore a hidden idea"), N_("/unhide <idea id>"), role=Role.FACILITATOR)
def unhide(ctx: Context, args: str) -> None:
    _ = ctx._
    idea = idea_by_ref(ctx, args.strip())
    ctx.require_facilitator(ctx.session.get_one(Campaign, idea.campaign_id))
    if idea.status != HIDDEN:
        raise UserError(_("Idea {ref} is not hidden.", ref=args.strip()))
    idea.status, idea.hidden_reason = "open", None
    ctx.reply(_("Idea {ref} is visible again.", ref=args.strip()))
