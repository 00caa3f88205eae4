"""A campaign's themes, kept in storage with stable ids, and the digest that reports them.

`compute_themes` reads the campaign's ideas and stored embeddings (embedding any idea still missing
one), groups them (`facilitation.intelligence.clustering`), and stores the result so that a theme keeps its id, and its
label while its top keywords hold, from one computation to the next. Merged ideas count with the idea
they joined. An idea placed in a theme for the first time, or moved to another, is news for its author
(`facilitation.membership.news`); the same placement computed again is not. The digest gives labels,
counts and representative ideas quoted verbatim with their ids, and the theme map is drawn as a picture.
Until the campaign's ideas change, the stored themes are still the campaign's (`fresh_themes`).
Reading (`theme_inputs`), grouping (`ThemeInputs.group`, no database) and storing (`save_themes`) are
apart, so that grouping thousands of ideas can run off the core's worker (`themes_command`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from sqlmodel import Session, col, select

from facilitation.intelligence import clustering
from facilitation.intelligence.embeddings import Embedder, store_embeddings, stored_embeddings
from facilitation.intelligence.theme_fingerprint import (
    ideas_fingerprint,
    remember_fingerprint,
    shown_ideas_fingerprint,
)
from facilitation.intelligence.theme_labels import Encode, provenance
from facilitation.intelligence.theme_map import MAP_MIN_IDEAS, draw_theme_map, saved_picture
from facilitation.kernel.context import Effects
from facilitation.kernel.refs import IDEA, idea_ref, ref, theme_ref
from facilitation.kernel.text import shorten
from facilitation.membership.news import THEMED, notify
from storage.models import (
    THEME_LABEL_MAX_LENGTH,
    Campaign,
    ContributorNotice,
    Idea,
    IdeaEmbedding,
    IdeaTheme,
    Theme,
    ThemesFingerprint,
    visible_ideas,
)

DIGEST_THEMES = 10
"""Themes described in a digest; smaller ones are summed up in one line."""
DIGEST_SUBTHEMES = 4
QUOTE_WIDTH = 220
"""A quoted idea longer than this is cut, with an ellipsis, at a word boundary."""
OTHER_IDS_SHOWN = 10
THEME_MAPS_FOLDER = "theme-maps"
"""Under the data folder: where theme-map pictures are written."""


class ThemesUnavailable(Exception):
    """Themes need the embedding model, which is not loaded (still loading, or turned off)."""


@dataclass(frozen=True)
class CampaignThemes:
    """The themes of a campaign as just computed and stored, with what the digest and the map need."""

    campaign: Campaign
    themes: list[tuple[Theme, list[Theme]]]
    """Top-level themes, largest first, each with its sub-themes."""
    ideas: dict[int, Idea]
    idea_ids: np.ndarray
    """The ideas grouped (merged ones left out), in the order of `matrix` rows."""
    matrix: np.ndarray
    placement: dict[int, tuple[int | None, int | None]]
    """Idea id to (theme id, sub-theme id); merged ideas take the place of the idea they joined."""
    other: list[int]
    other_count: int
    total: int


@dataclass(frozen=True)
class ThemeInputs:
    """What grouping a campaign's ideas needs, read from storage: the ideas, their vectors in idea id
    order (merged ones left out), the idea each one counts with, and how many ideas count with each."""

    ideas: dict[int, Idea]
    ids: np.ndarray
    matrix: np.ndarray
    joined: dict[int, int]
    """Idea id to the idea it counts with: itself, or the end of its chain of merges."""
    weights: np.ndarray
    fingerprint: str
    encode: Encode
    """The model that embedded the ideas, which also weighs label phrases by meaning."""

    def group(self) -> clustering.ThemeMap:
        """The grouping itself: computation only, no database, so it may run off the core's worker."""
        texts = [self.ideas[int(i)].text for i in self.ids]
        return clustering.find_themes(self.matrix, texts, self.weights, self.encode)


