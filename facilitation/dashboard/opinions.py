"""The opinion groups page's data: the stored groups as /groups tells them, and the participants' map
coloured by group (the map /groups sends, as SVG points), once the background job computed them; until
then, a word that they are not. No one is named on the map."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from facilitation.dashboard.themes import fit_to_map
from facilitation.planning.group_store import stored_groups
from facilitation.planning.opinions import group_points, groups_text
from storage.models import Campaign, OpinionGroupState


@dataclass(frozen=True)
class GroupPoint:
    x: float
    y: float
    group: int
    """The index of the participant's group in `GroupsView.legend`, or -1 when not grouped."""


@dataclass(frozen=True)
class GroupsView:
    lines: list[str]
    """The groups' digest line by line, as /groups says it."""
    legend: list[tuple[int, str]]
    """(colour index, "Group A · 5") of each group."""
    points: list[GroupPoint]


def groups_view(
    session: Session, campaign: Campaign, _: Callable[..., str], ngettext: Callable[..., str]
) -> GroupsView | None:
    """The groups as stored, or None while they were never computed for this campaign.

    Reading computes and stores nothing: the groups are recomputed in the background after votes."""
    stored = session.get(OpinionGroupState, campaign.id)
    if stored is None or stored.computed_at is None:
        return None
    groups = stored_groups(session, campaign)
    lines = groups_text(groups, _, ngettext).splitlines()
    drawn = group_points(groups, _)
    if drawn is None or not len(drawn[0]):
        return GroupsView(lines, [], [])
    points, classes, legend = drawn
    return GroupsView(
        lines,
        [(index, name) for index, (_group, name) in enumerate(legend)],
        [GroupPoint(x, y, int(group)) for (x, y), group in zip(fit_to_map(points), classes, strict=True)],
    )
