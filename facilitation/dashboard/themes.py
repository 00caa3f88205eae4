"""The themes page's data: each theme with its count, sub-themes and quotes, and the theme map as points
to draw in SVG (each with its idea's id and words, for hovering and filtering)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from sqlmodel import Session, col, select

from facilitation.intelligence.theme_fingerprint import shown_ideas_fingerprint
from facilitation.intelligence.theme_map import drawn_rows, project_2d
from facilitation.intelligence.themes import CampaignThemes, stored_model, stored_themes
from facilitation.kernel.refs import idea_ref, theme_ref
from storage.models import Campaign, Theme

T = TypeVar("T")

MAP_WIDTH = 640
MAP_HEIGHT = 420
MAP_MARGIN = 12
KEPT = 16
"""Themes views, and theme maps' projections, kept in memory (the latest used): at thousands of ideas,
reading the ideas takes a second and finding the plane that parts the themes several."""
_views: OrderedDict[bytes, ThemesView] = OrderedDict()
"""Themes views by what they are read from (see `themes_view`)."""
_projections: OrderedDict[bytes, list[tuple[float, float]]] = OrderedDict()
"""The map's points by what they are drawn from: the vectors of the ideas drawn and the theme of each."""
_kept_lock = threading.Lock()
IDEAS_LISTED_PER_THEME = 30
"""Ideas listed under each theme, beside its quotes; the map shows them all (see `drawn_rows`)."""


@dataclass(frozen=True)
class Quote:
    ref: str
    text: str


@dataclass(frozen=True)
class ThemeCard:
    index: int
    """Position in the list, which is also the colour of its points on the map."""
    ref: str
    label: str
    count: int
    subthemes: list[tuple[str, str, int]]
    """(ref, label, count) of each sub-theme."""
    quotes: list[Quote]
    ideas: list[Quote]


@dataclass(frozen=True)
class MapPoint:
    x: float
    y: float
    theme: int
    """The `ThemeCard.index` of the idea's theme, or -1 for none."""
    ref: str
    text: str


@dataclass(frozen=True)
class ThemesView:
    themes: list[ThemeCard]
    points: list[MapPoint]
    other_count: int
    total: int


def themes_view(session: Session, campaign: Campaign) -> ThemesView:
    """The campaign's themes as last computed (nothing is computed here: /themes does that).

    Kept while what it is read from stays the same: the ideas in sight with their words, the model of
    their stored vectors, and the themes with their labels and when they were computed."""
    themes = session.exec(
        select(Theme.id, Theme.parent_id, Theme.label, Theme.idea_count, Theme.computed_at)
        .where(Theme.campaign_id == campaign.id, Theme.status == "active")
        .order_by(col(Theme.id))
    ).all()
    key = hashlib.sha256(
        json.dumps([campaign.id, [list(row) for row in themes]], default=str).encode()
        + shown_ideas_fingerprint(session, campaign, stored_model(session, campaign)).encode()
    ).digest()
    return _kept(_views, key, lambda: _themes_view(session, campaign))


def _themes_view(session: Session, campaign: Campaign) -> ThemesView:
    found = stored_themes(session, campaign)
    index_of = {theme.id: index for index, (theme, _children) in enumerate(found.themes)}
    members: dict[int, list[Quote]] = {index: [] for index in index_of.values()}
    for idea_id, (theme_id, _sub) in sorted(found.placement.items()):
        index = index_of.get(theme_id)
        if index is not None and len(members[index]) < IDEAS_LISTED_PER_THEME:
            members[index].append(Quote(idea_ref(found.ideas[idea_id]), found.ideas[idea_id].text))
    cards = [
        ThemeCard(
            index=index_of[theme.id],
            ref=theme_ref(theme.id),
            label=theme.label,
            count=theme.idea_count,
            subthemes=[(theme_ref(child.id), child.label, child.idea_count) for child in children],
            quotes=[
                Quote(idea_ref(found.ideas[idea_id]), found.ideas[idea_id].text)
                for idea_id in theme.representative_idea_ids
                if idea_id in found.ideas
            ],
            ideas=members[index_of[theme.id]],
        )
        for theme, children in found.themes
    ]
    return ThemesView(cards, map_points(found, index_of), found.other_count, found.total)


def map_points(found: CampaignThemes, index_of: dict[int | None, int]) -> list[MapPoint]:
    """The ideas projected on the plane that parts the themes best, scaled to the map's box; the same
    ideas the map picture draws."""
    if not found.themes or not len(found.idea_ids):
        return []
    rows = drawn_rows(len(found.idea_ids))
    ids = [int(found.idea_ids[row]) for row in rows]
    themes = np.array([index_of.get(found.placement.get(i, (None, None))[0], -1) for i in ids])
    vectors = np.ascontiguousarray(found.matrix[rows])
    key = hashlib.sha256(themes.tobytes() + vectors.tobytes()).digest()
    scaled = _kept(_projections, key, lambda: fit_to_map(project_2d(vectors, themes)))
    return [
        MapPoint(
            x,
            y,
            int(theme),
            idea_ref(found.ideas[i]),
            found.ideas[i].text,
        )
        for (x, y), theme, i in zip(scaled, themes, ids, strict=True)
    ]


def fit_to_map(plane: np.ndarray) -> list[tuple[float, float]]:
    """Points of a plane stretched to the map's box, y upwards as on a plot, in SVG coordinates."""
    low, high = plane.min(axis=0), plane.max(axis=0)
    span = np.where(high - low > 0, high - low, 1.0)
    box = np.array([MAP_WIDTH - 2 * MAP_MARGIN, MAP_HEIGHT - 2 * MAP_MARGIN])
    scaled = MAP_MARGIN + (plane - low) / span * box
    return [(round(float(x), 1), round(float(MAP_HEIGHT - y), 1)) for x, y in scaled]


def _kept(kept: OrderedDict[bytes, T], key: bytes, make: Callable[[], T]) -> T:
    """`kept[key]`, made by `make` the first time; the least recently used go beyond `KEPT`."""
    with _kept_lock:
        if key in kept:
            kept.move_to_end(key)
            return kept[key]
    made = make()
    with _kept_lock:
        kept[key] = made
        while len(kept) > KEPT:
            kept.popitem(last=False)
    return made
