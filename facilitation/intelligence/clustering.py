"""Themes: ideas grouped by meaning into labelled themes and sub-themes, with no number asked of anyone.

The clustering here is pure: it works on a matrix of unit-length embeddings and the ideas' texts, so it
can be evaluated and benchmarked without a database. Ward agglomerative clustering of the unit vectors,
cut at two heights, gives themes and, nested inside them, sub-themes; the number of themes follows from
how far apart the ideas are. (Ward rather than average linkage: average linkage on sentence embeddings
chains most ideas into one giant theme.) Groups too small to be a theme, and ideas far from the centre
of the theme they were put in, go to "other" rather than being forced into a neighbour. Above `DIRECT_LIMIT` ideas, the tree is grown on a sample and the other ideas
join the nearest sub-theme, so that time and memory grow linearly with the number of ideas.

Keywords come from class-based TF-IDF (each theme's ideas as one document, English and French stop
words dropped); the label is made of the top keywords; the representative ideas are the ones closest to
the theme's centre, quoted verbatim.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import squareform
from sklearn.feature_extraction.text import CountVectorizer

from facilitation.intelligence.stopwords import STOP_WORDS

THEME_DISTANCE = 2.5
"""Ward merge height at which the tree of `HEIGHT_REFERENCE_IDEAS` ideas is cut into themes.

Ward heights grow with the size of the groups merged, so the cut is scaled by the number of ideas to
the power `HEIGHT_SCALING`: 40 ideas then give about 5 themes, 300 about 8, 2,000 about 30 (with a
fixed cut, 40 ideas made a single theme). Chosen on Banking77 (2,000 rows of its test split) and by
reading the Bowling Green themes at 40, 100, 300 and 600 ideas; benchmarks/evaluate_themes.py measures
it on other rows."""
SUBTHEME_DISTANCE = 1.8
"""The lower cut, scaled the same way, that splits a large theme into sub-themes."""
HEIGHT_REFERENCE_IDEAS = 300
HEIGHT_SCALING = 0.25
OUTLIER_SIMILARITY = 0.25
"""An idea less similar than this (cosine) to the centre of its theme goes to "other"."""
MIN_THEME_SIZE = 3
"""Fewer ideas than this (or than `MIN_THEME_SHARE` of all ideas) are not a theme: they go to "other"."""
MIN_THEME_SHARE = 0.004
SMALL_SET_IDEAS = 12
"""Below this many ideas (a short round at a meeting), two ideas that mean the same already make a theme,
and the cut heights stop shrinking with the number of ideas: three ideas, two of them about lights at
night, give one theme of two and one idea in "other" rather than no theme at all."""
SMALL_SET_MIN_THEME_SIZE = 2
SUBTHEMES_FROM = 30
"""A theme with at least this many ideas is split into sub-themes, when it holds two or more."""
DIRECT_LIMIT = 2000
"""Up to this many ideas, the tree is grown on all of them; above it, on a sample of this size."""
REPRESENTATIVES = 3
KEYWORDS = 6
LABEL_KEYWORDS = 3
KEYWORD_SAMPLE = 300
"""Ideas of a theme read for its keywords: enough for a stable vocabulary, and fast with many ideas."""
NEAR_DUPLICATE_SIMILARITY = 0.95
"""Two representatives of one theme are never this close: the second would repeat the first."""
HASHTAG = re.compile(r"#\w+")
SAME_THEME_OVERLAP = 0.3
"""A new cluster keeps a stored theme's id when they share at least this share of ideas (Jaccard)."""


