"""What intake holds about a member, for /me and /forget: their ideas and the ideas they support."""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlmodel import col, select

from facilitation.kernel.context import Context
from facilitation.kernel.hooks import Forgetting, PersonalData
from facilitation.kernel.refs import IDEA, ref
from facilitation.kernel.router import CommandSet
from storage.models import Idea, IdeaSupport

commands = CommandSet()


def describe(ctx: Context) -> list[str]:
    _ = ctx._
    member_id = ctx.member.id
    ideas = ctx.session.exec(select(Idea.id).where(Idea.member_id == member_id).order_by(col(Idea.id))).all()
    supports = ctx.session.exec(
        select(IdeaSupport.idea_id)
        .where(IdeaSupport.member_id == member_id)
        .order_by(col(IdeaSupport.idea_id))
    ).all()
    none = _("none")
    return [
        _(
            "Your ideas, word for word: {ideas}",
            ideas=", ".join(ref(IDEA, idea_id) for idea_id in ideas) or none,
        ),
        _("Ideas you support: {ideas}", ideas=", ".join(ref(IDEA, idea_id) for idea_id in supports) or none),
    ]


def erase(ctx: Context, forgetting: Forgetting) -> None:
    """Ideas go, or stay without their author and without the chat and message they came from (a private
    chat's id is its user's id); supports go with the member."""
    ideas = ctx.session.exec(select(Idea).where(Idea.member_id == forgetting.member_id)).all()
    forgetting.campaign_ids |= {idea.campaign_id for idea in ideas}
    if forgetting.keep_contributions:
        ctx.session.exec(  # type: ignore[call-overload]
            update(Idea)
            .where(col(Idea.member_id) == forgetting.member_id)
            .values(member_id=None, source_chat_id="", source_message_id=None)
        )
        return
    forgetting.words |= {idea.text for idea in ideas}
    ctx.session.exec(delete(Idea).where(col(Idea.member_id) == forgetting.member_id))  # type: ignore[call-overload]


commands.holds(PersonalData(tables=("idea", "ideasupport"), describe=describe, erase=erase))
