"""One-time notices to a chat, remembered in the database so that a restart does not repeat them."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import col

from facilitation.context import Context
from storage.models import ChatNotice

COMMANDS_ONLY = "commands_only"
"""The bot can read only commands in this chat, so hashtag messages there never reach it."""


def first_time(ctx: Context, kind: str) -> bool:
    """True the first time `kind` is asked for in the update's chat; records it in the update's transaction."""
    address = ctx.incoming.address
    if ctx.session.get(ChatNotice, (address.platform, address.chat_id, kind)) is not None:
        return False
    ctx.session.add(ChatNotice(platform=address.platform, chat_id=address.chat_id, kind=kind))
    return True


def tell_commands_only(ctx: Context) -> None:
    """Explain once in a shared chat where the bot sees only commands how ideas can still reach it."""
    if ctx.incoming.sees_only_commands and not ctx.is_private_chat and first_time(ctx, COMMANDS_ONLY):
        ctx.reply(
            ctx._(
                "A note for this chat: I can only see commands here, so messages with a #hashtag do not "
                "reach me. Share ideas with /idea, or ask an admin of this chat to let me read its "
                "messages (Townhall's README explains how)."
            )
        )


def follow_moved_chat(ctx: Context, old_chat_id: str) -> None:
    """Notices given in a chat the platform replaced count for the update's chat."""
    platform, new_chat_id = ctx.incoming.platform, ctx.incoming.address.chat_id
    ctx.session.exec(  # type: ignore[call-overload]
        update(ChatNotice)
        .where(col(ChatNotice.platform) == platform, col(ChatNotice.chat_id) == old_chat_id)
        .values(chat_id=new_chat_id)
    )
