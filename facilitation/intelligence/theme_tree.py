"""Where the tree of ideas is cut into themes and sub-themes: the grain follows the data, no number is asked.

Ward agglomerative clustering of the unit vectors gives one tree. (Ward rather than average linkage:
average linkage on sentence embeddings chains most ideas into one giant theme.)

- Themes: from `GAP_FROM_IDEAS` ideas up, the tree is cut where its merge heights jump the most
  (the largest ratio between two successive merges) among the cuts giving `MIN_THEMES` to `MAX_THEMES`
  themes: a readable handful that follows the data's own separations. On fewer ideas, the tree is cut
  at a height scaled with the number of ideas (40 ideas give about 5 themes; a fixed cut made one).
- Sub-themes: inside each theme, the tree is cut at a lower height, scaled with the number of ideas
  as the small sets' theme cut is. (A cut by coherence, splitting a node while its ideas' mean
  similarity to their centre was under 0.75, made 406 sub-themes of Polis's 3,797 long statements.)

Above `DIRECT_LIMIT` ideas, the tree is grown on a sample and the other ideas join the sub-theme with
the nearest centre, so that time and memory grow linearly with the number of ideas. Then each idea
moves to the nearest sub-theme centre of its theme, `REFINE_STEPS` times: the themes stay as cut.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
from scipy import sparse
from scipy.cluster.hierarchy import linkage
from scipy.spatial.distance import squareform

THEME_DISTANCE = 2.5
"""Below `GAP_FROM_IDEAS` ideas: the Ward merge height at which the tree of `HEIGHT_REFERENCE_IDEAS`
ideas would be cut into themes, scaled by the number of ideas to the power `HEIGHT_SCALING`. Chosen
by reading the Bowling Green themes at 40 and 100 ideas."""
HEIGHT_REFERENCE_IDEAS = 300
HEIGHT_SCALING = 0.25
SMALL_SET_IDEAS = 12
"""Below this many ideas the cut height stops shrinking with the number of ideas."""
GAP_FROM_IDEAS = 150
MIN_THEMES = 5
MAX_THEMES = 15
SUBTHEME_DISTANCE = 1.8
"""The lower cut, scaled as `THEME_DISTANCE`, that splits a theme into sub-themes (chosen on 2,000 rows
of Banking77's test split)."""
DIRECT_LIMIT = 4000
"""Up to this many ideas, the tree is grown on all of them; above it, on a sample of this size (a
sample of 2,000 of Banking77's 3,000 rows lost 0.016 of sub-theme NMI). The distances take
`DIRECT_LIMIT`² × 8 bytes: 128 MB at 4,000."""
REFINE_STEPS = 3
"""Rounds in which every idea moves to the nearest sub-theme centre of its own theme (k-means steps
from the tree's cut, the number of sub-themes kept): a tree never undoes a merge made low down, and
these rounds mend the ideas it placed by an early merge (+0.005 to +0.01 sub-theme NMI on Polis and
Banking77)."""


CHUNK = 10_000
"""Ideas compared with the sub-theme centres at a time (bounded memory)."""


def two_level_labels(embeddings: np.ndarray, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Theme and sub-theme cluster numbers per idea; sub-themes nest in themes.

    The sample, above `DIRECT_LIMIT` ideas, is the ideas whose text hashes lowest, so that a new idea
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
    distances = points @ points.T
    distances *= -2.0
    distances += 2.0
    np.clip(distances, 0.0, None, out=distances)
    np.sqrt(distances, out=distances)
    np.fill_diagonal(distances, 0.0)
    tree = linkage(squareform(distances, checks=False), method="ward")
    m = len(sample)
    top_sample, fine_sample = np.zeros(m, dtype=int), np.zeros(m, dtype=int)
    fine_height = SUBTHEME_DISTANCE * (max(m, SMALL_SET_IDEAS) / HEIGHT_REFERENCE_IDEAS) ** HEIGHT_SCALING
    fine_count = 0
    for number, node in enumerate(_cut(tree, m, _theme_count(tree, m))):
        for sub in _nodes_below(tree, m, node, fine_height):
            leaves = _leaves(tree, m, sub)
            top_sample[leaves], fine_sample[leaves] = number, fine_count
            fine_count += 1
    top_of_fine = np.zeros(fine_count, dtype=int)
    top_of_fine[fine_sample] = top_sample
    fine = np.empty(n, dtype=int)
    fine[sample] = fine_sample
    rest = np.setdiff1d(np.arange(n), sample)
    fine[rest] = _nearest(embeddings[rest], fine_sample, embeddings[sample], fine_count)
    for _step in range(REFINE_STEPS):
        fine = _nearest(embeddings, fine, embeddings, fine_count, top_of_fine)
    return top_of_fine[fine], fine


def _nearest(
    points: np.ndarray,
    classes: np.ndarray,
    members: np.ndarray,
    count: int,
    top_of_fine: np.ndarray | None = None,
) -> np.ndarray:
    """For each point, the class 0..count-1 whose centre (of `members` by `classes`) is the most similar;
    with `top_of_fine`, only among the classes of the same theme as the point's own class."""
    membership = sparse.csr_matrix(
        (np.ones(len(classes)), (classes, np.arange(len(classes)))), shape=(count, len(classes))
    )
    centres = np.asarray(membership @ members)
    centres /= np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-12)
    result = np.empty(len(points), dtype=int)
    for start in range(0, len(points), CHUNK):
        similarity = points[start : start + CHUNK] @ centres.T
        if top_of_fine is not None:
            own = top_of_fine[classes[start : start + CHUNK]]
            similarity[top_of_fine[None, :] != own[:, None]] = -np.inf
        result[start : start + CHUNK] = np.argmax(similarity, axis=1)
    return result


def _theme_count(tree: np.ndarray, m: int) -> int:
    heights = tree[:, 2]
    if m < GAP_FROM_IDEAS:
        scale = (max(m, SMALL_SET_IDEAS) / HEIGHT_REFERENCE_IDEAS) ** HEIGHT_SCALING
        return 1 + int((heights > THEME_DISTANCE * scale).sum())
    counts = range(MIN_THEMES, min(MAX_THEMES, m - 1) + 1)
    # Cutting into k themes undoes the last k - 1 merges: the jump is from the highest merge kept to
    # the lowest merge undone.
    jumps = [heights[m - k] / max(heights[m - k - 1], 1e-12) for k in counts]
    return counts[int(np.argmax(jumps))]


def _cut(tree: np.ndarray, m: int, count: int) -> list[int]:
    """The nodes left when the last `count - 1` merges are undone, in a stable order."""
    undone = {m + row for row in range(m - count, m - 1)}
    if not undone:
        return [2 * m - 2]
    children = (int(child) for node in sorted(undone) for child in tree[node - m, :2])
    return sorted(child for child in children if child not in undone)


def _nodes_below(tree: np.ndarray, m: int, node: int, height: float) -> list[int]:
    """The largest nodes under `node` merged at `height` or below."""
    found, stack = [], [node]
    while stack:
        current = stack.pop()
        if current < m or tree[current - m, 2] <= height:
            found.append(current)
        else:
            stack.extend(int(child) for child in tree[current - m, :2])
    return sorted(found)


def _leaves(tree: np.ndarray, m: int, node: int) -> list[int]:
    leaves, stack = [], [node]
    while stack:
        current = stack.pop()
        if current < m:
            leaves.append(current)
        else:
            stack.extend(int(child) for child in tree[current - m, :2])
    return leaves
