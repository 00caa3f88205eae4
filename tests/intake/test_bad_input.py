"""Bad input gets a clear, polite answer, and nothing half-done is stored."""

from __future__ import annotations

from bot.testing.harness import FACILITATOR
from facilitation.kernel.text import IDEA_MAX_LENGTH
from storage.models import Campaign, Idea


async def test_resident_cannot_create_a_campaign(harness):
    answer = await harness.reply_text("/campaign #parks Better parks | Why?", user="alice")
    assert "Only facilitators" in answer and "Nothing was changed" in answer
    assert harness.rows(Campaign) == []


async def test_malformed_campaign_command_shows_its_usage(harness):
    for text in (
        "/campaign",
        "/campaign #parks",
        "/campaign #parks Better parks",
        "/campaign parks Title | x",
    ):
        answer = await harness.reply_text(text, user=FACILITATOR)
        assert "Usage: /campaign #hashtag Title | challenge statement" in answer, text
    assert harness.rows(Campaign) == []


async def test_hashtag_already_used_by_an_open_campaign_is_refused_whatever_its_case(harness):
    await harness.start_parks()
    answer = await harness.reply_text("/campaign #PARKS Other parks | Another question", user=FACILITATOR)
    assert "already used" in answer
    assert len(harness.rows(Campaign)) == 1


async def test_idea_before_any_campaign_exists(harness):
    answer = await harness.reply_text("/idea More benches")
    assert "no campaign yet" in answer
    assert harness.rows(Idea) == []


async def test_empty_and_whitespace_ideas_are_refused(harness):
    await harness.start_parks()
    for text in ("/idea", "/idea    ", "/idea \u200b\u200b"):
        assert "Your idea is empty" in await harness.reply_text(text)
    assert harness.rows(Idea) == []


async def test_idea_over_the_limit_is_refused_whole(harness):
    await harness.start_parks()
    answer = await harness.reply_text("/idea " + "b" * (IDEA_MAX_LENGTH + 1))
    assert f"the limit is {IDEA_MAX_LENGTH}" in answer
    assert harness.rows(Idea) == []
    ok = await harness.reply_text("/idea " + "b" * IDEA_MAX_LENGTH)
    assert "recorded" in ok


async def test_control_characters_are_dropped_and_markup_kept_verbatim(harness):
    await harness.start_parks()
    await harness.say("/idea <b>Bold</b> & \x00benches\x07 for *everyone*")
    [idea] = harness.rows(Idea)
    assert idea.text == "<b>Bold</b> & benches for *everyone*"
    assert "<b>Bold</b> & benches" in await harness.reply_text("/ideas")


async def test_unknown_command_gets_a_pointer_to_help(harness):
    assert "I don't know the command /frobnicate" in await harness.reply_text("/frobnicate now")


async def test_stale_button_gets_a_polite_answer(harness):
    answer = await harness.say("", button_token="not-a-real-token")
    assert "This button has expired" in answer[0].text


async def test_plain_text_in_a_private_chat_explains_how_to_share(harness):
    assert "/idea" in await harness.reply_text("hello there", private=True)
    assert await harness.say("hello there") == []  # in a group, chatter is left alone


async def test_unknown_campaign_hashtag_is_named_in_the_answer(harness):
    await harness.start_parks()
    assert "no open campaign #nowhere" in await harness.reply_text("/join #nowhere")


async def test_messages_from_other_bots_are_ignored(harness):
    await harness.start_parks()
    from dataclasses import replace

    incoming = harness.adapter.incoming("Spam #parks", user="otherbot")
    incoming = replace(incoming, sender=replace(incoming.sender, is_bot=True))
    before = len(harness.adapter.sent)
    await harness.townhall.on_incoming(incoming)
    assert len(harness.adapter.sent) == before
    assert harness.rows(Idea) == []
