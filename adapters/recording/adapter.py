"""The recording adapter: the real core runs, only the final send is swapped for a list.

Tests push updates with `say` or `press` and read `sent`; `fail_next` makes the next sends fail the way a
platform would, to exercise the outbox's retries.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import ClassVar

from adapters.base import (
    Adapter,
    Address,
    Capabilities,
    ChatKind,
    Incoming,
    IncomingHandler,
    Outgoing,
    PlatformUser,
    Sender,
    TransientDeliveryError,
)


@dataclass(frozen=True)
class Sent:
    address: Address
    message: Outgoing

    @property
    def text(self) -> str:
        return self.message.text


class RecordingAdapter(Adapter):
    """Records every delivered message; can be told to fail the next sends."""

    platform: ClassVar[str] = "recording"
    capabilities: ClassVar[Capabilities] = Capabilities(max_text_length=4096, max_button_payload_bytes=64)

    def __init__(self, max_text_length: int | None = None) -> None:
        super().__init__()
        if max_text_length is not None:
            self.capabilities = Capabilities(max_text_length=max_text_length, max_button_payload_bytes=64)
        self.sent: list[Sent] = []
        self._failures: list[Exception] = []
        self._on_incoming: IncomingHandler | None = None
        self._message_ids = itertools.count(1)

    async def start(self, on_incoming: IncomingHandler) -> None:
        self._on_incoming = on_incoming

    async def stop(self) -> None:
        self._on_incoming = None

    def fail_next(self, count: int = 1, error: Exception | None = None) -> None:
        self._failures.extend([error or TransientDeliveryError("simulated outage", retry_after=0)] * count)

    async def send(self, address: Address, message: Outgoing) -> str | None:
        if self._failures:
            raise self._failures.pop(0)
        self.sent.append(Sent(address, message))
        return str(len(self.sent))

    def incoming(
        self,
        text: str = "",
        *,
        user: str = "alice",
        chat: str = "room",
        private: bool = False,
        language: str | None = None,
        button_token: str | None = None,
        via_link: bool = False,
        mentions: tuple[PlatformUser, ...] = (),
        reply_to: str | None = None,
        display_name: str | None = None,
        message_id: str | None = None,
        edited: bool = False,
    ) -> Incoming:
        """An update as a platform adapter would build it; every message gets a fresh id unless given one.

        The user id is also the user's @handle; `reply_to` is the user whose message this one answers;
        `display_name` (the user id in title case unless given) is the name anyone may choose.
        """
        chat_id = user if private else chat  # as on Telegram, a private chat has its user's id
        return Incoming(
            sender=Sender(
                self.platform,
                user,
                display_name=display_name or user.title(),
                language_hint=language,
                username=user,
            ),
            address=Address(self.platform, chat_id),
            chat_kind=ChatKind.PRIVATE if private else ChatKind.GROUP,
            text=text,
            button_token=button_token,
            via_link=via_link,
            message_id=message_id if message_id is not None else str(next(self._message_ids)),
            mentions=mentions,
            reply_to=PlatformUser(reply_to) if reply_to is not None else None,
            edited=edited,
        )
