"""A campaign's opinion groups, from its stored votes: who thinks alike and what each group stands for.

The votes of a campaign's ideas in sight (hidden and withdrawn ideas left out) make the participant ×
idea matrix; `intelligence.opinion_groups` finds the groups and `intelligence.opinion_stats` what each
stands for. `groups_text` writes the digest `townhall groups` prints, in the reader's language.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlmodel import Session, col, select

from facilitation.intelligence.opinion_groups import (
    ALGORITHM_VERSION,
    SEED,
    GroupingState,
    NotEnoughVotes,
    OpinionMap,
    opinion_map,
)
from facilitation.intelligence.opinion_stats import (
    Counts,
    common_ground,
    divisive_ideas,
    group_counts,
    representative_ideas,
)
from facilitation.kernel.context import Context
from facilitation.kernel.i18n import N_
from facilitation.kernel.refs import idea_ref
from facilitation.kernel.router import CommandSet
from facilitation.membership.campaigns import resolve_campaign
from facilitation.planning.votes import AGREE, CHOICES, DISAGREE, MATRIX_VALUES, vote_matrix
from storage.models import Campaign, Idea, OpinionGroupState, utcnow

COMMON_GROUND = 3
DIVISIVE = 3
MY_DIFFERENCES = 3
VALUE_CHOICES = {value: choice for choice, value in MATRIX_VALUES.items()}
LEANINGS = {AGREE: N_("agree"), DISAGREE: N_("disagree")}

commands = CommandSet()


@dataclass(frozen=True)
class CampaignGroups:
    """A campaign's matrix (members × ideas in sight) and what was found in it."""

    campaign: Campaign
    member_ids: list[int]
    ideas: list[Idea]
    votes: np.ndarray
    found: OpinionMap | NotEnoughVotes

    def group_of(self) -> dict[int, int]:
        """Member id → group id, for the grouped members."""
        if not isinstance(self.found, OpinionMap):
            return {}
        return {m: int(g) for m, g in zip(self.member_ids, self.found.labels, strict=True) if g >= 0}


def votes_key(member_ids: list[int], idea_ids: list[int], votes: np.ndarray) -> str:
    """A short name for exactly these votes: the same key means nothing changed since last time."""
    digest = hashlib.sha256()
    digest.update(np.asarray(member_ids, dtype=np.int64).tobytes())
    digest.update(np.asarray(idea_ids, dtype=np.int64).tobytes())
    digest.update(np.nan_to_num(votes, nan=9.0).astype(np.int8).tobytes())
    return digest.hexdigest()


def campaign_groups(session: Session, campaign: Campaign) -> CampaignGroups:
    """The campaign's opinion groups computed from its stored votes, stable from one computation to the next.

    The state the last computation returned is handed to this one and the new state stored; asked again
    before any vote changed, the computation is given the same state as last time, so it answers alike
    (a question does not count as one more recomputation toward a new number of groups)."""
    assert campaign.id is not None
    member_ids, idea_ids, votes = vote_matrix(session, campaign.id)
    by_id = {idea.id: idea for idea in session.exec(select(Idea).where(col(Idea.id).in_(idea_ids)))}
    key = votes_key(member_ids, idea_ids, votes)
    stored = session.get(OpinionGroupState, campaign.id)
    if stored is not None and stored.algorithm != ALGORITHM_VERSION:
        stored.previous_state, stored.state = {}, {}
    if stored is not None and stored.votes_key == key:
        given = stored.previous_state
    else:
        given = stored.state if stored is not None else {}
    found = opinion_map(votes, member_ids, GroupingState.from_json(given))
    if isinstance(found, OpinionMap):
        if stored is None:
            stored = OpinionGroupState(
                campaign_id=campaign.id, algorithm=ALGORITHM_VERSION, seed=SEED, votes_key=key
            )
        stored.algorithm, stored.seed, stored.votes_key = ALGORITHM_VERSION, SEED, key
        stored.previous_state, stored.state, stored.computed_at = given, found.state.as_json(), utcnow()
        session.add(stored)
    return CampaignGroups(campaign, member_ids, [by_id[i] for i in idea_ids], votes, found)


