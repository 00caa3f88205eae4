"""Themes: ideas grouped by meaning into labelled themes and sub-themes, with no number asked of anyone.

The clustering here is pure: it works on a matrix of unit-length embeddings and the ideas' texts, so it
can be evaluated and benchmarked without a database. One tree of the ideas is cut into themes and,
nested inside them, sub-themes (`facilitation.intelligence.theme_tree`: how many follows from the data).
Groups too small to be a theme, and ideas far from the centre of the theme they were put in, go to
"other" rather than being forced into a neighbour; but ideas of "other" that repeat one another (as
close as the ideas shown as close at posting) make a theme of their own, or a sub-theme of the nearest
theme on a large campaign, since several residents said the same thing.

Keywords and labels are phrases of the theme's own ideas (`facilitation.intelligence.theme_labels`);
the representative ideas are the ones closest to the theme's centre, quoted verbatim.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import sparse
from scipy.optimize import linear_sum_assignment
from scipy.sparse.csgraph import connected_components

from facilitation.intelligence import theme_labels
from facilitation.intelligence.similarity import SIMILAR_THRESHOLD
from facilitation.intelligence.theme_labels import Encode, Label, PhraseReader
from facilitation.intelligence.theme_tree import GAP_FROM_IDEAS, two_level_labels

OUTLIER_SIMILARITY = 0.25
"""An idea less similar than this (cosine) to the centre of its theme goes to "other"."""
MIN_THEME_SIZE = 3
"""Fewer ideas than this (or than `MIN_THEME_SHARE` of all ideas) are not a theme: they go to "other"."""
MIN_THEME_SHARE = 0.004
SMALL_SET_IDEAS = 12
"""Below this many ideas (a short round at a meeting), two ideas that mean the same already make a theme:
three ideas, two of them about lights at night, give one theme of two and one idea in "other"."""
SMALL_SET_MIN_THEME_SIZE = 2
SUBTHEMES_FROM = 30
"""A theme with at least this many ideas is split into sub-themes, when it holds two or more."""
REPRESENTATIVES = 3
LABEL_KEYWORDS = 3
"""A stored label is kept while these first keywords of its theme hold."""
NEAR_DUPLICATE_SIMILARITY = 0.95
"""Two representatives of one theme are never this close: the second would repeat the first."""
REPEAT_CHUNK = 2000
SAME_THEME_OVERLAP = 0.3
"""A new cluster keeps a stored theme's id when they share at least this share of ideas (Jaccard)."""


@dataclass(frozen=True)
class Theme:
    """One theme found in a set of ideas; indices refer to the rows of the input."""

    members: tuple[int, ...]
    count: int
    """Ideas it holds, counting those merged into them."""
    label: Label
    keywords: tuple[str, ...]
    representatives: tuple[int, ...]
    centroid: np.ndarray = field(repr=False, compare=False)
    subthemes: tuple[Theme, ...] = ()


@dataclass(frozen=True)
class ThemeMap:
    """Themes, largest first, and the ideas that fit in none of them."""

    themes: tuple[Theme, ...]
    other: tuple[int, ...]
    other_count: int


def find_themes(
    embeddings: np.ndarray,
    texts: Sequence[str],
    weights: Sequence[int] | None = None,
    encode: Encode | None = None,
) -> ThemeMap:
    """Group ideas into themes and sub-themes.

    `embeddings` holds one unit-length row per idea, `texts` the ideas verbatim, `weights` how many ideas
    each one stands for (itself plus those merged into it; 1 when not given), `encode` the model that
    embedded them, to weigh label phrases by meaning (without it, a phrase stands where its ideas are).
    """
    n = len(texts)
    weight = np.ones(n, dtype=int) if weights is None else np.asarray(weights, dtype=int)
    if n == 0:
        return ThemeMap((), (), 0)
    top, fine = two_level_labels(embeddings, texts)
    smallest = MIN_THEME_SIZE if n >= SMALL_SET_IDEAS else SMALL_SET_MIN_THEME_SIZE
    min_size = max(smallest, math.ceil(MIN_THEME_SHARE * n))
    groups: list[np.ndarray] = []
    subgroups: list[list[np.ndarray]] = []
    for label in np.unique(top):
        group, subs = _theme_and_subthemes(embeddings, np.flatnonzero(top == label), fine)
        if len(group) >= min_size:
            groups.append(group)
            subgroups.append(subs)
    _keep_repeats(embeddings, n, groups, subgroups)
    order = sorted(range(len(groups)), key=lambda i: (-int(weight[groups[i]].sum()), int(groups[i][0])))
    groups = [groups[i] for i in order]
    subgroups = [sorted(subgroups[i], key=lambda sub: (-int(weight[sub].sum()), int(sub[0]))) for i in order]
    grouped = np.concatenate(groups) if groups else np.array([], dtype=int)
    other = np.setdiff1d(np.arange(n), grouped)
    return ThemeMap(
        _labelled(embeddings, texts, weight, groups, subgroups, encode),
        tuple(int(i) for i in other),
        int(weight[other].sum()),
    )


def _theme_and_subthemes(
    embeddings: np.ndarray, members: np.ndarray, fine: np.ndarray
) -> tuple[np.ndarray, list[np.ndarray]]:
    """A theme's ideas and its sub-themes (none, or two or more). An idea stays in the theme when it is
    close to the theme's centre or to its sub-theme's: a large theme spans ideas far from its centre that
    are close to the others of their sub-theme (3,797 Polis statements put 257 ideas in "other" by the
    theme's centre alone)."""
    subs: list[np.ndarray] = []
    if len(members) >= SUBTHEMES_FROM:
        subs = [
            _close_to_centre(embeddings, members[fine[members] == label])
            for label in np.unique(fine[members])
        ]
        subs = [sub for sub in subs if len(sub) >= MIN_THEME_SIZE]
        if len(subs) < 2:
            subs = []
    group = np.union1d(_close_to_centre(embeddings, members), np.concatenate([members[:0], *subs]))
    return group, subs


