"""Dashboard page latency: p50 and p95 of each page's server time for a campaign of many ideas and votes.

Starts Townhall's own wiring (core, outbox) with the recording adapter on a temporary SQLite file (or
`--database`), a campaign with `--ideas` ideas by `--members` members, each member voting on `--votes`
ideas, and themes as /themes would have stored them (`--themes` themes, a stored vector per idea), written
straight to storage. The dashboard's own application is served on loopback with one more middleware that
times each answer inside the server; the client signs in through /dashboard's link as a browser would,
then asks each page `--requests` times in turn, one at a time. Printed per page: the server time of the first
request (cold caches), then p50 and p95 of the server time (from the request reaching the application
to its answer being ready) and of the time the client saw (plus the loopback round trip and reading the
body), with the machine's load: other programs running
beside it slow every figure.

    PYTHONPATH=$PWD python -m benchmarks.dashboard_pages --ideas 10000 --requests 50
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import Session, select

from bot.testing.harness import FACILITATOR, Harness
from bot.web.app import Dashboard
from storage.models import Campaign, Idea, IdeaEmbedding, IdeaTheme, IdeaVote, Member, Membership, Theme

PAGES = (
    "",
    "/live.json",
    "/themes",
    "/groups",
    "/rounds",
    "/prototypes",
    "/commitments",
    "/goals",
    "/moderation",
)
DIMENSIONS = 384
"""As the bundled model's vectors."""
MODEL = "bench"


def fill(harness: Harness, ideas: int, members: int, votes: int, themes: int) -> None:
    """Members, ideas and votes written in one transaction, as an import would leave them."""
    rng = random.Random(0)
    with Session(harness.townhall.database.engine) as session:
        campaign = session.exec(select(Campaign)).one()
        people = [
            Member(pseudonym=f"Bench Member {n}", language="en", timezone="UTC") for n in range(members)
        ]
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
                session.add(
                    IdeaVote(idea_id=idea.id, member_id=person.id, choice=rng.choice(["agree", "disagree"]))
                )
        store_themes(session, campaign, rows, themes)
        session.commit()


def store_themes(session: Session, campaign: Campaign, ideas: list[Idea], count: int) -> None:
    """Themes as /themes leaves them: each idea placed (one in ten in "other"), with a stored vector near
    its theme's centre."""
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(count, DIMENSIONS))
    stored = [
        Theme(campaign_id=campaign.id, label=f"Theme {n}", idea_count=0, keywords=[f"word{n}"])
        for n in range(count)
    ]
    session.add_all(stored)
    session.flush()
    for n, idea in enumerate(ideas):
        place = n % (count + 1)
        vector = (centres[place % count] + rng.normal(scale=0.8, size=DIMENSIONS)).astype(np.float32)
        vector /= np.linalg.norm(vector)
        session.add(IdeaEmbedding(idea_id=idea.id, model=MODEL, vector=vector.astype("<f4").tobytes()))
        theme = stored[place] if place < count else None
        session.add(IdeaTheme(idea_id=idea.id, theme_id=theme.id if theme else None))
        if theme is not None:
            theme.idea_count += 1
            if len(theme.representative_idea_ids) < 3:
                theme.representative_idea_ids = [*theme.representative_idea_ids, idea.id]


def timed(server_times: dict[str, list[float]]) -> Callable[..., Any]:
    @web.middleware
    async def timing(request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
        start = time.perf_counter()
        try:
            return await handler(request)
        finally:
            server_times[request.path].append((time.perf_counter() - start) * 1000)

    return timing


def percentiles(timings: list[float]) -> tuple[float, float]:
    ordered = sorted(timings)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]


async def measure(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="townhall-dashboard-bench-"))
    url = args.database or f"sqlite:///{folder / 'bench.db'}"
    async with Harness.running(url, folder, dashboard_port=1) as harness:  # a web address for the link
        await harness.start_parks()
        started = time.perf_counter()
        fill(harness, args.ideas, args.members, args.votes, args.themes)
        print(f"filled in {time.perf_counter() - started:.0f} s")
        server_times: dict[str, list[float]] = defaultdict(list)
        app = Dashboard(harness.townhall.core, harness.townhall.scheduler).application()
        app.middlewares.append(timed(server_times))
        answers = await harness.say("/dashboard #parks", user=FACILITATOR)
        link = next(word for sent in answers for word in sent.text.split() if "/login/" in word)
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            answer = await client.get("/login/" + link.split("/login/")[1])
            assert answer.status == 200, answer.status
            print(
                f"{args.ideas} ideas in {args.themes} themes, {args.members} members, "
                f"{args.members * args.votes} votes; {args.requests} requests per page; "
                f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start"
            )
            print(
                f"  {'page':18} {'first':>11} {'server p50':>11} {'server p95':>11} {'client p50':>11} "
                f"{'client p95':>11}"
            )
            for page in PAGES:
                path = "/c/1" + page
                client_times = []
                server_times[path].clear()
                for _ in range(args.requests):
                    start = time.perf_counter()
                    answer = await client.get(path)
                    await answer.read()
                    assert answer.status == 200, (page, answer.status)
                    client_times.append((time.perf_counter() - start) * 1000)
                first, server, seen = (
                    server_times[path][0],
                    percentiles(server_times[path]),
                    percentiles(client_times),
                )
                print(
                    f"  {path:18} {first:8.1f} ms {server[0]:8.1f} ms {server[1]:8.1f} ms {seen[0]:8.1f} ms "
                    f"{seen[1]:8.1f} ms"
                )
            print(f"load average {os.getloadavg()[0]:.1f} at the end")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ideas", type=int, default=10_000)
    parser.add_argument("--themes", type=int, default=12)
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--votes", type=int, default=20, help="votes per member")
    parser.add_argument("--requests", type=int, default=50, help="requests per page")
    parser.add_argument("--database", default="", help="a database URL (default: a temporary SQLite file)")
    asyncio.run(measure(parser.parse_args()))


if __name__ == "__main__":
    main()