def group_name(group_id: int) -> str:
    """Groups are named by letter, A for the first: "A", "B"... then "G27" past Z."""
    return chr(ord("A") + group_id) if group_id < 26 else f"G{group_id + 1}"


def percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def groups_text(groups: CampaignGroups, _: Callable[..., str], ngettext: Callable[..., str]) -> str:
    """The digest: each group's size and representative ideas, common ground, the most divisive ideas."""
    hashtag = f"#{groups.campaign.hashtag}"
    found = groups.found
    if isinstance(found, NotEnoughVotes):
        needs = []
        if found.more_voters:
            needs.append(ngettext("{count} more voter", "{count} more voters", found.more_voters))
        if found.more_ideas:
            needs.append(
                ngettext("{count} more idea with votes", "{count} more ideas with votes", found.more_ideas)
            )
        return _(
            "Not enough votes yet in {hashtag} to find opinion groups: {needed} needed.",
            hashtag=hashtag,
            needed=_(" and ").join(needs),
        )
    counts = group_counts(groups.votes, found.labels)
    grouped = int((found.labels >= 0).sum())
    lines = [
        ngettext(
            "Opinion groups in {hashtag} ({count} voter grouped):",
            "Opinion groups in {hashtag} ({count} voters grouped):",
            grouped,
            hashtag=hashtag,
        )
    ]
    for group, representatives in representative_ideas(groups.votes, found.labels).items():
        size = int((found.labels == group).sum())
        lines.append(
            ngettext(
                "Group {name} · {count} person", "Group {name} · {count} people", size, name=group_name(group)
            )
        )
        lines.extend(
            idea_line(groups, index, counts[group], _) for index in (r.idea for r in representatives)
        )
    shared = common_ground(groups.votes, found.labels, COMMON_GROUND)
    lines.append(_("What nearly everyone agrees on:"))
    lines.extend(idea_line(groups, index, Counts.of(groups.votes[found.labels >= 0]), _) for index in shared)
    if not shared:
        lines.append("  " + _("nothing yet"))
    divisive = divisive_ideas(groups.votes, found.labels, DIVISIVE)
    if divisive:
        lines.append(_("Most divisive:"))
        for index in divisive:
            leanings = ", ".join(
                _(
                    "{name} {agree}% agree",
                    name=group_name(g),
                    agree=percent(int(c.agree[index]), int(c.seen[index])),
                )
                for g, c in counts.items()
            )
            idea = groups.ideas[index]
            lines.append(f"  {idea_ref(idea)} · {idea.text} ({leanings})")
    return "\n".join(lines)


def idea_line(groups: CampaignGroups, index: int, counts: Counts, _: Callable[..., str]) -> str:
    idea = groups.ideas[index]
    seen = int(counts.seen[index])
    shares = _(
        "agree {agree}%, disagree {disagree}%",
        agree=percent(int(counts.agree[index]), seen),
        disagree=percent(int(counts.disagree[index]), seen),
    )
    return f"  {idea_ref(idea)} · {idea.text} ({shares})"


def nearest_group(found: OpinionMap, row: int) -> int:
    """The participant's group, or for someone not grouped the group whose centre on the map is nearest."""
    if found.labels[row] >= 0:
        return int(found.labels[row])
    centres = {g: found.coordinates[found.labels == g].mean(axis=0) for g in found.group_ids}
    return min(centres, key=lambda g: float(np.linalg.norm(found.coordinates[row] - centres[g])))


def differences(groups: CampaignGroups, row: int, counts: Counts) -> list[tuple[int, str]]:
    """Ideas where the participant voted against their group's majority: (column, the group's leaning)."""
    mine = groups.votes[row]
    found = []
    for index in np.flatnonzero(~np.isnan(mine)):
        seen = int(counts.seen[index])
        agree, disagree = int(counts.agree[index]), int(counts.disagree[index])
        if mine[index] < 1 and 2 * agree > seen:
            found.append((int(index), AGREE))
        elif mine[index] > -1 and 2 * disagree > seen:
            found.append((int(index), DISAGREE))
    return found[:MY_DIFFERENCES]


