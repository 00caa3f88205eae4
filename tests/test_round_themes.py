"""With the real model: a round's close posts its ideas grouped by theme, and a prototype grows from a theme."""

from __future__ import annotations

import re

import pytest

from bot.demo import demo_statements
from storage.models import Prototype
from tests.support import FACILITATOR
from tests.test_themes import post_ideas

ROUND_SIZE = 40
"""Enough ideas for themes: a handful of ideas is too few to group (see facilitation.themes)."""


@pytest.mark.embeddings
async def test_a_round_close_posts_its_themes_and_a_prototype_grows_from_one(similar_harness):
    harness = similar_harness
    await harness.start_parks()
    await harness.say("/round 2h What should Bowling Green do next?", user=FACILITATOR)
    await post_ideas(harness, demo_statements()[:ROUND_SIZE])
    closed = await harness.reply_text("/close", user=FACILITATOR)
    assert f"Round r1 of #parks is closed. {ROUND_SIZE} ideas were shared." in closed
    assert "Themes of this round:" in closed
    themes = re.findall(r"^(t\d+) · (.+) — (\d+) ideas? of this round$", closed, re.MULTILINE)
    assert themes, closed
    theme_ref, _label, count = themes[0]
    assert int(count) >= 2

    created = await harness.reply_text(f"/prototype {theme_ref} Night lights pilot", user=FACILITATOR)
    assert f"New prototype p1 in #parks: Night lights pilot\nIt grows from the theme {theme_ref}" in created
    [prototype] = harness.rows(Prototype)
    assert prototype.theme_id == int(theme_ref[1:]) and prototype.idea_id is None
    news = await harness.wait_for_text("led to the prototype p1")
    assert "Your idea i" in news and "Night lights pilot" in news
