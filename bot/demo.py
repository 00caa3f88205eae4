"""`townhall demo`: a real public consultation replayed through the real core.

Three hundred statements residents of Bowling Green, Kentucky wrote on Polis (CC BY 4.0, see
bot/demo_data/ATTRIBUTION.md) are posted as ideas by as many residents, through the same core, storage
and model as `townhall run`, with the recording adapter standing in for a chat platform. The demo prints
the close ideas the bot offered at posting, then the themes digest and the theme map's path. It works
in its own database under the data folder, never the configured one.
"""

from __future__ import annotations

import asyncio
import csv
import shutil
import time
from pathlib import Path

from adapters.recording import RecordingAdapter
from bot.app import Townhall
from bot.settings import Settings

DEMO_DATA = Path(__file__).parent / "demo_data" / "bowling_green.csv"
DEMO_FOLDER = "demo"
DEMO_FACILITATOR = "facilitator"
DEMO_HASHTAG = "bowlinggreen"
DEMO_CONCURRENCY = 16
"""Residents posting at the same time: their ideas are encoded together, as in a busy chat."""
DEMO_MATCHES_SHOWN = 5


def demo_statements() -> list[str]:
    with DEMO_DATA.open(encoding="utf-8", newline="") as file:
        return [row["text"] for row in csv.DictReader(file)]


async def run_demo(settings: Settings) -> int:
    """Replay the consultation and print what happened; returns the exit code."""
    started = time.perf_counter()
    folder = settings.data_dir / DEMO_FOLDER
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    demo_settings = settings.model_copy(
        update={
            "data_dir": folder,
            "database_url": f"sqlite:///{folder / 'demo.db'}",
            "facilitator_ids": [f"{RecordingAdapter.platform}:{DEMO_FACILITATOR}"],
        }
    )
    embedder = settings.new_embedder()
    adapter = RecordingAdapter()
    townhall = Townhall(demo_settings, [adapter], embedder=embedder)
    await townhall.start()
    try:
        print(
            "Townhall demo: the Bowling Green town hall (Polis, CC BY 4.0, The Computational Democracy Project)"
        )
        await _say(
            townhall,
            adapter,
            DEMO_FACILITATOR,
            f"/campaign #{DEMO_HASHTAG} Bowling Green | What would make Bowling Green a better place to live?",
        )
        await embedder.wait_ready_async()
        statements = demo_statements()
        for start in range(0, len(statements), DEMO_CONCURRENCY):
            chunk = list(enumerate(statements[start : start + DEMO_CONCURRENCY], start=start + 1))
            await asyncio.gather(
                *(
                    _say(townhall, adapter, f"resident{number}", f"/idea #{DEMO_HASHTAG} {text}")
                    for number, text in chunk
                )
            )
        matches = [sent.text for sent in adapter.sent if sent.message.buttons]
        print(f"\n{len(statements)} residents posted an idea each; {len(matches)} were shown close ideas.")
        for text in matches[:DEMO_MATCHES_SHOWN]:
            print("\n" + text)
        before = len(adapter.sent)
        await _say(townhall, adapter, DEMO_FACILITATOR, f"/themes #{DEMO_HASHTAG}")
        print()
        for sent in adapter.sent[before:]:
            print(sent.text)
            if sent.message.image_path:
                print(f"Theme map: {sent.message.image_path}")
    finally:
        await townhall.stop()
        embedder.close()
    print(f"\nDone in {time.perf_counter() - started:.0f} s. The demo's database is {folder / 'demo.db'}.")
    return 0


async def _say(townhall: Townhall, adapter: RecordingAdapter, user: str, text: str) -> None:
    await townhall.on_incoming(adapter.incoming(text, user=user, chat="townhall"))
