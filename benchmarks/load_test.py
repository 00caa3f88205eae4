"""Load test: many residents posting ideas at once through the real core, outbox and delivery.

Drives Townhall's wiring with the recording adapter (only the final send is swapped) against PostgreSQL
or SQLite, then checks that every idea is stored once and every confirmation delivered once. Prints
throughput and per-update latency; a baseline of the same updates sent one at a time runs in the same
process for the ratio.

    python -m benchmarks.load_test --database postgresql://postgres@127.0.0.1:5432/test --members 200 --ideas 5
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from adapters.recording import RecordingAdapter
from bot.app import Townhall
from bot.settings import Settings
from storage.db import create_db_engine


def isolated_database(url: str) -> tuple[str, callable]:
    """A fresh schema in a PostgreSQL database, or a temporary SQLite file; and how to clean it up."""
    if url.startswith("sqlite"):
        folder = Path(tempfile.mkdtemp(prefix="townhall-load-"))
        return f"sqlite:///{folder / 'load.db'}", lambda: None
    schema = f"load_{uuid.uuid4().hex[:10]}"
    admin = create_db_engine(url)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return f"{url}{separator}options=-csearch_path%3D{schema}", drop


async def run(url: str, members: int, ideas_each: int, concurrent: bool) -> dict[str, float]:
    adapter = RecordingAdapter()
    settings = Settings(
        _env_file=None,
        database_url=url,
        data_dir=Path(tempfile.mkdtemp()),
        facilitator_ids=["recording:host"],
    )
    townhall = Townhall(settings, [adapter])
    await townhall.start()
    try:
        await townhall.on_incoming(
            adapter.incoming("/campaign #load Load test | Many ideas at once", user="host")
        )
        latencies: list[float] = []

        async def resident(number: int) -> None:
            for idea in range(ideas_each):
                incoming = adapter.incoming(
                    f"Idea {idea} from resident {number} #load", user=f"resident{number}"
                )
                started = time.perf_counter()
                await townhall.on_incoming(incoming)
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        if concurrent:
            await asyncio.gather(*(resident(number) for number in range(members)))
        else:
            for number in range(members):
                await resident(number)
        elapsed = time.perf_counter() - started
        await townhall.delivery.deliver_due()

        with townhall.database.engine.connect() as connection:
            stored = connection.execute(sa.text("SELECT count(*), count(DISTINCT text) FROM idea")).one()
            undelivered = connection.execute(
                sa.text("SELECT count(*) FROM outboxmessage WHERE status <> 'sent'")
            ).scalar()
        expected = members * ideas_each
        confirmations = [sent.text for sent in adapter.sent if "recorded in #load" in sent.text]
        assert stored == (expected, expected), f"ideas lost or doubled: {stored} for {expected}"
        assert len(confirmations) == expected == len(set(confirmations)), "confirmations lost or doubled"
        assert undelivered == 0, f"{undelivered} messages left in the outbox"
        latencies.sort()
        return {
            "updates": expected,
            "seconds": elapsed,
            "per_second": expected / elapsed,
            "p50_ms": statistics.median(latencies) * 1000,
            "p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1000,
        }
    finally:
        await townhall.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database", default="sqlite://", help="PostgreSQL URL (a schema is made and dropped)"
    )
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--ideas", type=int, default=5, help="ideas per member")
    args = parser.parse_args()

    results = {}
    for mode, concurrent in (("one at a time (baseline)", False), ("all members at once", True)):
        url, cleanup = isolated_database(args.database)
        try:
            results[mode] = asyncio.run(run(url, args.members, args.ideas, concurrent))
        finally:
            cleanup()
    print(f"{'mode':<26} {'updates':>8} {'seconds':>8} {'per s':>8} {'p50 ms':>8} {'p95 ms':>8}")
    for mode, figures in results.items():
        print(
            f"{mode:<26} {figures['updates']:>8} {figures['seconds']:>8.2f} {figures['per_second']:>8.1f}"
            f" {figures['p50_ms']:>8.1f} {figures['p95_ms']:>8.1f}"
        )
    baseline, loaded = results.values()
    print(
        f"throughput ratio, concurrent / one at a time: {loaded['per_second'] / baseline['per_second']:.2f}"
    )
    print("every idea stored once, every confirmation delivered once: yes")


if __name__ == "__main__":
    main()
