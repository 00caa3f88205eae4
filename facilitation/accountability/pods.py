"""Pods: small groups of peers who check in on each other's commitments, and the prompts they receive.

`/pods [size]` (facilitators) groups members with open commitments, favouring people who share a theme or
prototype, avoiding pairs who met in earlier rotations, and keeping time zones close. Each member then gets
a check-in at the pod's cadence at a reasonable local hour; an answer reaches their peers as a peer-review
nudge. An unanswered check-in gets one gentle reminder; repeated misses lower the cadence and the pod is
told kindly. Every prompt is recorded with an idempotency key (`Effects.record_prompt`) before it goes to
the outbox, and every job is derived from stored state, so restarts and a second process neither lose
nor double one.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from facilitation.accountability.commitments.summary import OPEN, describe, open_commitments
from facilitation.kernel.context import Context, Effects
from facilitation.kernel.i18n import N_, translator
from facilitation.kernel.router import CommandSet, Role, UsageError, UserError
from facilitation.kernel.scheduling import JobSpec
from facilitation.kernel.text import clean_user_text
from facilitation.membership.campaigns import resolve_optional_campaign
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
    show_day,
    zone_of,
)
from facilitation.planning.votes import AGREE
from storage.db import insert_if_absent
from storage.models import (
    Campaign,
    CheckIn,
    Cheer,
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
    SentPrompt,
)

commands = CommandSet()

MIN_POD_SIZE = 2
MAX_POD_SIZE = 4
DEFAULT_POD_SIZE = 3
CHECKIN_CADENCE_DAYS = 7
FIRST_CHECKIN_AFTER = timedelta(days=2)
"""Time to meet the pod before the first check-in."""
CHECKIN_REMINDER_AFTER = timedelta(days=2)
"""The one gentle reminder comes this long after an unanswered check-in, at the next reasonable hour."""
BACKOFF_AFTER_MISSES = 2
"""From this many unanswered check-ins in a row, the cadence halves each time and the pod is told."""
MAX_CHECKIN_INTERVAL_DAYS = 28
NUDGE_LOOKBACK = timedelta(days=3)
"""Reconcile rebuilds peer nudges for answers this recent that were not delivered yet."""
ROTATION_WORDS = {
    "weekly": 7,
    "hebdomadaire": 7,
    "hebdo": 7,
    "fortnightly": 14,
    "biweekly": 14,
    "quinzaine": 14,
    "monthly": 28,
    "mensuel": 28,
    "mensuelle": 28,
}
ROTATION_OFF_WORDS = ("off", "stop", "arrêt", "arret", "non")
MAX_ROTATION_DAYS = 90

# Grouping weights: a repeat pairing costs most, then time-zone distance beyond a tolerance; shared links help.
REPEAT_COST = 100.0
ZONE_TOLERANCE_HOURS = 3.0
ZONE_COST_PER_HOUR = 5.0
SHARED_LINK_BONUS = 3.0
IMPROVEMENT_PASSES = 6
RESTARTS = 8
RESTART_MAX_PEOPLE = 60
"""Scopes up to this size try `RESTARTS` seeded orders; larger ones, one (the time-zone order)."""
SWAP_WINDOW = 10
"""Swaps are tried between groups this close in the placement order, which keeps grouping near-linear."""
MAX_MERGE_HOPS = 8
"""How far a chain of merged ideas is followed to find the theme a backed idea counts in."""

ON_TRACK, NEED_HELP, BLOCKED = "on_track", "need_help", "blocked"
STATUS_LABELS = {ON_TRACK: N_("On track"), NEED_HELP: N_("Need help"), BLOCKED: N_("Blocked")}
STATUS_WORDS = {
    ON_TRACK: ("on track", "en bonne voie", "ok"),
    NEED_HELP: ("need help", "besoin d'aide", "besoin d’aide", "help", "aide"),
    BLOCKED: ("blocked", "bloqué", "bloquée", "bloque"),
}

INTRODUCTION_JOB = "pod-introduction"
CHECKIN_JOB = "checkin"
CHECKIN_REMINDER_JOB = "checkin-reminder"
NUDGE_JOB = "peer-nudge"
CHEER_JOB = "cheer"
QUIET_PEER_JOB = "quiet-peer"
ROTATION_JOB = "pods-rotate"


# --- Grouping -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """What grouping needs of a member: id, current UTC offset in hours, and what their commitments serve."""

    member_id: int
    offset_hours: float
    links: frozenset[str] = frozenset()


Pair = frozenset[int]


def pair_cost(a: Person, b: Person, met: Counter[Pair]) -> float:
    cost = REPEAT_COST * met[frozenset((a.member_id, b.member_id))]
    cost += ZONE_COST_PER_HOUR * max(0.0, abs(a.offset_hours - b.offset_hours) - ZONE_TOLERANCE_HOURS)
    return cost - SHARED_LINK_BONUS * len(a.links & b.links)


class _Costs:
    """Pair costs, each computed once per grouping (the search asks for the same pairs many times)."""

    def __init__(self, met: Counter[Pair]) -> None:
        self.met = met
        self.known: dict[tuple[int, int], float] = {}

    def pair(self, a: Person, b: Person) -> float:
        key = (a.member_id, b.member_id) if a.member_id < b.member_id else (b.member_id, a.member_id)
        cost = self.known.get(key)
        if cost is None:
            cost = self.known[key] = pair_cost(a, b, self.met)
        return cost

    def with_group(self, person: Person, group: Sequence[Person], without: Person | None = None) -> float:
        return sum(
            self.pair(person, other) for other in group if other is not person and other is not without
        )


def group_members(people: Sequence[Person], size: int, met: Counter[Pair]) -> list[list[int]]:
    """Split people into groups of at most `size` (and at least 2), as cheap as local search finds.

    Greedy placement in `_placement_order`, then pairwise swaps between nearby groups while they lower the
    total cost; small
    scopes also try a few seeded shuffles and keep the cheapest. Deterministic for the same input.
    """
    ordered = sorted(people, key=_placement_order)
    count = max(1, math.ceil(len(ordered) / size))
    while count > 1 and len(ordered) // count < MIN_POD_SIZE:
        count -= 1  # nobody is left alone: a pod grows by one instead
    capacities = [
        len(ordered) // count + (1 if index < len(ordered) % count else 0) for index in range(count)
    ]
    costs = _Costs(met)
    best: list[list[Person]] | None = None
    best_cost = math.inf
    for attempt in range(RESTARTS if len(ordered) <= RESTART_MAX_PEOPLE else 1):
        order = list(ordered)
        if attempt:
            random.Random(attempt).shuffle(order)
        groups = _place(order, capacities, costs)
        for _pass in range(IMPROVEMENT_PASSES):
            if not _improve(groups, costs):
                break
        cost = sum(costs.with_group(person, group) for group in groups for person in group) / 2
        if cost < best_cost - 1e-9:
            best, best_cost = groups, cost
    assert best is not None
    return [sorted(person.member_id for person in group) for group in best]


def _placement_order(person: Person) -> tuple[float, str, float, int]:
    """Time-zone bands no wider than the tolerance, kindred people next to each other in each band: the
    greedy placement then starts from pods that keep both, and swaps only need to mend the edges."""
    band = person.offset_hours // ZONE_TOLERANCE_HOURS
    return band, min(person.links, default=""), person.offset_hours, person.member_id


def _place(order: Sequence[Person], capacities: list[int], costs: _Costs) -> list[list[Person]]:
    """Each person, in turn, joins the started group where they add the least cost, or the next empty one."""
    groups: list[list[Person]] = [[] for _ in capacities]
    started: list[int] = []
    next_empty = 0
    for person in order:
        candidates = [index for index in started if len(groups[index]) < capacities[index]]
        if next_empty < len(groups):
            candidates.append(next_empty)
        chosen = min(
            candidates, key=lambda index: (costs.with_group(person, groups[index]), not groups[index])
        )
        if chosen == next_empty:
            started.append(chosen)
            next_empty += 1
        groups[chosen].append(person)
    return groups


def _improve(groups: list[list[Person]], costs: _Costs) -> bool:
    """One pass of swaps between nearby groups, each taken when it lowers the cost; True if any did."""
    improved = False
    for i, first in enumerate(groups):
        for j in range(i + 1, min(len(groups), i + 1 + SWAP_WINDOW)):
            second = groups[j]
            for a_index, a in enumerate(first):
                for b_index, b in enumerate(second):
                    delta = (
                        costs.with_group(b, first, without=a)
                        - costs.with_group(a, first)
                        + costs.with_group(a, second, without=b)
                        - costs.with_group(b, second)
                    )
                    if delta < -1e-9:
                        first[a_index], second[b_index] = b, a
                        a = b
                        improved = True
    return improved


# --- Forming pods ---------------------------------------------------------------------------------------


def _schedule_for(session: Session, campaign: Campaign | None) -> PodSchedule:
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
        lines.append(f"• {peer.pseudonym}:")
        lines += [f"   {describe(language, commitment)}" for commitment in commitments] or [
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
    peers = _peers(session, pod, member.id)
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


# --- Commands -------------------------------------------------------------------------------------------


def parse_rotation(text: str) -> int | None:
    """Days between rotations from `weekly`, `hebdomadaire`, `every 2 weeks` or `10`; None when unreadable."""
    words = text.casefold().split()
    joined = " ".join(
        word for word in words if word not in ("every", "each", "chaque", "toutes", "tous", "les")
    )
    if joined in ROTATION_WORDS:
        return ROTATION_WORDS[joined]
    if joined in ("week", "semaine"):
        return 7
    if joined in ("month", "mois"):
        return 28
    number, _space, unit = joined.partition(" ")
    if number.isdigit():
        factor = {"": 1, "day": 1, "days": 1, "jours": 1, "weeks": 7, "semaines": 7}.get(unit)
        if factor is not None and 1 <= int(number) * factor <= MAX_ROTATION_DAYS:
            return int(number) * factor
    return None


@commands.command(
    "pods",
    N_("Form accountability pods among members with open commitments, or set their rotation"),
    N_("/pods [size 2-4] [#hashtag] or /pods rotate weekly|off"),
    role=Role.FACILITATOR,
)
def pods_command(ctx: Context, args: str) -> None:
    _ = ctx._
    campaign, rest = resolve_optional_campaign(ctx, clean_user_text(args))
    if campaign is not None:
        ctx.require_facilitator(campaign)
    schedule = _schedule_for(ctx.session, campaign)
    word, _space, rest_of_it = rest.strip().partition(" ")
    if word.casefold() in ("rotate", "rotation"):
        _set_rotation(ctx, schedule, rest_of_it)
        return
    if word:
        if not word.isdigit() or not MIN_POD_SIZE <= int(word) <= MAX_POD_SIZE:
            raise UsageError(
                _("A pod has {low} to {high} members, e.g. /pods 3.", low=MIN_POD_SIZE, high=MAX_POD_SIZE)
            )
        schedule.size = int(word)
    else:
        schedule.size = DEFAULT_POD_SIZE
    formed = form_pods(ctx, schedule)
    if formed is None:
        raise UserError(
            _("Pods need at least two members with open commitments. Invite people to make one with /commit.")
        )
    lines = [
        ctx.ngettext(
            "{count} pod formed (rotation {rotation}); each member now knows their pod and their peers' commitments:",
            "{count} pods formed (rotation {rotation}); each member now knows their pod and their peers' commitments:",
            len(formed),
            rotation=schedule.rotation,
        )
    ]
    lines += [" · ".join(member.pseudonym for member in members) for members in formed]
    lines.append(
        _(
            "Check-ins come every week at a reasonable local hour. /pods rotate weekly changes pods every week."
        )
    )
    ctx.reply("\n".join(lines))


def _set_rotation(ctx: Context, schedule: PodSchedule, text: str) -> None:
    _ = ctx._
    if text.strip().casefold().partition(" ")[0] in ROTATION_OFF_WORDS:
        schedule.rotate_days = schedule.next_rotation_at = None
        ctx.reply(_("Pods will not rotate any more; the current pods stay."))
        return
    days = parse_rotation(text)
    if days is None:
        raise UsageError(
            _("Say how often: /pods rotate weekly, fortnightly, monthly, a number of days, or off.")
        )
    schedule.rotate_days = days
    schedule.next_rotation_at = ctx.now() + timedelta(days=days)
    ctx.schedule(rotation_spec(schedule))
    ctx.reply(
        ctx.ngettext(
            "Pods will rotate every {count} day, next on {day}, avoiding pairs who already met.",
            "Pods will rotate every {count} days, next on {day}, avoiding pairs who already met.",
            days,
            day=show_day(ctx.member.language, local_day(ctx.member, schedule.next_rotation_at)),
        )
    )


# --- Check-ins ------------------------------------------------------------------------------------------


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
    """Send a pod member's check-in once, unless re-timed, paused or in quiet hours; plan the next one."""
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
    if member_address(session, member) is None:  # muted (or no account left): ask again next cycle
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
        for peer in _peers(session, pod, member.id):
            _tell_peer_kindly(effects, link, sequence, peer)
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


