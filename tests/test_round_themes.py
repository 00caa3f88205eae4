"""With the real model: a round's close posts its ideas grouped by theme, a prototype grows from a theme,
and the authors of ideas placed in a theme hear it, once."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bot.demo import demo_statements
from storage.models import ContributorNotice, Idea, IdeaTheme, Identity, Prototype, Theme
from tests.support import FACILITATOR, Clock, Harness
from tests.test_themes import post_ideas

ROUND_SIZE = 40
"""Enough ideas for themes: a handful of ideas is too few to group (see facilitation.themes)."""


NOON = datetime(2030, 3, 4, 12, tzinfo=UTC)
"""A Monday at noon: outside the default quiet hours; jobs run when the test moves this clock."""


@pytest.mark.embeddings
async def test_a_round_close_posts_its_themes_and_a_prototype_grows_from_one(database_url, tmp_path, embedder):
    clock = Clock(NOON)
    async with Harness.running(database_url, tmp_path, embedder=embedder, clock=clock) as harness:
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
        await harness.run_due_jobs()
        assert await harness.wait_for_text(f"is part of the theme {theme_ref}: ")

        created = await harness.reply_text(f"/prototype {theme_ref} Night lights pilot", user=FACILITATOR)
        assert f"New prototype p1 in #parks: Night lights pilot\nIt grows from the theme {theme_ref}" in created
        [prototype] = harness.rows(Prototype)
        assert prototype.theme_id == int(theme_ref[1:]) and prototype.idea_id is None
        clock.advance(days=1)  # the authors heard about the themes today: the prototype is tomorrow's news
        await harness.run_due_jobs()
        news = await harness.wait_for_text("led to the prototype p1")
        assert "Your idea i" in news and "Night lights pilot" in news


@pytest.mark.embeddings
async def test_an_idea_placed_in_a_theme_is_news_for_its_author_once(database_url, tmp_path, embedder):
    clock = Clock(NOON)
    async with Harness.running(database_url, tmp_path, embedder=embedder, clock=clock) as harness:
        await harness.start_parks()
        await post_ideas(harness, demo_statements()[:ROUND_SIZE])
        await harness.say("/themes", user=FACILITATOR)
        await harness.run_due_jobs()
        await harness.say("/themes", user=FACILITATOR)  # the same placement, computed again
        clock.advance(days=2)
        await harness.run_due_jobs()

        placed = {row.idea_id: row.theme_id for row in harness.rows(IdeaTheme)}
        labels = {theme.id: theme.label for theme in harness.rows(Theme)}
        users = {row.member_id: row.platform_user_id for row in harness.rows(Identity)}
        in_a_theme = 0
        for idea in harness.rows(Idea):
            heard = [
                sent.text
                for sent in harness.adapter.sent
                if sent.address.user_id == users[idea.member_id] and "is part of the theme" in sent.text
            ]
            theme_id = placed.get(idea.id)
            if theme_id is None:
                assert heard == []  # an idea in "other" is no news
                continue
            in_a_theme += 1
            told = f"Your idea i{idea.id} is part of the theme t{theme_id}: {labels[theme_id]}."
            assert len(heard) == 1 and told in heard[0]
        assert in_a_theme >= ROUND_SIZE // 2
        themed = [notice for notice in harness.rows(ContributorNotice) if notice.kind == "themed"]
        assert len(themed) == in_a_theme
