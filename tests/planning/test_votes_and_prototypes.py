"""Votes on ideas, prototypes with versions and feedback, through the recording adapter."""

from __future__ import annotations

import csv

import numpy as np
from sqlmodel import Session

from bot.testing.harness import FACILITATOR, Clock, Harness
from facilitation.civic.opendata.package import write_package
from facilitation.planning.prototypes import VERSIONS_PER_DAY_MAX
from facilitation.planning.votes import vote_matrix
from storage.models import Campaign, Feedback, IdeaVote, Prototype, PrototypeVersion


async def test_votes_change_and_count_once_per_member(harness):
    await harness.start_parks()
    await harness.say("/idea More lights near the gate")
    await harness.say("/idea A night patrol", user="bob")

    assert "Your vote on i1: Agree." in await harness.reply_text("/vote i1 agree")
    changed = await harness.reply_text("/vote i1 disagree")
    assert "Your vote on i1 is now: Disagree (it was: Agree)." in changed
    assert "agree 0 · disagree 1 · pass 0" in changed
    assert "was already: Disagree" in await harness.reply_text("/vote i1 contre")

    listing = await harness.say("/ideas", user="bob")
    assert "i1 · " in listing[0].text
    card = await harness.press("Vote on i1", user="bob")
    assert card[0].message.private and "agree 0 · disagree 1 · pass 0" in card[0].text
    pressed = await harness.press("Agree", user="bob")
    assert "Your vote on i1: Agree." in pressed[0].text and "agree 1 · disagree 1 · pass 0" in pressed[0].text
    await harness.say("/vote 2 pass", user="carol")

    assert sorted((vote.idea_id, vote.choice) for vote in harness.rows(IdeaVote)) == [
        (1, "agree"),
        (1, "disagree"),
        (2, "pass"),
    ]
    with Session(harness.townhall.database.engine) as session:
        members, ideas, matrix = vote_matrix(session, 1)
    assert ideas == [1, 2] and len(members) == 3
    first_idea = matrix[:, 0]
    assert sorted(first_idea[~np.isnan(first_idea)].tolist()) == [-1.0, 1.0]
    assert int(np.isnan(matrix).sum()) == 3  # three member x idea pairs without a vote

    top = await harness.reply_text("/top")  # ranked by supports and agrees: i1's agree counts
    assert "i1 · More lights near the gate (agree 1 · disagree 1)" in top and "i2 ·" not in top
    await harness.say("/vote i2", user="alice")
    assert "You support i2" in (await harness.press("Support i2", user="alice"))[0].text
    top = await harness.reply_text("/top")
    assert "Most supported ideas in #parks" in top and "i2 · A night patrol (support 1 · pass 1)" in top


async def test_bad_votes_get_a_clear_answer_and_change_nothing(harness):
    await harness.start_parks()
    await harness.say("/round 1h What would make the park safer?", user=FACILITATOR)
    await harness.say("/idea More lights near the gate")
    await harness.say("/vote i1 agree", user="bob")
    assert "There is no idea i99" in await harness.reply_text("/vote i99 agree")
    assert "Vote agree, disagree or pass" in await harness.reply_text("/vote i1 maybe")
    assert "You have voted on every idea of #parks you can vote on." in await harness.reply_text("/vote")
    await harness.say("/close", user=FACILITATOR)
    assert "Round r1 is closed: its ideas take no more votes" in await harness.reply_text(
        "/vote i1 disagree", user="bob"
    )
    assert [(vote.member_id, vote.choice) for vote in harness.rows(IdeaVote)] == [
        (harness.rows(IdeaVote)[0].member_id, "agree")
    ]


async def test_a_prototype_with_two_versions_and_feedback_on_each(harness):
    await harness.start_parks()
    await harness.say("/idea Solar lamps along the path")
    created = await harness.reply_text("/prototype i1 Night lights pilot", user=FACILITATOR)
    assert "New prototype p1 in #parks: Night lights pilot" in created and "i1" in created

    refused = await harness.reply_text("/version p1 Added lamps", user="bob")
    assert "Only the team of p1 and facilitators can publish" in refused
    assert harness.rows(PrototypeVersion) == []
    assert "p1 has no version yet" in await harness.reply_text("/feedback p1 4 Nice", user="bob")

    await harness.press("Join the team", user="bob")
    assert "already in the team" in await harness.reply_text("/team p1", user="bob")
    first = await harness.say("/version p1 Added two solar lamps", user="bob")
    announcement = next(sent for sent in first if "new version, v1" in sent.text)
    assert [button.label for button in announcement.message.buttons] == ["1", "2", "3", "4", "5"]

    await harness.press("4", user="carol")
    await harness.say("/feedback p1 4 Much better near the gate", user="carol")  # completes the rating
    await harness.say("/feedback p1 2 Too dim", user="dave")
    await harness.say("/version p1 Brighter bulbs and a timer", user=FACILITATOR)
    await harness.say("/feedback p1 5 Now I feel safe", user="carol")

    for bad, answer in {
        "/feedback p1 6 Great": "A rating is a whole number from 1 to 5",
        "/feedback p1 0": "A rating is a whole number from 1 to 5",
        "/feedback p1 four": "A rating is a whole number from 1 to 5",
        "/feedback p9 4": "There is no prototype p9",
        "/version p9 More": "There is no prototype p9",
        "/prototype i99 Anything": "There is no idea i99",
        "/prototype t7 Anything": "There is no theme t7",
    }.items():
        assert answer in await harness.reply_text(bad, user=FACILITATOR), bad
    assert "Only facilitators" in await harness.reply_text("/prototype i1 Mine", user="bob")
    assert len(harness.rows(Prototype)) == 1

    shown = await harness.reply_text("/prototype p1")
    v1, v2 = shown.split("\nv2 · ")
    assert "v1 · " in v1 and "Added two solar lamps" in v1
    assert "2 ratings · mean rating 3.0 / 5" in v1
    assert "“Much better near the gate”" in v1 and "“Too dim”" in v1
    assert "changed since v1: Brighter bulbs and a timer" in v2
    assert "1 rating · mean rating 5.0 / 5" in v2 and "“Now I feel safe”" in v2
    assert "Team: " in shown
    # No language model configured: the texts alone, and no word of themes.
    assert "themes" not in shown.casefold()
    assert sorted((row.rating, row.text) for row in harness.rows(Feedback)) == [
        (2, "Too dim"),
        (4, "Much better near the gate"),
        (5, "Now I feel safe"),
    ]


