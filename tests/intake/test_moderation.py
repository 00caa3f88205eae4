"""Hiding an idea: it leaves listings and open data, its author is told why, and it can come back; hidden
or withdrawn, its words show nowhere, not even through buttons sent before."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from bot.testing.harness import FACILITATOR
from facilitation.civic.opendata.package import write_package
from storage.models import ButtonAction, Campaign, Idea, IdeaVote, Prototype


async def test_hidden_idea_leaves_the_listing_and_the_export_and_its_author_learns_why(harness, tmp_path):
    await harness.start_parks()
    await harness.say("/idea Benches by the pond", user="alice")
    await harness.say("/idea Buy my car at carsforsale.example", user="spammer")
    answers = await harness.say("/hide i2 Advertising is not an idea for the park", user=FACILITATOR)
    assert "Idea i2 is hidden" in answers[0].text
    [notice] = [sent for sent in answers if sent.address.user_id == "spammer"]
    assert notice.address.chat_id == "spammer" and notice.message.private
    assert "Reason: Advertising is not an idea for the park" in notice.text

    listing = await harness.reply_text("/ideas")
    assert "Benches by the pond" in listing and "carsforsale" not in listing
    [campaign] = harness.rows(Campaign)
    with Session(harness.townhall.database.engine) as session:
        write_package(session, campaign, tmp_path / "open", "secret")
    assert "carsforsale" not in (tmp_path / "open" / "ideas.csv").read_text()
    assert "carsforsale" not in (tmp_path / "open" / "comments.csv").read_text()

    assert "visible again" in await harness.reply_text("/unhide i2", user=FACILITATOR)
    assert "carsforsale" in await harness.reply_text("/ideas")


async def test_moderation_input_errors_are_explained(harness):
    await harness.start_parks()
    await harness.say("/idea Benches by the pond", user="alice")
    assert "Say why" in await harness.reply_text("/hide i1", user=FACILITATOR)
    assert "There is no idea i99" in await harness.reply_text("/hide i99 spam", user=FACILITATOR)
    assert "is not hidden" in await harness.reply_text("/unhide i1", user=FACILITATOR)


async def test_a_muted_author_is_not_messaged_unasked(harness):
    await harness.start_parks()
    await harness.say("/idea Benches by the pond", user="alice")
    assert "Muted" in await harness.reply_text("/mute", user="alice")
    answers = await harness.say("/hide i1 Duplicate of an older idea", user=FACILITATOR)
    assert [sent.address.user_id for sent in answers if sent.address.user_id == "alice"] == []
    assert "Unmuted" in await harness.reply_text("/unmute", user="alice")


PERSONAL = "Call Zoe at 555-0199 about the benches"


@pytest.mark.parametrize(
    "taken_away",
    [("/hide i1 Personal data", FACILITATOR), ("/withdraw i1", "alice")],
    ids=["hidden", "withdrawn"],
)
async def test_an_idea_out_of_sight_is_read_nowhere_not_even_through_buttons_sent_before(harness, taken_away):
    await harness.start_parks()
    await harness.say(f"/idea {PERSONAL}", user="alice")
    await harness.say("/idea More benches by the pond", user="bob")
    await harness.say("/prototype i1 Bench plan", user=FACILITATOR)
    await harness.say("/vote i1", user="bob")  # a card with its buttons, pressed later
    with Session(harness.townhall.database.engine) as session:  # bob's close-ideas offer, as sent earlier
        session.add(
            ButtonAction(token="merge-into-i1", action="idea_merge", payload={"idea_id": 2, "into_id": 1})
        )
        session.commit()
    command, user = taken_away
    await harness.say(command, user=user)
    seen_from = len(harness.adapter.sent)

    assert "no longer shown" in await harness.reply_text("/vote i1", user="carol")
    assert "no longer shown" in await harness.reply_text("/vote i1 agree", user="carol")
    assert "no longer shown" in (await harness.press("Agree", user="bob"))[0].text
    assert "no longer shown" in (await harness.press("Support i1", user="bob"))[0].text
    merged = await harness.say("", user="bob", button_token="merge-into-i1")
    assert "no longer shown: nothing was merged" in merged[0].text
    assert "no longer shown" in await harness.reply_text("/prototype i1 Another plan", user=FACILITATOR)
    assert "no longer shown" in await harness.reply_text("/prototype p1", user="carol")
    await harness.say("/ideas", user="carol")
    await harness.say("/top", user="carol")
    assert [sent.text for sent in harness.adapter.sent[seen_from:] if "555-0199" in sent.text] == []
    assert {idea.id: idea.status for idea in harness.rows(Idea)}[2] == "open"
    assert len(harness.rows(Prototype)) == 1 and harness.rows(IdeaVote) == []


async def test_editing_the_message_behind_a_hidden_idea_changes_nothing(harness):
    await harness.start_parks()
    await harness.say(f"{PERSONAL} #parks", user="alice", message_id="m1")
    await harness.say("/hide i1 Personal data", user=FACILITATOR)
    edited = await harness.reply_text(
        "Call Zoe at 555-0100 #parks", user="alice", message_id="m1", edited=True
    )
    assert "out of sight: it can no longer be edited" in edited and "updated" not in edited
    assert [idea.text for idea in harness.rows(Idea)] == [f"{PERSONAL} #parks"]
