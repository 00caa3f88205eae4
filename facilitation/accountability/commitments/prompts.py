"""A commitment's two prompts: the reminder the day before its due day and the kind follow-up the day
after, each at a reasonable local hour, recorded once before it goes out, and re-timed with the member."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from facilitation.accountability.commitments.summary import ACTION_PREVIEW_WIDTH, OPEN, open_commitments
from facilitation.kernel.context import CoreConfig, Effects
from facilitation.kernel.hooks import MEMBER_TIMING_CHANGED
from facilitation.kernel.i18n import translator
from facilitation.kernel.refs import commitment_ref
from facilitation.kernel.router import CommandSet
from facilitation.kernel.scheduling import JobSpec
from facilitation.kernel.text import shorten
from facilitation.membership.members import member_address
from facilitation.membership.preferences import is_paused, local_day, local_slot, must_wait, show_day
from storage.models import Commitment, Member

commands = CommandSet()

REMINDER_DAYS_BEFORE = 1
"""The reminder comes the day before the due day (or on the morning of it, if made later)."""
FOLLOW_UP_DAYS_AFTER = 1
REMINDER_JOB = "commitment-reminder"
FOLLOW_UP_JOB = "commitment-follow-up"


def reminder_time(member: Member, config: CoreConfig, commitment: Commitment) -> datetime | None:
    """The day before the due day at a reasonable local hour, else the due day's morning, else none."""
    for day in (commitment.due_on - timedelta(days=REMINDER_DAYS_BEFORE), commitment.due_on):
        slot = local_slot(member, config, day)
        if slot > commitment.created_at:
            return slot
    return None


def follow_up_time(member: Member, config: CoreConfig, commitment: Commitment) -> datetime:
    return local_slot(member, config, commitment.due_on + timedelta(days=FOLLOW_UP_DAYS_AFTER))


PROMPT_COLUMNS = {REMINDER_JOB: "remind_at", FOLLOW_UP_JOB: "follow_up_at"}


def _prompt_key(kind: str, commitment_id: int | None) -> str:
    return f"{kind}:{commitment_id}"


def time_prompts(
    member: Member, config: CoreConfig, commitment: Commitment, new: bool = False
) -> list[JobSpec]:
    """Store when a commitment's reminder and follow-up go out (all for a `new` one, else those still
    pending); returns their jobs."""
    if new or commitment.remind_at is not None:
        commitment.remind_at = reminder_time(member, config, commitment)
    if new or commitment.follow_up_at is not None:
        commitment.follow_up_at = follow_up_time(member, config, commitment)
    return commitment_specs(commitment)


def commitment_specs(commitment: Commitment) -> list[JobSpec]:
    """The jobs an open commitment's stored prompt times call for."""
    if commitment.status != OPEN:
        return []
    return [
        _prompt_spec(kind, commitment)
        for kind, column in PROMPT_COLUMNS.items()
        if getattr(commitment, column) is not None
    ]


def _prompt_spec(kind: str, commitment: Commitment) -> JobSpec:
    """The job of one of the commitment's prompts, at its stored moment."""
    moment = getattr(commitment, PROMPT_COLUMNS[kind])
    return JobSpec(_prompt_key(kind, commitment.id), kind, moment, {"commitment_id": commitment.id})


def commitment_jobs(session: Session, config: CoreConfig, member: Member) -> list[JobSpec]:
    """Re-time the member's pending commitment prompts (after a zone or quiet-hours change)."""
    return [
        spec
        for commitment in open_commitments(session, member.id)
        for spec in time_prompts(member, config, commitment)
    ]


@commands.on(MEMBER_TIMING_CHANGED)
def retime_commitment_prompts(effects: Effects, member: Member) -> None:
    """The member's zone or quiet hours changed: their commitments' reminders and follow-ups move too."""
    for spec in commitment_jobs(effects.session, effects.config, member):
        effects.schedule(spec)


@commands.reconciler
def open_commitment_jobs(session: Session, now: datetime) -> list[JobSpec]:
    """Reminders and follow-ups of open commitments not handled yet."""
    rows = session.exec(
        select(Commitment)
        .where(Commitment.status == OPEN)
        .where(sa.or_(col(Commitment.remind_at).is_not(None), col(Commitment.follow_up_at).is_not(None)))
    ).all()
    return [spec for commitment in rows for spec in commitment_specs(commitment)]


def _run_commitment_prompt(effects: Effects, payload: dict, kind: str) -> None:
    """Shared by reminder and follow-up: wait if re-timed or in quiet hours, then prompt once."""
    commitment = effects.session.get(Commitment, payload["commitment_id"])
    column = PROMPT_COLUMNS[kind]
    moment = getattr(commitment, column) if commitment is not None else None
    if commitment is None or commitment.status != OPEN or moment is None:
        return
    member = effects.session.get_one(Member, commitment.member_id)
    now = effects.now()
    if must_wait(effects, member, commitment, column, lambda: _prompt_spec(kind, commitment)):
        return
    if not effects.record_prompt(_prompt_key(kind, commitment.id), member.id):
        return
    address = member_address(effects.session, member)
    if is_paused(member, now) or address is None:
        return  # recorded as handled: a paused member hears nothing, and nothing piles up
    _ = translator(member.language)[0]
    ref, action = commitment_ref(commitment), shorten(commitment.action, ACTION_PREVIEW_WIDTH)
    day = show_day(member.language, commitment.due_on)
    if kind == REMINDER_JOB:
        text = _(
            "A friendly reminder: your commitment {ref} “{action}” is due {day}. Tell your pod how it goes with /progress {ref} <news>, or /done {ref} when it is done.",
            ref=ref,
            action=action,
            day=day,
        )
    else:
        if local_day(member, commitment.updated_at) >= commitment.due_on:
            return  # news came on or after the due day: no follow-up needed
        text = _(
            "Your commitment {ref} “{action}” was due {day}. No pressure: how did it go? /done {ref} if it is done, /progress {ref} <news> if it is still moving, or /commit again with a new date.",
            ref=ref,
            action=action,
            day=day,
        )
    effects.send(address, text, private=True)


@commands.job(REMINDER_JOB)
def send_reminder(effects: Effects, payload: dict) -> None:
    _run_commitment_prompt(effects, payload, REMINDER_JOB)


@commands.job(FOLLOW_UP_JOB)
def send_follow_up(effects: Effects, payload: dict) -> None:
    _run_commitment_prompt(effects, payload, FOLLOW_UP_JOB)
