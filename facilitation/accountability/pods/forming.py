"""Forming pods from stored state: who can take part, what each member backs, which pairs already met;
then the new pods, each member's first check-in, and the introduction to their peers' commitments."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from facilitation.accountability.commitments.summary import OPEN, describe, open_commitments
from facilitation.accountability.pods.grouping import MIN_POD_SIZE, Pair, Person, group_members
from facilitation.accountability.pods.jobs import (
    INTRODUCTION_JOB,
    checkin_spec,
    introduction_spec,
    pod_peers,
)
from facilitation.kernel.context import Effects
from facilitation.kernel.i18n import translator
from facilitation.kernel.router import CommandSet
from facilitation.membership.members import member_address
from facilitation.membership.preferences import local_day, must_wait, next_slot, show_day, zone_of
from facilitation.planning.votes import AGREE
from storage.models import (
    Campaign,
    Commitment,
    Idea,
    IdeaSupport,
    IdeaTheme,
    IdeaVote,
    Member,
    Membership,
    Pod,
    PodMember,
    PodSchedule,
    Prototype,
    PrototypeMember,
)

commands = CommandSet()

CHECKIN_CADENCE_DAYS = 7
FIRST_CHECKIN_AFTER = timedelta(days=2)
"""Time to meet the pod before the first check-in."""
MAX_MERGE_HOPS = 8
"""How far a chain of merged ideas is followed to find the theme a backed idea counts in."""


def schedule_for(session: Session, campaign: Campaign | None) -> PodSchedule:
    """The scope's pod schedule (a campaign's, or the one without a campaign), created on first use."""
    campaign_id = campaign.id if campaign else None
    schedule = session.exec(select(PodSchedule).where(PodSchedule.campaign_id == campaign_id)).first()
    if schedule is None:
        schedule = PodSchedule(campaign_id=campaign_id)
        session.add(schedule)
        session.flush()
    return schedule


def _candidates(session: Session, schedule: PodSchedule) -> list[Member]:
    """Members with open commitments in the schedule's scope (a campaign's members, or everyone)."""
    statement = select(Commitment.member_id).where(Commitment.status == "open").distinct()
    if schedule.campaign_id is not None:
        members_of_campaign = select(Membership.member_id).where(
            Membership.campaign_id == schedule.campaign_id, col(Membership.left_at).is_(None)
        )
        statement = statement.where(
            (Commitment.campaign_id == schedule.campaign_id)
            | (col(Commitment.campaign_id).is_(None) & col(Commitment.member_id).in_(members_of_campaign))
        )
    ids = sorted(session.exec(statement))
    return [session.get_one(Member, member_id) for member_id in ids]


def member_links(session: Session, member_ids: Sequence[int]) -> dict[int, frozenset[str]]:
    """What each member backs (`theme:3`, `prototype:2`), so that grouping puts kindred people together.

    A member backs a prototype whose team they joined or that an open commitment of theirs serves, and a
    theme that such a commitment serves, that one of their prototypes grows from, or that holds an idea
    they wrote, supported or voted for (a merged idea counts in the theme of the idea it joined).
    """
    themes: dict[int, set[int]] = {member_id: set() for member_id in member_ids}
    prototypes: dict[int, set[int]] = {member_id: set() for member_id in member_ids}
    for commitment in session.exec(
        select(Commitment).where(col(Commitment.member_id).in_(member_ids), Commitment.status == OPEN)
    ):
        if commitment.theme_id is not None:
            themes[commitment.member_id].add(commitment.theme_id)
        if commitment.prototype_id is not None:
            prototypes[commitment.member_id].add(commitment.prototype_id)
    for member_id, prototype_id in session.exec(
        select(PrototypeMember.member_id, PrototypeMember.prototype_id).where(
            col(PrototypeMember.member_id).in_(member_ids)
        )
    ):
        prototypes[member_id].add(prototype_id)
    backed_ideas = session.execute(
        sa.union(
            select(Idea.member_id, Idea.id).where(col(Idea.member_id).in_(member_ids)),
            select(IdeaSupport.member_id, IdeaSupport.idea_id).where(
                col(IdeaSupport.member_id).in_(member_ids)
            ),
            select(IdeaVote.member_id, IdeaVote.idea_id).where(
                col(IdeaVote.member_id).in_(member_ids), IdeaVote.choice == AGREE
            ),
        )
    ).all()
    grown_from = {
        prototype.id: prototype
        for prototype in session.exec(
            select(Prototype).where(
                col(Prototype.id).in_(
                    {prototype_id for found in prototypes.values() for prototype_id in found}
                )
            )
        )
    }
    theme_of_idea = idea_themes(
        session,
        {idea_id for _member, idea_id in backed_ideas}
        | {prototype.idea_id for prototype in grown_from.values() if prototype.idea_id is not None},
    )
    for member_id, idea_id in backed_ideas:
        if idea_id in theme_of_idea:
            themes[member_id].add(theme_of_idea[idea_id])
    for member_id, found in prototypes.items():
        for prototype_id in found:
            prototype = grown_from.get(prototype_id)
            if prototype is not None and prototype.theme_id is not None:
                themes[member_id].add(prototype.theme_id)
            elif prototype is not None and prototype.idea_id in theme_of_idea:
                themes[member_id].add(theme_of_idea[prototype.idea_id])
    return {
        member_id: frozenset(
            {f"theme:{theme_id}" for theme_id in themes[member_id]}
            | {f"prototype:{prototype_id}" for prototype_id in prototypes[member_id]}
        )
        for member_id in member_ids
    }


def idea_themes(session: Session, idea_ids: Iterable[int]) -> dict[int, int]:
    """The theme each idea counts in, as last computed: its own placement, or that of the idea it was
    merged into (merged ideas have none of their own). Ideas in no theme are left out."""
    found: dict[int, int] = {}
    following = {idea_id: idea_id for idea_id in idea_ids}  # each idea, and the one it now counts as
    for _merge in range(MAX_MERGE_HOPS):
        if not following:
            break
        placed = dict(
            session.exec(
                select(IdeaTheme.idea_id, IdeaTheme.theme_id).where(
                    col(IdeaTheme.idea_id).in_(set(following.values())), col(IdeaTheme.theme_id).is_not(None)
                )
            ).all()
        )
        merged = dict(
            session.exec(
                select(Idea.id, Idea.merged_into_id).where(
                    col(Idea.id).in_(set(following.values()) - placed.keys()),
                    col(Idea.merged_into_id).is_not(None),
                )
            ).all()
        )
        for idea_id, current in list(following.items()):
            if current in placed:
                found[idea_id] = placed[current]
            if current in merged:
                following[idea_id] = merged[current]
            else:
                del following[idea_id]
    return found


def past_pairs(session: Session, schedule: PodSchedule) -> Counter[Pair]:
    """How often each pair of members already shared a pod in this scope."""
    rows = session.exec(
        select(PodMember.pod_id, PodMember.member_id)
        .join(Pod, col(Pod.id) == col(PodMember.pod_id))
        .where(Pod.schedule_id == schedule.id)
    ).all()
    pods: dict[int, list[int]] = {}
    for pod_id, member_id in rows:
        pods.setdefault(pod_id, []).append(member_id)
    met: Counter[Pair] = Counter()
    for members in pods.values():
        for index, first in enumerate(members):
            for second in members[index + 1 :]:
                met[frozenset((first, second))] += 1
    return met


def active_pods(session: Session, schedule: PodSchedule) -> list[Pod]:
    return list(
        session.exec(
            select(Pod)
            .where(Pod.schedule_id == schedule.id, col(Pod.ended_at).is_(None))
            .order_by(col(Pod.id))
        )
    )


def form_pods(effects: Effects, schedule: PodSchedule) -> list[list[Member]] | None:
    """End the scope's current pods and form new ones; None when fewer than two members can take part."""
    members = _candidates(effects.session, schedule)
    if len(members) < MIN_POD_SIZE:
        return None
    now = effects.now()
    for pod in active_pods(effects.session, schedule):
        pod.ended_at = now
    met = past_pairs(effects.session, schedule)
    links = member_links(effects.session, [member.id for member in members if member.id is not None])
    by_id = {member.id: member for member in members}
    people = [
        Person(member.id, _offset_hours(member, now), links.get(member.id, frozenset()))
        for member in members
        if member.id is not None
    ]
    schedule.rotation += 1
    formed = []
    for group in group_members(people, schedule.size, met):
        pod = Pod(
            schedule_id=schedule.id,
            rotation=schedule.rotation,
            cadence_days=CHECKIN_CADENCE_DAYS,
            formed_at=now,
        )
        effects.session.add(pod)
        effects.session.flush()
        pod_members = [by_id[member_id] for member_id in group]
        links = [
            PodMember(
                pod_id=pod.id,
                member_id=member.id,
                next_checkin_at=next_slot(member, effects.config, now + FIRST_CHECKIN_AFTER),
                introduce_at=now,
            )
            for member in pod_members
        ]
        effects.session.add_all(links)
        effects.session.flush()
        for link in links:
            effects.schedule(checkin_spec(link))
            _introduce(effects, link)
        formed.append(pod_members)
    return formed


