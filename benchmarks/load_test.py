"""Load test: many residents posting ideas and voting at once through the real core, outbox and delivery.

Drives Townhall's own wiring (core, outbox, delivery service, scheduler) with the recording adapter (only
the final send is swapped for a list) against PostgreSQL or SQLite, with the real embedding model unless
`--no-model`: every idea is embedded and answered with the close ideas already posted. Ideas are real
UK petition titles (../shared/data/uk_petition_titles.csv), one distinct title per idea.

Two phases, all residents at once in each: first every resident posts `--ideas` ideas, then every
resident votes on `--votes` ideas of other residents. A resident waits for the answer to one update
before sending the next, as a person in a chat does. Then it checks that every idea and vote is stored
once and every reply delivered once, and prints throughput and the latency from an update's arrival to
its reply being handed to the platform (p50/p95/p99). A baseline of `--baseline` ideas posted one at a
time by one resident runs in the same process first, for the ratio.

    python -m benchmarks.load_test --database postgresql://postgres@127.0.0.1:5432/test \
        --members 500 --ideas 10 --votes 10
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import random
import re
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from adapters.base import Address
from adapters.recording import RecordingAdapter
from bot.app import Townhall
from bot.settings import Settings
from facilitation.intake.recording import comparable
from facilitation.intelligence.embeddings import Embedder
from facilitation.kernel.events import Outgoing
from storage.db import create_db_engine

HASHTAG = "load"
IDEA_REPLY = re.compile(r"^Idea i(\d+) recorded in #load")
REPEAT_REPLY = re.compile(r"^You already shared this idea in #load as i(\d+)")
VOTE_REPLY = re.compile(r"^Your vote on i(\d+):")


def isolated_database(url: str) -> tuple[str, Callable[[], None]]:
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


def petition_titles(data: Path, count: int) -> list[str]:
    """`count` petition titles of at least three words, distinct even without case and punctuation."""
    seen: set[str] = set()
    titles: list[str] = []
    with (data / "uk_petition_titles.csv").open(encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file):
            title = " ".join(row["text"].split())
            if len(title.split()) >= 3 and comparable(title) not in seen:
                seen.add(comparable(title))
                titles.append(title)
                if len(titles) == count:
                    return titles
    raise SystemExit(f"only {len(titles)} distinct titles in the data, {count} needed")


class TimedRecordingAdapter(RecordingAdapter):
    """The recording adapter, noting when each message was handed to the platform."""

    def __init__(self) -> None:
        super().__init__()
        self.sent_at: list[float] = []

    async def send(self, address: Address, message: Outgoing) -> str | None:
        receipt = await super().send(address, message)
        self.sent_at.append(time.perf_counter())
        return receipt


@dataclass
class Phase:
    """One kind of update sent by every resident at once, and when each was sent."""

    name: str
    updates: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)

    def figures(self) -> str:
        ordered = sorted(self.latencies)

        def percentile(share: float) -> float:
            return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000

        return (
            f"{self.name:<28} {self.updates:>7} {self.seconds:>8.1f} {self.updates / self.seconds:>8.1f}"
            f" {statistics.median(ordered) * 1000:>8.0f} {percentile(0.95):>8.0f} {percentile(0.99):>8.0f}"
        )


@contextlib.asynccontextmanager
async def campaign_running(
    url: str, embedder: Embedder | None, title: str
) -> AsyncIterator[tuple[Townhall, TimedRecordingAdapter]]:
    """Townhall started on `url` with the shared model, and the #load campaign created by its host."""
    adapter = TimedRecordingAdapter()
    settings = Settings(
        _env_file=None,
        database_url=url,
        data_dir=Path(tempfile.mkdtemp()),
        facilitator_ids=["recording:host"],
        embedding_model="",
    )
    townhall = Townhall(settings, [adapter], embedder=embedder)
    await townhall.start()
    try:
        await townhall.on_incoming(adapter.incoming(f"/campaign #{HASHTAG} {title}", user="host"))
        yield townhall, adapter
    finally:
        await townhall.stop()


