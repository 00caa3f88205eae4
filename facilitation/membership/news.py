"""Closing the loop: telling each contributor, privately, what became of their ideas.

Features call `notify` when something happens to an idea (merged, placed in a theme, supported by
`SUPPORT_MILESTONE` people, promoted to a prototype, that prototype publishing a version). Notices wait in
`ContributorNotice`; the `notices:<member>` job sends them at most once per `NOTICE_INTERVAL`, as one
message, a digest when several are waiting (one line per event: notices alike but for their idea are
told as one, naming the ideas), and never inside the member's quiet hours (see
facilitation.membership.preferences). Nothing is stored or sent for a member who used /mute (`Member.muted`, see
facilitation.membership.members, whose `notify_member` carries the message).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from facilitation.kernel.context import Effects
from facilitation.kernel.i18n import translator
from facilitation.kernel.router import CommandSet
from facilitation.kernel.scheduling import JobSpec
from facilitation.membership.members import notify_member
from facilitation.membership.preferences import outside_quiet_hours
from storage.models import ContributorNotice, Member

commands = CommandSet()

NOTICE_INTERVAL = timedelta(days=1)
"""At most one private message about a member's ideas in this span; more news waits and comes as a digest."""
SUPPORT_MILESTONE = 5
"""An idea reaching this many supporters is news for its author."""

MERGED, THEMED, SUPPORTED, PROTOTYPE, VERSION = "merged", "themed", "supported", "prototype", "version"


def notify(effects: Effects, member_id: int | None, kind: str, **details: Any) -> None:
    """Keep a piece of news for a contributor and make sure its delivery is scheduled."""
    if member_id is None:
        return
    member = effects.session.get(Member, member_id)
    if member is None or member.muted:
        return
    effects.session.add(
        ContributorNotice(member_id=member_id, kind=kind, details=details, created_at=effects.now())
    )
    effects.schedule(delivery_job(member_id, delivery_time(effects, member, effects.now())))


def last_sent(session: Session, member_id: int) -> datetime | None:
    return session.exec(
        select(func.max(ContributorNotice.sent_at)).where(ContributorNotice.member_id == member_id)
    ).one()


def earliest_delivery(session: Session, member_id: int, now: datetime) -> datetime:
    """Now, or a day after the last message about their ideas, whichever is later."""
    last = last_sent(session, member_id)
    return now if last is None else max(now, last + NOTICE_INTERVAL)


def delivery_time(effects: Effects, member: Member, now: datetime) -> datetime:
    """The earliest delivery that also falls outside the member's quiet hours."""
    earliest = earliest_delivery(effects.session, member.id, now)
    return outside_quiet_hours(member, effects.config, earliest)


def delivery_job(member_id: int, run_at: datetime) -> JobSpec:
    return JobSpec(f"notices:{member_id}", "notices", run_at, {"member_id": member_id})


@commands.reconciler
def pending_deliveries(session: Session, now: datetime) -> Iterable[JobSpec]:
    """A delivery job for each member with news waiting (the job itself waits out their quiet hours)."""
    waiting = session.exec(
        select(ContributorNotice.member_id)
        .join(Member, col(Member.id) == col(ContributorNotice.member_id))
        .where(col(ContributorNotice.sent_at).is_(None), col(Member.muted).is_(False))
        .distinct()
    )
    for member_id in waiting:
        yield delivery_job(member_id, earliest_delivery(session, member_id, now))


@commands.job("notices")
def deliver_notices(effects: Effects, payload: dict) -> None:
    """Send the waiting news in one message, unless one went out less than a day ago or the member is in
    their quiet hours (then wait for that)."""
    session = effects.session
    member = session.get(Member, payload["member_id"])
    if member is None:
        return
    pending = list(
        session.exec(
            select(ContributorNotice)
            .where(ContributorNotice.member_id == member.id, col(ContributorNotice.sent_at).is_(None))
            .order_by(col(ContributorNotice.id))
        )
    )
    if not pending or member.muted:
        for notice in pending:
            session.delete(notice)
        return
    now = effects.now()
    run_at = delivery_time(effects, member, now)
    if run_at > now:
        effects.schedule(delivery_job(member.id, run_at))
        return
    if notify_member(effects, member, notice_message(pending, member.language)):
        for notice in pending:
            notice.sent_at = now


