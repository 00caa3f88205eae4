"""/themes through the real core on a campaign of 3,000 ideas: its answer time, and how long another
member's /help waits behind ten /themes from one resident, computing every time (before) and answering
from the stored themes while the ideas are unchanged (after).

Run from the repository root: ``python -m benchmarks.themes_command [--ideas 3000] [--data ../shared/data]``.

The ideas are UK petition titles with their MiniLM vectors (encoded once and cached, as
benchmarks/similar_ideas.py does), written straight into a SQLite campaign. The baseline, in the same
process, forgets what the stored themes were computed from before each /themes, so that every call
groups all the ideas again, as /themes did before; the theme-map files written are counted too. A
/themes is timed until its digest is posted: on this many ideas the grouping runs off the core's
worker and the digest follows the reply, so the /help column shows whether anyone else waits for it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import delete

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from similar_ideas import cached_vectors, petition_titles  # noqa: E402

from bot.testing.harness import Harness  # noqa: E402
from facilitation.intelligence.embeddings import Embedder, store_embeddings  # noqa: E402
from facilitation.intelligence.themes import THEME_MAPS_FOLDER  # noqa: E402
from storage.models import Campaign, Idea, Member, ThemesFingerprint  # noqa: E402

CALLS = 10


async def seed(harness: Harness, titles: list[str], embedder: Embedder) -> None:
    """The campaign #parks with one idea per title, by one member, with its stored vector."""
    await harness.start_parks()
    await harness.say("/join #parks", user="author")
    vectors = cached_vectors(embedder, titles)
    [campaign] = harness.rows(Campaign)
    author = max(member.id for member in harness.rows(Member))
    with harness.townhall.database.session() as session:
        ideas = [
            Idea(
                campaign_id=campaign.id,
                member_id=author,
                text=title,
                source_platform="recording",
                source_chat_id="room",
            )
            for title in titles
        ]
        session.add_all(ideas)
        session.flush()
        store_embeddings(session, [idea.id for idea in ideas], vectors, embedder.name)


async def timed(harness: Harness, text: str, user: str) -> float:
    """Seconds until the answer: for /themes, until its digest is posted (it may follow the reply)."""
    digests = digests_sent(harness)
    started = time.perf_counter()
    await harness.say(text, user=user)
    while text == "/themes" and digests_sent(harness) == digests:
        await asyncio.sleep(0.01)
    return time.perf_counter() - started


def digests_sent(harness: Harness) -> int:
    return sum(sent.text.startswith("Themes in") for sent in harness.adapter.sent)


async def measure(
    harness: Harness, data_dir: Path, recompute: bool, user: str
) -> tuple[float, float, float, int]:
    """The slowest and fastest of ten /themes one after another, the wait of a /help sent behind ten
    /themes sent at once, and the map files written meanwhile."""
    maps = data_dir / THEME_MAPS_FOLDER

    async def forget_fingerprint() -> None:
        """On the core's worker, in turn with the updates: the next /themes computes from scratch."""

        def forget() -> None:
            with harness.townhall.database.session() as session:
                session.execute(delete(ThemesFingerprint))

        if recompute:
            await harness.townhall.core.in_worker(forget)

    def files() -> int:
        return len(list(maps.iterdir())) if maps.exists() else 0

    before = files()
    answers = []
    for _call in range(CALLS):
        await forget_fingerprint()
        answers.append(await timed(harness, "/themes", user))
    burst = []
    for _call in range(CALLS):
        burst += [
            asyncio.create_task(forget_fingerprint()),
            asyncio.create_task(timed(harness, "/themes", user)),
        ]
    await asyncio.sleep(0)
    help_wait = await timed(harness, "/help", "yann")
    await asyncio.gather(*burst)
    return max(answers), min(answers), help_wait, files() - before


async def run(data: Path, size: int) -> None:
    titles = list(dict.fromkeys(petition_titles(data)))[:size]
    embedder = Embedder()
    if not embedder.wait_ready():
        raise SystemExit("the embedding model did not load")
    try:
        with tempfile.TemporaryDirectory() as folder:
            data_dir = Path(folder)
            url = f"sqlite:///{data_dir / 'townhall.db'}"
            async with Harness.running(url, data_dir, embedder=embedder) as harness:
                await seed(harness, titles, embedder)
                print(f"/themes on {len(titles)} ideas, {CALLS} calls from one resident")
                print(
                    f"| {'/themes':<28} | {'slowest s':>9} | {'fastest s':>9} | {'/help behind 10 s':>17} | {'maps':>4} |"
                )
                print(f"|{'-' * 30}|{'-' * 11}|{'-' * 11}|{'-' * 19}|{'-' * 6}|")
                for label, recompute, user in (
                    ("computed every time (before)", True, "zoe"),
                    ("stored until ideas change", False, "xavier"),  # fair use: 30 updates a minute each
                ):
                    slowest, fastest, help_wait, maps = await measure(harness, data_dir, recompute, user)
                    print(
                        f"| {label:<28} | {slowest:>9.2f} | {fastest:>9.2f} | {help_wait:>17.2f} | {maps:>4} |"
                    )
    finally:
        embedder.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--ideas", type=int, default=3000)
    args = parser.parse_args()
    asyncio.run(run(args.data, args.ideas))


if __name__ == "__main__":
    main()
