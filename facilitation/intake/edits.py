"""Edits: /edit, and an edited message that shared an idea; close ideas and themes follow the new words."""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import col, select

from facilitation.intake.close_ideas import require_author
from facilitation.intake.recording import (
    idea_by_ref,
    idea_vector,
    record_hashtag_message,
    remember_vector,
    validated_idea_text,
)
from facilitation.kernel.context import Context
from facilitation.kernel.hooks import MESSAGE_EDITED
from facilitation.kernel.i18n import N_
from facilitation.kernel.refs import idea_ref
from facilitation.kernel.router import (
    CommandSet,
    Option,
    UserError,
    parse_command,
)
from storage.models import Idea, IdeaEmbedding

commands = CommandSet()


@commands.on(MESSAGE_EDITED)
def apply_edit(ctx: Context) -> None:
    """An edited message that recorded ideas updates their text; an edit that adds a hashtag shares it.

    Other edits are ignored, as are edits by anyone but the idea's author.
    """
    incoming = ctx.incoming
    parsed = (incoming.command, incoming.args) if incoming.command else parse_command(incoming.text)
    if parsed is not None and parsed[0] != "idea":
        return
    address = incoming.address
    edited = ctx.session.exec(
        select(Idea)
        .where(
            Idea.source_platform == address.platform,
            Idea.source_chat_id == address.chat_id,
            Idea.source_message_id == incoming.message_id,
            Idea.member_id == ctx.member.id,
        )
        .order_by(col(Idea.id))
    ).all()
    if not edited:
        if parsed is None:
            record_hashtag_message(ctx)
        return
    in_sight = [idea for idea in edited if idea.in_sight]
    if not in_sight:
        raise out_of_sight(ctx, edited[0])
    rewrite_ideas(ctx, in_sight, validated_idea_text(ctx, parsed[1] if parsed else incoming.text))


def out_of_sight(ctx: Context, idea: Idea) -> UserError:
    """Why a hidden or withdrawn idea keeps its words, however the author tries to change them."""
    return UserError(ctx._("Idea {ref} is out of sight: it can no longer be edited.", ref=idea_ref(idea)))


def rewrite_ideas(ctx: Context, edited: list[Idea], text: str) -> None:
    """New words for ideas (an edited message, /edit), and a vector for them.

    The old vectors are deleted, for every model: an idea without a vector is what the background
    embedding looks for (see `facilitation.intelligence.catch_up`), so one missed now is computed later.
    """
    index = ctx.index
    for idea in edited:
        idea.text = text
        ctx.session.execute(delete(IdeaEmbedding).where(col(IdeaEmbedding.idea_id) == idea.id))
        if index is not None:
            ctx.on_commit.append(lambda idea=idea: index.removed(idea.campaign_id, idea.id))
        if idea.status == "open":
            remember_vector(ctx, idea, idea_vector(ctx, text, idea.campaign_id))
    ctx.reply(
        ctx.ngettext(
            "Idea {refs} updated.",
            "Ideas {refs} updated.",
            len(edited),
            refs=", ".join(idea_ref(idea) for idea in edited),
        )
    )


@commands.command(
    "edit",
    N_("Change the words of one of your ideas"),
    N_("/edit <idea id> <new text>"),
    options=(
        Option("idea", N_("The idea's id, such as i12"), required=True),
        Option("text", N_("Its new words"), required=True),
    ),
)
def edit_command(ctx: Context, args: str) -> None:
    ref, _space, text = args.partition(" ")
    idea = idea_by_ref(ctx, ref)
    require_author(ctx, idea)
    if not idea.in_sight:
        raise out_of_sight(ctx, idea)
    rewrite_ideas(ctx, [idea], validated_idea_text(ctx, text))
