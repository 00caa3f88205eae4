"""The model loads in the background: a run that ends before it has loaded ends at once."""

from __future__ import annotations

import asyncio
import threading

from bot.testing.harness import Harness
from facilitation.intelligence.embeddings import Embedder

GIVE_UP_SECONDS = 20
"""Far longer than a stop takes: past it, the stop was waiting for the model."""


def test_townhall_stopped_while_its_model_loads_does_not_wait_for_the_model(database_url, tmp_path, monkeypatch):
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
