"""With the real model: a round's close posts its ideas grouped by theme, a prototype grows from a theme,
the authors of ideas placed in a theme hear it, once, and a version's feedback is grouped like ideas."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bot.demo import demo_statements
from bot.testing.harness import FACILITATOR, Clock, Harness
from facilitation.intelligence import clustering as themes
from facilitation.kernel.text import shorten
from facilitation.planning.feedback import FEEDBACK_THEMES_SHOWN, QUOTE_WIDTH
from storage.models import ContributorNotice, Feedback, Idea, IdeaTheme, Identity, Prototype, Theme
from tests.intake.test_similar_ideas import GatedEmbedder, wait_for
from tests.intelligence.test_themes import post_ideas

ROUND_SIZE = 40
"""Enough ideas for several themes (a short round of a few ideas has its own test)."""


NOON = datetime(2030, 3, 4, 12, tzinfo=UTC)
"""A Monday at noon: outside the default quiet hours; jobs run when the test moves this clock."""


@pytest.mark.embeddings
async def test_a_round_close_posts_its_themes_and_a_prototype_grows_from_one(
    database_url, tmp_path, embedder
):
    clock = Clock(NOON)
    async with Harness.running(database_url, tmp_path, embedder=embedder, clock=clock) as harness:
        await harness.start_parks()
        await harness.say("/round 2h What should Bowling Green do next?", user=FACILITATOR)
        await post_ideas(harness, demo_statements()[:ROUND_SIZE])
        [closed] = [
            sent.text for sent in await harness.say("/close", user=FACILITATOR) if "closed" in sent.text
        ]
        assert f"Round r1 of #parks is closed. {ROUND_SIZE} ideas were shared." in closed
        assert closed.endswith("/prototype <theme id> <title>."), closed  # the whole digest in one message
        assert "support 0" not in closed and "agree 0" not in closed  # no zero counts on every idea
        assert "Themes of this round:" in closed
        themes = re.findall(r"^(t\d+) · (.+) — (\d+) ideas? of this round$", closed, re.MULTILINE)
        assert themes, closed
        theme_ref, _label, count = themes[0]
        assert int(count) >= 2
        await harness.run_due_jobs()
        assert await harness.wait_for_text(f"is part of the theme {theme_ref}: ")

        created = await harness.reply_text(f"/prototype {theme_ref} Night lights pilot", user=FACILITATOR)
        assert (
            f"New prototype p1 in #parks: Night lights pilot\nIt grows from the theme {theme_ref}" in created
        )
        [prototype] = harness.rows(Prototype)
        assert prototype.theme_id == int(theme_ref[1:]) and prototype.idea_id is None
        clock.advance(days=1)  # the authors heard about the themes today: the prototype is tomorrow's news
        await harness.run_due_jobs()
        news = await harness.wait_for_text("led to the prototype p1")
        assert "Your idea i" in news and "Night lights pilot" in news


@pytest.mark.embeddings
async def test_a_short_round_of_three_ideas_still_gives_a_theme_to_grow_a_prototype_from(
    database_url, tmp_path, embedder
):
    """The console tour of a meeting: a 30-minute round, three ideas, /close, then a prototype, a
    version and feedback grown from the theme that the ideas about lights at night make."""
    async with Harness.running(database_url, tmp_path, embedder=embedder, clock=Clock(NOON)) as harness:
        await harness.start_parks()
        await harness.say("/round 30m What would make the park safer at night?", user=FACILITATOR)
        await harness.say("More lights along the paths at night #parks", user="alice")
        await harness.say("Brighter lamps near the playground after dark #parks", user="bob")
        await harness.say("A night patrol by neighbours on weekends #parks", user="carol")
        closed = await harness.reply_text("/close", user=FACILITATOR)
        [theme_ref] = re.findall(r"^(t\d+) · .+ — \d+ ideas? of this round$", closed, re.MULTILINE)
        placed = closed.split(theme_ref, 1)[1].split("In no theme yet:")[0]
        assert "i1 · More lights" in placed and "i2 · Brighter lamps" in placed, closed

        assert "New prototype p1" in await harness.reply_text(
            f"/prototype {theme_ref} Night lights pilot", user=FACILITATOR
        )
        await harness.say("/version p1 Added two solar lamps", user=FACILITATOR)
        await harness.say("/feedback p1 4 Much better near the gate", user="alice")
        shown = await harness.reply_text("/prototype p1")
        assert "Added two solar lamps" in shown and "1 rating" in shown and "4.0" in shown, shown


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


@pytest.mark.embeddings
async def test_a_versions_feedback_is_grouped_into_themes_as_ideas_are(database_url, tmp_path, embedder):
    gated = GatedEmbedder(embedder)  # the model is still loading until the test opens the gate
    async with Harness.running(database_url, tmp_path, embedder=gated) as harness:
        await harness.start_parks()
        await harness.say("/idea Solar lamps along the path")
        await harness.say("/prototype i1 Night lights pilot", user=FACILITATOR)
        await harness.say("/version p1 Added two solar lamps", user=FACILITATOR)
        for number, text in enumerate(demo_statements()[:ROUND_SIZE]):
            await harness.say(f"/feedback p1 {number % 5 + 1} {text}", user=f"resident{number}")
        await harness.say("/version p1 Brighter bulbs", user=FACILITATOR)
        # Three texts about unrelated things: even two alike would make a theme in so small a set.
        for user, text in (
            ("carol", "Now I feel safe"),
            ("dave", "The app crashed twice"),
            ("erin", "Bring back the ice cream van"),
        ):
            await harness.say(f"/feedback p1 5 {text}", user=user)
        await harness.say("/version p1 A bench under the lamp", user=FACILITATOR)
        await harness.say("/feedback p1 4 A fine bench", user="carol")

        loading = await harness.reply_text("/prototype p1")
        v1, v2, v3 = re.split(r"\nv[23] · ", loading)
        assert "and 37 more.\n   Themes of the feedback will show once the language model has loaded." in v1
        assert (
            "“Bring back the ice cream van”\n   Themes of the feedback will show once the language model has loaded."
            in v2
        )
        assert "“A fine bench”\n   No themes: 1 text is too few to group." in v3
        assert "Themes of the feedback:" not in loading

        gated.gate.set()
        await wait_for(lambda: gated.ready)
        shown = await harness.reply_text("/prototype p1")
        v1, v2, v3 = re.split(r"\nv[23] · ", shown)
        texts = [row.text for row in sorted(harness.rows(Feedback), key=lambda row: row.id)][:ROUND_SIZE]
        found = themes.find_themes(embedder.encode(texts), texts)
        assert found.themes, "the same texts make themes when grouped directly"
        assert f"{ROUND_SIZE} ratings · mean rating 3.0 / 5\n   Themes of the feedback:" in v1
        for theme in found.themes[:FEEDBACK_THEMES_SHOWN]:
            quote = shorten(texts[theme.representatives[0]], QUOTE_WIDTH)
            assert f" ({theme.count}): “{quote}”" in v1  # a label may turn on the last digits of a vector
        assert "3 ratings · mean rating 5.0 / 5" in v2 and "“Now I feel safe”" in v2
        assert "No themes: these 3 texts are too few or too different to group." in v2
        assert "No themes: 1 text is too few to group." in v3
    gated.close()


@pytest.mark.embeddings
async def test_a_replaced_rating_leaves_the_feedback_themes(database_url, tmp_path, embedder):
    """Three alike texts make a theme; when one of them was replaced by its author's later rating, the
    two that count are too few: no theme of 3 beside "2 ratings"."""
    async with Harness.running(database_url, tmp_path, embedder=embedder) as harness:
        await harness.start_parks()
        await harness.say("/idea Solar lamps along the path")
        await harness.say("/prototype i1 Night lights pilot", user=FACILITATOR)
        await harness.say("/version p1 Added two solar lamps", user=FACILITATOR)
        await harness.say("/feedback p1 2 The lamps are too dim at night", user="carol")
        await harness.say("/feedback p1 2 The lamps are far too dim at night", user="dave")
        await harness.say("/feedback p1 3 The lamps are still too dim at night", user="carol")
        await wait_for(lambda: embedder.ready)
        shown = await harness.reply_text("/prototype p1")
        assert "2 ratings · mean rating 2.5 / 5" in shown
        assert "Themes of the feedback:" not in shown and "(3)" not in shown
        assert "No themes: 2 texts are too few to group." in shown
