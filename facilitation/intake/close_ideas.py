"""Close ideas at posting: the neighbours' ideas shown with a new one, and the support, merge and keep
buttons that come with them; authors answered later when their idea waited for the model."""

from __future__ import annotations

import numpy as np
from sqlalchemy import func
from sqlmodel import col, select

from facilitation.intelligence.similarity import SIMILAR_SHOWN, Match
from facilitation.kernel.context import Context
from facilitation.kernel.events import Button
from facilitation.kernel.hooks import LATE_VECTOR
from facilitation.kernel.refs import idea_ref
from facilitation.kernel.router import (
    CommandSet,
    Refusal,
    UserError,
)
from facilitation.kernel.text import shorten
from facilitation.membership.news import MERGED, SUPPORT_MILESTONE, SUPPORTED, notify
from storage.models import Campaign, Idea, IdeaSupport, Member

commands = CommandSet()

IDEA_PREVIEW_WIDTH = 200


def close_ideas_section(ctx: Context, idea: Idea, matches: list[Match]) -> tuple[str, tuple[Button, ...]]:
    """The lines listing ideas close to `idea`, and the buttons to support, merge or keep separate."""
    _ = ctx._
    if not matches:
        return "", ()
    rows = {
        close.id: (close, pseudonym)
        for close, pseudonym in ctx.session.exec(
            select(Idea, Member.pseudonym)
            .join(Member, col(Member.id) == col(Idea.member_id), isouter=True)
            .where(
                col(Idea.id).in_([match.idea_id for match in matches]), Idea.status != "merged", Idea.shown()
            )
        )
    }
    shown = [rows[match.idea_id] for match in matches if match.idea_id in rows]
    if not shown:
        return "", ()
    lines = ["", _("Close ideas already shared in #{hashtag}:", hashtag=_campaign_tag(ctx, idea))]
    buttons: list[Button] = []
    for close, pseudonym in shown:
        ref = idea_ref(close)
        author = pseudonym or _("a former member")
        lines.append(f"{ref} · " + _("{name}:", name=author) + " " + shorten(close.text, IDEA_PREVIEW_WIDTH))
        buttons.append(ctx.button(_("Support {ref}", ref=ref), "idea_support", idea_id=close.id))
        buttons.append(
            ctx.button(_("Merge mine into {ref}", ref=ref), "idea_merge", idea_id=idea.id, into_id=close.id)
        )
    buttons.append(ctx.button(_("Keep mine separate"), "idea_keep", idea_id=idea.id))
    lines.append(_("You can support one of them, merge yours into one, or keep yours separate."))
    return "\n".join(lines), tuple(buttons)


def _campaign_tag(ctx: Context, idea: Idea) -> str:
    return ctx.session.get_one(Campaign, idea.campaign_id).hashtag


LATER_SEARCH_COUNT = 4 * SIMILAR_SHOWN
"""Ideas looked at for a late answer, of which only those posted earlier are shown."""


@commands.on(LATE_VECTOR)
def offer_similar_later(ctx: Context, idea: Idea, vector: np.ndarray) -> None:
    """For an idea recorded while the model loaded: tell its author about close ideas, if any."""
    if ctx.index is None:
        return
    _own, matches = ctx.index.search(
        ctx.session, idea.campaign_id, vector, idea.member_id, count=LATER_SEARCH_COUNT
    )
    earlier = [match for match in matches if match.idea_id < idea.id][:SIMILAR_SHOWN]
    text, buttons = close_ideas_section(ctx, idea, earlier)
    if buttons:
        ctx.reply(ctx._("About your idea {ref}:", ref=idea_ref(idea)) + text, buttons=buttons)


def _idea_or_expired(ctx: Context, idea_id: int) -> Idea:
    idea = ctx.session.get(Idea, idea_id)
    if idea is None:
        raise UserError(ctx._("This idea no longer exists."))
    return idea


