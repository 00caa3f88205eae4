"""The dashboard served for real on a free loopback port, beside the harness's core."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.testing.harness import FACILITATOR, Clock, Harness

LINK = re.compile(r"http://\S+/login/\S+")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def web(database_url: str, tmp_path: Path, clock: Clock) -> AsyncIterator[Harness]:
    """The harness with the dashboard listening; `web.townhall.settings.web_url` is its address."""
    async with Harness.running(database_url, tmp_path, clock=clock, dashboard_port=free_port()) as running:
        yield running


async def dashboard_link(harness: Harness, hashtag: str = "#parks", user: str = FACILITATOR) -> str:
    """The link /dashboard sends `user` privately."""
    answers = await harness.say(f"/dashboard {hashtag}", user=user)
    found = [LINK.search(sent.text) for sent in answers]
    links = [match.group(0) for match in found if match is not None]
    assert links, [sent.text for sent in answers]
    return links[0]


@pytest.fixture
async def web_with_model(database_url: str, tmp_path: Path, clock: Clock, embedder) -> AsyncIterator[Harness]:  # noqa: ANN001
    """As `web`, with the real model: themes can be computed."""
    async with Harness.running(
        database_url, tmp_path, clock=clock, embedder=embedder, dashboard_port=free_port()
    ) as running:
        yield running