async def run(
    url: str, embedder: Embedder | None, titles: list[str], members: int, ideas_each: int, votes_each: int
) -> list[Phase]:
    async with campaign_running(url, embedder, "Load test | Many at once") as (townhall, adapter):
        residents = [f"resident{number}" for number in range(members)]
        idea_started: dict[str, float] = {}
        vote_started: dict[tuple[str, int], float] = {}

        async def post_ideas(number: int) -> None:
            # Titles far apart in the file: neighbouring petitions often ask for the same thing.
            for text in titles[number : members * ideas_each : members]:
                incoming = adapter.incoming(f"{text} #{HASHTAG}", user=residents[number])
                idea_started[text] = time.perf_counter()
                await townhall.on_incoming(incoming)

        ideas_phase = Phase("ideas, all residents at once", members * ideas_each)
        started = time.perf_counter()
        await asyncio.gather(*(post_ideas(number) for number in range(members)))
        ideas_phase.seconds = time.perf_counter() - started

        with townhall.database.engine.connect() as connection:
            authored = connection.execute(
                sa.text(
                    "SELECT idea.id, idea.text, identity.platform_user_id FROM idea "
                    "JOIN identity ON identity.member_id = idea.member_id"
                )
            ).all()
        idea_of_text = {text.removesuffix(f" #{HASHTAG}"): idea_id for idea_id, text, _user in authored}
        ideas_by_others = {
            user: [idea_id for idea_id, _text, author in authored if author != user] for user in residents
        }
        ballots = {user: random.Random(user).sample(ideas_by_others[user], votes_each) for user in residents}

        async def vote(number: int) -> None:
            user = residents[number]
            for position, idea_id in enumerate(ballots[user]):
                choice = ("agree", "disagree", "pass")[position % 3]
                incoming = adapter.incoming(f"/vote i{idea_id} {choice}", user=user)
                vote_started[user, idea_id] = time.perf_counter()
                await townhall.on_incoming(incoming)

        votes_phase = Phase("votes, all residents at once", members * votes_each)
        started = time.perf_counter()
        await asyncio.gather(*(vote(number) for number in range(members)))
        votes_phase.seconds = time.perf_counter() - started
        await townhall.delivery.deliver_due()

        repeats = check_nothing_lost_or_doubled(townhall, adapter, titles[: members * ideas_each], ballots)
        print(f"{repeats} ideas were answered as repeats of the same resident's earlier idea (not stored)")
        started_of_idea = {
            idea_of_text[text]: moment for text, moment in idea_started.items() if text in idea_of_text
        }
        for sent, sent_at in zip(adapter.sent, adapter.sent_at, strict=True):
            if match := IDEA_REPLY.match(sent.text):
                ideas_phase.latencies.append(sent_at - started_of_idea[int(match[1])])
            elif (match := VOTE_REPLY.match(sent.text)) and sent.address.user_id is not None:
                votes_phase.latencies.append(sent_at - vote_started[sent.address.user_id, int(match[1])])
        return [ideas_phase, votes_phase]


def check_nothing_lost_or_doubled(
    townhall: Townhall, adapter: RecordingAdapter, titles: list[str], ballots: dict[str, list[int]]
) -> int:
    """Every idea stored once, every vote stored once, every message delivered once and nothing left.
    Returns how many ideas were answered as repeats."""
    with townhall.database.engine.connect() as connection:
        stored_ideas = connection.execute(sa.text("SELECT text FROM idea")).scalars().all()
        stored_votes = connection.execute(sa.text("SELECT count(*) FROM ideavote")).scalar()
        queued, delivered = connection.execute(
            sa.text("SELECT count(*), count(*) FILTER (WHERE status = 'sent') FROM outboxmessage")
        ).one()
    expected_ideas = sorted(f"{text} #{HASHTAG}" for text in titles)
    # A resident's idea that means the same as one of their earlier ideas is answered as a repeat and
    # not stored again: that is the only way an idea may be missing.
    repeats = sum(1 for sent in adapter.sent if REPEAT_REPLY.match(sent.text))
    doubled = sorted(text for text, count in Counter(stored_ideas).items() if count > 1)
    assert not doubled, f"ideas doubled: {doubled[:5]}"
    assert set(stored_ideas) <= set(expected_ideas), "ideas stored that nobody posted"
    assert len(stored_ideas) + repeats == len(expected_ideas), (
        f"{len(expected_ideas) - len(stored_ideas) - repeats} ideas lost"
    )
    expected_votes = sum(len(ideas) for ideas in ballots.values())
    assert stored_votes == expected_votes, f"{stored_votes} votes stored for {expected_votes} cast"
    idea_replies = [sent.text for sent in adapter.sent if IDEA_REPLY.match(sent.text)]
    assert len(idea_replies) == len(stored_ideas) == len(set(idea_replies)), "idea replies lost or doubled"
    vote_replies = [
        (sent.address.user_id, VOTE_REPLY.match(sent.text)[1])
        for sent in adapter.sent
        if VOTE_REPLY.match(sent.text)
    ]
    assert len(vote_replies) == expected_votes == len(set(vote_replies)), "vote replies lost or doubled"
    assert queued == delivered, f"{queued - delivered} messages left in the outbox"
    assert len(adapter.sent) == delivered, f"{len(adapter.sent)} messages handed over for {delivered} queued"
    return repeats


