"""Check-ins: each pod member's prompt at the pod's cadence and a reasonable local hour, the one gentle
reminder, the answer (a button or /checkin) and the peer-review nudge that carries it to the peers, and the
halving of the frequency after repeated misses; re-timed when the member's zone or quiet hours change."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from facilitation.accountability.commitments.summary import all_commitments_closed, describe, open_commitments
from facilitation.accountability.pods.cheers import tell_peer_kindly
from facilitation.accountability.pods.jobs import (
    BACKOFF_AFTER_MISSES,
    CHECKIN_JOB,
    CHECKIN_REMINDER_JOB,
    NUDGE_JOB,
    checkin_spec,
    nudge_spec,
    pod_peers,
    reminder_spec,
)
from facilitation.kernel.context import Context, Effects
from facilitation.kernel.hooks import MEMBER_TIMING_CHANGED
from facilitation.kernel.i18n import N_, quote, translator
from facilitation.kernel.router import CommandSet, UserError
from facilitation.membership.members import member_address
from facilitation.membership.preferences import (
    EARLY_TOLERANCE,
    is_paused,
    local_day,
    local_slot,
    must_wait,
    next_slot,
    outside_quiet_hours,
    postponed,
)
from storage.models import CheckIn, Member, Pod, PodMember

commands = CommandSet()

CHECKIN_REMINDER_AFTER = timedelta(days=2)
"""The one gentle reminder comes this long after an unanswered check-in, at the next reasonable hour."""
MAX_CHECKIN_INTERVAL_DAYS = 28

ON_TRACK, NEED_HELP, BLOCKED = "on_track", "need_help", "blocked"
STATUS_LABELS = {ON_TRACK: N_("On track"), NEED_HELP: N_("Need help"), BLOCKED: N_("Blocked")}


def check_in_interval(pod: Pod, missed: int) -> int:
    """Days to the next check-in: the pod's cadence, halved in frequency for each miss past the threshold."""
    doublings = max(0, missed - BACKOFF_AFTER_MISSES + 1)
    return min(MAX_CHECKIN_INTERVAL_DAYS, pod.cadence_days * 2**doublings)


def _latest_checkin(session: Session, pod_id: int | None, member_id: int | None) -> CheckIn | None:
    return session.exec(
        select(CheckIn)
        .where(CheckIn.pod_id == pod_id, CheckIn.member_id == member_id)
        .order_by(col(CheckIn.sequence).desc())
    ).first()


def _wait_until(effects: Effects, link: PodMember, moment: datetime) -> None:
    link.next_checkin_at = moment
    effects.schedule(checkin_spec(link))


@commands.job(CHECKIN_JOB)
def send_checkin(effects: Effects, payload: dict) -> None:
    """Send a pod member's check-in once, unless re-timed, paused, in quiet hours or with every commitment
    done; plan the next one."""
    session, config, now = effects.session, effects.config, effects.now()
    link = session.get(PodMember, (payload["pod_id"], payload["member_id"]))
    pod = session.get(Pod, payload["pod_id"])
    if link is None or pod is None or pod.ended_at is not None or link.next_checkin_at is None:
        return
    if link.next_checkin_at > now + EARLY_TOLERANCE:
        effects.schedule(checkin_spec(link))  # re-timed since this job was stored
        return
    member = session.get_one(Member, link.member_id)
    if is_paused(member, now):
        assert member.paused_until is not None
        _wait_until(effects, link, next_slot(member, config, member.paused_until))
        return
    later = outside_quiet_hours(member, config, now)
    if later > now:
        _wait_until(effects, link, later)
        return
    if member_address(session, member) is None or all_commitments_closed(session, member.id):
        # muted (or no account left), or every commitment done: neither asked nor counted as quiet
        # this cycle; ask again next cycle
        _wait_until(effects, link, next_slot(member, config, now + timedelta(days=pod.cadence_days)))
        return
    sequence = link.checkins_sent + 1
    if not effects.record_prompt(f"{CHECKIN_JOB}:{pod.id}:{member.id}:{sequence}", member.id):
        return  # another process sent this one and planned the next
    previous = _latest_checkin(session, pod.id, member.id)
    if previous is not None and previous.answered_at is None:
        link.missed += 1
        previous.remind_at = None
    checkin = CheckIn(pod_id=pod.id, member_id=member.id, sequence=sequence, sent_at=now)
    if link.missed == 0:
        checkin.remind_at = next_slot(member, config, now + CHECKIN_REMINDER_AFTER)
    session.add(checkin)
    session.flush()
    if checkin.remind_at is not None:
        effects.schedule(reminder_spec(checkin))
    _send_checkin_prompt(effects, member, checkin, reminder=False)
    if link.missed == BACKOFF_AFTER_MISSES:
        for peer in pod_peers(session, pod, member.id):
            tell_peer_kindly(effects, link, sequence, peer)
    link.checkins_sent = sequence
    day = local_day(member, link.next_checkin_at)
    interval = timedelta(days=check_in_interval(pod, link.missed))
    while (moment := local_slot(member, config, day + interval)) <= now:
        day += interval
    _wait_until(effects, link, moment)