def _keep_repeats(
    embeddings: np.ndarray, n: int, groups: list[np.ndarray], subgroups: list[list[np.ndarray]]
) -> None:
    """Ideas left for "other" that repeat one another become a theme, or on a large campaign a
    sub-theme of the theme they are nearest to (the themes stay a readable handful)."""
    grouped = np.concatenate(groups) if groups else np.array([], dtype=int)
    left = np.setdiff1d(np.arange(n), grouped)
    if len(left) < 2:
        return
    rows, columns = [], []
    for start in range(0, len(left), REPEAT_CHUNK):
        close = np.argwhere(
            embeddings[left[start : start + REPEAT_CHUNK]] @ embeddings[left].T >= SIMILAR_THRESHOLD
        )
        rows.append(close[:, 0] + start)
        columns.append(close[:, 1])
    pairs = np.concatenate(rows), np.concatenate(columns)
    graph = sparse.csr_matrix((np.ones(len(pairs[0])), pairs), shape=(len(left), len(left)))
    _count, component = connected_components(graph, directed=False)
    repeats = [left[component == label] for label in np.unique(component)]
    repeats = [members for members in repeats if len(members) >= 2]
    if n < GAP_FROM_IDEAS or not groups:
        groups += repeats
        subgroups += [[] for _members in repeats]
        return
    centres = np.array([_centre(embeddings, group) for group in groups])
    for members in repeats:
        nearest = int(np.argmax(centres @ _centre(embeddings, members)))
        groups[nearest] = np.sort(np.concatenate([groups[nearest], members]))
        if subgroups[nearest]:
            subgroups[nearest].append(members)


def _labelled(
    embeddings: np.ndarray,
    texts: Sequence[str],
    weight: np.ndarray,
    groups: list[np.ndarray],
    subgroups: list[list[np.ndarray]],
    encode: Encode | None,
) -> tuple[Theme, ...]:
    """The themes, each with its keywords and label, largest first; a label is not given twice."""
    flat_subs = [sub for subs in subgroups for sub in subs]
    levels = []
    for level in (groups, flat_subs):
        classes = np.full(len(texts), -1)
        for index, members in enumerate(level):
            classes[members] = index
        levels.append((classes, len(level)))
    reader = PhraseReader()
    top_terms, sub_terms = theme_labels.class_terms(texts, reader, *levels)
    vector_of = theme_labels.phrase_vectors([*top_terms, *sub_terms], reader, embeddings, encode)
    taken: set[str] = set()

    def theme(members: np.ndarray, terms: theme_labels.ClassTerms) -> Theme:
        centroid = _centre(embeddings, members)
        chosen = representatives(embeddings, members, centroid)
        keywords, label = theme_labels.keywords_and_label(
            terms, vector_of, centroid, reader, texts, chosen[0], taken
        )
        taken.add(label.text.casefold())
        return Theme(
            tuple(int(i) for i in members), int(weight[members].sum()), label, keywords, chosen, centroid
        )

    labelled = [theme(members, terms) for members, terms in zip(groups, top_terms, strict=True)]
    flat_terms = iter(sub_terms)  # sub-themes are labelled after all themes: they do not take their labels
    return tuple(
        replace(parent, subthemes=tuple(theme(sub, next(flat_terms)) for sub in subs))
        for parent, subs in zip(labelled, subgroups, strict=True)
    )


def _centre(embeddings: np.ndarray, members: np.ndarray) -> np.ndarray:
    centre = embeddings[members].mean(axis=0)
    return centre / (np.linalg.norm(centre) or 1.0)


def _close_to_centre(embeddings: np.ndarray, members: np.ndarray) -> np.ndarray:
    """The members at least `OUTLIER_SIMILARITY` similar to the group's centre."""
    return members[embeddings[members] @ _centre(embeddings, members) >= OUTLIER_SIMILARITY]


def representatives(embeddings: np.ndarray, members: np.ndarray, centroid: np.ndarray) -> tuple[int, ...]:
    """Up to `REPRESENTATIVES` members closest to the centre, skipping near-repeats of one already chosen."""
    order = members[np.argsort(-(embeddings[members] @ centroid), kind="stable")]
    chosen: list[int] = []
    for index in order:
        if all(float(embeddings[index] @ embeddings[other]) < NEAR_DUPLICATE_SIMILARITY for other in chosen):
            chosen.append(int(index))
        if len(chosen) == REPRESENTATIVES:
            break
    return tuple(chosen)


def match_theme_ids(
    stored: Mapping[int, frozenset[int]], found: Sequence[frozenset[int]]
) -> list[int | None]:
    """For each found cluster (a set of idea ids), the stored theme id it continues, or None if new.

    Clusters and stored themes are paired one to one by the largest overlap (Jaccard index), and a pair
    counts only from `SAME_THEME_OVERLAP` up, so that a new idea does not rename every theme.
    """
    result: list[int | None] = [None] * len(found)
    if not stored or not found:
        return result
    stored_ids = list(stored)
    overlap = np.zeros((len(found), len(stored_ids)))
    for row, cluster in enumerate(found):
        for column, theme_id in enumerate(stored_ids):
            members = stored[theme_id]
            union = len(cluster | members)
            overlap[row, column] = len(cluster & members) / union if union else 0.0
    rows, columns = linear_sum_assignment(-overlap)
    for row, column in zip(rows, columns, strict=True):
        if overlap[row, column] >= SAME_THEME_OVERLAP:
            result[row] = stored_ids[column]
    return result
