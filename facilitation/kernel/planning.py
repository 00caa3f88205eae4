"""What rounds, votes, prototypes, contributor notices and publications share: short ids, times shown in a
reader's zone, the language of a scheduled message, members' published names, and the ideas that may be
shown."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime
from sqlmodel import Session, col, select

from facilitation.kernel.context import Context, Effects
from facilitation.kernel.i18n import translator
from storage.models import Campaign, Idea, Member

MOMENT_FORMAT = "EEEE d MMMM, HH:mm zzzz"
"""How a closing time reads: weekday, day, month, time and the zone's name, in the reader's language."""

_REF_PATTERN = re.compile(r"^([a-z]?)(\d{1,9})$")


def idea_ref(idea: Idea) -> str:
    """The short id residents type and read: i42."""
    return f"i{idea.id}"


def parse_ref(word: str, prefixes: str) -> tuple[str, int] | None:
    """`("p", 3)` for `p3` (or a bare `3`, read as the first prefix); None if it is not such an id."""
    match = _REF_PATTERN.match(word.strip().casefold())
    if match is None or (match.group(1) and match.group(1) not in prefixes):
        return None
    return match.group(1) or prefixes[0], int(match.group(2))


def format_moment(moment: datetime, timezone: str, language: str) -> str:
    """A moment as a reader in `timezone` reads it, in their language."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return format_datetime(moment, MOMENT_FORMAT, tzinfo=zone, locale=language)


def texts_for(effects: Effects) -> tuple[Callable[..., str], Callable[..., str]]:
    """`(_, ngettext)`: the sender's language when answering someone, else the configured default."""
    if isinstance(effects, Context):
        return effects._, effects.ngettext
    return translator(effects.config.default_language)


def reader_language(effects: Effects) -> str:
    """The language of the sender when answering someone, else the configured default."""
    return effects.member.language if isinstance(effects, Context) else effects.config.default_language


def pseudonyms(session: Session, member_ids: list[int]) -> list[str]:
    """The published names of members, in the order given."""
    if not member_ids:
        return []
    names = dict(
        session.exec(select(Member.id, Member.pseudonym).where(col(Member.id).in_(member_ids))).all()
    )
    return [names[member_id] for member_id in member_ids if member_id in names]


def visible_ideas(session: Session, campaign: Campaign) -> list[Idea]:
    """Ideas that may be published: those neither hidden by a moderator nor withdrawn."""
    return list(
        session.exec(select(Idea).where(Idea.campaign_id == campaign.id, Idea.shown()).order_by(col(Idea.id)))
    )
