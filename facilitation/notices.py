"""Notices the core gives on its own when a platform keeps it from doing its job in a chat.

Both exist so that nothing fails silently: a chat where the bot cannot read messages is told once (and
remembered across restarts), and a member whose private messages cannot be delivered is named in a
shared chat of their campaign.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from facilitation.events import Address, ChatKind, Incoming, Outgoing
from facilitation.i18n import translator
from facilitation.members import active_campaign_ids
from facilitation.outbox import Outbox
from storage.db import Database
from storage.models import Campaign, ChatBinding, ChatNotice, Identity, Member

log = logging.getLogger(__name__)

HIDDEN_TEXT_NOTICE = "hidden_text"


def _open_binding(session: Session, platform: str, chat_id: str) -> ChatBinding | None:
    return session.exec(
        select(ChatBinding)
        .join(Campaign, col(Campaign.id) == col(ChatBinding.campaign_id))
        .where(ChatBinding.platform == platform, ChatBinding.chat_id == chat_id, Campaign.status == "open")
    ).first()


def notice_hidden_text(database: Database, outbox: Outbox, incoming: Incoming, language: str) -> None:
    """In a campaign's chat where the platform hides messages from the bot, say once that commands work."""
    address = incoming.address
    if incoming.chat_kind is ChatKind.PRIVATE:
        return
    try:
        with database.session() as session:
            if _open_binding(session, address.platform, address.chat_id) is None:
                return
            given = session.exec(
                select(ChatNotice).where(
                    ChatNotice.platform == address.platform,
                    ChatNotice.chat_id == address.chat_id,
                    ChatNotice.kind == HIDDEN_TEXT_NOTICE,
                )
            ).first()
            if given is not None:
                return
            session.add(
                ChatNotice(platform=address.platform, chat_id=address.chat_id, kind=HIDDEN_TEXT_NOTICE)
            )
            _ = translator(language)[0]
            text = _(
                "I cannot read ordinary messages in this chat, so messages with a #hashtag are not recorded "
                "here. Commands still work: share an idea with /idea."
            )
            outbox.enqueue(
                session, Address(address.platform, address.chat_id, address.thread_id), Outgoing(text)
            )
    except IntegrityError:
        pass  # another process gave the notice at the same moment


def notify_unreachable(database: Database, outbox: Outbox, address: Address, default_language: str) -> None:
    """Name a member whose private message failed in a shared chat: the one they wrote in if a campaign
    is bound to it, else one bound to their campaign, else the chat of the failed message."""
    if address.user_id is None:
        return
    with database.session() as session:
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
        _ = translator(member.language if member is not None else default_language)[0]
        text = _(
            "I could not send you a private message: your direct messages seem closed to me. "
            "Open them to receive my personal answers."
        )
        outbox.enqueue(session, target, Outgoing(text, mention=address.user_id))
        log.info(
            "unreachable notice platform=%s chat=%s user=%s", target.platform, target.chat_id, address.user_id
        )
