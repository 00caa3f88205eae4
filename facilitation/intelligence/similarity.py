"""Finding a campaign's ideas close in meaning to a new one, from vectors kept in memory.

Each campaign's vectors are read from storage once, on its first lookup, and kept current as ideas
are embedded or merged, so a lookup is one matrix-vector product (no database read of the vectors).
The index is used from the core's single worker thread only.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from sqlmodel import Session, col, select

from facilitation.intelligence.embeddings import Embedder, stored_embeddings
from facilitation.intelligence.multilingual import MULTILINGUAL_EMBEDDING_MODEL
from facilitation.kernel.events import Incoming
from storage.models import Campaign, Idea

CAMPAIGN_LANGUAGES = frozenset({"en", "fr", "mixed"})
"""What a campaign's ideas may be written in (`Campaign.language`)."""

MULTILINGUAL_LANGUAGES = frozenset({"fr", "mixed"})
"""Campaign languages embedded by the multilingual model: all-MiniLM-L6-v2 is an English model, and
placed French ideas together by language rather than by meaning."""


MULTILINGUAL_WAIT_SECONDS = 5.0
"""The first idea of a French or mixed campaign waits this long at most for the multilingual model, which
loads on first need in about half a second; past it, the idea is answered once embedded."""


def needs_multilingual(language: str) -> bool:
    return language in MULTILINGUAL_LANGUAGES


SIMILAR_THRESHOLD = 0.70
"""Cosine similarity from which an existing idea is shown as close to a new one (all-MiniLM-L6-v2).

Chosen with `python benchmarks/calibrate_similarity.py` (seed 7):
- Banking77, 3,000 requests, same intent = same idea. At 0.70 the top-3 shown are the same intent 88%
  of the time (86% at 0.62, 91% at 0.75), and 90% of requests are shown one of their intent (93% at
  0.62, 85% at 0.75). Over all pairs: precision 0.68, recall 0.26 (at 0.62: 0.45 and 0.43).
- UK petition titles, 1,000 new against 20,000 earlier: 44% are shown at least one close title, 0.90
  on average (70% and 1.73 at 0.62). Pairs between 0.62 and 0.67 are mostly the same topic but not
  the same idea ("Outlaw offshore contracts" ~ "Scrap Offshore Banking for good"), hence 0.70: a
  close-idea prompt should be worth a resident's attention.
"""

MULTILINGUAL_SIMILAR_THRESHOLD = 0.52
"""`SIMILAR_THRESHOLD` for the multilingual encoder, whose translations score lower than paraphrases.

On the 402 English messages of the catalogue of three words or more and their French translations,
99% of pairs of different messages score below 0.52 and 97.5% of translations at or above it (92.5% at
0.60, 77% at 0.70). On 1,000 Banking77 requests (seed 7) the top-3 shown are the same intent 67% of the
time (76% at 0.70; all-MiniLM-L6-v2 at 0.70: 82%): close ideas are looser in a French or mixed campaign,
the price of seeing an idea in the other language at all."""

REPEAT_THRESHOLD = 0.95
"""Cosine similarity from which a person's new idea is taken as a repeat of their own earlier one.

Near-exact wording only: "More benches near the playground" and "more benches near the playground
please" score 0.95, while opposite ideas in the same words ("Ban dogs from the playground" and "Allow
dogs in the playground") reach 0.90 and must stay two ideas. The multilingual encoder keeps it: there,
"please" added scores 0.91 and the opposite 0.82 to 0.89, so only the words catch a repeat."""

SIMILAR_SHOWN = 3
"""At most this many close ideas are shown under a new one."""

PREFILTER_FROM_IDEAS = 20_000
"""From this many ideas in a campaign, lookups narrow candidates on a projection first (see below)."""

PREFILTER_DIMENSIONS = 96
PREFILTER_CANDIDATES = 128
PREFILTER_SAMPLE = 10_000

_INITIAL_CAPACITY = 256


@dataclass(frozen=True)
class Match:
    idea_id: int
    author_id: int
    score: float


