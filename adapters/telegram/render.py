"""Outgoing messages as Bot API calls, and Bot API errors as the outbox's delivery errors.

Texts go without a parse mode: Telegram shows them exactly as written, so a resident's `<b>` or `&`
can never turn into markup and nothing needs escaping.
"""

from __future__ import annotations

import warnings
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import InlineKeyboardButtonLimit, MessageLimit
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from adapters.base import DeliveryError, Outgoing, PermanentDeliveryError, TransientDeliveryError

MAX_TEXT_LENGTH = MessageLimit.MAX_TEXT_LENGTH
MAX_CAPTION_LENGTH = MessageLimit.CAPTION_LENGTH
MAX_CALLBACK_DATA_BYTES = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA
DEEP_LINK = "https://t.me/{username}?start={token}"
"""Opens a private chat with the bot, which then receives `/start <token>`."""


def utf16_length(text: str) -> int:
    """A text's length as Telegram may count it: in UTF-16 code units, where an emoji counts two.

    Reports differ on whether the 4,096 limit counts code units or characters; splitting by code units
    keeps every piece within the limit either way, at the cost of shorter pieces for emoji-heavy text.
    """
    return len(text.encode("utf-16-le")) // 2


def deep_link(username: str, token: str) -> str:
    return DEEP_LINK.format(username=username, token=token)


def render(message: Outgoing, username: str) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text (or caption) and inline keyboard for `message`.

    A button marked `link` is also offered as a deep link: on a line of its own under the text when it
    fits, else as a URL button.
    """
    rows = [[InlineKeyboardButton(button.label, callback_data=button.token)] for button in message.buttons]
    links = [deep_link(username, button.token) for button in message.buttons if button.link]
    text = message.text
    limit = MAX_CAPTION_LENGTH if message.image_path or message.file_path else MAX_TEXT_LENGTH
    addition = "\n\n" + "\n".join(links) if links else ""
    if len(text) + len(addition) <= limit:
        text = (text + addition).strip()
    else:
        rows += [[InlineKeyboardButton(link, url=link)] for link in links]
    return text, InlineKeyboardMarkup(rows) if rows else None


def retry_after_seconds(error: RetryAfter) -> float:
    """The wait Telegram asked for, whichever type python-telegram-bot 22 hands out (int or timedelta)."""
    with warnings.catch_warnings():  # reading it as an int is deprecated; both types are handled here
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def delivery_error(error: TelegramError) -> DeliveryError | None:
    """How the outbox should treat a failed call; None for an error it should not classify."""
    if isinstance(error, RetryAfter):
        return TransientDeliveryError(str(error), retry_after=retry_after_seconds(error))
    if isinstance(error, (Forbidden, BadRequest, ChatMigrated)):
        # The bot was blocked or removed, the chat is gone, or Telegram refused the message itself.
        return PermanentDeliveryError(str(error))
    if isinstance(error, NetworkError):  # includes TimedOut and Telegram's 5xx answers
        return TransientDeliveryError(str(error))
    return None
