"""Dashboard page latency: p50 and p95 of each page's answer for a campaign of many ideas and votes.

Starts Townhall's own wiring (core, outbox, dashboard) with the recording adapter on a temporary SQLite
file (or `--database`), a campaign with `--ideas` ideas by `--members` members, each member voting on
`--votes` ideas, written straight to storage; signs in through /dashboard's link as a browser would, then
asks each page `--requests` times in turn, one at a time, and prints the latencies measured by the client
(server time plus the loopback round trip).

    python -m benchmarks.dashboard_pages --ideas 300 --requests 100
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
from sqlmodel import Session, select

from bot.testing.harness import FACILITATOR, Harness
from storage.models import Campaign, Idea, IdeaVote, Member, Membership

PAGES = ("", "/live.json", "/themes", "/moderation", "/health")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fill(harness: Harness, ideas: int, members: int, votes: int) -> None:
    """Members, ideas and votes written in one transaction, as an import would leave them."""
    rng = random.Random(0)
    with Session(harness.townhall.database.engine) as session:
        campaign = session.exec(select(Campaign)).one()
        people = [Member(pseudonym=f"Bench Member {n}", language="en", timezone="UTC") for n in range(members)]
        session.add_all(people)
        session.flush()
        session.add_all(Membership(campaign_id=campaign.id, member_id=person.id) for person in people)
        rows = [
            Idea(
                campaign_id=campaign.id,
                member_id=people[n % members].id,
                text=f"Idea number {n}: more benches, trees and <lights> near place {n % 97}",
                source_platform="recording",
                source_chat_id="bench",
                source_message_id=f"bench-{n}",
            )
            for n in range(ideas)
        ]
        session.add_all(rows)
        session.flush()
        for person in people:
            for idea in rng.sample(rows, min(votes, len(rows))):
                session.add(IdeaVote(idea_id=idea.id, member_id=person.id, choice=rng.choice(["agree", "disagree"])))
        session.commit()


async def measure(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="townhall-dashboard-bench-"))
    url = args.database or f"sqlite:///{folder / 'bench.db'}"
    async with Harness.running(url, folder, dashboard_port=free_port()) as harness:
        await harness.start_parks()
        fill(harness, args.ideas, args.members, args.votes)
        answers = await harness.say("/dashboard #parks", user=FACILITATOR)
        link = next(word for sent in answers for word in sent.text.split() if "/login/" in word)
        base = link.split("/login/")[0] + "/c/1"
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
            async with client.get(link) as answer:
                assert answer.status == 200, answer.status
            print(f"{args.ideas} ideas, {args.members} members, {args.members * args.votes} votes; "
                  f"{args.requests} requests per page")
            for page in PAGES:
                timings = []
                for _ in range(args.requests):
                    start = time.perf_counter()
                    async with client.get(base + page) as answer:
                        await answer.read()
                        assert answer.status == 200, (page, answer.status)
                    timings.append((time.perf_counter() - start) * 1000)
                timings.sort()
                p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
                print(f"  /c/1{page or '':12} p50 {statistics.median(timings):7.1f} ms   p95 {p95:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ideas", type=int, default=300)
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--votes", type=int, default=20, help="votes per member")
    parser.add_argument("--requests", type=int, default=100, help="requests per page")
    parser.add_argument("--database", default="", help="a database URL (default: a temporary SQLite file)")
    asyncio.run(measure(parser.parse_args()))


if __name__ == "__main__":
    main()