def bridge(groups: CampaignGroups, group: int, counts: dict[int, Counts]) -> tuple[int, int] | None:
    """An idea another group's majority agrees with that this group's majority agrees with too, the one
    both agree with most: (column, the other group)."""
    mine = counts[group]
    best: tuple[float, int, int] | None = None
    for other, theirs in counts.items():
        if other == group:
            continue
        both = (2 * theirs.agree > theirs.seen) & (2 * mine.agree > mine.seen)
        for index in np.flatnonzero(both):
            score = float(theirs.agree_share()[index] * mine.agree_share()[index])
            if best is None or score > best[0]:
                best = (score, int(index), other)
    return None if best is None else (best[1], best[2])


def my_group_text(
    groups: CampaignGroups, member_id: int, _: Callable[..., str], ngettext: Callable[..., str]
) -> str:
    """Privately: the group the member is nearest, where they differ from it, and a bridge idea."""
    found = groups.found
    if isinstance(found, NotEnoughVotes):
        return groups_text(groups, _, ngettext)
    if member_id not in groups.member_ids:
        return _(
            "You have not voted on ideas of #{hashtag} yet. /ideas lists them; /vote <id> to give your opinion.",
            hashtag=groups.campaign.hashtag,
        )
    row = groups.member_ids.index(member_id)
    group = nearest_group(found, row)
    counts = group_counts(groups.votes, found.labels)
    size = int((found.labels == group).sum())
    lines = [
        ngettext(
            "In #{hashtag} you are nearest to group {name} ({count} person).",
            "In #{hashtag} you are nearest to group {name} ({count} people).",
            size,
            hashtag=groups.campaign.hashtag,
            name=group_name(group),
        )
    ]
    differing = differences(groups, row, counts[group])
    if differing:
        lines.append(_("Where you differ from group {name}:", name=group_name(group)))
        for index, leaning in differing:
            idea = groups.ideas[index]
            share = counts[group].agree if leaning == AGREE else counts[group].disagree
            mine = VALUE_CHOICES[float(groups.votes[row, index])]
            lines.append(
                f"  {idea_ref(idea)} · {idea.text} "
                + _(
                    "(you: {mine}; group {name}: {share}% {leaning})",
                    mine=_(CHOICES[mine]),
                    name=group_name(group),
                    share=percent(int(share[index]), int(counts[group].seen[index])),
                    leaning=_(LEANINGS[leaning]),
                )
            )
    else:
        lines.append(_("You vote as group {name} mostly does.", name=group_name(group)))
    found_bridge = bridge(groups, group, counts)
    if found_bridge is not None:
        index, other = found_bridge
        idea = groups.ideas[index]
        lines.append(
            _(
                "A bridge: {ref} · {text} — most of group {other} agree with it, and most of group {name} too.",
                ref=idea_ref(idea),
                text=idea.text,
                other=group_name(other),
                name=group_name(group),
            )
        )
    return "\n".join(lines)


@commands.command(
    "groups",
    N_("See who thinks alike, what each group stands for and what nearly everyone shares"),
    N_("/groups [#hashtag]"),
)
def groups_command(ctx: Context, args: str) -> None:
    campaign, _rest = resolve_campaign(ctx, args)
    ctx.reply(groups_text(campaign_groups(ctx.session, campaign), ctx._, ctx.ngettext))


@commands.command(
    "mygroup",
    N_("See, privately, the opinion group you are nearest and where you differ from it"),
    N_("/mygroup [#hashtag]"),
)
def my_group_command(ctx: Context, args: str) -> None:
    campaign, _rest = resolve_campaign(ctx, args)
    assert ctx.member.id is not None
    groups = campaign_groups(ctx.session, campaign)
    ctx.reply(my_group_text(groups, ctx.member.id, ctx._, ctx.ngettext), private=True)
