"""Organisations through the real core: asking to speak for one, a facilitator's confirmation, offers and
pledges in its name, the report by sector, and /forget keeping an organisation's pledge."""

from __future__ import annotations

from bot.testing.harness import FACILITATOR, Harness
from storage.models import Commitment, ExchangePost, Pledge
from tests.exchange.test_pledges import report_page


async def parks_club(harness: Harness) -> None:
    await harness.start_parks()
    await harness.say("/idea More lamps along the path", user="bob")
    await harness.say("/prototype i1 Lamps on the path", user=FACILITATOR)
    asked = await harness.reply_text("/org Parks Club | community", user="alice")
    assert "You asked to speak for Parks Club (community) in #parks" in asked


async def test_an_organisation_offers_and_pledges_once_a_facilitator_confirms_its_speaker(harness):
    await parks_club(harness)
    early = await harness.reply_text("/offer Folding tables for the picnic as Parks Club", user="alice")
    assert "You do not speak for Parks Club yet" in early
    assert harness.rows(ExchangePost) == []
    refused = await harness.reply_text("/org confirm @alice", user="bob")
    assert "Only facilitators of #parks" in refused
    assert "now speaks for Parks Club" in await harness.reply_text("/org confirm @alice", user=FACILITATOR)
    assert "Say what" in await harness.reply_text("/offer as Parks Club", user="alice")
    offered = await harness.reply_text("/offer Folding tables for the picnic as Parks Club", user="alice")
    assert "Offer o1 recorded" in offered and "In the name of Parks Club." in offered
    assert "o1 · Parks Club: Folding tables for the picnic" in await harness.reply_text("/offers")
    pledged = await harness.reply_text("/pledge p1 300 CAD as Parks Club", user="alice")
    assert "Pledge g1 recorded: 300 CAD to p1" in pledged and "In the name of Parks Club." in pledged
    sent = await harness.say("/report #parks")
    assert "Organisations taking part, by sector:" in sent[0].text
    assert "community: Parks Club (1 offer, 0 needs, pledged 300 CAD)" in sent[0].text
    assert "<p>community: Parks Club (1 offer, 0 needs, pledged 300 CAD)</p>" in report_page(sent)
    plain = await harness.reply_text("/offer I can sing as a tenor", user="carol")
    assert "I can sing as a tenor" in [post.text for post in harness.rows(ExchangePost)][-1:][0]
    assert "In the name of" not in plain


async def test_forget_keeps_an_organisations_pledge_without_the_person(harness):
    await parks_club(harness)
    await harness.say("/org confirm @alice", user=FACILITATOR)
    await harness.say("/pledge p1 300 CAD as Parks Club", user="alice")
    await harness.say("/pledge p1 20 CAD", user="alice")
    await harness.say("/forget", user="alice", private=True)
    await harness.press("Delete me and my ideas", user="alice", private=True)
    [kept] = harness.rows(Pledge)
    assert (kept.amount, kept.member_id, kept.organisation_id) == (300, None, 1)
    assert "community: Parks Club (0 offers, 0 needs, pledged 300 CAD)" in await harness.reply_text(
        "/report #parks"
    )


async def test_an_organisation_needs_a_known_sector(harness):
    await harness.start_parks()
    assert "Name the organisation and its sector" in await harness.reply_text("/org Parks Club | sports")
    assert "Name the organisation and its sector" in await harness.reply_text("/org Parks Club")


async def test_sectors_are_read_and_shown_in_french(harness):
    await harness.start_parks()
    await harness.say("/lang fr", user="alice")
    asked = await harness.reply_text("/org Club des parcs | sans but lucratif", user="alice")
    assert "Club des parcs (associatif)" in asked, asked
    await harness.say("/org confirm @alice", user=FACILITATOR)
    await harness.say("/offer Des tables pliantes au nom de Club des parcs", user="alice")
    report = await harness.reply_text("/report #parks", user="alice")
    assert "associatif : Club des parcs (1 offre, 0 besoin)" in report, report
    assert "non-profit" not in report
    assert "non-profit: Club des parcs" in await harness.reply_text("/report #parks", user="bob")


async def test_a_commitment_made_in_an_organisations_name_counts_for_it(harness):
    await parks_club(harness)
    early = await harness.reply_text("/commit Lend folding tables as Parks Club by friday", user="alice")
    assert "You do not speak for Parks Club yet" in early
    assert harness.rows(Commitment) == []
    await harness.say("/org confirm @alice", user=FACILITATOR)
    answer = await harness.reply_text("/commit Lend folding tables as Parks Club by friday", user="alice")
    assert "recorded: Lend folding tables — by" in answer and "In the name of Parks Club." in answer
    [commitment] = harness.rows(Commitment)
    assert commitment.action == "Lend folding tables"
    report = await harness.reply_text("/report #parks")
    assert "community: Parks Club (0 offers, 0 needs, 1 commitment)" in report