def theme_inputs(
    session: Session,
    campaign: Campaign,
    embedder: Embedder | None,
    embedded: Callable[[Idea, np.ndarray], None] = lambda idea, vector: None,
) -> ThemeInputs:
    """Read what grouping needs; ideas still without a vector are embedded and stored now, and each is
    passed to `embedded`."""
    if embedder is None or not embedder.ready:
        raise ThemesUnavailable
    ideas = {idea.id: idea for idea in visible_ideas(session, campaign) if idea.id is not None}
    ids, matrix = _embeddings(session, campaign, ideas, embedder, embedded)
    joined = {idea_id: _joined(ideas, idea_id) for idea_id in ideas}
    row_of = {int(idea_id): row for row, idea_id in enumerate(ids)}
    weights = np.zeros(len(ids), dtype=int)
    for target in joined.values():
        if target in row_of:
            weights[row_of[target]] += 1
    grouped = [(idea.id, idea.text, idea.status, idea.merged_into_id) for idea in ideas.values()]
    fingerprint = ideas_fingerprint(grouped, embedder.name)
    return ThemeInputs(ideas, ids, matrix, joined, weights, fingerprint, embedder.encode)


def save_themes(
    effects: Effects, campaign: Campaign, inputs: ThemeInputs, found: clustering.ThemeMap
) -> CampaignThemes:
    """Store the themes `found` from `inputs`, keeping ids of themes that continue, and tell the authors
    of ideas newly placed in a theme."""
    stored = store_themes(effects, campaign, inputs.ids, found)
    remember_fingerprint(effects.session, campaign, inputs.fingerprint)
    placement = {
        idea_id: stored.placement.get(target, (None, None)) for idea_id, target in inputs.joined.items()
    }
    return CampaignThemes(
        campaign=campaign,
        themes=stored.themes,
        ideas=inputs.ideas,
        idea_ids=inputs.ids,
        matrix=inputs.matrix,
        placement=placement,
        other=[int(inputs.ids[row]) for row in found.other],
        other_count=found.other_count,
        total=len(inputs.ideas),
    )


def compute_themes(
    effects: Effects,
    campaign: Campaign,
    embedder: Embedder | None,
    embedded: Callable[[Idea, np.ndarray], None] = lambda idea, vector: None,
) -> CampaignThemes:
    """Group the campaign's ideas into themes and store them, all in this unit of work."""
    inputs = theme_inputs(effects.session, campaign, embedder, embedded)
    return save_themes(effects, campaign, inputs, inputs.group())


def fresh_themes(session: Session, campaign: Campaign, embedder: Embedder) -> CampaignThemes | None:
    """The stored themes when they were computed from the ideas as they are now (same ideas, words,
    merges and model); None when they must be computed again."""
    remembered = session.get(ThemesFingerprint, campaign.id)
    if remembered is not None and remembered.fingerprint == shown_ideas_fingerprint(
        session, campaign, embedder.name
    ):
        return stored_themes(session, campaign)
    return None


def _joined(ideas: dict[int, Idea], idea_id: int) -> int:
    """The idea that `idea_id` counts with: the end of its chain of merges."""
    seen = {idea_id}
    idea = ideas[idea_id]
    while idea.status == "merged" and idea.merged_into_id in ideas and idea.merged_into_id not in seen:
        seen.add(idea.merged_into_id)
        idea = ideas[idea.merged_into_id]
    return idea_id if idea.id is None else idea.id


def _embeddings(
    session: Session,
    campaign: Campaign,
    ideas: dict[int, Idea],
    embedder: Embedder,
    embedded: Callable[[Idea, np.ndarray], None],
) -> tuple[np.ndarray, np.ndarray]:
    """Stored vectors of `ideas` but merged ones, in idea id order; missing ones embedded now."""
    ids, matrix = _only(stored_embeddings(session, campaign.id, embedder.name), ideas)
    have = set(ids.tolist())
    missing = [idea for idea in ideas.values() if idea.status != "merged" and idea.id not in have]
    if not missing:
        return ids, matrix
    vectors = embedder.encode([idea.text for idea in missing])
    store_embeddings(session, [idea.id for idea in missing], vectors, embedder.name)
    for idea, vector in zip(missing, vectors, strict=True):
        embedded(idea, vector)
    all_ids = np.concatenate([ids, np.array([idea.id for idea in missing], dtype=np.int64)])
    all_vectors = np.vstack([matrix, vectors]) if len(ids) else vectors
    order = np.argsort(all_ids, kind="stable")
    return all_ids[order], all_vectors[order]


