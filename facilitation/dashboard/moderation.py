"""Moderation from the dashboard: the chat's /hide and /unhide run as the facilitator, with the same rules
and the same word to the author; the answer the facilitator would read in chat is shown on the page."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from facilitation.intake.moderation import hide, unhide
from facilitation.kernel.context import Context
from facilitation.kernel.events import Address, ChatKind, Incoming, Sender
from facilitation.kernel.refs import idea_ref
from storage.models import IDEA_HIDDEN, Campaign, Idea, Identity, Member

MODERATION_ACTIONS = {"hide": hide, "unhide": unhide}
SHOWN_FOR_MODERATION = 50


def as_facilitator(session: Session, member_id: int) -> Incoming | None:
    """A private update from one of the member's accounts, for running a chat command on their behalf."""
    identity = session.exec(
        select(Identity).where(Identity.member_id == member_id).order_by(col(Identity.id))
    ).first()
    if identity is None:
        return None
    user = identity.platform_user_id
    return Incoming(
        sender=Sender(identity.platform, user),
        address=Address(identity.platform, user, user_id=user),
        chat_kind=ChatKind.PRIVATE,
    )


def moderate(ctx: Context, action: str, ref: str, reason: str = "") -> str:
    """Run /hide or /unhide as `ctx`'s facilitator; the answer meant for them is returned instead of sent,
    while the word to the author stays in `ctx.messages`. A refusal raises `UserError` as in chat."""
    handler = MODERATION_ACTIONS[action]
    handler(ctx, f"{ref} {reason}".strip() if action == "hide" else ref)
    own = ctx.incoming.address
    answer = [message.text for address, message in ctx.messages if address == own]
    ctx.messages = [(address, message) for address, message in ctx.messages if address != own]
    return "\n".join(answer)


@dataclass(frozen=True)
class ModeratedIdea:
    ref: str
    author: str
    text: str
    hidden_reason: str | None


def moderation_lists(session: Session, campaign: Campaign) -> tuple[list[ModeratedIdea], list[ModeratedIdea]]:
    """The hidden ideas with their reasons, and the latest ideas in sight, each under its pseudonym."""

    def rows(*conditions) -> list[ModeratedIdea]:  # noqa: ANN002
        found = session.exec(
            select(Idea, Member.pseudonym)
            .join(Member, col(Member.id) == col(Idea.member_id), isouter=True)
            .where(Idea.campaign_id == campaign.id, *conditions)
            .order_by(col(Idea.id).desc())
            .limit(SHOWN_FOR_MODERATION)
        ).all()
        return [
            ModeratedIdea(idea_ref(idea), name or "", idea.text, idea.hidden_reason) for idea, name in found
        ]

    return rows(Idea.status == IDEA_HIDDEN), rows(Idea.shown())
