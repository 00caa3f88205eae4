"""Neutral events between adapters and the core.

Adapters turn platform updates into `Incoming` and render `Outgoing`; the core only speaks these types.
An `Address` is plain data so that a reply or a proactive message can be stored and sent after a restart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any


class ChatKind(StrEnum):
    """Where a message was written: one-to-one with the bot, or a shared room."""

    PRIVATE = "private"
    GROUP = "group"


@dataclass(frozen=True)
class Address:
    """Where to send a message: a chat on a platform, optionally a thread, or one user privately.

    `reply_handle` is opaque to the core: an adapter may put what it needs to answer an interaction there.
    """

    platform: str
    chat_id: str
    thread_id: str | None = None
    user_id: str | None = None
    reply_handle: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Address:
        return cls(**data)


@dataclass(frozen=True)
class Sender:
    """The person behind an incoming event, as the platform knows them.

    `username` is their handle where the platform makes it unique at any moment (Telegram's @username),
    so that `@handle` names them; a display name never does, since anyone may choose anyone's.
    """

    platform: str
    user_id: str
    display_name: str = ""
    language_hint: str | None = None
    is_bot: bool = False
    username: str | None = None


@dataclass(frozen=True)
class PlatformUser:
    """A person named by platform id: a mention the platform resolved, a picker's choice, or the author of
    the message replied to (commands that name a person trust nothing else)."""

    user_id: str
    display_name: str = ""


STREAM_KEY_PREFIX = "message:"


def stream_key(stream: str, number: int) -> str:
    """The `update_key` of message `number` in `stream`, for platforms whose messages are numbered in
    order within a channel (Discord): the core can then say where each stream was last handled."""
    return f"{STREAM_KEY_PREFIX}{stream}:{number}"


@dataclass(frozen=True)
class Incoming:
    """A text message, a command or a button press, in platform-neutral form.

    `command` is set when the platform delivers commands as structure (Discord slash commands);
    otherwise the core parses a leading `/word` from `text`. `message_id` is the platform's id for the
    update, used so that a re-delivered update is recorded once. `sees_only_commands` says the bot
    cannot read this chat's other messages (Telegram's privacy mode; Discord without the message-content
    intent, where such a message arrives with its text withheld); the core tells the chat once. `edited` says `text` replaces the earlier message with the same `message_id`.
    `moved_from_chat_id` says this chat continues one the platform replaced (a Telegram group upgraded
    to a supergroup), so what was bound to the old chat follows.
    """

    sender: Sender
    address: Address
    chat_kind: ChatKind = ChatKind.GROUP
    text: str = ""
    command: str | None = None
    args: str = ""
    button_token: str | None = None
    via_link: bool = False
    """`button_token` came in a shared link (a Telegram deep link), not from a press under a message:
    only tokens made for links (`Button.link`) act then, so a copied token cannot act for whoever opens it."""
    message_id: str | None = None
    update_key: str | None = None
    """The platform's id for this delivery, the same each time the platform delivers it again (Telegram's
    update_id, a Discord message or interaction id): the core handles each key once. None where updates
    are never delivered twice (the console)."""
    mentions: tuple[PlatformUser, ...] = ()
    reply_to: PlatformUser | None = None
    """The author of the message this one replies to, when the platform says who it is."""
    sees_only_commands: bool = False
    edited: bool = False
    moved_from_chat_id: str | None = None
    raw: Any = field(default=None, compare=False, repr=False)
    receipt: Callable[[], None] | None = field(default=None, compare=False, repr=False)
    """Called once the update is kept where a crash cannot lose it (PostgreSQL's inbox) and before it is
    handled, so that the platform may be told it was received then; never called where updates are kept
    only by handling them (SQLite: the platform hears of it once the update is handled)."""

    @property
    def platform(self) -> str:
        return self.sender.platform

    def to_dict(self) -> dict[str, Any]:
        """Plain data, to wait in the database's inbox for a worker of any process; `raw` and `receipt`
        are left out."""
        data = asdict(replace(self, raw=None, receipt=None))
        del data["raw"], data["receipt"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Incoming:
        values = dict(data)
        values["sender"] = Sender(**values["sender"])
        values["address"] = Address.from_dict(values["address"])
        values["chat_kind"] = ChatKind(values["chat_kind"])
        values["mentions"] = tuple(PlatformUser(**mention) for mention in values["mentions"])
        if values["reply_to"] is not None:
            values["reply_to"] = PlatformUser(**values["reply_to"])
        return cls(**values)


@dataclass(frozen=True)
class Button:
    """A button under a message. `token` is the opaque, stored key the platform sends back on press.

    `link` marks a button whose press also makes sense from a shared link (an invitation's Join): where
    the platform has links that open a private chat with the bot carrying a payload, the adapter offers
    one with `token` as that payload, and hands the token back as a press when the link is followed.
    """

    label: str
    token: str
    link: bool = False


@dataclass(frozen=True)
class Outgoing:
    """A message to render: plain text (adapters escape it for their markup), buttons, optional image.

    `private` asks the adapter to show it only to the addressed user where the platform can
    (an ephemeral interaction reply, or a direct message). `file_path` attaches a document (an export).
    `mention` is the platform user id of someone to notify by name at the start of the message.
    """

    text: str
    buttons: tuple[Button, ...] = ()
    image_path: str | None = None
    private: bool = False
    file_path: str | None = None
    mention: str | None = None
    erase_when_sent: bool = False
    """The outbox deletes it once delivered (or failed for good): a goodbye to someone forgotten."""
    language: str | None = None
    """The language `text` is written in, so an adapter's own words around it (a button hint) match."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "buttons": [asdict(button) for button in self.buttons],
            "image_path": self.image_path,
            "private": self.private,
            "file_path": self.file_path,
            "mention": self.mention,
            "erase_when_sent": self.erase_when_sent,
            "language": self.language,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Outgoing:
        return cls(
            text=data["text"],
            buttons=tuple(Button(**button) for button in data.get("buttons", ())),
            image_path=data.get("image_path"),
            private=data.get("private", False),
            file_path=data.get("file_path"),
            mention=data.get("mention"),
            erase_when_sent=data.get("erase_when_sent", False),
            language=data.get("language"),
        )


@dataclass(frozen=True)
class Capabilities:
    """What a platform can render; the core splits and shapes messages to fit."""

    max_text_length: int
    max_button_payload_bytes: int
    max_buttons: int = 10
    supports_images: bool = True
    max_caption_length: int | None = None
    """The longest text that can go with an image; None when it is `max_text_length`."""
    per_chat_interval: float = 0.0
    """Seconds to leave between two messages to one chat (the platform's flood limit); 0 for none."""
    global_interval: float = 0.0
    """Seconds to leave between any two messages on the platform; 0 for none."""
    rendered_length: Callable[[str], int] = len
    """How the platform counts a text against `max_text_length` once rendered (escaping included)."""


class DeliveryError(Exception):
    """An adapter could not deliver a message."""


class TransientDeliveryError(DeliveryError):
    """Try again later (rate limit, server error, network); `retry_after` comes from the platform if known."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help (chat gone, bot blocked, message refused): the message is marked failed."""


class RecipientUnreachableError(PermanentDeliveryError):
    """A private message cannot reach its user (direct messages closed, bot blocked): they are told in a
    shared chat instead (see `facilitation.kernel.outbox.DeliveryService.on_unreachable`)."""
