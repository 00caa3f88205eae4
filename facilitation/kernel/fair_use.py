"""Fair use: one member's flood must not crowd out everyone else's replies."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

UPDATES_PER_MINUTE = 30
"""Commands, messages and button presses one person may send a minute before being asked to slow down."""
IDEAS_PER_MINUTE = 10
"""Ideas one person may record a minute (counted in the database, so it holds across processes)."""
WINDOW = timedelta(minutes=1)


class UpdateLimiter:
    """A sliding one-minute window per sender, kept in memory and checked before any database work."""

    def __init__(self, clock: Callable[[], datetime], limit: int = UPDATES_PER_MINUTE) -> None:
        self.clock = clock
        self.limit = limit
        self._recent: dict[tuple[str, str], deque[datetime]] = {}
        self._warned: dict[tuple[str, str], datetime] = {}

    def admit(self, sender: tuple[str, str]) -> bool | None:
        """True to handle the update; False to answer "slow down" (once a window); None to drop it."""
        now = self.clock()
        recent = self._recent.setdefault(sender, deque())
        while recent and now - recent[0] >= WINDOW:
            recent.popleft()
        if len(recent) < self.limit:
            recent.append(now)
            return True
        warned_at = self._warned.get(sender)
        if warned_at is None or now - warned_at >= WINDOW:
            self._warned[sender] = now
            return False
        return None
