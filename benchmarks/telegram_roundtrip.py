"""Telegram round trip: residents post ideas by long polling; how fast does each confirmation come back?

Runs the real python-telegram-bot Application, core, storage and outbox against the test kit's fake Bot API
on 127.0.0.1. Every resident writes `/idea #bench ...` in their own private chat, all at once, so the
outbox's per-chat pace (one a second) does not apply but the overall pace (30 a second) does. Prints
throughput and the latency from getUpdates handing out an update to its confirmation's sendMessage.

    python -m benchmarks.telegram_roundtrip --residents 300
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from bot.app import Townhall, select_adapters
from bot.settings import Settings
from bot.testing.fake_telegram import TOKEN, FakeBotAPI, message_update, private, user

HOST = user(6100000000, "Host", "host")


async def run(database: str | None, residents: int) -> dict[str, float]:
    api = await FakeBotAPI().start()
    folder = Path(tempfile.mkdtemp(prefix="townhall-telegram-bench-"))
    settings = Settings(
        _env_file=None,
        database_url=database or f"sqlite:///{folder / 'bench.db'}",
        data_dir=folder,
        facilitator_ids=[f"telegram:{HOST['id']}"],
        telegram_bot_token=TOKEN,
        telegram_api_base_url=api.url,
    )
    townhall = Townhall(settings, select_adapters(settings))
    await townhall.start()
    try:
        await api.push(message_update("/campaign #bench Bench | How fast?", HOST, private(HOST)))
        await api.wait_for_messages(1)
        people = [user(6100000001 + n, f"Resident {n}", f"resident_{n}") for n in range(residents)]
        pushed: dict[int, float] = {}
        started = time.monotonic()
        for n, person in enumerate(people):
            await api.push(message_update(f"/idea #bench Idea number {n}", person, private(person)))
            pushed[person["id"]] = time.monotonic()
        sent = await api.wait_until(lambda: len(api.messages()) > residents and api.messages(), timeout=600)
        elapsed = time.monotonic() - started
    finally:
        await townhall.stop()
        await api.stop()
    latencies = sorted(message["_at"] - pushed[message["chat_id"]] for message in sent[1:])
    return {
        "residents": residents,
        "seconds": elapsed,
        "ideas_per_second": residents / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=300)
    parser.add_argument("--database", default=None, help="SQLAlchemy URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    figures = asyncio.run(run(args.database, args.residents))
    print(
        f"{figures['residents']} ideas by {figures['residents']} residents in {figures['seconds']:.1f} s: "
        f"{figures['ideas_per_second']:.1f} confirmed a second; "
        f"latency p50 {figures['p50_ms']:.0f} ms, p95 {figures['p95_ms']:.0f} ms"
    )


if __name__ == "__main__":
    main()
