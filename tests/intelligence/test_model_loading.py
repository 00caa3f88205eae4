"""The model loads in the background: a run that ends before it has loaded ends at once."""

from __future__ import annotations

import asyncio
import threading

import numpy as np

from bot.testing.harness import Harness
from facilitation.intelligence.embeddings import Embedder

GIVE_UP_SECONDS = 20
"""Far longer than a stop takes: past it, the stop was waiting for the model."""


def test_townhall_stopped_while_its_model_loads_does_not_wait_for_the_model(
    database_url, tmp_path, monkeypatch
):
    """A piped `/help` must not wait for the model it never needed: nothing still waits for it at exit."""
    released = threading.Event()

    def never_loads(self: Embedder) -> None:
        released.wait()
        raise RuntimeError("the test's model never loads")

    monkeypatch.setattr(Embedder, "_load", never_loads)

    async def answer_help_and_stop() -> str:
        async with Harness.running(database_url, tmp_path, embedder=Embedder()) as harness:
            return await harness.reply_text("/help")

    watchdog = threading.Timer(GIVE_UP_SECONDS, released.set)
    watchdog.start()
    try:
        answer = asyncio.run(answer_help_and_stop())  # at its end, asyncio.run waits for helper threads
        ended_first = not released.is_set()
    finally:
        released.set()
        watchdog.cancel()
    assert "/idea" in answer
    assert ended_first, "the run waited for the model to load before it ended"


class CountingEmbedder(Embedder):
    """An embedder whose model is a text's length: it records what it is asked to encode, loads nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[list[str]] = []

    def encode(self, texts):  # noqa: ANN001, ANN201
        self.asked.append(list(texts))
        return np.array([[len(text), 1.0] for text in texts], dtype=np.float32)


def test_label_phrases_asked_again_at_a_recomputation_are_not_encoded_again():
    embedder = CountingEmbedder()
    first = embedder.encode_remembered(["bike lanes", "snow", "bike lanes"])
    second = embedder.encode_remembered(["snow", "bus shelters", "bike lanes"])
    assert embedder.asked == [["bike lanes", "snow"], ["bus shelters"]]
    assert first.tolist() == [[10, 1], [4, 1], [10, 1]]
    assert second.tolist() == [[4, 1], [12, 1], [10, 1]]
    assert embedder.encode_remembered([]).shape[0] == 0
