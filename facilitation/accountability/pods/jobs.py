"""The pods' scheduled jobs: their kinds, their ids (stable across restarts, so that a job is never
doubled), and the reconciler that rebuilds every one of them from stored state; with the two facts about a
pod it needs, who a member's peers are and where a streak of missed check-ins began."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from facilitation.kernel.router import CommandSet
from facilitation.kernel.scheduling import JobSpec
from storage.models import CheckIn, Cheer, Member, Pod, PodMember, PodSchedule, SentPrompt

commands = CommandSet()

BACKOFF_AFTER_MISSES = 2
"""From this many unanswered check-ins in a row, the cadence halves each time and the pod is told."""
NUDGE_LOOKBACK = timedelta(days=3)
"""Reconcile rebuilds peer nudges for answers this recent that were not delivered yet."""

INTRODUCTION_JOB = "pod-introduction"
CHECKIN_JOB = "checkin"
CHECKIN_REMINDER_JOB = "checkin-reminder"
NUDGE_JOB = "peer-nudge"
CHEER_JOB = "cheer"
QUIET_PEER_JOB = "quiet-peer"
ROTATION_JOB = "pods-rotate"


def _job(kind: str, moment: datetime | None, **ids: int | None) -> JobSpec:
    """A job at `moment` whose id, stable across restarts, is its kind and the ids it is about: `checkin:4:17`."""
    assert moment is not None
    return JobSpec(":".join([kind, *(str(value) for value in ids.values())]), kind, moment, dict(ids))


def checkin_spec(link: PodMember) -> JobSpec:
    return _job(CHECKIN_JOB, link.next_checkin_at, pod_id=link.pod_id, member_id=link.member_id)


def introduction_spec(link: PodMember) -> JobSpec:
    return _job(INTRODUCTION_JOB, link.introduce_at, pod_id=link.pod_id, member_id=link.member_id)


def reminder_spec(checkin: CheckIn) -> JobSpec:
    return _job(CHECKIN_REMINDER_JOB, checkin.remind_at, checkin_id=checkin.id)


def nudge_spec(checkin: CheckIn, peer_id: int | None, at: datetime) -> JobSpec:
    return _job(NUDGE_JOB, at, checkin_id=checkin.id, peer_id=peer_id)


def cheer_spec(cheer: Cheer) -> JobSpec:
    return _job(CHEER_JOB, cheer.deliver_at, checkin_id=cheer.checkin_id, member_id=cheer.member_id)


def quiet_peer_spec(link: PodMember, sequence: int, peer_id: int | None, at: datetime) -> JobSpec:
    """The kind word to `peer_id` about the member's streak of misses that began at check-in `sequence`."""
    return _job(
        QUIET_PEER_JOB, at, pod_id=link.pod_id, member_id=link.member_id, sequence=sequence, peer_id=peer_id
    )


def rotation_spec(schedule: PodSchedule) -> JobSpec:
    return _job(ROTATION_JOB, schedule.next_rotation_at, schedule_id=schedule.id)


def pod_peers(session: Session, pod: Pod, member_id: int | None) -> list[Member]:
    """The pod's other members, by id: those who hear about `member_id`'s check-ins."""
    ids = session.exec(
        select(PodMember.member_id).where(PodMember.pod_id == pod.id, PodMember.member_id != member_id)
    )
    return [session.get_one(Member, peer_id) for peer_id in sorted(ids)]


def streak_start(link: PodMember) -> int | None:
    """The check-in at which the member's current streak of misses made check-ins slow down, if it did."""
    if link.missed < BACKOFF_AFTER_MISSES:
        return None
    return link.checkins_sent - (link.missed - BACKOFF_AFTER_MISSES)


@commands.reconciler
def pod_jobs(session: Session, now: datetime) -> list[JobSpec]:
    """Check-ins of active pods, pending reminders, recent answers' nudges, rotations, and the
    introductions, cheers and kind words to peers that wait for someone's quiet hours."""
    specs = [
        checkin_spec(link)
        for link in session.exec(
            select(PodMember)
            .join(Pod, col(Pod.id) == col(PodMember.pod_id))
            .where(col(Pod.ended_at).is_(None), col(PodMember.next_checkin_at).is_not(None))
        )
    ]
    for checkin in session.exec(
        select(CheckIn).where(col(CheckIn.remind_at).is_not(None), col(CheckIn.answered_at).is_(None))
    ):
        specs.append(reminder_spec(checkin))
    specs += [
        rotation_spec(schedule)
        for schedule in session.exec(
            select(PodSchedule).where(col(PodSchedule.next_rotation_at).is_not(None))
        )
    ]
    specs += [
        cheer_spec(cheer) for cheer in session.exec(select(Cheer).where(col(Cheer.deliver_at).is_not(None)))
    ]
    for link, pod in session.exec(
        select(PodMember, Pod)
        .join(Pod, col(Pod.id) == col(PodMember.pod_id))
        .where(
            col(Pod.ended_at).is_(None),
            col(PodMember.introduce_at).is_not(None) | (col(PodMember.missed) >= BACKOFF_AFTER_MISSES),
        )
    ):
        if link.introduce_at is not None:
            specs.append(introduction_spec(link))
        sequence = streak_start(link)
        if sequence is None:
            continue
        for peer in pod_peers(session, pod, link.member_id):
            spec = quiet_peer_spec(link, sequence, peer.id, now)
            if session.get(SentPrompt, spec.job_id) is None:
                specs.append(spec)
    for checkin in session.exec(select(CheckIn).where(col(CheckIn.answered_at) >= now - NUDGE_LOOKBACK)):
        pod = session.get_one(Pod, checkin.pod_id)
        for peer in pod_peers(session, pod, checkin.member_id):
            if session.get(SentPrompt, f"nudge:{checkin.id}:{peer.id}") is None:
                assert checkin.answered_at is not None
                specs.append(nudge_spec(checkin, peer.id, checkin.answered_at))
    return specs
