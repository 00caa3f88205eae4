"""The adapter contract every platform implements, and the neutral types it speaks.

An adapter starts without taking over the event loop, hands every update to the core as an `Incoming`,
and renders `Outgoing` messages within its platform's `Capabilities`. It knows nothing of campaigns.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import ClassVar

from facilitation.kernel.events import (
    Address,
    Button,
    Capabilities,
    ChatKind,
    DeliveryError,
    Incoming,
    Outgoing,
    PermanentDeliveryError,
    PlatformUser,
    Sender,
    TransientDeliveryError,
)

IncomingHandler = Callable[[Incoming], Awaitable[None]]
ResumePoints = Callable[[], Awaitable[dict[str, int | datetime]]]
"""Where to read each of a platform's streams (channels) on from, from the core: the number of the last
message handled there, or the moment the bot began to follow a channel where it handled nothing yet."""

__all__ = [
    "Adapter",
    "AdapterStartError",
    "Address",
    "Button",
    "Capabilities",
    "ChatKind",
    "DeliveryError",
    "Incoming",
    "IncomingHandler",
    "Outgoing",
    "PermanentDeliveryError",
    "PlatformUser",
    "ResumePoints",
    "Sender",
    "TransientDeliveryError",
]


class AdapterStartError(Exception):
    """An adapter cannot start because of its configuration (a refused token); the message names the setting."""


class Adapter(ABC):
    """A running connection to one platform.

    `start` returns once the adapter is receiving (its work continues in background tasks); `stop` ends
    it cleanly. `send` raises `TransientDeliveryError` when a retry may succeed and
    `PermanentDeliveryError` when it cannot. An adapter that ends on its own (the console at end of
    input) sets `finished`.

    `resume_points`, set by the wiring before `start`, serves a platform that cannot re-deliver what a
    crashed process had received (Discord's gateway starts a new session): the adapter reads each stream
    on from its last handled message, and the core handles each message once.
    """

    platform: ClassVar[str]
    capabilities: ClassVar[Capabilities]

    def __init__(self) -> None:
        self.finished = asyncio.Event()
        self.resume_points: ResumePoints | None = None

    @abstractmethod
    async def start(self, on_incoming: IncomingHandler) -> None: ...

    @abstractmethod
    async def stop(self) -> None: ...

    @abstractmethod
    async def send(self, address: Address, message: Outgoing) -> str | None:
        """Deliver one message; return the platform's id for it when there is one."""

    async def lead(self) -> None:  # noqa: B027 (optional: most platforms need nothing)
        """What one process does for all the processes serving the platform (Telegram's webhook and
        command menu): called after `start` in the elected leader, and again whenever it leads anew."""
