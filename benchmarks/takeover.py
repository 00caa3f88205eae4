"""How long the scheduler goes without a leader when the leader is SIGKILLed, across real processes.

Two `townhall run` processes on one database (a throwaway schema of a PostgreSQL database, or a SQLite
file); in each round the leader is killed outright, the seconds until the other logs that it leads are
measured, and a fresh process joins as the next follower. Prints each round, the median and the worst,
against the bound `LEADER_RETRY_SECONDS` (a follower tries once per interval; a killed leader's lock
goes with its connection at once).

    python -m benchmarks.takeover --database postgresql://postgres@127.0.0.1:5432/test --rounds 5
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import time
from pathlib import Path

from bot.testing.replicas import LEADS, STARTED, Replica, replica_env, replicas, throwaway_schema
from facilitation.kernel.scheduling import LEADER_RETRY_SECONDS


def measure(database_url: str, rounds: int, folder: Path) -> list[float]:
    """The takeover time of each round, in seconds."""
    takeovers = []
    env = replica_env(database_url)
    with replicas(2, env, folder) as running:
        leader, follower = running
        for round_number in range(1, rounds + 1):
            leader.kill()
            killed = time.monotonic()
            follower.wait_until_says(LEADS, timeout=60)
            takeovers.append(time.monotonic() - killed)
            print(f"round {round_number}: the follower led {takeovers[-1]:.2f} s after the kill", flush=True)
            leader, follower = (
                follower,
                Replica(f"replica-{round_number + 1}", folder / f"r{round_number}", env),
            )
            running.append(follower.start())
            follower.wait_until_says(STARTED)
            assert not follower.leads, "a second leader"
    return takeovers


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", default="", help="a postgresql:// URL (a SQLite file when empty)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as stack:
        url = args.database
        if url.startswith("postgresql"):
            url = stack.enter_context(throwaway_schema(url, "takeover"))
        else:
            url = f"sqlite:///{Path(folder) / 'townhall.db'}"
        takeovers = measure(url, args.rounds, Path(folder))
    worst = max(takeovers)
    print(
        f"takeover after SIGKILL over {len(takeovers)} rounds ({url.split(':', 1)[0]}): "
        f"median {statistics.median(takeovers):.2f} s, worst {worst:.2f} s; "
        f"bound {LEADER_RETRY_SECONDS:.1f} s retry interval, worst/interval {worst / LEADER_RETRY_SECONDS:.2f}"
    )


if __name__ == "__main__":
    main()
