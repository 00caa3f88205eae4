"""The adapter contract every platform implements, and the neutral types it speaks.

An adapter starts without taking over the event loop, hands every update to the core as an `Incoming`,
and renders `Outgoing` messages within its platform's `Capabilities`. It knows nothing of campaigns.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import replace
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

log = logging.getLogger(__name__)

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
    "Receiving",
    "ResumePoints",
    "Sender",
    "TransientDeliveryError",
]


class Receiving:
    """Hands updates to the core and returns as soon as each is received for good: stored in the
    database's inbox (PostgreSQL), or else handled. An adapter tells its platform an update was received
    (a webhook's 200, the next polling offset) when `receive` returns; the handling goes on meanwhile, and
    `stop` waits for it."""

    def __init__(self) -> None:
        self._handling: set[asyncio.Task[None]] = set()

    async def receive(self, on_incoming: IncomingHandler, incoming: Incoming) -> None:
        """Raises what handling raised, when it ended before the update was stored."""
        stored = asyncio.Event()
        handling = asyncio.create_task(on_incoming(replace(incoming, receipt=stored.set)), name="handling")
        self._handling.add(handling)
        handling.add_done_callback(self._done)
        waiting = asyncio.create_task(stored.wait(), name="receipt")
        try:
            await asyncio.wait({handling, waiting}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiting.cancel()
        if handling.done() and not stored.is_set():
            handling.result()

    def _done(self, handling: asyncio.Task[None]) -> None:
        self._handling.discard(handling)
        if not handling.cancelled() and handling.exception() is not None:
            log.error("update failed after it was received", exc_info=handling.exception())

    async def stop(self, timeout: float) -> None:
        """Wait up to `timeout` seconds for the updates being handled; the rest wait in the inbox."""
        if self._handling:
            await asyncio.wait(set(self._handling), timeout=timeout)
        for handling in set(self._handling):
            handling.cancel()


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