def _only(stored: tuple[np.ndarray, np.ndarray], wanted: Collection[int]) -> tuple[np.ndarray, np.ndarray]:
    """The stored `(idea_ids, matrix)` cut down to the ideas in `wanted` (leaving out hidden ones)."""
    ids, matrix = stored
    if not len(ids):
        return ids, matrix
    kept = np.isin(ids, list(wanted))
    return ids[kept], matrix[kept]


def placements(session: Session, campaign: Campaign) -> dict[int, tuple[int | None, int | None]]:
    """Where each of the campaign's ideas was placed when themes were last computed: idea id to
    (theme id, sub-theme id), both None for "other". Ideas posted since, and merged ones, have no entry."""
    rows = session.exec(
        select(IdeaTheme.idea_id, IdeaTheme.theme_id, IdeaTheme.subtheme_id)
        .join(Idea, col(Idea.id) == col(IdeaTheme.idea_id))
        .where(Idea.campaign_id == campaign.id)
    )
    return {idea_id: (theme_id, subtheme_id) for idea_id, theme_id, subtheme_id in rows}


@dataclass(frozen=True)
class _Stored:
    themes: list[tuple[Theme, list[Theme]]]
    placement: dict[int, tuple[int | None, int | None]]


def store_themes(
    effects: Effects, campaign: Campaign, ids: np.ndarray, found: clustering.ThemeMap
) -> _Stored:
    """Write themes and placements, and tell the authors of ideas newly placed in a theme.

    A found group continues the stored theme it overlaps most; `ids` are the idea ids of the rows
    `found` refers to."""
    session = effects.session
    now = effects.now()
    active = list(
        session.exec(select(Theme).where(Theme.campaign_id == campaign.id, Theme.status == "active"))
    )
    members: dict[int, set[int]] = {}
    placed = placements(session, campaign)
    placed_before = {idea_id: theme_id for idea_id, (theme_id, _subtheme_id) in placed.items()}
    for idea_id, (theme_id, subtheme_id) in placed.items():
        for key in (theme_id, subtheme_id):
            if key is not None:
                members.setdefault(key, set()).add(idea_id)
    by_id = {theme.id: theme for theme in active}

    def ideas_of(theme: clustering.Theme) -> frozenset[int]:
        return frozenset(int(ids[row]) for row in theme.members)

    def save(found_theme: clustering.Theme, existing_id: int | None, parent_id: int | None) -> Theme:
        row = by_id.get(existing_id) if existing_id is not None else None
        if row is None:
            row = Theme(campaign_id=campaign.id, label="")
            session.add(row)
        keywords = list(found_theme.keywords)
        if not (row.keywords and set(row.keywords[: clustering.LABEL_KEYWORDS]) <= set(keywords)):
            label = found_theme.label  # the old label no longer says it
            row.label = label.text[:THEME_LABEL_MAX_LENGTH]
            row.label_source = provenance(label.method, (int(ids[i]) for i in label.rows))
        row.keywords = keywords
        row.parent_id = parent_id
        row.idea_count = found_theme.count
        row.representative_idea_ids = [int(ids[i]) for i in found_theme.representatives]
        row.computed_at = now
        row.status = "active"
        session.flush()
        return row

    def stored_of(level: list[Theme]) -> dict[int, frozenset[int]]:
        return {theme.id: frozenset(members.get(theme.id, ())) for theme in level if theme.id is not None}

    top_level = [theme for theme in active if theme.parent_id is None]
    sub_level = [theme for theme in active if theme.parent_id is not None]
    top_ids = clustering.match_theme_ids(stored_of(top_level), [ideas_of(t) for t in found.themes])
    all_subs = [sub for theme in found.themes for sub in theme.subthemes]
    sub_ids = iter(clustering.match_theme_ids(stored_of(sub_level), [ideas_of(s) for s in all_subs]))
    result: list[tuple[Theme, list[Theme]]] = []
    placement: dict[int, tuple[int | None, int | None]] = {}
    newly_placed: dict[int, Theme] = {}  # ideas now in a theme they were not in before ("other" is none)
    for found_theme, existing_id in zip(found.themes, top_ids, strict=True):
        parent = save(found_theme, existing_id, None)
        children = [save(sub, next(sub_ids), parent.id) for sub in found_theme.subthemes]
        for idea_id in ideas_of(found_theme):
            placement[idea_id] = (parent.id, None)
            if placed_before.get(idea_id) != parent.id:
                newly_placed[idea_id] = parent
        for sub, child in zip(found_theme.subthemes, children, strict=True):
            for idea_id in ideas_of(sub):
                placement[idea_id] = (parent.id, child.id)
        result.append((parent, children))
    kept = {theme.id for theme, children in result} | {c.id for _t, children in result for c in children}
    for theme in active:
        if theme.id not in kept:
            theme.status = "retired"
    session.exec(
        sa.delete(IdeaTheme).where(
            col(IdeaTheme.idea_id).in_(select(Idea.id).where(Idea.campaign_id == campaign.id))
        )
    )
    session.flush()
    placement.update({int(ids[row]): (None, None) for row in found.other})
    if placement:
        session.execute(
            sa.insert(IdeaTheme),
            [
                {"idea_id": idea_id, "theme_id": theme_id, "subtheme_id": subtheme_id}
                for idea_id, (theme_id, subtheme_id) in placement.items()
            ],
        )
    _tell_authors(effects, newly_placed, frozenset(placed_before))
    return _Stored(result, placement)


