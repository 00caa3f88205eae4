"""Telegram updates as neutral `Incoming` events.

Commands addressed to another bot (`/help@otherbot`) are left alone; an edited message is marked
`edited`; the first message of a group upgraded to a supergroup carries the old chat's id. `/start` is Telegram's door into a
private chat: alone it means /help; with a payload (from a deep link) it is the press of the button whose
stored token the payload is, marked as coming from a link (only link buttons act so).
"""

from __future__ import annotations

import re
from dataclasses import replace

from telegram import Chat, Message, MessageEntity, Update, User
from telegram.constants import ChatType

from adapters.base import Address, ChatKind, Incoming, PlatformUser, Sender

PLATFORM = "telegram"
START_PATTERN = re.compile(r"^/start(?:@(\w+))?(?:\s+(\S+))?\s*$", re.IGNORECASE)
ADDRESSED_COMMAND = re.compile(r"^/\w+@(\w+)")


def display_name(user: User) -> str:
    """The @username when there is one, else the full name (which anyone may choose)."""
    return user.username or user.full_name


def sender(user: User) -> Sender:
    """The account; its @username is its handle, unique on Telegram at any moment (a `mention` entity
    carries only that text, so the core matches it against the usernames it has seen)."""
    return Sender(
        PLATFORM,
        str(user.id),
        display_name=display_name(user),
        language_hint=user.language_code,
        is_bot=user.is_bot,
        username=user.username,
    )


def replied_to(message: Message) -> PlatformUser | None:
    """The author of the message this one answers. In a forum topic every message "answers" the topic's
    first message without the person choosing to; that, and a bot's message, name no one."""
    answered = message.reply_to_message
    if answered is None or answered.from_user is None or answered.from_user.is_bot:
        return None
    if message.is_topic_message and answered.message_id == message.message_thread_id:
        return None
    return PlatformUser(str(answered.from_user.id), display_name(answered.from_user))


def chat_kind(chat: Chat) -> ChatKind:
    return ChatKind.PRIVATE if chat.type == ChatType.PRIVATE else ChatKind.GROUP


def address(chat: Chat, message: Message | None = None) -> Address:
    """The chat (and forum topic) to answer in; `reply_handle` is the message answered, when there is one."""
    if message is None:
        return Address(PLATFORM, str(chat.id))
    thread = message.message_thread_id if message.is_topic_message else None
    return Address(
        PLATFORM,
        str(chat.id),
        thread_id=str(thread) if thread else None,
        reply_handle=str(message.message_id),
    )


def to_incoming(update: Update, bot_username: str, sees_only_commands: bool) -> Incoming | None:
    """The neutral event for `update`, or None for updates Townhall does not act on; its `update_key` is
    the update_id, which Telegram repeats when it delivers the update again.

    `sees_only_commands`: the bot's privacy mode hides a group's other messages from it.
    """
    incoming = _event(update, bot_username, sees_only_commands)
    return replace(incoming, update_key=str(update.update_id)) if incoming is not None else None


def _event(update: Update, bot_username: str, sees_only_commands: bool) -> Incoming | None:
    query = update.callback_query
    if query is not None:
        chat = query.message.chat if query.message is not None else None
        return Incoming(
            sender=sender(query.from_user),
            address=address(chat) if chat is not None else Address(PLATFORM, str(query.from_user.id)),
            chat_kind=chat_kind(chat) if chat is not None else ChatKind.PRIVATE,
            button_token=query.data or "",
            message_id=query.id,
            raw=update,
        )
    message = update.message or update.edited_message
    if message is None or message.from_user is None:
        return None
    if message.migrate_from_chat_id is not None:  # the group became this supergroup
        return Incoming(
            sender=sender(message.from_user),
            address=address(message.chat),
            moved_from_chat_id=str(message.migrate_from_chat_id),
            message_id=str(message.message_id),
            raw=update,
        )
    text = message.text or message.caption or ""
    if not text:
        return None
    addressed = ADDRESSED_COMMAND.match(text)
    if addressed and addressed.group(1).casefold() != bot_username.casefold():
        return None
    kind = chat_kind(message.chat)
    incoming = Incoming(
        sender=sender(message.from_user),
        address=address(message.chat, message),
        chat_kind=kind,
        text=text,
        message_id=str(message.message_id),
        mentions=tuple(
            PlatformUser(str(entity.user.id), display_name(entity.user))
            for entity in (message.entities or ())
            if entity.type == MessageEntity.TEXT_MENTION and entity.user is not None
        ),
        reply_to=replied_to(message),
        sees_only_commands=sees_only_commands and kind is ChatKind.GROUP,
        edited=update.edited_message is not None,
        raw=update,
    )
    start = START_PATTERN.match(text)
    if start is None:
        return incoming
    payload = start.group(2)
    if payload and kind is ChatKind.PRIVATE:
        return replace(incoming, text="", button_token=payload, via_link=True)
    return replace(incoming, command="help", args="")