async def test_a_replaced_rating_takes_its_words_out_of_what_the_version_is_said_to_hear(harness):
    """Each member's latest rating counts, and only its words are quoted (or grouped into themes): a
    replaced rating's text no longer stands beside a count that left it out."""
    await harness.start_parks()
    await harness.say("/idea Solar lamps along the path")
    await harness.say("/prototype i1 Night lights pilot", user=FACILITATOR)
    await harness.say("/version p1 Added two solar lamps", user=FACILITATOR)
    await harness.say("/feedback p1 2 Far too dark at the gate", user="carol")
    await harness.say("/feedback p1 3 Fine near the pond", user="dave")
    await harness.say("/feedback p1 5 Now the gate is bright", user="carol")  # replaces her rating of 2

    shown = await harness.reply_text("/prototype p1")
    assert "2 ratings · mean rating 4.0 / 5" in shown
    assert "“Now the gate is bright”" in shown and "“Fine near the pond”" in shown
    assert "Far too dark" not in shown
    assert len(harness.rows(Feedback)) == 3  # her earlier words stay in the history (and open data)


async def test_me_lists_votes_feedback_and_teams_and_forget_takes_feedback_with_the_ideas(harness):
    await harness.start_parks()
    await harness.say("/idea Solar lamps along the path", user="bob")
    await harness.say("/prototype i1 Night lights pilot", user=FACILITATOR)
    await harness.say("/version p1 Two lamps", user=FACILITATOR)
    await harness.say("/vote i1 agree")
    await harness.say("/team p1")
    await harness.say("/feedback p1 4 Brighter please")
    [me] = await harness.say("/me")
    for held in ("1 vote on ideas", "1 rating of prototypes (1 with your words)", "Prototype teams: p1"):
        assert held in me.text, held

    await harness.say("/feedback p1 2 Too dim", user="carol")
    await harness.say("/forget", user="carol")
    await harness.press("keep my ideas anonymously", user="carol")
    await harness.say("/forget")
    await harness.press("Delete me and my ideas")
    assert [(row.member_id, row.text) for row in harness.rows(Feedback)] == [(None, "Too dim")]
    assert harness.rows(IdeaVote) == []


async def test_votes_cast_in_chat_reach_the_polis_votes_of_the_open_data_export(harness, tmp_path):
    await harness.start_parks()
    await harness.say("/idea More lights near the gate")
    await harness.say("/vote i1 agree", user="bob")
    await harness.say("/vote i1 disagree", user="carol")
    await harness.say("/vote i1 agree", user="carol")  # changed: counted once, as its latest choice
    [campaign] = harness.rows(Campaign)
    with Session(harness.townhall.database.engine) as session:
        write_package(session, campaign, tmp_path / "open", "secret")
    with (tmp_path / "open" / "votes.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert sorted((row["comment-id"], row["vote"]) for row in rows) == [("1", "1"), ("1", "1")]


def token_of(harness, label: str) -> str:
    """The token behind the most recent button whose label contains `label`."""
    return next(
        button.token
        for sent in reversed(harness.adapter.sent)
        for button in sent.message.buttons
        if label in button.label
    )


async def test_a_vote_button_copied_into_a_link_votes_for_no_one_who_opens_it(harness):
    await harness.start_parks()
    await harness.say("/idea More lights near the gate")
    await harness.say("/vote i1", user="alice")
    disagree = token_of(harness, "Disagree")
    opened = await harness.reply_text("", user="bob", private=True, button_token=disagree, via_link=True)
    assert "only invitation links work this way" in opened
    assert harness.rows(IdeaVote) == []

    join = token_of(harness, "Join #parks")
    welcome = await harness.reply_text("", user="carol", private=True, button_token=join, via_link=True)
    assert "Welcome to #parks" in welcome


async def test_a_prototype_publishes_at_most_five_versions_a_day_and_is_told_so(database_url, tmp_path):
    """Each version is announced in every chat of the campaign: past the daily cap a team member is told
    the limit, nothing is published or announced, and the next day versions go out again."""
    clock = Clock()
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await harness.start_parks()
        await harness.say("/idea Solar lamps along the path")
        await harness.say("/prototype i1 Night lights pilot", user=FACILITATOR)
        await harness.say("/team p1", user="bob")
        for number in range(1, VERSIONS_PER_DAY_MAX + 1):
            clock.advance(minutes=10)
            assert f"new version, v{number}" in await harness.reply_text(
                f"/version p1 Change {number}", user="bob"
            )
        refused = await harness.say("/version p1 One change too many", user="bob")
        assert [sent.text for sent in refused] == [
            "p1 has had 5 versions in the last 24 hours, the most in a day: each one is announced in every chat"
            " of the campaign. Please gather your changes and publish them tomorrow. Nothing was published."
        ]
        assert len(harness.rows(PrototypeVersion)) == VERSIONS_PER_DAY_MAX
        clock.advance(hours=24)
        assert "new version, v6" in await harness.reply_text("/version p1 The gathered changes", user="bob")
