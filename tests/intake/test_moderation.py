"""Hiding an idea: it leaves listings and open data, its author is told why, and it can come back."""

from __future__ import annotations

from sqlmodel import Session

from bot.testing.harness import FACILITATOR
from facilitation.civic.opendata.package import write_package
from storage.models import Campaign


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