def _tell_authors(effects: Effects, newly_placed: dict[int, Theme], placed_earlier: frozenset[int]) -> None:
    """News for the author of each idea newly placed in a theme, unless they were already told about
    that idea in that theme (an idea that left for "other" and came back is no news).

    Only ideas that had a place before (`placed_earlier`) can have been told already."""
    ideas = {idea_id: effects.session.get_one(Idea, idea_id) for idea_id in newly_placed}
    authors = {ideas[idea_id].member_id for idea_id in newly_placed.keys() & placed_earlier} - {None}
    told: set[tuple[str, str]] = set()
    if authors:
        told = {
            (details.get("idea"), details.get("theme"))
            for details in effects.session.exec(
                select(ContributorNotice.details).where(
                    ContributorNotice.kind == THEMED, col(ContributorNotice.member_id).in_(authors)
                )
            )
        }
    for idea_id, theme in newly_placed.items():
        idea, ref = idea_ref(ideas[idea_id]), theme_ref(theme.id)
        if (idea, ref) not in told:
            notify(effects, ideas[idea_id].member_id, THEMED, idea=idea, theme=ref, label=theme.label)


def digest_text(
    result: CampaignThemes,
    _: Callable[..., str],
    ngettext: Callable[..., str],
    notes: Mapping[int, str] | None = None,
) -> str:
    """The themes digest: each theme's label, id and count, sub-themes, representative ideas verbatim,
    and under each theme its line of `notes` (by theme id) when there is one."""
    hashtag = result.campaign.hashtag
    if not result.themes:
        return _(
            "No themes yet in #{hashtag}: the {count} ideas so far are too few or too different to group.",
            hashtag=hashtag,
            count=result.total,
        )
    lines = [
        _("Themes in #{hashtag}", hashtag=hashtag)
        + " — "
        + ngettext("{count} idea", "{count} ideas", result.total)
        + ", "
        + ngettext("{count} theme", "{count} themes", len(result.themes))
    ]
    for theme, children in result.themes[:DIGEST_THEMES]:
        lines.append("")
        lines.append(
            f"{theme_ref(theme.id)} · {theme.label} — "
            + ngettext("{count} idea", "{count} ideas", theme.idea_count)
        )
        if children:
            parts = [f"{theme_ref(c.id)} {c.label} ({c.idea_count})" for c in children[:DIGEST_SUBTHEMES]]
            lines.append("  " + _("Sub-themes: {subthemes}", subthemes="; ".join(parts)))
        for idea_id in theme.representative_idea_ids:
            idea = result.ideas[idea_id]
            lines.append(
                "  " + _("Verbatim, i{id}: “{text}”", id=idea_id, text=shorten(idea.text, QUOTE_WIDTH))
            )
        if notes and theme.id in notes:
            lines.append("  " + notes[theme.id])
    rest = result.themes[DIGEST_THEMES:]
    if rest:
        lines.append("")
        lines.append(
            _(
                "And {themes} smaller themes with {ideas} ideas: {ids}",
                themes=len(rest),
                ideas=sum(theme.idea_count for theme, _c in rest),
                ids=", ".join(theme_ref(theme.id) for theme, _c in rest),
            )
        )
    if result.other_count:
        shown = ", ".join(ref(IDEA, idea_id) for idea_id in result.other[:OTHER_IDS_SHOWN])
        more = "…" if len(result.other) > OTHER_IDS_SHOWN else ""
        lines.append("")
        lines.append(
            ngettext(
                "Other: {count} idea fits no theme ({ids}).",
                "Other: {count} ideas fit no theme ({ids}).",
                result.other_count,
                ids=shown + more,
            )
        )
    lines.append("")
    lines.append(
        _("Labels are phrases picked by the program from each theme's ideas, not written by anyone.")
    )
    return "\n".join(lines)


