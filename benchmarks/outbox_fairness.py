"""How long a private reply waits in the outbox behind a busy group's backlog, before and after fair turns.

A group has `--backlog` replies waiting (140 in the probe that found it), then one resident's private
/help is written. Both go through the real delivery service and storage, paced as Telegram is (one
message a second per chat, thirty a second overall, or `--per-chat-interval`), to the recording adapter.
The baseline, in the same process, loads the outbox as delivery did before: the oldest 100 pending
messages, whatever their chat, so the private reply is not even seen until the group's backlog ahead of
it drops below 100. Printed: the private reply's wait and the group's, with each loading.

    python -m benchmarks.outbox_fairness [--database URL] [--backlog 140] [--per-chat-interval 1.0]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from sqlalchemy import delete
from sqlmodel import col, select

from adapters.recording import RecordingAdapter
from facilitation.kernel.events import Address, Outgoing
from facilitation.kernel.outbox import DeliveryService, Outbox
from storage.db import Database
from storage.models import OutboxMessage

OLD_BATCH_SIZE = 100
TELEGRAM_GLOBAL_INTERVAL = 1 / 30


class OldestFirstDelivery(DeliveryService):
    """The baseline: each round loads the oldest pending messages of any chat, as delivery used to."""

    def _load_pending(self) -> list[OutboxMessage]:
        with self.database.session() as session:
            statement = (
                select(OutboxMessage)
                .where(OutboxMessage.status == "pending")
                .order_by(col(OutboxMessage.id))
                .limit(OLD_BATCH_SIZE)
            )
            return list(session.exec(statement))


async def waits(
    database: Database, service_class: type[DeliveryService], backlog: int, interval: float
) -> tuple[float, float]:
    """Seconds until the private reply, and until the group's last reply, were handed to the platform."""
    adapter = RecordingAdapter()
    adapter.capabilities = replace(
        adapter.capabilities, per_chat_interval=interval, global_interval=TELEGRAM_GLOBAL_INTERVAL
    )
    with database.session() as session:
        session.execute(delete(OutboxMessage))  # what the previous run left
        outbox = Outbox()
        for number in range(backlog):
            outbox.enqueue(session, Address("recording", "group"), Outgoing(f"reply {number} to the group"))
        outbox.enqueue(session, Address("recording", "private"), Outgoing("your /help"))
    service = service_class(database, {"recording": adapter})
    started = time.perf_counter()
    await service.start()
    private_wait = group_wait = None
    try:
        while private_wait is None or group_wait is None:
            await asyncio.sleep(0.01)
            chats = [sent.address.chat_id for sent in adapter.sent]
            if private_wait is None and "private" in chats:
                private_wait = time.perf_counter() - started
            if group_wait is None and chats.count("group") == backlog:
                group_wait = time.perf_counter() - started
    finally:
        await service.stop()
    return private_wait, group_wait


async def run(url: str, backlog: int, interval: float) -> None:
    database = Database(url)
    database.upgrade()
    try:
        print(
            f"{backlog} replies waiting for a group, then a private /help; {interval:g} s between sends per chat"
        )
        print(f"| {'loading':<32} | {'private reply waits s':>21} | {'group backlog done s':>20} |")
        print(f"|{'-' * 34}|{'-' * 23}|{'-' * 22}|")
        for label, service_class in (
            ("oldest 100 of any chat (before)", OldestFirstDelivery),
            ("chats take turns (after)", DeliveryService),
        ):
            private_wait, group_wait = await waits(database, service_class, backlog, interval)
            print(f"| {label:<32} | {private_wait:>21.2f} | {group_wait:>20.2f} |")
    finally:
        database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", help="a PostgreSQL URL; a temporary SQLite file by default")
    parser.add_argument("--backlog", type=int, default=140)
    parser.add_argument("--per-chat-interval", type=float, default=1.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database or f"sqlite:///{Path(folder) / 'townhall.db'}"
        asyncio.run(run(url, args.backlog, args.per_chat_interval))


if __name__ == "__main__":
    main()