@dataclass(frozen=True)
class Theme:
    """One theme found in a set of ideas; indices refer to the rows of the input."""

    members: tuple[int, ...]
    count: int
    """Ideas it holds, counting those merged into them."""
    label: str
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
    embeddings: np.ndarray, texts: Sequence[str], weights: Sequence[int] | None = None
) -> ThemeMap:
    """Group ideas into themes and sub-themes.

    `embeddings` holds one unit-length row per idea, `texts` the ideas verbatim, `weights` how many ideas
    each one stands for (itself plus those merged into it; 1 when not given).
    """
    n = len(texts)
    weight = np.ones(n, dtype=int) if weights is None else np.asarray(weights, dtype=int)
    if n == 0:
        return ThemeMap((), (), 0)
    top, fine = _two_level_labels(embeddings, texts)
    smallest = MIN_THEME_SIZE if n >= SMALL_SET_IDEAS else SMALL_SET_MIN_THEME_SIZE
    min_size = max(smallest, math.ceil(MIN_THEME_SHARE * n))
    groups = [_close_to_centre(embeddings, np.flatnonzero(top == label)) for label in np.unique(top)]
    groups = [group for group in groups if len(group) >= min_size]
    grouped = np.concatenate(groups) if groups else np.array([], dtype=int)
    other = np.setdiff1d(np.arange(n), grouped)

    top_classes = np.full(n, -1)
    for index, group in enumerate(groups):
        top_classes[group] = index

    subgroups: list[list[np.ndarray]] = []
    for group in groups:
        subs: list[np.ndarray] = []
        if len(group) >= SUBTHEMES_FROM:
            subs = [group[fine[group] == label] for label in np.unique(fine[group])]
            subs = [sub for sub in subs if len(sub) >= MIN_THEME_SIZE]
            if len(subs) < 2:
                subs = []
        subgroups.append(subs)
    flat_subs = [sub for subs in subgroups for sub in subs]
    sub_classes = np.full(n, -1)
    for index, sub in enumerate(flat_subs):
        sub_classes[sub] = index
    top_keywords, flat_sub_keywords = class_keywords(
        texts, (top_classes, len(groups)), (sub_classes, len(flat_subs))
    )
    sub_keywords = iter(flat_sub_keywords)

    themes = []
    for group, keywords, subs in zip(groups, top_keywords, subgroups, strict=True):
        children = [_theme(embeddings, weight, sub, next(sub_keywords)) for sub in subs]
        children.sort(key=lambda theme: -theme.count)
        themes.append(_theme(embeddings, weight, group, keywords, tuple(children)))
    themes.sort(key=lambda theme: -theme.count)
    return ThemeMap(tuple(themes), tuple(int(i) for i in other), int(weight[other].sum()))


def _close_to_centre(embeddings: np.ndarray, members: np.ndarray) -> np.ndarray:
    """The members at least `OUTLIER_SIMILARITY` similar to the group's centre."""
    centre = embeddings[members].mean(axis=0)
    centre /= np.linalg.norm(centre) or 1.0
    return members[embeddings[members] @ centre >= OUTLIER_SIMILARITY]


def _theme(
    embeddings: np.ndarray,
    weight: np.ndarray,
    members: np.ndarray,
    keywords: tuple[str, ...],
    subthemes: tuple[Theme, ...] = (),
) -> Theme:
    centroid = embeddings[members].mean(axis=0)
    centroid /= np.linalg.norm(centroid) or 1.0
    return Theme(
        members=tuple(int(i) for i in members),
        count=int(weight[members].sum()),
        label=label_from_keywords(keywords),
        keywords=keywords,
        representatives=representatives(embeddings, members, centroid),
        centroid=centroid,
        subthemes=subthemes,
    )


