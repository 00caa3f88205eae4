"""A campaign's opinion groups in chat: who thinks alike and what each group stands for.

The groups are those last computed in the background (`group_store`); what each stands for
(`intelligence.opinion_stats`) is counted from the current votes on ideas in sight. `groups_text` writes
the digest /groups sends and `townhall groups` prints, in the reader's language, `group_map` its picture,
and `theme_leanings` how each group leans on each theme, for the round and /themes digests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from facilitation.intelligence.opinion_groups import NotEnoughVotes, OpinionMap
from facilitation.intelligence.opinion_stats import (
    Counts,
    common_ground,
    divisive_ideas,
    group_counts,
    representative_ideas,
)
from facilitation.intelligence.theme_map import draw_points, saved_picture
from facilitation.kernel.context import Context, Effects
from facilitation.kernel.hooks import THEME_LEANINGS
from facilitation.kernel.i18n import N_
from facilitation.kernel.refs import idea_ref
from facilitation.kernel.router import CommandSet
from facilitation.membership.campaigns import resolve_campaign
from facilitation.planning.group_store import CampaignGroups, stored_groups
from facilitation.planning.regrouping import request_groups
from facilitation.planning.votes import AGREE, CHOICES, DISAGREE, MATRIX_VALUES
from storage.models import Campaign

COMMON_GROUND = 3
DIVISIVE = 3
MY_DIFFERENCES = 3
VALUE_CHOICES = {value: choice for choice, value in MATRIX_VALUES.items()}
LEANINGS = {AGREE: N_("agree"), DISAGREE: N_("disagree")}
GROUP_MAPS_FOLDER = "group-maps"

commands = CommandSet()


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
    if found is None:
        return _(
            "The opinion groups of {hashtag} are being computed from the latest votes: ask again in a moment.",
            hashtag=hashtag,
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
    if groups.stale:
        lines.append(_("Votes came in since these groups were found: they are updating…"))
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
    centres = {g: np.nanmean(found.coordinates[found.labels == g], axis=0) for g in found.group_ids}
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
    if not isinstance(found, OpinionMap):
        return groups_text(groups, _, ngettext)
    if member_id not in groups.member_ids:
        return _(
            "You have not voted on ideas of #{hashtag} yet. /ideas lists them; /vote <id> to give your opinion.",
            hashtag=groups.campaign.hashtag,
        )
    row = groups.member_ids.index(member_id)
    if np.isnan(found.coordinates[row]).any():
        return _(
            "Your votes are not in the opinion groups of #{hashtag} yet: they are updating. Ask again in a moment.",
            hashtag=groups.campaign.hashtag,
        )
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


def group_points(
    groups: CampaignGroups, _: Callable[..., str]
) -> tuple[np.ndarray, np.ndarray, list[tuple[int, str]]] | None:
    """The placed participants' positions, the index in the legend of each one's group (-1: not grouped),
    and the legend, (group id, "Group A · 5") per group; None when there are no groups to draw."""
    found = groups.found
    if not isinstance(found, OpinionMap):
        return None
    placed = ~np.isnan(found.coordinates).any(axis=1)
    points, labels = found.coordinates[placed], found.labels[placed]
    index_of = {group: index for index, group in enumerate(found.group_ids)}
    classes = np.array([index_of.get(int(g), -1) for g in labels], dtype=int)
    legend = [
        (int(g), _("Group {name} · {count}", name=group_name(g), count=int((labels == g).sum())))
        for g in found.group_ids
    ]
    return points, classes, legend


def group_map(groups: CampaignGroups, folder: Path, _: Callable[..., str]) -> Path | None:
    """The participants' map coloured by group, as a PNG file in `folder` (reused while the same), or None
    when there are no groups to draw."""
    drawn = group_points(groups, _)
    if drawn is None:
        return None
    points, classes, legend = drawn
    texts = [_("not grouped"), _("Opinion groups of #{hashtag}", hashtag=groups.campaign.hashtag)]
    return saved_picture(
        lambda name: folder / GROUP_MAPS_FOLDER / f"{groups.campaign.hashtag}-{name}.png",
        [points.round(4).tolist(), classes.tolist(), legend, texts],
        lambda: draw_points(points, classes, legend, *texts),
    )


@commands.on(THEME_LEANINGS)
def theme_leanings(
    effects: Effects, campaign: Campaign, ideas_of: Mapping[int, Sequence[int]], _: Callable[..., str]
) -> dict[int, str]:
    """Per theme, each opinion group's agree share over its votes on the theme's ideas: "Groups: A 80%
    agree, B 10% agree"; nothing when the campaign has no groups."""
    groups = stored_groups(effects.session, campaign)
    found = groups.found
    if not isinstance(found, OpinionMap) or len(found.group_ids) < 2:
        return {}
    column_of = {idea.id: index for index, idea in enumerate(groups.ideas)}
    counts = group_counts(groups.votes, found.labels)
    notes = {}
    for theme_id, idea_ids in ideas_of.items():
        columns = [column_of[i] for i in idea_ids if i in column_of]
        leanings = [
            _(
                "{name} {agree}% agree",
                name=group_name(g),
                agree=percent(int(c.agree[columns].sum()), int(c.seen[columns].sum())),
            )
            for g, c in counts.items()
            if columns and c.seen[columns].sum() > 0
        ]
        if leanings:
            notes[theme_id] = _("Opinion groups: {leanings}", leanings=", ".join(leanings))
    return notes


@commands.command(
    "groups",
    N_("See who thinks alike, what each group stands for and what nearly everyone shares"),
    N_("/groups [#hashtag]"),
)
def groups_command(ctx: Context, args: str) -> None:
    campaign, _rest = resolve_campaign(ctx, args)
    assert campaign.id is not None
    groups = stored_groups(ctx.session, campaign)
    if groups.stale:  # a hidden or withdrawn idea changes the map too, with no vote to ask for it
        ctx.schedule(request_groups(ctx.session, campaign.id, ctx.now()))
    ctx.reply(groups_text(groups, ctx._, ctx.ngettext))
    picture = group_map(groups, ctx.config.data_dir, ctx._)
    if picture is not None:
        ctx.reply(ctx._("Opinion groups of #{hashtag}", hashtag=campaign.hashtag), image_path=str(picture))


@commands.command(
    "mygroup",
    N_("See, privately, the opinion group you are nearest and where you differ from it"),
    N_("/mygroup [#hashtag]"),
)
def my_group_command(ctx: Context, args: str) -> None:
    campaign, _rest = resolve_campaign(ctx, args)
    assert ctx.member.id is not None
    groups = stored_groups(ctx.session, campaign)
    ctx.reply(my_group_text(groups, ctx.member.id, ctx._, ctx.ngettext), private=True)