def _offset_hours(member: Member, now: datetime) -> float:
    offset = now.astimezone(zone_of(member)).utcoffset()
    return offset.total_seconds() / 3600 if offset is not None else 0.0


def _peer_lines(session: Session, language: str, peers: Sequence[Member]) -> list[str]:
    _ = translator(language)[0]
    lines = []
    for peer in peers:
        commitments = open_commitments(session, peer.id)
        lines.append("• " + _("{name}:", name=peer.pseudonym))
        lines += [f"   {describe(language, commitment, to_owner=False)}" for commitment in commitments] or [
            "   " + _("no open commitment")
        ]
    return lines


def _introduce(effects: Effects, link: PodMember) -> None:
    """Tell a member their pod and what each peer committed to, once, after their pause and quiet hours."""
    session = effects.session
    pod = session.get_one(Pod, link.pod_id)
    if link.introduce_at is None or pod.ended_at is not None:
        return
    member = session.get_one(Member, link.member_id)
    if must_wait(effects, member, link, "introduce_at", lambda: introduction_spec(link), wait_out_pause=True):
        return
    address = member_address(session, member)
    if address is None or not effects.record_prompt(f"pod:{pod.id}:{member.id}", member.id):
        return  # muted (they chose no proactive messages), or introduced already
    _ = translator(member.language)[0]
    peers = pod_peers(session, pod, member.id)
    lines = [
        _("Your accountability pod: {names}.", names=", ".join(peer.pseudonym for peer in peers)),
        _("What your peers committed to:"),
        *_peer_lines(session, member.language, peers),
    ]
    if link.next_checkin_at is not None:
        lines.append(
            _(
                "Your first check-in comes on {day}. Your peers will see your updates and cheer you on; /pause <days> if you need a break.",
                day=show_day(member.language, local_day(member, link.next_checkin_at)),
            )
        )
    effects.send(address, "\n".join(lines), private=True)


@commands.job(INTRODUCTION_JOB)
def send_introduction(effects: Effects, payload: dict) -> None:
    """A pod member's introduction that waited for the end of their pause or quiet hours."""
    link = effects.session.get(PodMember, (payload["pod_id"], payload["member_id"]))
    if link is not None:
        _introduce(effects, link)
