"""The in-memory index of a campaign's vectors: lookups, additions and merges, small and large."""

from __future__ import annotations

import numpy as np

from facilitation.intelligence.similarity import PREFILTER_FROM_IDEAS, CampaignVectors


def unit_rows(count: int, seed: int = 1, dimension: int = 48) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(count, dimension)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def near(vector: np.ndarray, noise: float, seed: int) -> np.ndarray:
    moved = vector + np.random.default_rng(seed).normal(0, noise, vector.shape).astype(np.float32)
    return moved / np.linalg.norm(moved)


def test_closest_others_and_own_closest_are_told_apart():
    matrix = unit_rows(50)
    index = CampaignVectors(np.arange(1, 51), np.array([1, 2] * 25), matrix)
    query = near(matrix[0], 0.05, seed=2)  # close to idea 1, by author 1
    mine, others = index.search(query, author_id=1, count=3, threshold=0.5)
    assert mine is not None and mine.idea_id == 1 and mine.score > 0.9
    assert all(match.author_id == 2 for match in others)
    _, as_someone_else = index.search(query, author_id=3, count=3, threshold=0.5)
    assert as_someone_else[0].idea_id == 1
    assert [m.score for m in as_someone_else] == sorted((m.score for m in as_someone_else), reverse=True)


def test_added_and_removed_ideas_are_found_or_forgotten():
    index = CampaignVectors(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty((0, 0)))
    assert index.search(unit_rows(1)[0], None, 3, 0.5) == (None, [])
    rows = unit_rows(600, seed=3)
    for number, row in enumerate(rows, start=1):
        index.add(number, 7, row)
    index.remove(1)
    _, found = index.search(rows[0], None, 3, 0.99)
    assert found == []
    _, found = index.search(rows[599], None, 1, 0.99)
    assert [match.idea_id for match in found] == [600]


def test_large_campaign_narrows_on_a_projection_yet_finds_the_close_ideas():
    count = PREFILTER_FROM_IDEAS + 500
    matrix = unit_rows(count, seed=4, dimension=384)
    planted = [near(matrix[n], 0.01, seed=n) for n in range(20)]
    index = CampaignVectors(np.arange(1, count + 1), np.full(count, 9), matrix)
    for number, vector in enumerate(planted):
        _, found = index.search(vector, None, 3, 0.9)
        assert [match.idea_id for match in found] == [number + 1]
    index.add(count + 1, 5, planted[0])
    _, found = index.search(planted[0], None, 3, 0.9)
    assert [match.idea_id for match in found] == [count + 1, 1]
