"""Notices the core gives on its own when a platform keeps it from doing its job in a chat.

Both exist so that nothing fails silently: a chat where the bot cannot read messages is told once (and
remembered across restarts), and a member whose private messages cannot be delivered is named in a
shared chat of their campaign.
"""

from __future__ import annotations

import logging

from sqlalchemy import update
from sqlmodel import Session, col, select

from facilitation.kernel.context import Context, Effects
from facilitation.kernel.events import Address, Outgoing
from facilitation.kernel.hooks import AFTER_UPDATE, CHAT_MOVED, RECIPIENT_UNREACHABLE
from facilitation.kernel.i18n import translator
from facilitation.kernel.router import CommandSet
from facilitation.membership.campaigns import active_campaign_ids
from storage.models import Campaign, ChatBinding, ChatNotice, Identity, Member

log = logging.getLogger(__name__)

commands = CommandSet()
"""No commands: the notices subscribe to the kernel's hooks."""

COMMANDS_ONLY = "commands_only"
"""The bot can read only commands in this chat, so hashtag messages there never reach it."""


def _open_binding(session: Session, platform: str, chat_id: str) -> ChatBinding | None:
    return session.exec(
        select(ChatBinding)
        .join(Campaign, col(Campaign.id) == col(ChatBinding.campaign_id))
        .where(ChatBinding.platform == platform, ChatBinding.chat_id == chat_id, Campaign.status == "open")
    ).first()


def first_time(ctx: Context, kind: str) -> bool:
    """True the first time `kind` is asked for in the update's chat; records it in the update's transaction."""
    address = ctx.incoming.address
    given = ctx.session.exec(
        select(ChatNotice.id).where(
            ChatNotice.platform == address.platform,
            ChatNotice.chat_id == address.chat_id,
            ChatNotice.kind == kind,
        )
    ).first()
    if given is not None:
        return False
    ctx.session.add(ChatNotice(platform=address.platform, chat_id=address.chat_id, kind=kind))
    return True


@commands.on(AFTER_UPDATE)
def tell_commands_only(ctx: Context) -> None:
    """Explain once in a shared chat where the bot sees only commands how ideas can still reach it.

    Said where someone spoke to the bot (a command) or in a campaign's chat, never in every channel a
    Discord bot happens to be in.
    """
    incoming = ctx.incoming
    if not incoming.sees_only_commands or ctx.is_private_chat:
        return
    spoken_to = ctx.current_command is not None
    if not spoken_to and _open_binding(ctx.session, incoming.platform, incoming.address.chat_id) is None:
        return
    if first_time(ctx, COMMANDS_ONLY):
        ctx.reply(
            ctx._(
                "A note for this chat: I can only see commands here, so messages with a #hashtag do not "
                "reach me. Share ideas with /idea, or ask an admin of this chat to let me read its "
                "messages (Townhall's README explains how)."
            )
        )


@commands.on(CHAT_MOVED)
def follow_moved_chat(ctx: Context, old_chat_id: str) -> None:
    """Notices given in a chat the platform replaced count for the update's chat."""
    platform, new_chat_id = ctx.incoming.platform, ctx.incoming.address.chat_id
    ctx.session.exec(  # type: ignore[call-overload]
        update(ChatNotice)
        .where(col(ChatNotice.platform) == platform, col(ChatNotice.chat_id) == old_chat_id)
        .values(chat_id=new_chat_id)
    )


@commands.on(RECIPIENT_UNREACHABLE)
def notify_unreachable(effects: Effects, address: Address) -> None:
    """Name a member whose private message failed in a shared chat: the one they wrote in if a campaign
    is bound to it, else one bound to their campaign, else the chat of the failed message."""
    if address.user_id is None:
        return
    session = effects.session
    identity = session.exec(
        select(Identity).where(
            Identity.platform == address.platform, Identity.platform_user_id == address.user_id
        )
    ).first()
    member = session.get(Member, identity.member_id) if identity is not None else None
    target = Address(address.platform, address.chat_id, address.thread_id)
    if _open_binding(session, address.platform, address.chat_id) is None and member is not None:
        for campaign_id in active_campaign_ids(session, member):
            binding = session.exec(
                select(ChatBinding).where(
                    ChatBinding.campaign_id == campaign_id, ChatBinding.platform == address.platform
                )
            ).first()
            if binding is not None:
                target = Address(binding.platform, binding.chat_id, binding.thread_id)
                break
    _ = translator(member.language if member is not None else effects.config.default_language)[0]
    text = _(
        "I could not send you a private message: your direct messages seem closed to me. "
        "Open them to receive my personal answers."
    )
    effects.messages.append((target, Outgoing(text, mention=address.user_id)))
    log.info(
        "unreachable notice platform=%s chat=%s user=%s",
        target.platform,
        effects.config.log_id(target.chat_id),
        effects.config.log_id(address.user_id),
    )