def stored_themes(session: Session, campaign: Campaign) -> CampaignThemes:
    """The campaign's themes as last computed, read back from storage without the language model.

    The map's points are the ideas placed then, with their stored vectors (of the model that embedded
    most of them); ideas posted since, and hidden ones, are left out until themes are computed again.
    """
    ideas = {idea.id: idea for idea in visible_ideas(session, campaign) if idea.id is not None}
    placement = {
        idea_id: place for idea_id, place in placements(session, campaign).items() if idea_id in ideas
    }
    active = session.exec(
        select(Theme)
        .where(Theme.campaign_id == campaign.id, Theme.status == "active")
        .order_by(col(Theme.idea_count).desc(), col(Theme.id))
    ).all()
    top_level = [
        (theme, [child for child in active if child.parent_id == theme.id])
        for theme in active
        if theme.parent_id is None
    ]
    ids, matrix = _only(
        stored_embeddings(session, campaign.id or 0, stored_model(session, campaign)), placement
    )
    other = [idea_id for idea_id, (theme_id, _sub) in placement.items() if theme_id is None]
    return CampaignThemes(
        campaign=campaign,
        themes=top_level,
        ideas=ideas,
        idea_ids=ids,
        matrix=matrix,
        placement=placement,
        other=other,
        other_count=len(other),
        total=len(ideas),
    )


def stored_model(session: Session, campaign: Campaign) -> str:
    """The model that embedded most of the campaign's ideas: the stored map is drawn from its vectors."""
    model = session.exec(
        select(IdeaEmbedding.model)
        .join(Idea, col(Idea.id) == col(IdeaEmbedding.idea_id))
        .where(Idea.campaign_id == campaign.id)
        .group_by(col(IdeaEmbedding.model))
        .order_by(sa.func.count().desc())
    ).first()
    return model or ""


def map_picture(result: CampaignThemes, _: Callable[..., str]) -> bytes | None:
    """The theme map as PNG bytes, or None when there are no themes or too few ideas to draw."""
    if not result.themes or len(result.idea_ids) < MAP_MIN_IDEAS:
        return None
    index_of = {theme.id: index for index, (theme, _c) in enumerate(result.themes)}
    theme_of = np.array(
        [index_of.get(result.placement.get(int(i), (None, None))[0], -1) for i in result.idea_ids]
    )
    names = [
        (theme.id or 0, f"{theme_ref(theme.id)} {shorten(theme.label, 40)}") for theme, _c in result.themes
    ]
    title = _("Themes of #{hashtag}", hashtag=result.campaign.hashtag)
    return draw_theme_map(result.matrix, theme_of, names, _("grey: other"), title)


def draw_map(result: CampaignThemes, folder: Path, _: Callable[..., str]) -> Path | None:
    """The theme map as a PNG file in `folder`, or None when there is nothing to draw.

    The file is named after what it shows (the placement, the labels and the language of its texts), so
    the same themes asked for again reuse the picture already drawn rather than write another."""
    legend = [(theme.id, theme.label) for theme, _c in result.themes]
    points = [(int(i), result.placement.get(int(i), (None, None))[0]) for i in result.idea_ids]
    texts = [_("grey: other"), _("Themes of #{hashtag}", hashtag=result.campaign.hashtag)]
    return saved_picture(
        lambda name: folder / THEME_MAPS_FOLDER / f"{result.campaign.hashtag}-{name}.png",
        [legend, points, texts],
        lambda: map_picture(result, _),
    )