async def baseline(url: str, embedder: Embedder | None, titles: list[str]) -> Phase:
    """The same kind of update, one at a time from one resident, with nothing else going on."""
    phase = Phase("ideas, one at a time", len(titles))
    async with campaign_running(url, embedder, "Baseline | One at a time") as (townhall, adapter):
        started = time.perf_counter()
        for number, text in enumerate(titles):
            # One resident per idea, so that the fair-use limit on ideas a minute does not apply.
            incoming = adapter.incoming(f"{text} #{HASHTAG}", user=f"baseline{number}")
            sent_before = len(adapter.sent)
            update_started = time.perf_counter()
            await townhall.on_incoming(incoming)
            replies = [
                at
                for sent, at in zip(adapter.sent[sent_before:], adapter.sent_at[sent_before:], strict=True)
                if IDEA_REPLY.match(sent.text)
            ]
            assert len(replies) == 1, f"idea {number} was answered {len(replies)} times"
            phase.latencies.append(replies[0] - update_started)
        phase.seconds = time.perf_counter() - started
        return phase


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database",
        default="sqlite://",
        help="PostgreSQL URL (a schema is made and dropped); SQLite by default",
    )
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument(
        "--ideas", type=int, default=10, help="ideas per member (at most 10: the fair-use limit)"
    )
    parser.add_argument("--votes", type=int, default=10, help="votes per member, on other members' ideas")
    parser.add_argument("--baseline", type=int, default=200, help="ideas posted one at a time first")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--no-model", action="store_true", help="without embeddings (no close ideas)")
    args = parser.parse_args()

    titles = petition_titles(args.data, args.members * args.ideas + args.baseline)
    embedder = None
    if not args.no_model:
        embedder = Embedder()
        if not embedder.wait_ready():
            raise SystemExit("the embedding model did not load")
    try:
        phases = []
        for job in (
            lambda url: baseline(url, embedder, titles[-args.baseline :]),
            lambda url: run(url, embedder, titles, args.members, args.ideas, args.votes),
        ):
            url, cleanup = isolated_database(args.database)
            try:
                result = asyncio.run(job(url))
            finally:
                cleanup()
            phases += result if isinstance(result, list) else [result]
    finally:
        if embedder is not None:
            embedder.close()

    backend = "SQLite" if args.database.startswith("sqlite") else "PostgreSQL"
    model = "no model" if args.no_model else "all-MiniLM-L6-v2"
    print(
        f"{backend}, {model}, {args.members} residents; latency: update arrives -> reply handed to the platform"
    )
    print(
        f"{'phase':<28} {'updates':>7} {'seconds':>8} {'per s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
    )
    for phase in phases:
        print(phase.figures())
    one_at_a_time, ideas_phase = phases[0], phases[1]
    ratio = (ideas_phase.updates / ideas_phase.seconds) / (one_at_a_time.updates / one_at_a_time.seconds)
    print(f"idea throughput, all at once / one at a time: {ratio:.2f}")
    print("every idea and vote stored once, every reply delivered once, outbox empty: yes")


if __name__ == "__main__":
    main()