class CampaignVectors:
    """One campaign's idea vectors in a growable matrix, with their idea ids and authors.

    From `PREFILTER_FROM_IDEAS` ideas, a lookup first ranks every idea on a low-rank projection of the
    vectors (a quarter of the memory to read), then scores the best `PREFILTER_CANDIDATES` exactly.
    benchmarks/similar_ideas.py reports how often this finds the same close ideas as a full scan.
    """

    def __init__(self, ids: np.ndarray, authors: np.ndarray, matrix: np.ndarray) -> None:
        count = len(ids)
        capacity = max(_INITIAL_CAPACITY, count)
        self._ids = _grown(np.asarray(ids, dtype=np.int64), capacity)
        self._authors = _grown(np.asarray(authors, dtype=np.int64), capacity)
        self._matrix = _grown(np.asarray(matrix, dtype=np.float32), capacity)
        self._rows = {int(idea_id): row for row, idea_id in enumerate(ids)}
        self.size = count
        self._projection: np.ndarray | None = None
        self._reduced: np.ndarray | None = None
        self._start_prefilter()

    def add(self, idea_id: int, author_id: int | None, vector: np.ndarray) -> None:
        if idea_id in self._rows:
            return
        if self._matrix.shape[1] != len(vector):  # the first vector of an empty campaign
            self._matrix = np.zeros((len(self._ids), len(vector)), dtype=np.float32)
        if self.size == len(self._ids):
            capacity = 2 * len(self._ids)
            self._ids, self._authors, self._matrix = (
                _grown(self._ids[: self.size], capacity),
                _grown(self._authors[: self.size], capacity),
                _grown(self._matrix[: self.size], capacity),
            )
            if self._reduced is not None:
                self._reduced = _grown(self._reduced[: self.size], capacity)
        row = self.size
        self._ids[row], self._authors[row], self._matrix[row] = idea_id, author_id or 0, vector
        if self._reduced is not None and self._projection is not None:
            self._reduced[row] = vector @ self._projection
        self._rows[idea_id] = row
        self.size += 1
        self._start_prefilter()

    def remove(self, idea_id: int) -> None:
        """Forget an idea (merged or deleted); the last row takes its place."""
        row = self._rows.pop(idea_id, None)
        if row is None:
            return
        last = self.size - 1
        if row != last:
            for array in (self._ids, self._authors, self._matrix, self._reduced):
                if array is not None:
                    array[row] = array[last]
            self._rows[int(self._ids[row])] = row
        self.size = last

    def search(
        self, vector: np.ndarray, author_id: int | None, count: int, threshold: float
    ) -> tuple[Match | None, list[Match]]:
        """The author's own closest idea, and up to `count` others' ideas at or above `threshold`.

        One pass serves both: the repeat check and the ideas to show.
        """
        if self.size == 0:
            return None, []
        if self._reduced is None or self._projection is None:
            rows = np.arange(self.size)
            scores = self._matrix[: self.size] @ vector
        else:
            approximate = self._reduced[: self.size] @ (vector @ self._projection)
            rows = np.argpartition(approximate, -PREFILTER_CANDIDATES)[-PREFILTER_CANDIDATES:]
            scores = self._matrix[rows] @ vector
        own = self._authors[rows] == (author_id or -1)
        mine = None
        if own.any():
            best = int(np.flatnonzero(own)[np.argmax(scores[own])])
            mine = self._match(int(rows[best]), float(scores[best]))
            scores = np.where(own, -np.inf, scores)
        top = np.argpartition(scores, -count)[-count:] if len(scores) > count else np.arange(len(scores))
        top = top[scores[top] >= threshold]
        top = top[np.argsort(-scores[top], kind="stable")]
        return mine, [self._match(int(rows[i]), float(scores[i])) for i in top]

    def _match(self, row: int, score: float) -> Match:
        return Match(int(self._ids[row]), int(self._authors[row]), score)

    def _start_prefilter(self) -> None:
        """Once the campaign is large, project on the top singular directions of a sample of its vectors."""
        if self._projection is not None or self.size < PREFILTER_FROM_IDEAS:
            return
        sample = self._matrix[: self.size : max(1, self.size // PREFILTER_SAMPLE)].astype(np.float64)
        _, directions = np.linalg.eigh(sample.T @ sample)  # ascending: the strongest come last
        self._projection = np.ascontiguousarray(
            directions[:, ::-1][:, :PREFILTER_DIMENSIONS], dtype=np.float32
        )
        self._reduced = _grown(self._matrix[: self.size] @ self._projection, len(self._ids))


def _grown(array: np.ndarray, capacity: int) -> np.ndarray:
    """`array`'s rows at the top of a zeroed array of `capacity` rows."""
    grown = np.zeros((capacity, *array.shape[1:]), dtype=array.dtype)
    grown[: len(array)] = array
    return grown


class IdeaIndex:
    """The embedders plus every looked-up campaign's vectors, for similar-idea lookups at posting.

    `embedder` (EMBEDDING_MODEL) embeds English campaigns; `multilingual`, when set, embeds the campaigns
    whose ideas are French or mixed, and starts loading only once one of them needs it. A campaign's
    vectors are always those of its own model: vectors of two models are never compared.
    """

    def __init__(self, embedder: Embedder, multilingual: Embedder | None = None) -> None:
        self.embedder = embedder
        self.multilingual = multilingual
        self._campaigns: dict[int, CampaignVectors] = {}
        self._lock = threading.RLock()
        """Held to read or change the campaigns' vectors: several core workers may post ideas at once."""
        self.awaiting: dict[int, Incoming] = {}
        """Ideas recorded before the model was ready, with the update that brought them: once embedded,
        their authors are told about close ideas (kept in memory: lost on restart, the ideas are not)."""

    @property
    def ready(self) -> bool:
        """True once the default model is loaded (the one ideas are encoded with before their update
        reaches the worker)."""
        return self.embedder.ready

    @property
    def embedders(self) -> tuple[Embedder, ...]:
        return (self.embedder,) if self.multilingual is None else (self.embedder, self.multilingual)

    def embedder_for(self, session: Session, campaign_id: int) -> Embedder:
        """The model that embeds the campaign's ideas (the multilingual one starts loading if it must; if it
        could not load, French and mixed campaigns fall back on the default model)."""
        chosen, campaign = self.multilingual, session.get(Campaign, campaign_id)
        if chosen is None or chosen.failed or campaign is None or not needs_multilingual(campaign.language):
            return self.embedder
        chosen.start()
        return chosen

    def languages_of(self, embedder: Embedder) -> frozenset[str]:
        """The campaign languages whose ideas `embedder` embeds."""
        if self.multilingual is None:
            return CAMPAIGN_LANGUAGES
        if embedder is self.multilingual:
            return MULTILINGUAL_LANGUAGES
        return CAMPAIGN_LANGUAGES - MULTILINGUAL_LANGUAGES

    def forget(self, campaign_id: int) -> None:
        """Drop a campaign's vectors (its model changed): the next lookup reads its new model's."""
        with self._lock:
            self._campaigns.pop(campaign_id, None)

    def vectors(self, session: Session, campaign_id: int) -> CampaignVectors:
        """The campaign's vectors, read from storage on first use."""
        with self._lock:
            return self._vectors(session, campaign_id)

    def _vectors(self, session: Session, campaign_id: int) -> CampaignVectors:
        vectors = self._campaigns.get(campaign_id)
        if vectors is None:
            ids, matrix = stored_embeddings(
                session, campaign_id, self.embedder_for(session, campaign_id).name
            )
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
    ) -> tuple[Match | None, list[Match]]:
        """See `CampaignVectors.search`, at the threshold of the campaign's model."""
        multilingual = self.embedder_for(session, campaign_id).setting == MULTILINGUAL_EMBEDDING_MODEL
        threshold = MULTILINGUAL_SIMILAR_THRESHOLD if multilingual else SIMILAR_THRESHOLD
        with self._lock:
            return self._vectors(session, campaign_id).search(vector, author_id, count, threshold)

    def added(self, campaign_id: int, idea_id: int, author_id: int | None, vector: np.ndarray) -> None:
        """An idea's vector was committed; campaigns not loaded yet will read it from storage."""
        with self._lock:
            vectors = self._campaigns.get(campaign_id)
            if vectors is not None:
                vectors.add(idea_id, author_id, vector)

    def removed(self, campaign_id: int, idea_id: int) -> None:
        with self._lock:
            vectors = self._campaigns.get(campaign_id)
            if vectors is not None:
                vectors.remove(idea_id)
