"""Several `townhall run` processes in Telegram webhook mode on one PostgreSQL database, fed by residents
posting through their webhooks, for the cross-process tests and `benchmarks/processes.py`.

`python -m bot.testing.webhook_load run` is the `townhall` command with Telegram's send pace off (one message
a second per chat, thirty a second in all; tests/kernel/test_outbox.py covers it), so that what is counted
and timed is the core, not the pace.

Each resident writes in their own private chat, one update after the other as a person does, each posted
once its predecessor is received (answered 200), to the processes in turn; some updates are posted to two
processes at once, as a retried webhook may be. A resident's updates are two ideas, then a vote on a seed
idea changed at once, then (optionally) a vote on another: what each process stored and sent shows whether any update
was lost, handled twice, or handled out of its sender's order.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import aiohttp
import sqlalchemy as sa

from adapters.telegram import TelegramAdapter
from adapters.telegram.receive import SECRET_HEADER
from bot.cli import main
from bot.testing.fake_telegram import TOKEN, FakeBotAPI, message_update, private, user
from storage.db import create_db_engine

SECRET = "replicas-test-webhook-secret"
HASHTAG = "load"
SEEDS = 4
"""Ideas posted by the host before the load, for residents to vote on."""
RESIDENT_IDS = 6200000000
HOST = user(RESIDENT_IDS - 1, "Host", "host")
START_SECONDS = 90.0
RETRY_SECONDS = 0.2
"""How soon an update no replica received is posted again."""
IDEA_REPLY = re.compile(r"^Idea i(\d+) recorded in #load")
VOTE_REPLY = re.compile(r"^Your vote on i(\d+)(:| is now:) ([A-Za-z]+)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def replica_environment(base: dict[str, str], database_url: str, fake: FakeBotAPI) -> dict[str, str]:
    """`base` (this checkout's environment) pointed at the database and the fake Bot API, no model."""
    env = {key: value for key, value in base.items() if not key.startswith(("TELEGRAM_", "DISCORD_"))}
    env.update(
        DATABASE_URL=database_url,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=fake.url,
        FACILITATOR_IDS=f"telegram:{HOST['id']}",
        EMBEDDING_MODEL="",
        DASHBOARD_PORT="0",
        DEFAULT_QUIET_HOURS="",
    )
    return env


@dataclass
class Replica:
    """One `townhall run` process listening for Telegram's webhook on a port of its own."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    @classmethod
    def start(cls, env: dict[str, str], folder: Path, workers: int) -> Replica:
        folder.mkdir(parents=True, exist_ok=True)
        port = free_port()
        url = f"http://127.0.0.1:{port}/telegram-hook"
        env = {
            **env,
            "DATA_DIR": str(folder),
            "CORE_WORKERS": str(workers),
            "TELEGRAM_WEBHOOK_URL": url,
            "TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
            "TELEGRAM_WEBHOOK_PORT": str(port),
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
        }
        log = folder / "stderr.log"
        with log.open("wb") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot.testing.webhook_load", "run"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env=env,
                cwd=folder,
            )
        return cls(process, url, log)

    async def listening(self, session: aiohttp.ClientSession) -> None:
        """Wait until the webhook answers (refusing a post without the secret)."""
        deadline = time.monotonic() + START_SECONDS
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"townhall stopped: {self.log.read_text(errors='replace')[-3000:]}")
            try:
                async with session.post(self.url, json={}) as response:
                    if response.status == 403:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("the webhook never listened")
            await asyncio.sleep(0.2)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Resident:
    """One resident's updates, in the order they send them, and when each was first posted."""

    number: int
    person: dict
    updates: list[dict]
    received: set[int] = field(default_factory=set)
    """Updates some process answered 200 to: Telegram would not send them again."""
    posted_at: dict[int, float] = field(default_factory=dict)

    @property
    def chat_id(self) -> int:
        return self.person["id"]

    def idea_texts(self) -> list[str]:
        return [update["message"]["text"] for update in self.updates[:2]]


def build_residents(count: int, seeds: list[int], with_second_vote: bool = True) -> list[Resident]:
    """`count` residents, each with two ideas, a vote on a seed idea changed at once, and (unless told
    not to) a vote on another."""
    update_ids = itertools.count(900_000_001)
    message_ids = itertools.count(5001)
    people = []
    for number in range(count):
        person = user(RESIDENT_IDS + number, f"Resident {number}", f"resident_{number}")
        first, second = seeds[number % len(seeds)], seeds[(number + 1) % len(seeds)]
        texts = [
            f"/idea #{HASHTAG} Benches along street number {number}",
            f"/idea #{HASHTAG} Fruit trees planted in square number {number}",
            f"/vote i{first} agree",
            f"/vote i{first} disagree",
        ]
        if with_second_vote:
            texts.append(f"/vote i{second} pass")
        updates = []
        for text in texts:
            update = message_update(text, person, private(person), message_id=next(message_ids))
            update["update_id"] = next(update_ids)
            updates.append(update)
        people.append(Resident(number, person, updates))
    return people


async def post(session: aiohttp.ClientSession, replica: Replica, update: dict) -> bool:
    """Post one update to a replica's webhook; True when it answered 200 (received)."""
    try:
        async with session.post(replica.url, json=update, headers={SECRET_HEADER: SECRET}) as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False  # the process is gone or going: Telegram tries again


async def send(
    session: aiohttp.ClientSession,
    resident: Resident,
    live: Callable[[], list[Replica]],
    duplicate_every: int,
) -> None:
    """Post the resident's updates one after the other, each once the previous one was received, to the
    live replicas in turn; every `duplicate_every`-th also to the next replica at the same moment.
    An update no replica received is posted again, as Telegram retries a webhook."""
    for index, update in enumerate(resident.updates):
        turn = resident.number + index
        while update["update_id"] not in resident.received:
            replicas = live()
            targets = [replicas[turn % len(replicas)]]
            if turn % duplicate_every == 0:  # with one replica, posted to it twice at once
                targets.append(replicas[(turn + 1) % len(replicas)])
            resident.posted_at.setdefault(update["update_id"], time.monotonic())
            answers = await asyncio.gather(*(post(session, target, update) for target in targets))
            if any(answers):
                resident.received.add(update["update_id"])
            else:
                turn += 1
                await asyncio.sleep(RETRY_SECONDS)


async def set_up_campaign(session: aiohttp.ClientSession, replica: Replica, fake: FakeBotAPI) -> list[int]:
    """The host opens #load and posts the seed ideas; returns their ids."""
    update_ids = itertools.count(800_000_001)
    texts = [f"/campaign #{HASHTAG} Load | Many at once"]
    texts += [f"/idea #{HASHTAG} Seed idea number {number} for the square" for number in range(SEEDS)]
    for text in texts:
        update = message_update(text, HOST, private(HOST), message_id=next(update_ids))
        update["update_id"] = next(update_ids)
        before = len(fake.messages(HOST["id"]))
        assert await post(session, replica, update), "the host's update was refused"
        await fake.wait_until(
            lambda before=before: len(fake.messages(HOST["id"])) > before, timeout=START_SECONDS
        )
    seeds = [int(found[1]) for m in fake.messages(HOST["id"]) if (found := IDEA_REPLY.match(m["text"]))]
    assert len(seeds) == SEEDS, [m["text"] for m in fake.messages(HOST["id"])]
    return seeds


def replies_due(fake: FakeBotAPI, people: list[Resident]) -> int:
    """How many of the residents' replies have still to arrive at the fake Bot API."""
    chats = {resident.chat_id for resident in people}
    arrived = sum(1 for m in fake.messages() if m["chat_id"] in chats and reply_kind(m["text"]) is not None)
    return sum(len(resident.updates) for resident in people) - arrived


def reply_kind(text: str) -> tuple[str, ...] | None:
    """What a reply answers: ("idea", id) or ("vote", id, choice), None for any other message."""
    if found := IDEA_REPLY.match(text):
        return ("idea", found[1])
    if found := VOTE_REPLY.match(text):
        return ("vote", found[1], found[3].lower())
    return None


@dataclass
class Outcome:
    """What the residents' updates came to: each count must be 0."""

    lost: int = 0
    doubled: int = 0
    out_of_order: int = 0
    replies_lost: int = 0
    replies_doubled: int = 0
    latencies: list[float] = field(default_factory=list)
    """From an update's first post to its reply's arrival at the fake Bot API, in seconds."""


def outcome(database_url: str, fake: FakeBotAPI, people: list[Resident]) -> Outcome:
    """Compare what was stored and sent with what the residents sent."""
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            ideas = connection.execute(sa.text("SELECT id, text FROM idea")).all()
            votes = connection.execute(
                sa.text(
                    "SELECT identity.platform_user_id, ideavote.idea_id, ideavote.choice FROM ideavote "
                    "JOIN identity ON identity.member_id = ideavote.member_id"
                )
            ).all()
            written = connection.execute(
                sa.text("SELECT address, payload FROM outboxmessage ORDER BY id")
            ).all()
    finally:
        engine.dispose()
    handled_in_order: dict[str, list[tuple[str, ...] | None]] = {}
    """Per chat, the replies in the order the updates' transactions wrote them to the outbox."""
    for address, payload in written:
        handled_in_order.setdefault(str(address["chat_id"]), []).append(reply_kind(payload["text"]))
    result = Outcome()
    stored = Counter(text for _id, text in ideas)
    idea_ids = {text: idea_id for idea_id, text in ideas}
    choices = {(str(user_id), idea_id): choice for user_id, idea_id, choice in votes}
    for resident in people:
        texts = [text.removeprefix("/idea ") for text in resident.idea_texts()]
        result.lost += sum(1 for text in texts if stored[text] == 0)
        result.doubled += sum(stored[text] - 1 for text in texts if stored[text] > 1)
        if all(text in idea_ids for text in texts) and idea_ids[texts[0]] > idea_ids[texts[1]]:
            result.out_of_order += 1
        ballots = [update["message"]["text"].split()[1:] for update in resident.updates[2:]]
        user_id = str(resident.chat_id)
        expected = {(user_id, int(ref[1:])): choice for ref, choice in ballots}  # the last choice counts
        for key, choice in expected.items():
            if key not in choices:
                result.lost += 1
            elif choices[key] != choice:
                result.out_of_order += 1
        result.doubled += sum(1 for user, _idea in choices if user == user_id) - len(
            [key for key in expected if key in choices]
        )
        replies = sorted(fake.messages(resident.chat_id), key=lambda m: m["_at"])
        kinds = Counter(reply_kind(m["text"]) for m in replies)  # any other message is one too many
        sequence = [("idea", str(idea_ids[text])) for text in texts if text in idea_ids]
        sequence += [("vote", ref[1:], choice) for ref, choice in ballots]
        wanted = Counter(sequence)
        result.replies_lost += sum((wanted - kinds).values())
        result.replies_doubled += sum((kinds - wanted).values())
        written_order = [kind for kind in handled_in_order.get(user_id, []) if kind in wanted]
        if list(dict.fromkeys(written_order)) != [kind for kind in sequence if kind in written_order]:
            result.out_of_order += 1
        posted = [resident.posted_at[update["update_id"]] for update in resident.updates]
        result.latencies += [m["_at"] - at for m, at in zip(replies, posted, strict=False)]
    return result


if __name__ == "__main__":
    TelegramAdapter.capabilities = replace(
        TelegramAdapter.capabilities, per_chat_interval=0.0, global_interval=0.0
    )
    sys.exit(main())
