"""An idea's #hashtag names its campaign: a tag alone is no idea, and an unknown tag stores nothing."""

from __future__ import annotations

from bot.testing.harness import FACILITATOR
from storage.models import Idea


async def start_snowhelp(harness) -> None:
    await harness.say("/campaign #snowhelp Snow help | Who clears the snow for seniors?", user=FACILITATOR)


async def test_a_hashtag_alone_is_refused_and_nothing_is_stored(harness):
    await start_snowhelp(harness)
    answer = await harness.reply_text("/idea #snowhelp", user="alice")
    assert "Write your idea after the hashtag" in answer
    assert "Write your idea after the hashtag" in await harness.reply_text(
        "#snowhelp #SnowHelp", user="alice"
    )
    assert harness.rows(Idea) == []


async def test_an_unknown_hashtag_is_answered_as_unknown_with_the_open_campaigns(harness):
    await start_snowhelp(harness)
    answer = await harness.reply_text("/idea #nosuch more salt on the stairs", user="alice")
    assert answer == "There is no open campaign #nosuch. Open campaigns: #snowhelp"
    assert harness.rows(Idea) == []
    assert "recorded in #snowhelp" in await harness.reply_text("/idea more salt on the stairs", user="alice")
