"""A campaign's opinion groups, from its stored votes: who thinks alike and what each group stands for.

The votes of a campaign's ideas in sight (hidden and withdrawn ideas left out) make the participant ×
idea matrix; `intelligence.opinion_groups` finds the groups and `intelligence.opinion_stats` what each
stands for. `groups_text` writes the digest `townhall groups` prints, in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlmodel import Session, col, select

from facilitation.intelligence.opinion_groups import NotEnoughVotes, OpinionMap, opinion_map
from facilitation.intelligence.opinion_stats import (
    Counts,
    common_ground,
    divisive_ideas,
    group_counts,
    representative_ideas,
)
from facilitation.kernel.refs import idea_ref
from facilitation.planning.votes import vote_matrix
from storage.models import Campaign, Idea

COMMON_GROUND = 3
DIVISIVE = 3


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


def campaign_groups(session: Session, campaign: Campaign) -> CampaignGroups:
    """The campaign's opinion groups computed from its stored votes."""
    assert campaign.id is not None
    member_ids, idea_ids, votes = vote_matrix(session, campaign.id)
    by_id = {idea.id: idea for idea in session.exec(select(Idea).where(col(Idea.id).in_(idea_ids)))}
    found = opinion_map(votes, member_ids)
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
