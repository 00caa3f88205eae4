"""Telegram's limit on messages in one group, kept without holding up other chats.

The outbox already leaves a second between two messages to a chat and paces the platform overall; a
group also takes at most about 20 messages a minute. Instead of sleeping (which would stall delivery
to every other chat), a send to a group that used up its minute is refused as transient with the wait,
so the outbox retries that chat alone when the window frees.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from telegram.constants import FloodLimit

GROUP_MESSAGES_PER_MINUTE = FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP
WINDOW_SECONDS = 60.0
MAX_TRACKED_GROUPS = 10_000
"""Groups silent for a minute are forgotten; this bounds the memory if very many talk at once."""


class GroupPace:
    """A sliding one-minute window of sends per group chat."""

    def __init__(
        self, per_minute: int = GROUP_MESSAGES_PER_MINUTE, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._sends: dict[int | str, deque[float]] = {}

    def wait(self, chat: int | str) -> float:
        """Seconds before `chat` may take another message; 0 for private chats and quiet groups."""
        if not is_group(chat):
            return 0.0
        sends = self._sends.get(chat)
        if sends is None:
            return 0.0
        now = self.clock()
        while sends and sends[0] <= now - WINDOW_SECONDS:
            sends.popleft()
        if len(sends) < self.per_minute:
            return 0.0
        return sends[0] + WINDOW_SECONDS - now

    def sent(self, chat: int | str) -> None:
        if not is_group(chat):
            return
        if len(self._sends) >= MAX_TRACKED_GROUPS:
            self._forget_quiet()
        self._sends.setdefault(chat, deque()).append(self.clock())

    def _forget_quiet(self) -> None:
        cutoff = self.clock() - WINDOW_SECONDS
        for chat in [chat for chat, sends in self._sends.items() if not sends or sends[-1] <= cutoff]:
            del self._sends[chat]


def is_group(chat: int | str) -> bool:
    """Group and supergroup ids are negative; an @username names a public supergroup or channel."""
    return isinstance(chat, str) or chat < 0
