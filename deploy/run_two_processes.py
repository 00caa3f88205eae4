"""Start two Townhall processes on loopback against one PostgreSQL database, for tests and benchmarks.

    python deploy/run_two_processes.py                      # until Ctrl-C, in a throwaway schema
    python deploy/run_two_processes.py --seconds 20         # a smoke run: start, check, stop
    python deploy/run_two_processes.py --schema townhall    # keep the data in that schema

The database is postgresql://postgres@127.0.0.1:5432/test unless --database (or DATABASE_URL) says
otherwise; by default the processes work in a fresh schema of it, dropped at the end, so that a shared
test database is left as it was. Settings come from the environment as for `townhall run` (tokens, the
API base URLs of a fake platform); each process gets its own data folder and, when a Telegram webhook is
configured, its own webhook port (--webhook-port and the next one), and when --dashboard-port is given,
its own dashboard port. With Discord, DISCORD_SHARD_COUNT=2 and one shard each. The first process is
started and elected leader before the second starts; the script prints who leads, then waits.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.testing.replicas import replica_env, replicas, schema_url, throwaway_schema  # noqa: E402

DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/test"
PROCESSES = 2


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", default=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE)
    parser.add_argument("--schema", default="", help="work in this schema and keep it (default: a throwaway)")
    parser.add_argument("--webhook-port", type=int, default=8441, help="the first process's webhook port")
    parser.add_argument(
        "--dashboard-port", type=int, default=0, help="the first process's dashboard (0: off)"
    )
    parser.add_argument("--seconds", type=float, default=0, help="stop after this long (0: at Ctrl-C)")
    parser.add_argument("--folder", type=Path, help="data folders and logs here (default: a temporary one)")
    args = parser.parse_args()
    if not args.database.startswith("postgresql"):
        parser.error("two processes share a PostgreSQL database: pass --database postgresql://...")

    with contextlib.ExitStack() as stack:
        folder = args.folder or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="townhall-")))
        url = (
            schema_url(args.database, args.schema)
            if args.schema
            else stack.enter_context(throwaway_schema(args.database, "two_processes"))
        )
        per_process = {"telegram_webhook_port": lambda index: str(args.webhook_port + index)}
        if args.dashboard_port:
            per_process["dashboard_port"] = lambda index: str(args.dashboard_port + index)
        env = replica_env(url)
        if env.get("DISCORD_BOT_TOKEN"):
            env["DISCORD_SHARD_COUNT"] = str(PROCESSES)
            per_process["discord_shard_ids"] = str
        running = stack.enter_context(replicas(PROCESSES, env, folder, **per_process))
        for replica in running:
            assert replica.process is not None
            role = "leads the scheduler" if replica.leads else "follows"
            print(
                f"{replica.name} pid={replica.process.pid} {role}; data and log in {replica.data_dir}",
                flush=True,
            )
        leaders = [replica.name for replica in running if replica.leads]
        if len(leaders) != 1:
            print(f"expected one leader, found {leaders}", file=sys.stderr)
            return 1
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        stop.wait(args.seconds or None)
        print("stopping both", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