def _tell_peer_kindly(effects: Effects, link: PodMember, sequence: int, peer: Member) -> None:
    """Once per streak of misses: a peer hears, after their quiet hours, that check-ins slow down for this
    member. Paused and muted peers are spared it."""
    now = effects.now()
    key = quiet_peer_spec(link, sequence, peer.id, now).job_id  # the job's id is the prompt's key
    address = member_address(effects.session, peer)
    if address is None or is_paused(peer, now):
        effects.record_prompt(key, peer.id)  # handled: nothing piles up for their return
        return
    later = postponed(peer, effects.config, now, now)
    if later is not None:
        effects.schedule(quiet_peer_spec(link, sequence, peer.id, later))
        return
    if not effects.record_prompt(key, peer.id):
        return
    member = effects.session.get_one(Member, link.member_id)
    _ = translator(peer.language)[0]
    effects.send(
        address,
        _(
            "{name} has been quiet for a few check-ins, so I will check in with them less often. Life gets busy; a kind word from you may help more than any reminder.",
            name=member.pseudonym,
        ),
        private=True,
    )


def _streak_start(link: PodMember) -> int | None:
    """The check-in at which the member's current streak of misses made check-ins slow down, if it did."""
    if link.missed < BACKOFF_AFTER_MISSES:
        return None
    return link.checkins_sent - (link.missed - BACKOFF_AFTER_MISSES)


