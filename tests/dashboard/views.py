"""The dashboard's application under aiohttp's test client, beside the harness's core, and signing in
with the link /dashboard sends."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from bot.testing.harness import FACILITATOR, Harness
from bot.web.app import Dashboard
from tests.dashboard.conftest import dashboard_link

NEW_PAGES = ("/groups", "/rounds", "/prototypes", "/commitments", "/goals")
"""The facilitators' pages that read what chat built: opinion groups, rounds, prototypes and giving,
commitments, goals."""


def dashboard_client(harness: Harness) -> TestClient:
    core = harness.townhall.core
    return TestClient(TestServer(Dashboard(core, harness.townhall.scheduler).application()))


async def sign_in(
    harness: Harness, client: TestClient, hashtag: str = "#parks", user: str = FACILITATOR
) -> str:
    """Open the link /dashboard sends `user` on the test client; the campaign's path, /c/<id>."""
    link = await dashboard_link(harness, hashtag, user)
    answer = await client.get("/login/" + link.split("/login/")[1], allow_redirects=False)
    assert answer.status == 303, await answer.text()
    return answer.headers["Location"]


async def page(client: TestClient, path: str) -> str:
    answer = await client.get(path)
    text = await answer.text()
    assert answer.status == 200, (path, text)
    return text


async def fill_the_planning_pages(harness: Harness, idea: str, feedback: str) -> None:
    """Something on each planning page: a round, a prototype of `idea` with a version rated with
    `feedback`, a budget and a pledge, a commitment, and a goal measured once."""
    steps = [
        ("/round 1h Where should the benches go?", FACILITATOR),
        (f"/prototype {idea} Benches pilot", FACILITATOR),
        ("/version p1 Two benches by the pond", FACILITATOR),
        (f"/feedback p1 4 {feedback}", "alice"),
        ("/budget p1 500 1000 CAD", FACILITATOR),
        ("/pledge p1 200 CAD", "alice"),
        ("/commit Paint the benches by in 2 weeks #parks", "alice"),
        ("/goal benches 10 benches", FACILITATOR),
        ("/goal benches 4", FACILITATOR),
    ]
    for text, user in steps:
        await harness.say(text, user=user)
