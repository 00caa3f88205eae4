"""A campaign's place and end: its chat is not taken over by another campaign's facilitator, and a
facilitator closes it: it takes no more ideas or votes, is listed as closed, and keeps its data."""

from __future__ import annotations

from bot.testing.harness import FACILITATOR
from storage.models import Campaign, Idea


async def test_a_closed_campaign_refuses_ideas_and_votes_clearly_and_keeps_what_it_has(harness):
    await harness.start_parks()
    await harness.say("/idea More benches near the pond", user="alice")
    assert "Only facilitators" in await harness.reply_text("/campaign close #parks", user="alice")

    closed = await harness.reply_text("/campaign close #parks", user=FACILITATOR)
    assert closed.startswith("#parks is closed: it takes no more ideas or votes.")
    assert "#parks is closed" in await harness.reply_text("/idea #parks Shade trees", user="bob")
    assert "This campaign is closed" in await harness.reply_text("/vote i1 agree", user="bob")
    assert "Closed: #parks" in await harness.reply_text("/campaigns", user="bob")
    assert [campaign.status for campaign in harness.rows(Campaign)] == ["closed"]
    assert [idea.text for idea in harness.rows(Idea)] == ["More benches near the pond"]


async def test_closing_needs_a_hashtag_and_waits_for_an_open_round(harness):
    await harness.start_parks()
    assert "Name the campaign to close" in await harness.reply_text("/campaign close", user=FACILITATOR)
    await harness.say("/round 2h What would make the pond welcoming?", user=FACILITATOR)
    assert "close it first with /close" in await harness.reply_text(
        "/campaign close #parks", user=FACILITATOR
    )
    assert [campaign.status for campaign in harness.rows(Campaign)] == ["open"]


async def test_a_facilitator_of_one_campaign_cannot_invite_it_into_another_campaigns_chat(harness):
    await harness.start_parks()
    await harness.say("/help", user="zoe", chat="snowroom")  # zoe writes once, then facilitates #snow
    await harness.say("/campaign #snow Snow help | Who clears the snow?", user=FACILITATOR, chat="snowroom")
    assert "facilitates #snow" in await harness.reply_text(
        "/facilitator @zoe #snow", user=FACILITATOR, chat="snowroom"
    )
    refused = await harness.reply_text("/invite #snow", user="zoe")
    assert refused.startswith(
        "This chat belongs to #parks: only its facilitators can invite another campaign"
    )
    assert "recorded in #parks" in await harness.reply_text("/idea More salt on the path", user="alice")


async def test_invite_without_a_hashtag_offers_every_campaign_the_facilitator_runs(harness):
    """Created minutes after the first, #vieillir is neither this chat's nor one the facilitator joined:
    /invite still offers it (it used to pick the chat's or the joined campaign alone)."""
    await harness.start_parks()
    await harness.say("/join #parks", user=FACILITATOR)
    await harness.say("/campaign #vieillir Bien vieillir | Comment bien vieillir ici ?", user=FACILITATOR)
    for private in (False, True):
        answer = await harness.reply_text("/invite", user=FACILITATOR, private=private)
        assert "Which campaign do you mean? Add its hashtag: #parks #vieillir" in answer
    invited = await harness.reply_text("/invite #vieillir", user=FACILITATOR, chat="seniors")
    assert "Open invitation: #vieillir" in invited
