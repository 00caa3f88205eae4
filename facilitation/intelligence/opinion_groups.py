"""Opinion groups: who thinks alike, from agree / disagree / pass votes, computed as Polis computes them.

Pure functions over a participant × idea vote matrix (agree +1, disagree −1, pass 0, unseen NaN; ideas
out of sight marked `moderated`, weighed as Polis weighs statements moderated out), so the evaluation can run them on Polis's own
conversations without a database:

- who is grouped: participants with at least min(7, ideas) votes, topped up with the most active voters
  to 15 when fewer qualify; once grouped, a participant stays grouped (as in Polis);
- a map: PCA to two components with each unseen vote replaced by the idea's mean, each participant
  projected on the ideas they voted on and scaled by sqrt(ideas / their votes), so that someone who
  voted little is not pulled to the centre;
- groups: up to 100 base clusters of the grouped participants (their distinct positions when fewer),
  grouped by k-means weighted by the base clusters' sizes and started from the first k of them, k from
  2 to min(5, 2 + bases / 12) chosen by silhouette over the base clusters; a fixed seed makes the same
  votes give the same groups, in whatever order the participants come;
- stability: k changes only when a new k has won `K_BUFFER` recomputations in a row, and group ids are
  matched to the previous groups by shared members. The previous `GroupingState` is a plain argument and
  the new one is returned, for the caller to store.

What each group stands for (representative ideas, consensus) is in `opinion_stats`.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score

ALGORITHM_VERSION = "polis-1"
SEED = 20140618
"""Fixed seed for PCA and k-means: the same votes always give the same groups."""
MIN_VOTES = 7
"""A participant is grouped with at least min(MIN_VOTES, ideas) votes (Polis's threshold)."""
GREEDY_GROUPED = 15
"""When fewer qualify, the most active voters are grouped up to this many (as Polis does)."""
BASE_CLUSTERS = 100
GROUP_ITERATIONS = 20
"""Polis's k-means of the base clusters stops after this many steps."""
MAX_GROUPS = 5
K_BUFFER = 4
"""A new number of groups is taken only once it has won this many recomputations in a row (Polis's)."""
MIN_VOTERS = 4
MIN_IDEAS = 2
"""Below this many voters, or ideas with votes, there is no map to draw: "not enough votes yet"."""


@dataclass(frozen=True)
class GroupingState:
    """What a recomputation hands to the next one, so that groups change only when the votes say so.

    Plain values only (participant keys, ints), so it can be stored as JSON."""

    smoothed_k: int | None = None
    last_k: int | None = None
    last_k_count: int = 0
    grouped: frozenset[Hashable] = frozenset()
    members: dict[int, frozenset[Hashable]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "smoothed_k": self.smoothed_k,
            "last_k": self.last_k,
            "last_k_count": self.last_k_count,
            "grouped": sorted(self.grouped, key=str),
            "members": {str(group): sorted(keys, key=str) for group, keys in self.members.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GroupingState:
        return cls(
            smoothed_k=data.get("smoothed_k"),
            last_k=data.get("last_k"),
            last_k_count=data.get("last_k_count", 0),
            grouped=frozenset(data.get("grouped", ())),
            members={int(group): frozenset(keys) for group, keys in data.get("members", {}).items()},
        )


@dataclass(frozen=True)
class NotEnoughVotes:
    """There is no map yet; says how many more voters and voted ideas are needed."""

    more_voters: int
    more_ideas: int


@dataclass(frozen=True)
class OpinionMap:
    """The participants' positions and groups.

    `labels[i]` is participant i's group id, or -1 when not grouped; `coordinates` is each
    participant's place on the two-dimensional map (every voter has one); `extremity[j]` is how far
    idea j pulls from the map's centre (see `project`)."""

    coordinates: np.ndarray
    labels: np.ndarray
    state: GroupingState
    extremity: np.ndarray

    @property
    def group_ids(self) -> list[int]:
        return sorted(int(g) for g in np.unique(self.labels) if g >= 0)


def enough_votes(votes: np.ndarray) -> NotEnoughVotes | None:
    """None when the matrix can be mapped, else how many more voters and voted ideas are needed."""
    voted = ~np.isnan(votes)
    voters = int(voted.any(axis=1).sum()) if votes.size else 0
    ideas = int(voted.any(axis=0).sum()) if votes.size else 0
    if voters >= MIN_VOTERS and ideas >= MIN_IDEAS:
        return None
    return NotEnoughVotes(max(0, MIN_VOTERS - voters), max(0, MIN_IDEAS - ideas))


def grouped_participants(votes: np.ndarray, already: np.ndarray | None = None) -> np.ndarray:
    """Which participants are grouped: a boolean mask over the rows (Polis's `in-conv`)."""
    counts = (~np.isnan(votes)).sum(axis=1)
    grouped = counts >= min(MIN_VOTES, votes.shape[1])
    grouped &= counts > 0
    if already is not None:
        grouped |= already & (counts > 0)
    missing = GREEDY_GROUPED - int(grouped.sum())
    if missing > 0:
        others = np.flatnonzero(~grouped & (counts > 0))
        most_active = others[np.argsort(-counts[others], kind="stable")][:missing]
        grouped[most_active] = True
    return grouped


def project(votes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each participant's place on the map (PCA to two components, scaled for sparse voters), and each
    idea's extremity.

    Unseen votes take the idea's mean (so they add nothing once centred); a participant's projection
    is then scaled by sqrt(ideas / their votes), as Polis does. An idea's extremity is how far from the
    centre a participant would sit who voted on it alone, disagreeing (Polis's comment extremity): large
    for the ideas the map's axes are made of, 0 for an idea nobody voted on."""
    seen = ~np.isnan(votes)
    columns = seen.any(axis=0)
    matrix = votes[:, columns]
    seen = seen[:, columns]
    means = np.nanmean(matrix, axis=0)
    filled = np.where(seen, matrix, means)
    components = min(2, *filled.shape)
    pca = PCA(n_components=components, random_state=SEED).fit(filled)
    coordinates = (filled - pca.mean_) @ pca.components_.T
    if components < 2:
        coordinates = np.hstack([coordinates, np.zeros((len(coordinates), 2 - components))])
    scale = np.sqrt(matrix.shape[1] / np.maximum(1, seen.sum(axis=1)))
    extremity = np.zeros(votes.shape[1])
    extremity[columns] = (
        np.sqrt(matrix.shape[1]) * np.abs(-1 - pca.mean_) * np.linalg.norm(pca.components_, axis=0)
    )
    return coordinates * scale[:, np.newaxis], extremity


def base_clusters(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Up to `BASE_CLUSTERS` base clusters: (centres, member counts, each point's base cluster).

    With fewer distinct positions than that, each distinct position is its own base cluster. The
    clusters come in the order k-means++ seeded them, each far from those before, so that the first k
    of them start the groups well (as Polis starts its groups from its first k base clusters)."""
    distinct = len(np.unique(points, axis=0))
    # Fitted on the points in a canonical order, so that the participants' order changes nothing.
    order = np.lexsort((points[:, 1], points[:, 0]))
    kmeans = KMeans(n_clusters=min(BASE_CLUSTERS, distinct), n_init=1, random_state=SEED).fit(points[order])
    assignment = np.empty(len(points), dtype=int)
    assignment[order] = kmeans.labels_
    counts = np.bincount(assignment, minlength=len(kmeans.cluster_centers_))
    kept = counts > 0
    renumber = np.cumsum(kept) - 1
    return kmeans.cluster_centers_[kept], counts[kept], renumber[assignment]


def best_k_clusterings(centres: np.ndarray, weights: np.ndarray) -> tuple[int, dict[int, np.ndarray]]:
    """k-means of the base clusters weighted by their sizes for each k tried, started from the first k
    base clusters as Polis does, and the k whose clustering has the best silhouette over the bases."""
    max_k = min(MAX_GROUPS, 2 + len(centres) // 12, len(centres))
    if max_k < 2:
        return 1, {1: np.zeros(len(centres), dtype=int)}
    clusterings: dict[int, np.ndarray] = {}
    scores: dict[int, float] = {}
    for k in range(2, max_k + 1):
        kmeans = KMeans(n_clusters=k, init=centres[:k], n_init=1, max_iter=GROUP_ITERATIONS)
        labels = kmeans.fit_predict(centres, sample_weight=weights)
        found = len(np.unique(labels))
        if found < 2:
            continue
        clusterings[k] = labels
        scores[k] = silhouette_score(centres, labels) if found < len(centres) else 0.0
    if not clusterings:
        return 1, {1: np.zeros(len(centres), dtype=int)}
    best = max(scores, key=lambda k: (scores[k], -k))
    return best, clusterings


def smoothed_k(best: int, previous: GroupingState, available: Sequence[int]) -> tuple[int, int, int]:
    """(k to use, last best k, how many times in a row it won): k changes after `K_BUFFER` wins."""
    count = previous.last_k_count + 1 if previous.last_k == best else 1
    chosen = best if count >= K_BUFFER or previous.smoothed_k is None else previous.smoothed_k
    if chosen not in available:
        chosen = best
    return chosen, best, count


def matched_ids(
    labels: np.ndarray, keys: Sequence[Hashable], previous: dict[int, frozenset[Hashable]]
) -> np.ndarray:
    """Group labels renamed to the previous groups' ids they share most members with; new ones get new ids."""
    new_groups = [int(g) for g in np.unique(labels) if g >= 0]
    old_ids = sorted(previous)
    rename: dict[int, int] = {}
    if old_ids:
        overlap = np.array(
            [
                [len(previous[old] & {keys[i] for i in np.flatnonzero(labels == new)}) for old in old_ids]
                for new in new_groups
            ]
        )
        rows, cols = linear_sum_assignment(-overlap)
        rename = {new_groups[r]: old_ids[c] for r, c in zip(rows, cols, strict=True) if overlap[r, c] > 0}
    next_id = max(old_ids, default=-1) + 1
    used = set(rename.values())
    for new in sorted(new_groups, key=lambda g: -int((labels == g).sum())):
        if new not in rename:
            while next_id in used:
                next_id += 1
            rename[new] = next_id
            used.add(next_id)
    return np.array([rename[int(g)] if g >= 0 else -1 for g in labels], dtype=int)


def opinion_map(
    votes: np.ndarray,
    participants: Sequence[Hashable] | None = None,
    previous: GroupingState | None = None,
    moderated: np.ndarray | None = None,
) -> OpinionMap | NotEnoughVotes:
    """The participants' map and groups, or how many more votes are needed before there is one.

    `participants` names the rows (their keys carry group ids and who is grouped from one
    recomputation to the next); `previous` is the state the last recomputation returned.
    `moderated` marks columns treated as Polis treats statements moderated out: votes on them count
    toward who is grouped, and in the projection they are zeroed (weighing nothing in the PCA but
    still counted in the sparsity scaling); Townhall's hidden and withdrawn ideas are given so."""
    votes = np.asarray(votes, dtype=float)
    kept = votes if moderated is None else votes[:, ~moderated]
    missing = enough_votes(kept)
    if missing is not None:
        return missing
    keys = list(participants) if participants is not None else list(range(len(votes)))
    previous = previous or GroupingState()
    already = np.array([key in previous.grouped for key in keys], dtype=bool)
    grouped = grouped_participants(votes, already)
    if moderated is not None:
        votes = votes.copy()
        votes[:, moderated] = 0
    coordinates, extremity = project(votes)
    centres, weights, assignment = base_clusters(coordinates[grouped])
    best, clusterings = best_k_clusterings(centres, weights)
    k, last_k, last_count = smoothed_k(best, previous, list(clusterings))
    labels = np.full(len(votes), -1, dtype=int)
    labels[grouped] = clusterings[k][assignment]
    labels = matched_ids(labels, keys, previous.members)
    state = GroupingState(
        smoothed_k=k,
        last_k=last_k,
        last_k_count=last_count,
        grouped=frozenset(key for key, inside in zip(keys, grouped, strict=True) if inside),
        members={
            int(g): frozenset(keys[i] for i in np.flatnonzero(labels == g))
            for g in np.unique(labels)
            if g >= 0
        },
    )
    return OpinionMap(coordinates=coordinates, labels=labels, state=state, extremity=extremity)
