"""/vote with no idea deals the member the next idea to vote on, and "Vote on another" after each vote."""

from __future__ import annotations

from bot.testing.harness import FACILITATOR
from storage.models import IdeaVote


async def test_vote_deals_unvoted_ideas_most_helpful_first_then_says_all_are_voted(harness):
    await harness.start_parks()
    await harness.say("/idea Repaint the town hall")
    await harness.say("/idea More benches in the parks")
    await harness.say("/idea A night patrol", user="bob")
    for resident in ("carol", "dave", "erin"):
        await harness.say("/vote i1 pass", user=resident)

    card = await harness.say("/vote", user="bob")
    # i2, which nobody has seen, before i1 that everyone passed on; never bob's own i3
    assert card[0].message.private and card[0].text.startswith("i2: More benches in the parks")
    assert [b.label for b in card[0].message.buttons][-3:] == ["Agree", "Disagree", "Pass"]
    voted = await harness.press("Agree", user="bob")
    assert "Your vote on i2: Agree." in voted[0].text
    dealt = await harness.press("Vote on another", user="bob")
    assert dealt[0].text.startswith("i1: Repaint the town hall")
    await harness.press("Disagree", user="bob")
    done = await harness.press("Vote on another", user="bob")
    assert "You have voted on every idea of #parks you can vote on." in done[0].text
    assert sorted((v.idea_id, v.choice) for v in harness.rows(IdeaVote) if v.choice != "pass") == [
        (1, "disagree"),
        (2, "agree"),
    ]


async def test_vote_never_deals_a_hidden_withdrawn_or_closed_round_idea(harness):
    await harness.start_parks()
    await harness.say("/round 1h What would make the park safer?", user=FACILITATOR)
    await harness.say("/idea Off-topic advert")
    await harness.say("/idea More lights near the gate")
    await harness.say("/idea A night patrol")
    await harness.say("/hide i1 Advert", user=FACILITATOR)
    await harness.say("/withdraw i2")
    assert (await harness.reply_text("/vote #parks", user="bob")).startswith("i3: A night patrol")
    await harness.say("/close", user=FACILITATOR)
    assert "You have voted on every idea of #parks" in await harness.reply_text("/vote", user="bob")


async def test_vote_deals_in_french(harness):
    await harness.start_parks()
    await harness.say("/idea More benches in the parks")
    await harness.say("/lang fr", user="bob")
    card = await harness.say("/vote", user="bob")
    assert [b.label for b in card[0].message.buttons][-3:] == ["D'accord", "Pas d'accord", "Je passe"]
    await harness.press("D'accord", user="bob")
    assert "Voter sur une autre" in [b.label for b in harness.adapter.sent[-1].message.buttons]
    done = await harness.press("Voter sur une autre", user="bob")
    assert "Vous avez voté sur toutes les idées de #parks" in done[0].text
