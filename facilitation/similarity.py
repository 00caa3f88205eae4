"""Finding a campaign's ideas close in meaning to a new one, from vectors kept in memory.

Each campaign's vectors are read from storage once, on its first lookup, and kept current as ideas
are embedded or merged, so a lookup is one matrix-vector product (no database read of the vectors).
The index is used from the core's single worker thread only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlmodel import Session, col, select

from facilitation.embeddings import Embedder, stored_embeddings
from facilitation.events import Incoming
from storage.models import Idea

SIMILAR_THRESHOLD = 0.62
"""Cosine similarity from which an existing idea is shown as close to a new one.

Chosen with benchmarks/calibrate_similarity.py (all-MiniLM-L6-v2; figures in that script's docstring).
"""

REPEAT_THRESHOLD = 0.95
"""Cosine similarity from which a person's new idea is taken as a repeat of their own earlier one.

Near-exact wording only: "More benches near the playground" and "more benches near the playground
please" score 0.95, while opposite ideas in the same words ("Ban dogs from the playground" and "Allow
dogs in the playground") reach 0.90 and must stay two ideas."""

SIMILAR_SHOWN = 3
"""At most this many close ideas are shown under a new one."""

_INITIAL_CAPACITY = 256


@dataclass(frozen=True)
class Match:
    idea_id: int
    author_id: int
    score: float


class CampaignVectors:
    """One campaign's idea vectors in a growable matrix, with their idea ids and authors."""

    def __init__(self, ids: np.ndarray, authors: np.ndarray, matrix: np.ndarray) -> None:
        count = len(ids)
        capacity = max(_INITIAL_CAPACITY, count)
        dimension = matrix.shape[1] if count else 0
        self._ids = np.zeros(capacity, dtype=np.int64)
        self._authors = np.zeros(capacity, dtype=np.int64)
        self._matrix = np.zeros((capacity, dimension), dtype=np.float32)
        self._ids[:count], self._authors[:count] = ids, authors
        if count:
            self._matrix[:count] = matrix
        self._rows = {int(idea_id): row for row, idea_id in enumerate(ids)}
        self.size = count

    def add(self, idea_id: int, author_id: int | None, vector: np.ndarray) -> None:
        if idea_id in self._rows:
            return
        if self._matrix.shape[1] == 0:
            self._matrix = np.zeros((len(self._ids), len(vector)), dtype=np.float32)
        if self.size == len(self._ids):
            capacity = 2 * len(self._ids)
            self._ids = np.resize(self._ids, capacity)
            self._authors = np.resize(self._authors, capacity)
            grown = np.zeros((capacity, self._matrix.shape[1]), dtype=np.float32)
            grown[: self.size] = self._matrix[: self.size]
            self._matrix = grown
        row = self.size
        self._ids[row], self._authors[row], self._matrix[row] = idea_id, author_id or 0, vector
        self._rows[idea_id] = row
        self.size += 1

    def remove(self, idea_id: int) -> None:
        """Forget an idea (merged or deleted); the last row takes its place."""
        row = self._rows.pop(idea_id, None)
        if row is None:
            return
        last = self.size - 1
        if row != last:
            moved = int(self._ids[last])
            self._ids[row], self._authors[row], self._matrix[row] = (
                self._ids[last],
                self._authors[last],
                self._matrix[last],
            )
            self._rows[moved] = row
        self.size = last

    def search(
        self, vector: np.ndarray, author_id: int | None, count: int, threshold: float
    ) -> tuple[Match | None, list[Match]]:
        """The author's own closest idea, and up to `count` others' ideas at or above `threshold`.

        One matrix-vector product serves both: a repeat check and the ideas to show.
        """
        if self.size == 0:
            return None, []
        scores = self._matrix[: self.size] @ vector
        own = self._authors[: self.size] == (author_id or -1)
        mine = None
        if own.any():
            row = int(np.flatnonzero(own)[np.argmax(scores[own])])
            mine = self._match(row, scores)
            scores = np.where(own, -np.inf, scores)
        candidates = np.argpartition(scores, -count)[-count:] if self.size > count else np.arange(self.size)
        candidates = candidates[scores[candidates] >= threshold]
        ordered = candidates[np.argsort(-scores[candidates], kind="stable")]
        return mine, [self._match(int(row), scores) for row in ordered]

    def _match(self, row: int, scores: np.ndarray) -> Match:
        return Match(int(self._ids[row]), int(self._authors[row]), float(scores[row]))


class IdeaIndex:
    """The embedder plus every looked-up campaign's vectors, for similar-idea lookups at posting."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._campaigns: dict[int, CampaignVectors] = {}
        self.awaiting: dict[int, Incoming] = {}
        """Ideas recorded before the model was ready, with the update that brought them: once embedded,
        their authors are told about close ideas (kept in memory: lost on restart, the ideas are not)."""

    @property
    def ready(self) -> bool:
        return self.embedder.ready

    def vectors(self, session: Session, campaign_id: int) -> CampaignVectors:
        """The campaign's vectors, read from storage on first use."""
        vectors = self._campaigns.get(campaign_id)
        if vectors is None:
            ids, matrix = stored_embeddings(session, campaign_id, self.embedder.name)
            authors = np.zeros(len(ids), dtype=np.int64)
            if len(ids):
                by_idea = dict(
                    session.exec(
                        select(Idea.id, Idea.member_id).where(
                            Idea.campaign_id == campaign_id, col(Idea.member_id).is_not(None)
                        )
                    ).all()
                )
                authors = np.fromiter((by_idea.get(int(i)) or 0 for i in ids), dtype=np.int64, count=len(ids))
            vectors = self._campaigns[campaign_id] = CampaignVectors(ids, authors, matrix)
        return vectors

    def search(
        self,
        session: Session,
        campaign_id: int,
        vector: np.ndarray,
        author_id: int | None,
        count: int = SIMILAR_SHOWN,
        threshold: float = SIMILAR_THRESHOLD,
    ) -> tuple[Match | None, list[Match]]:
        """See `CampaignVectors.search`."""
        return self.vectors(session, campaign_id).search(vector, author_id, count, threshold)

    def added(self, campaign_id: int, idea_id: int, author_id: int | None, vector: np.ndarray) -> None:
        """An idea's vector was committed; campaigns not loaded yet will read it from storage."""
        vectors = self._campaigns.get(campaign_id)
        if vectors is not None:
            vectors.add(idea_id, author_id, vector)

    def removed(self, campaign_id: int, idea_id: int) -> None:
        vectors = self._campaigns.get(campaign_id)
        if vectors is not None:
            vectors.remove(idea_id)
