"""Ideas out of sight: facilitators hide an idea with a reason and restore it; authors withdraw their own.

Hidden and withdrawn ideas share one mechanism, the idea's status (see `storage.models.IDEA_OUT_OF_SIGHT`):
every listing, digest, theme, close-idea match, vote count and export leaves them out. An author is told
when someone else takes their idea out of sight.
"""

from __future__ import annotations

from collections.abc import Callable

from facilitation.intake.recording import idea_by_ref
from facilitation.intelligence.embeddings import vector_from_bytes
from facilitation.kernel.context import Context
from facilitation.kernel.i18n import N_
from facilitation.kernel.refs import idea_ref
from facilitation.kernel.router import CommandSet, Refusal, Role, UsageError, UserError
from facilitation.kernel.text import clean_user_text, shorten
from facilitation.membership.members import notify_member
from storage.models import IDEA_HIDDEN, IDEA_WITHDRAWN, Campaign, Idea, IdeaEmbedding, Member

commands = CommandSet()

QUOTE_WIDTH = 80


def put_out_of_sight(ctx: Context, idea: Idea, status: str, reason: str | None = None) -> None:
    """Hide or withdraw an idea: it leaves close-idea matches as soon as this is committed."""
    idea.status, idea.hidden_reason = status, reason
    index = ctx.index
    if index is not None:
        ctx.on_commit.append(lambda: index.removed(idea.campaign_id, idea.id))


def tell_author(ctx: Context, idea: Idea, compose: Callable[[Callable[..., str]], str]) -> None:
    """A private word to the idea's author, unless they did it themselves (see `notify_member`)."""
    author = ctx.session.get(Member, idea.member_id) if idea.member_id is not None else None
    if author is not None and author.id != ctx.member.id:
        notify_member(ctx, author, compose)


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
    if idea.status == IDEA_HIDDEN:
        raise UserError(_("Idea {ref} is already hidden.", ref=ref))
    if idea.status == IDEA_WITHDRAWN:
        raise UserError(_("Idea {ref} was withdrawn: it is out of sight already.", ref=idea_ref(idea)))
    put_out_of_sight(ctx, idea, IDEA_HIDDEN, reason)
    ctx.reply(_("Idea {ref} is hidden. /unhide {ref} restores it.", ref=ref))
    tell_author(
        ctx,
        idea,
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
    if idea.status != IDEA_HIDDEN:
        raise UserError(_("Idea {ref} is not hidden.", ref=args.strip()))
    idea.status = "merged" if idea.merged_into_id is not None else "open"
    idea.hidden_reason = None
    index = ctx.index
    stored = (
        ctx.session.get(IdeaEmbedding, (idea.id, index.embedder_for(ctx.session, idea.campaign_id).name))
        if index is not None
        else None
    )
    if index is not None and stored is not None and idea.status == "open":
        vector = vector_from_bytes(stored.vector)
        ctx.on_commit.append(lambda: index.added(idea.campaign_id, idea.id, idea.member_id, vector))
    ctx.reply(_("Idea {ref} is visible again.", ref=args.strip()))


@commands.command("withdraw", N_("Withdraw one of your ideas"), N_("/withdraw <idea id>"))
def withdraw(ctx: Context, args: str) -> None:
    """The author takes their idea back; a facilitator may too, and the author is then told."""
    _ = ctx._
    idea = idea_by_ref(ctx, args)
    ref = idea_ref(idea)
    campaign = ctx.session.get_one(Campaign, idea.campaign_id)
    if idea.member_id != ctx.member.id and not ctx.is_facilitator(campaign):
        raise Refusal(
            _("Only the author of {ref} or a facilitator can withdraw it. Nothing was changed.", ref=ref)
        )
    if idea.status == IDEA_WITHDRAWN:
        raise UserError(_("Idea {ref} is already withdrawn.", ref=ref))
    if idea.status == IDEA_HIDDEN:
        raise UserError(_("Idea {ref} is hidden by a facilitator: it is out of sight already.", ref=ref))
    put_out_of_sight(ctx, idea, IDEA_WITHDRAWN)
    ctx.reply(
        _(
            "Idea {ref} is withdrawn: it no longer shows in #{hashtag}, its themes, votes or open data.",
            ref=ref,
            hashtag=campaign.hashtag,
        )
    )
    tell_author(
        ctx,
        idea,
        lambda _: _(
            "A facilitator of #{hashtag} withdrew your idea “{quote}”.",
            hashtag=campaign.hashtag,
            quote=shorten(idea.text, QUOTE_WIDTH),
        ),
    )
