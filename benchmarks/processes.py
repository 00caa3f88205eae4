"""Townhall processes on one PostgreSQL database: how fast residents' updates go through Telegram webhooks
with 1 process x 1 core worker, 1 x 4 and 2 x 4, in one run.

Each configuration gets a fresh schema, its `townhall run` processes (Telegram's send pace off, see
`bot.testing.webhook_load`) and a fake Bot API on 127.0.0.1; residents post two ideas and a vote changed at
once (four updates each) through the webhooks, each update once its previous one was received, to the
processes in turn, one update in five posted twice at once (to two processes when there are two).
Prints throughput (updates a second, from the first post to the last reply) and the latency from an
update's first post to its reply's arrival at the fake Bot API (p50, p95), with ratios to 1 x 1, and
what was lost, doubled or reordered (each must be 0).

    python -m benchmarks.processes --database postgresql://postgres@127.0.0.1:5432/test --residents 500
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from benchmarks.load_test import isolated_database
from bot.testing.fake_telegram import FakeBotAPI
from bot.testing.webhook_load import (
    Outcome,
    Replica,
    build_residents,
    outcome,
    replica_environment,
    replies_due,
    send,
    set_up_campaign,
)

CONFIGURATIONS = ((1, 1), (1, 4), (2, 4))
"""(processes, core workers in each)."""
CONNECTIONS = 80
"""Webhook posts in flight at once (Telegram's max_connections is 40 per bot by default)."""
DUPLICATE_EVERY = 5
REPLIES_TIMEOUT_SECONDS = 1800.0
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Figures:
    processes: int
    workers: int
    updates: int
    seconds: float
    result: Outcome

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds

    def percentile(self, share: float) -> float:
        ordered = sorted(self.result.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000


async def measure(url: str, processes: int, workers: int, residents: int) -> Figures:
    fake = await FakeBotAPI().start()
    env = replica_environment(dict(os.environ), url, fake)
    env["PYTHONPATH"] = str(ROOT)
    folder = Path(tempfile.mkdtemp(prefix="townhall-processes-"))
    replicas = [Replica.start(env, folder / f"process{number}", workers) for number in range(processes)]
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONNECTIONS)) as session:
            for replica in replicas:
                await replica.listening(session)
            seeds = await set_up_campaign(session, replicas[0], fake)
            people = build_residents(residents, seeds, with_second_vote=False)
            started = time.monotonic()
            await asyncio.gather(*(send(session, r, lambda: replicas, DUPLICATE_EVERY) for r in people))
            deadline = time.monotonic() + REPLIES_TIMEOUT_SECONDS
            while replies_due(fake, people) > 0 and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            last = max(message["_at"] for message in fake.messages())
            await asyncio.sleep(1)  # room for a double to show up, were there one
        updates = sum(len(resident.updates) for resident in people)
        return Figures(processes, workers, updates, last - started, outcome(url, fake, people))
    finally:
        for replica in replicas:
            await asyncio.to_thread(replica.stop)
        await fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True, help="PostgreSQL URL (a schema is made and dropped)")
    parser.add_argument("--residents", type=int, default=500, help="residents, four updates each")
    args = parser.parse_args()
    runs: list[Figures] = []
    for processes, workers in CONFIGURATIONS:
        url, cleanup = isolated_database(args.database)
        try:
            runs.append(asyncio.run(measure(url, processes, workers, args.residents)))
        finally:
            cleanup()
    base = runs[0]
    print(
        f"PostgreSQL, {args.residents} residents x 4 updates through Telegram webhooks (send pace off); "
        "latency: first post -> reply at the fake Bot API"
    )
    print(
        f"{'processes x workers':<20} {'updates':>7} {'seconds':>8} {'per s':>7} {'ratio':>6} {'p50 ms':>7}"
        f" {'p95 ms':>7} {'p95 ratio':>9} {'lost':>5} {'doubled':>7} {'reordered':>9} {'replies lost/doubled':>20}"
    )
    for run in runs:
        result = run.result
        print(
            f"{f'{run.processes} x {run.workers}':<20} {run.updates:>7} {run.seconds:>8.1f} {run.per_second:>7.1f}"
            f" {run.per_second / base.per_second:>6.2f} {statistics.median(result.latencies) * 1000:>7.0f}"
            f" {run.percentile(0.95):>7.0f} {run.percentile(0.95) / base.percentile(0.95):>9.2f}"
            f" {result.lost:>5} {result.doubled:>7} {result.out_of_order:>9}"
            f" {f'{result.replies_lost}/{result.replies_doubled}':>20}"
        )


if __name__ == "__main__":
    main()