@commands.job(QUIET_PEER_JOB)
def send_quiet_peer_note(effects: Effects, payload: dict) -> None:
    """The kind word to a peer that waited for their quiet hours, unless the member answered since."""
    link = effects.session.get(PodMember, (payload["pod_id"], payload["member_id"]))
    pod = effects.session.get(Pod, payload["pod_id"])
    peer = effects.session.get(Member, payload["peer_id"])
    if link is None or pod is None or pod.ended_at is not None or peer is None:
        return
    if _streak_start(link) == payload["sequence"]:
        _tell_peer_kindly(effects, link, payload["sequence"], peer)


def _peers(session: Session, pod: Pod, member_id: int | None) -> list[Member]:
    ids = session.exec(
        select(PodMember.member_id).where(PodMember.pod_id == pod.id, PodMember.member_id != member_id)
    )
    return [session.get_one(Member, peer_id) for peer_id in sorted(ids)]


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


def _record_answer(ctx: Context, checkin: CheckIn, status: str | None, note: str) -> None:
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
    for peer in _peers(ctx.session, pod, ctx.member.id):
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
    _record_answer(ctx, checkin, payload["status"], "")


@commands.command(
    "checkin", N_("Answer your latest check-in in words"), N_("/checkin [on track|need help|blocked] <news>")
)
def checkin_command(ctx: Context, args: str) -> None:
    _ = ctx._
    text = clean_user_text(args)
    checkin = ctx.session.exec(
        select(CheckIn).where(CheckIn.member_id == ctx.member.id).order_by(col(CheckIn.sent_at).desc())
    ).first()
    if checkin is None:
        raise UserError(_("You have no check-in yet. It comes once you are in a pod."))
    status = None
    lowered = text.casefold()
    for candidate, words in STATUS_WORDS.items():
        for word in words:
            if lowered.startswith(word) and not lowered[len(word) : len(word) + 1].isalnum():
                status, text = candidate, text[len(word) :].strip(" :,-")
                break
        if status is not None:
            break
    if status is None and not text:
        raise UsageError(_("Write a few words after /checkin, e.g. /checkin on track, crew found."))
    _record_answer(ctx, checkin, status, text)


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
            lines.append(f"“{checkin.note}”")
        lines += [
            f"• {describe(peer.language, commitment)}" for commitment in open_commitments(session, author.id)
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


@commands.action("cheer")
def cheer_pressed(ctx: Context, payload: dict) -> None:
    """A peer cheers a check-in's author on: once per peer and check-in, after the author's quiet hours."""
    _ = ctx._
    checkin = ctx.session.get(CheckIn, payload["checkin_id"])
    pod = ctx.session.get(Pod, checkin.pod_id) if checkin is not None else None
    if (
        checkin is None
        or pod is None
        or ctx.member.id not in {peer.id for peer in _peers(ctx.session, pod, checkin.member_id)}
    ):
        raise UserError(_("Only the pod's peers can answer this update."))
    author = ctx.session.get_one(Member, checkin.member_id)
    now = ctx.now()
    table = Cheer.__table__  # type: ignore[attr-defined]
    if not insert_if_absent(
        ctx.session, table, checkin_id=checkin.id, member_id=ctx.member.id, created_at=now, deliver_at=now
    ):
        ctx.reply(_("You already cheered {name} on for this update.", name=author.pseudonym), private=True)
        return
    cheer = ctx.session.get_one(Cheer, (checkin.id, ctx.member.id))
    reachable = member_address(ctx.session, author) is not None and not is_paused(author, now)
    _deliver_cheer(ctx, cheer)
    if not reachable:
        answer = _(
            "Thank you! {name} is taking a break from messages, so I will not pass it on.",
            name=author.pseudonym,
        )
    elif cheer.deliver_at is not None:
        answer = _("Thank you! {name} will get it once their quiet hours are over.", name=author.pseudonym)
    else:
        answer = _("Sent: {name} will know you are behind them.", name=author.pseudonym)
    ctx.reply(answer, private=True)


def _deliver_cheer(effects: Effects, cheer: Cheer) -> None:
    """Pass a cheer on once, after its author's quiet hours; a paused or muted author is not disturbed."""
    if cheer.deliver_at is None:
        return
    now = effects.now()
    checkin = effects.session.get_one(CheckIn, cheer.checkin_id)
    author = effects.session.get_one(Member, checkin.member_id)
    address = member_address(effects.session, author)
    if address is None or is_paused(author, now):
        cheer.deliver_at = None
        return
    if must_wait(effects, author, cheer, "deliver_at", lambda: cheer_spec(cheer)):
        return
    if effects.record_prompt(f"{CHEER_JOB}:{checkin.id}:{cheer.member_id}", author.id):
        cheerer = effects.session.get_one(Member, cheer.member_id)
        their = translator(author.language)[0]
        effects.send(
            address, their("{name} read your update and cheers you on!", name=cheerer.pseudonym), private=True
        )


@commands.job(CHEER_JOB)
def send_cheer(effects: Effects, payload: dict) -> None:
    """A cheer that waited for the end of its author's quiet hours."""
    cheer = effects.session.get(Cheer, (payload["checkin_id"], payload["member_id"]))
    if cheer is not None:
        _deliver_cheer(effects, cheer)


@commands.job(ROTATION_JOB)
def rotate_pods(effects: Effects, payload: dict) -> None:
    """Form the scope's next pods at the rotation time, once."""
    schedule = effects.session.get(PodSchedule, payload["schedule_id"])
    if schedule is None or schedule.rotate_days is None or schedule.next_rotation_at is None:
        return
    now = effects.now()
    if schedule.next_rotation_at > now + EARLY_TOLERANCE:
        effects.schedule(rotation_spec(schedule))
        return
    if not effects.record_prompt(f"rotation:{schedule.id}:{schedule.rotation + 1}"):
        return
    form_pods(effects, schedule)
    step = timedelta(days=schedule.rotate_days)
    while schedule.next_rotation_at <= now:
        schedule.next_rotation_at += step
    effects.schedule(rotation_spec(schedule))


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
        sequence = _streak_start(link)
        if sequence is None:
            continue
        for peer in _peers(session, pod, link.member_id):
            spec = quiet_peer_spec(link, sequence, peer.id, now)
            if session.get(SentPrompt, spec.job_id) is None:
                specs.append(spec)
    for checkin in session.exec(select(CheckIn).where(col(CheckIn.answered_at) >= now - NUDGE_LOOKBACK)):
        pod = session.get_one(Pod, checkin.pod_id)
        for peer in _peers(session, pod, checkin.member_id):
            if session.get(SentPrompt, f"nudge:{checkin.id}:{peer.id}") is None:
                assert checkin.answered_at is not None
                specs.append(nudge_spec(checkin, peer.id, checkin.answered_at))
    return specs
