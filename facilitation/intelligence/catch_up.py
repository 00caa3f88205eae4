"""Catching up on vectors: once the model is loaded, every idea stored without one gets it.

These are the ideas recorded while the model loaded (their authors then get the close ideas as a follow-up,
through the LATE_VECTOR hook) and, after a change of model, all the ideas. Each idea is embedded by its
campaign's model (see `IdeaIndex.embedder_for`).
"""

from __future__ import annotations

import logging

import numpy as np

from facilitation.intelligence.embeddings import Embedder, ideas_without_embedding, store_embeddings
from facilitation.intelligence.similarity import IdeaIndex
from facilitation.kernel.core import Core
from facilitation.kernel.hooks import LATE_VECTOR
from facilitation.kernel.scheduling import JobSpec
from storage.models import Idea

log = logging.getLogger(__name__)

EMBED_MISSING_BATCH = 256
"""Ideas embedded per round when catching up, so that updates keep their turn on the worker thread."""


async def embed_missing(core: Core, index: IdeaIndex) -> None:
    """Embed every stored idea that has no vector for its campaign's model, batch by batch, on `core`'s
    worker. The default model is waited for (ideas recorded while it loads are caught here); the
    multilingual one only when some of its campaigns' ideas are waiting for it now."""
    for embedder in index.embedders:
        wanted = embedder is index.embedder or await core.in_worker(_ideas_to_embed, core, index, embedder)
        if not wanted or not await embedder.wait_ready_async():
            continue
        while batch := await core.in_worker(_ideas_to_embed, core, index, embedder):
            vectors = await embedder.encode_async([idea.text for idea in batch])
            await core.commit_on_worker(_store_vectors, core, index, embedder, batch, vectors)
            log.info("ideas embedded count=%d model=%s", len(batch), embedder.name)


def _ideas_to_embed(core: Core, index: IdeaIndex, embedder: Embedder) -> list[Idea]:
    with core.database.session() as session:
        return ideas_without_embedding(
            session, embedder.name, EMBED_MISSING_BATCH, index.languages_of(embedder)
        )


def _store_vectors(
    core: Core, index: IdeaIndex, embedder: Embedder, batch: list[Idea], vectors: np.ndarray
) -> list[JobSpec]:
    """Store a batch of vectors, then answer the authors still waiting for close ideas."""
    with core.database.session() as session:
        for campaign_id in {idea.campaign_id for idea in batch}:
            index.vectors(session, campaign_id)  # loaded before this batch is written
        store_embeddings(session, [idea.id for idea in batch], vectors, embedder.name)
    for idea, vector in zip(batch, vectors, strict=True):
        if idea.status != "merged" and idea.in_sight:
            index.added(idea.campaign_id, idea.id, idea.member_id, vector)
    with core.database.session() as session:
        for idea, vector in zip(batch, vectors, strict=True):
            incoming = index.awaiting.pop(idea.id, None)
            if incoming is not None:
                ctx = core.context_for(session, incoming)
                core.router.hooks.call(LATE_VECTOR, ctx, idea, vector)
                core.enqueue(ctx)
    return []