def notice_message(notices: list[ContributorNotice], language: str) -> Callable[[Callable[..., str]], str]:
    """The message carrying `notices`, composed in its reader's language (see `notify_member`): one line
    per event, naming every idea of the reader's it concerns."""
    ngettext = translator(language)[1]

    def compose(_: Callable[..., str]) -> str:
        found = events(notices)
        if len(found) == 1:
            lines = [ngettext("News about your idea:", "News about your ideas:", len(found[0].ideas))]
        else:
            lines = [_("{count} pieces of news about your ideas:", count=len(found))]
        lines += [("• " if len(found) > 1 else "") + event.text(_, ngettext) for event in found]
        lines.append("")
        lines.append(_("Thank you for taking part. /mute stops these messages."))
        return "\n".join(lines)

    return compose


@dataclass
class Event:
    """Something that happened, told once: notices of one kind alike but for their idea."""

    kind: str
    details: dict[str, Any]
    ideas: list[str] = field(default_factory=list)

    def text(self, _: Callable[..., str], ngettext: Callable[..., str]) -> str:
        *first, last = self.ideas
        named = _("{first} and {last}", first=", ".join(first), last=last) if first else last
        return NOTICE_TEXTS[self.kind](ngettext, len(self.ideas), {**self.details, "idea": named})


def events(notices: list[ContributorNotice]) -> list[Event]:
    """The events `notices` tell, in the order they came: a prototype grown from a theme holding three of
    the reader's ideas is one event, not three."""
    found: dict[tuple[str, str], Event] = {}
    for notice in notices:
        details = {key: value for key, value in notice.details.items() if key != "idea"}
        key = (notice.kind, json.dumps(details, sort_keys=True))
        event = found.setdefault(key, Event(notice.kind, details))
        if notice.details["idea"] not in event.ideas:
            event.ideas.append(notice.details["idea"])
    return list(found.values())


NOTICE_TEXTS: dict[str, Callable[[Callable[..., str], int, dict[str, Any]], str]] = {
    MERGED: lambda ngettext, ideas, details: ngettext(
        "The close idea {idea} was merged into your idea {target}: they now count together.",
        "The close ideas {idea} were merged into your idea {target}: they now count together.",
        ideas,
        idea=details["idea"],
        target=details["target"],
    ),
    THEMED: lambda ngettext, ideas, details: ngettext(
        "Your idea {idea} is part of the theme {theme}: {label}.",
        "Your ideas {idea} are part of the theme {theme}: {label}.",
        ideas,
        **details,
    ),
    SUPPORTED: lambda ngettext, ideas, details: ngettext(
        "Your idea {idea} is supported by {supporters} people.",
        "Your ideas {idea} are each supported by {supporters} people.",
        ideas,
        idea=details["idea"],
        supporters=details["count"],
    ),
    PROTOTYPE: lambda ngettext, ideas, details: ngettext(
        "Your idea {idea} led to the prototype {prototype}: {title}. Join its team with /team {prototype}.",
        "Your ideas {idea} led to the prototype {prototype}: {title}. Join its team with /team {prototype}.",
        ideas,
        **details,
    ),
    VERSION: lambda ngettext, ideas, details: ngettext(
        "The prototype {prototype} ({title}), grown from your idea {idea}, published version {version}: "
        "{changes}. Tell them what you think with /feedback {prototype} <1-5> <your words>.",
        "The prototype {prototype} ({title}), grown from your ideas {idea}, published version {version}: "
        "{changes}. Tell them what you think with /feedback {prototype} <1-5> <your words>.",
        ideas,
        **details,
    ),
}
"""The news each kind of notice carries, for one idea or several; `details` fills it in, in the reader's
language at sending time."""