def _two_level_labels(embeddings: np.ndarray, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Theme and sub-theme cluster numbers per idea, from one Ward tree cut at two heights.

    Above `DIRECT_LIMIT` ideas the tree is grown on a sample and every other idea joins the sub-theme
    with the nearest centre. The sample is the ideas whose text hashes lowest, so that a new idea
    changes it by one idea at most and the themes stay put.
    """
    n = len(embeddings)
    if n == 1:
        return np.zeros(1, dtype=int), np.zeros(1, dtype=int)
    sample = np.arange(n)
    if n > DIRECT_LIMIT:
        keys = np.fromiter((zlib.crc32(text.encode()) for text in texts), dtype=np.int64, count=n)
        sample = np.sort(np.argsort(keys, kind="stable")[:DIRECT_LIMIT])
    points = embeddings[sample].astype(np.float64)
    # Euclidean distances of unit vectors through one matrix product (BLAS), much faster than pdist.
    squared = np.clip(2.0 - 2.0 * (points @ points.T), 0.0, None)
    np.fill_diagonal(squared, 0.0)
    tree = linkage(squareform(np.sqrt(squared), checks=False), method="ward")
    scale = (max(len(sample), SMALL_SET_IDEAS) / HEIGHT_REFERENCE_IDEAS) ** HEIGHT_SCALING
    top_sample = fcluster(tree, THEME_DISTANCE * scale, criterion="distance")
    fine_sample = fcluster(tree, SUBTHEME_DISTANCE * scale, criterion="distance")
    if n == len(sample):
        return top_sample, fine_sample
    fine_ids, fine_index = np.unique(fine_sample, return_inverse=True)
    membership = sparse.csr_matrix(
        (np.ones(len(sample)), (fine_index, np.arange(len(sample)))), shape=(len(fine_ids), len(sample))
    )
    centres = np.asarray(membership @ embeddings[sample])
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    top_of_fine = np.zeros(len(fine_ids), dtype=int)
    top_of_fine[fine_index] = top_sample
    nearest = np.concatenate(
        [np.argmax(chunk @ centres.T, axis=1) for chunk in np.array_split(embeddings, max(1, n // 10_000))]
    )
    top, fine = top_of_fine[nearest], fine_ids[nearest]
    top[sample], fine[sample] = top_sample, fine_sample
    return top, fine


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


def class_keywords(texts: Sequence[str], *levels: tuple[np.ndarray, int]) -> list[list[tuple[str, ...]]]:
    """The top keywords of each class 0..count-1 of each level, by class-based TF-IDF.

    A level is (class of each text, number of classes); class -1 takes part as background. Each class's
    texts (the first `KEYWORD_SAMPLE` of them) form one document; a term weighs its frequency in the
    class times log(1 + average class size in words / the term's frequency over all classes). The
    texts are counted once for all levels.
    """
    samples = [
        np.flatnonzero(classes == label)[:KEYWORD_SAMPLE]
        for classes, count in levels
        for label in range(-1, count)
    ]
    rows = np.unique(np.concatenate(samples)) if samples else np.array([], dtype=int)
    vectorizer = CountVectorizer(
        ngram_range=(1, 2),
        stop_words=list(STOP_WORDS),
        token_pattern=r"(?u)\b[^\W\d_]{2,}\b",
        preprocessor=_without_hashtags,
    )
    try:
        counts = vectorizer.fit_transform([texts[i] for i in rows])
    except ValueError:  # no text, or nothing but stop words, emoji or digits
        return [[()] * count for _classes, count in levels]
    vocabulary = vectorizer.get_feature_names_out()
    return [_level_keywords(counts, classes[rows], count, vocabulary) for classes, count in levels]


def _level_keywords(
    counts: sparse.csr_matrix, classes: np.ndarray, count: int, vocabulary: np.ndarray
) -> list[tuple[str, ...]]:
    if count == 0:
        return []
    position = np.zeros(len(classes), dtype=int)
    kept = np.zeros(len(classes), dtype=bool)
    for label in range(-1, count):
        members = np.flatnonzero(classes == label)[:KEYWORD_SAMPLE]
        position[members], kept[members] = label % (count + 1), True
    membership = sparse.csr_matrix(
        (np.ones(kept.sum()), (position[kept], np.flatnonzero(kept))), shape=(count + 1, len(classes))
    )
    per_class = np.asarray((membership @ counts).todense())
    words = per_class.sum(axis=1)
    average = words[words > 0].mean() if (words > 0).any() else 1.0
    idf = np.log(1 + average / np.maximum(per_class.sum(axis=0), 1))
    scores = per_class / np.maximum(words[:, None], 1) * idf
    result = []
    for label in range(count):
        order = np.argsort(-scores[label], kind="stable")
        top = [vocabulary[i] for i in order[: KEYWORDS * 3] if per_class[label, i] > 0]
        result.append(tuple(_without_overlaps(top)[:KEYWORDS]))
    return result


def _without_hashtags(text: str) -> str:
    """Lower-cased text minus #hashtags: a campaign's tag says nothing about one theme."""
    return HASHTAG.sub(" ", text.lower())


def _without_overlaps(terms: list[str]) -> list[str]:
    """Drop a word already said by a higher-ranked phrase, and a phrase made of words already said."""
    kept: list[str] = []
    for term in terms:
        words = set(term.split())
        said = {word for phrase in kept for word in phrase.split()}
        if words <= said:
            continue
        if " " in term:
            kept = [k for k in kept if " " in k or k not in words]
        kept.append(term)
    return kept


def label_from_keywords(keywords: Sequence[str]) -> str:
    """A short readable label: the top keywords, joined."""
    if not keywords:
        return "…"
    label = ", ".join(keywords[:LABEL_KEYWORDS])
    return label[0].upper() + label[1:]


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