def joined_idea(ctx: Context, idea: Idea) -> Idea:
    """The idea that `idea` was merged into, following merges to the end; `idea` itself if not merged."""
    seen = {idea.id}
    while idea.merged_into_id is not None and idea.merged_into_id not in seen:
        following = ctx.session.get(Idea, idea.merged_into_id)
        if following is None:
            break
        seen.add(following.id)
        idea = following
    return idea


def require_author(ctx: Context, idea: Idea) -> None:
    if idea.member_id != ctx.member.id:
        raise Refusal(
            ctx._("Only the author of {ref} can decide that. Nothing was changed.", ref=idea_ref(idea))
        )


@commands.action("idea_support")
def support_pressed(ctx: Context, payload: dict) -> None:
    """Support an idea (the one it joined, if it was merged): once per member."""
    _ = ctx._
    idea = joined_idea(ctx, _idea_or_expired(ctx, payload["idea_id"]))
    ref = idea_ref(idea)
    if not idea.in_sight:
        raise UserError(_("Idea {ref} is no longer shown: it takes no support.", ref=ref))
    if idea.member_id == ctx.member.id:
        raise UserError(_("{ref} is your own idea: others can support it.", ref=ref))
    already = ctx.session.exec(
        select(IdeaSupport).where(IdeaSupport.idea_id == idea.id, IdeaSupport.member_id == ctx.member.id)
    ).first()
    if already is not None:
        ctx.reply(_("You already support {ref}.", ref=ref))
        return
    ctx.session.add(IdeaSupport(idea_id=idea.id, member_id=ctx.member.id))
    ctx.session.flush()
    supporters = ctx.session.exec(select(func.count()).where(IdeaSupport.idea_id == idea.id)).one()
    if supporters == SUPPORT_MILESTONE:
        notify(ctx, idea.member_id, SUPPORTED, idea=ref, count=supporters)
    ctx.reply(_("You support {ref}: {text}", ref=ref, text=shorten(idea.text, IDEA_PREVIEW_WIDTH)))


@commands.action("idea_merge")
def merge_pressed(ctx: Context, payload: dict) -> None:
    """Merge the author's new idea into a close one: it keeps its text and author and points to it."""
    _ = ctx._
    idea = _idea_or_expired(ctx, payload["idea_id"])
    require_author(ctx, idea)
    if idea.status == "merged":
        target = joined_idea(ctx, idea)
        ctx.reply(_("{ref} is already merged into {target}.", ref=idea_ref(idea), target=idea_ref(target)))
        return
    target = joined_idea(ctx, _idea_or_expired(ctx, payload["into_id"]))
    out_of_sight = next((candidate for candidate in (idea, target) if not candidate.in_sight), None)
    if out_of_sight is not None:
        raise UserError(_("Idea {ref} is no longer shown: nothing was merged.", ref=idea_ref(out_of_sight)))
    if target.id == idea.id:
        raise UserError(_("An idea cannot be merged into itself."))
    idea.status = "merged"
    idea.merged_into_id = target.id
    if target.member_id != ctx.member.id:
        notify(ctx, target.member_id, MERGED, idea=idea_ref(idea), target=idea_ref(target))
    index = ctx.index
    if index is not None:
        ctx.on_commit.append(lambda: index.removed(idea.campaign_id, idea.id))
    ctx.reply(
        _(
            "Your idea {ref} is merged into {target}. It keeps your words and your name, and now counts with {target}.",
            ref=idea_ref(idea),
            target=idea_ref(target),
        )
    )


@commands.action("idea_keep")
def keep_pressed(ctx: Context, payload: dict) -> None:
    """Keep the new idea as its own: nothing changes, the author is told so."""
    idea = _idea_or_expired(ctx, payload["idea_id"])
    require_author(ctx, idea)
    if idea.status == "merged":
        ctx.reply(
            ctx._(
                "{ref} is already merged into {target}.",
                ref=idea_ref(idea),
                target=idea_ref(joined_idea(ctx, idea)),
            )
        )
        return
    ctx.reply(ctx._("Idea {ref} stays separate.", ref=idea_ref(idea)))
