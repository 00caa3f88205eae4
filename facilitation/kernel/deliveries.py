"""Each update handled once, however often its platform delivers it.

A platform delivers an update again when it never heard that the first delivery was received: Telegram
re-sends every update after the last offset a crashed process confirmed, retries a webhook that got no
answer, and a Discord catch-up reads messages that may have been handled already. The core records the
delivery's key (`Incoming.update_key`) in the transaction that handles it, so a delivery seen again finds
the key and changes nothing; a crash before the commit leaves no key, and the next delivery is handled.

A platform whose messages come numbered in streams (Discord: snowflakes per channel) writes its message
keys with `events.stream_key`, so that after a restart it can read each stream on from the last
message handled there (`resume_points`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from facilitation.kernel.events import STREAM_KEY_PREFIX, Incoming
from storage.db import insert_if_absent
from storage.models import HandledUpdate

log = logging.getLogger(__name__)

KEPT_FOR = timedelta(days=7)
"""How long a delivery's key is kept: far beyond the 24 hours Telegram keeps an unconfirmed update."""


def first_delivery(session: Session, incoming: Incoming, now: datetime) -> bool:
    """Record the update's delivery key; False when it was recorded already (the update was handled).

    Updates without a key (the console's lines) are always new. On PostgreSQL a concurrent delivery of
    the same key waits for the other transaction, then finds the key. The chat's keys older than
    `KEPT_FOR` go at the same time, so the table holds about a week of each chat.
    """
    if incoming.update_key is None:
        return True
    table = HandledUpdate.__table__  # type: ignore[attr-defined]
    first = insert_if_absent(
        session,
        table,
        platform=incoming.platform,
        update_key=incoming.update_key,
        chat_id=incoming.address.chat_id,
        handled_at=now,
    )
    if first:
        session.exec(  # type: ignore[call-overload]
            delete(HandledUpdate).where(
                col(HandledUpdate.platform) == incoming.platform,
                col(HandledUpdate.chat_id) == incoming.address.chat_id,
                col(HandledUpdate.handled_at) < now - KEPT_FOR,
            )
        )
    else:
        log.info(
            "update delivered again, not handled twice platform=%s key=%s",
            incoming.platform,
            incoming.update_key,
        )
    return first


def resume_points(session: Session, platform: str) -> dict[str, int]:
    """The highest message number handled in each stream of `platform`, among the keys still kept."""
    keys = session.exec(
        select(HandledUpdate.update_key).where(
            HandledUpdate.platform == platform, col(HandledUpdate.update_key).startswith(STREAM_KEY_PREFIX)
        )
    )
    points: dict[str, int] = {}
    for key in keys:
        stream, _, number = key.removeprefix(STREAM_KEY_PREFIX).rpartition(":")
        if stream and number.isdigit():
            points[stream] = max(points.get(stream, 0), int(number))
    return points