def _send_checkin_prompt(effects: Effects, member: Member, checkin: CheckIn, reminder: bool) -> None:
    address = member_address(effects.session, member)
    if address is None:
        return
    _ = translator(member.language)[0]
    if reminder:
        lines = [
            _(
                "A gentle reminder, {name}: your pod would love to hear how it is going. One press is enough.",
                name=member.pseudonym,
            )
        ]
    else:
        lines = [_("Check-in time, {name}! How are your commitments going?", name=member.pseudonym)]
    lines += [
        f"• {describe(member.language, commitment)}"
        for commitment in open_commitments(effects.session, member.id)
    ]
    lines.append(_("Press a button; add a few words with /checkin <news> if you like."))
    buttons = tuple(
        effects.button(_(label), "checkin", checkin_id=checkin.id, status=status)
        for status, label in STATUS_LABELS.items()
    )
    effects.send(address, "\n".join(lines), buttons=buttons, private=True)


@commands.job(CHECKIN_REMINDER_JOB)
def send_checkin_reminder(effects: Effects, payload: dict) -> None:
    """The one gentle reminder of an unanswered check-in."""
    session, now = effects.session, effects.now()
    checkin = session.get(CheckIn, payload["checkin_id"])
    if checkin is None or checkin.answered_at is not None or checkin.remind_at is None:
        return
    pod = session.get(Pod, checkin.pod_id)
    member = session.get_one(Member, checkin.member_id)
    if must_wait(effects, member, checkin, "remind_at", lambda: reminder_spec(checkin)):
        return
    if pod is None or pod.ended_at is not None or is_paused(member, now):
        return
    if effects.record_prompt(f"{CHECKIN_REMINDER_JOB}:{checkin.id}", member.id):
        _send_checkin_prompt(effects, member, checkin, reminder=True)


def record_answer(ctx: Context, checkin: CheckIn, status: str | None, note: str) -> None:
    """Store the member's answer and let their peers know (each peer once per check-in)."""
    _ = ctx._
    now = ctx.now()
    if status is not None:
        checkin.status = status
    if note:
        checkin.note = note
    checkin.answered_at = checkin.answered_at or now
    checkin.remind_at = None
    link = ctx.session.get(PodMember, (checkin.pod_id, checkin.member_id))
    if link is not None:
        link.missed = 0
    pod = ctx.session.get_one(Pod, checkin.pod_id)
    for peer in pod_peers(ctx.session, pod, ctx.member.id):
        ctx.schedule(nudge_spec(checkin, peer.id, now))
    if status is not None:
        ctx.reply(
            _("Thank you! Your pod will see your update: {status}.", status=_(STATUS_LABELS[status])),
            private=True,
        )
    else:
        ctx.reply(_("Thank you! Your pod will see your words."), private=True)


@commands.action("checkin")
def checkin_pressed(ctx: Context, payload: dict) -> None:
    checkin = ctx.session.get(CheckIn, payload["checkin_id"])
    if checkin is None or checkin.member_id != ctx.member.id:
        raise UserError(ctx._("This check-in is not yours to answer."))
    record_answer(ctx, checkin, payload["status"], "")


@commands.job(NUDGE_JOB)
def send_nudge(effects: Effects, payload: dict) -> None:
    """A peer-review nudge: a peer's check-in answer, with a prompt to respond; each peer once per answer.

    A note added after the nudge went out follows once, as its own short message.
    """
    session, now = effects.session, effects.now()
    checkin = session.get(CheckIn, payload["checkin_id"])
    peer = session.get(Member, payload["peer_id"])
    if checkin is None or peer is None or checkin.answered_at is None:
        return
    later = postponed(peer, effects.config, now, now)
    if later is not None:
        effects.schedule(nudge_spec(checkin, peer.id, later))
        return
    address = member_address(session, peer)
    if address is None or is_paused(peer, now):
        effects.record_prompt(f"nudge:{checkin.id}:{peer.id}", peer.id)  # handled: paused peers get none
        return
    author = session.get_one(Member, checkin.member_id)
    _ = translator(peer.language)[0]
    if effects.record_prompt(f"nudge:{checkin.id}:{peer.id}", peer.id):
        lines = [
            _(
                "Peer review: {name} checked in — {status}.",
                name=author.pseudonym,
                status=_status_text(peer.language, checkin),
            )
        ]
        if checkin.note:
            lines.append(quote(_, checkin.note))
        lines += [
            f"• {describe(peer.language, commitment, to_owner=False)}"
            for commitment in open_commitments(session, author.id)
        ]
        lines.append(
            _("Take a moment to read it and respond: cheer them on, or offer a hand if they need one.")
        )
        cheer = effects.button(_("Cheer {name} on", name=author.pseudonym), "cheer", checkin_id=checkin.id)
        effects.send(address, "\n".join(lines), buttons=(cheer,), private=True)
    elif checkin.note and effects.record_prompt(f"note:{checkin.id}:{peer.id}", peer.id):
        effects.send(
            address, _("{name} added: “{note}”", name=author.pseudonym, note=checkin.note), private=True
        )


def _status_text(language: str, checkin: CheckIn) -> str:
    _ = translator(language)[0]
    return _(STATUS_LABELS[checkin.status]) if checkin.status else _("a few words")


@commands.on(MEMBER_TIMING_CHANGED)
def retime_checkins(effects: Effects, member: Member) -> None:
    """After a zone or quiet-hours change: the member's next check-ins move to the same local day's slot."""
    now = effects.now()
    links = effects.session.exec(
        select(PodMember)
        .join(Pod, col(Pod.id) == col(PodMember.pod_id))
        .where(
            PodMember.member_id == member.id,
            col(Pod.ended_at).is_(None),
            col(PodMember.next_checkin_at).is_not(None),
        )
    ).all()
    for link in links:
        assert link.next_checkin_at is not None
        moment = local_slot(member, effects.config, local_day(member, link.next_checkin_at))
        _wait_until(effects, link, moment if moment > now else next_slot(member, effects.config, now))
