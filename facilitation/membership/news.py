"""Closing the loop: telling each contributor, privately, what became of their ideas.

Features call `notify` when something happens to an idea (merged, placed in a theme, supported by
`SUPPORT_MILESTONE` people, promoted to a prototype, that prototype publishing a version). Notices wait in
`ContributorNotice`; the `notices:<member>` job sends them at most once per `NOTICE_INTERVAL`, as one
message, a digest when several are waiting, and never inside the member's quiet hours (see
facilitation.membership.preferences). Nothing is stored or sent for a member who used /mute (`Member.muted`, see
facilitation.membership.members, whose `notify_member` carries the message).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from facilitation.kernel.context import Effects
from facilitation.kernel.i18n import N_
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
    if notify_member(effects, member, notice_message(pending)):
        for notice in pending:
            notice.sent_at = now


def notice_message(notices: list[ContributorNotice]) -> Callable[[Callable[..., str]], str]:
    """The message carrying `notices`, composed in its reader's language (see `notify_member`)."""

    def compose(_: Callable[..., str]) -> str:
        if len(notices) == 1:
            lines = [_("News about your idea:")]
        else:
            lines = [_("{count} pieces of news about your ideas:", count=len(notices))]
        lines += [
            ("• " if len(notices) > 1 else "") + _(NOTICE_TEXTS[notice.kind], **notice.details)
            for notice in notices
        ]
        lines.append("")
        lines.append(_("Thank you for taking part. /mute stops these messages."))
        return "\n".join(lines)

    return compose


NOTICE_TEXTS: dict[str, str] = {
    MERGED: N_("The close idea {idea} was merged into your idea {target}: they now count together."),
    THEMED: N_("Your idea {idea} is part of the theme {theme}: {label}."),
    SUPPORTED: N_("Your idea {idea} is supported by {count} people."),
    PROTOTYPE: N_(
        "Your idea {idea} led to the prototype {prototype}: {title}. Join its team with /team {prototype}."
    ),
    VERSION: N_(
        "The prototype {prototype} ({title}), grown from your idea {idea}, published version {version}: "
        "{changes}. Tell them what you think with /feedback {prototype} <1-5> <your words>."
    ),
}
"""The news each kind of notice carries; `details` fills it in, in the reader's language at sending time."""
