"""Offers and needs through the real core and model: matched by meaning at posting, connected by double
opt-in, what was given confirmed by both sides and counted in /report."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.testing.harness import FACILITATOR, Clock, Harness
from storage.models import ExchangeMatch, ExchangePost, Gift
from tests.exchange.test_pledges import report_page
from tests.intake.test_similar_ideas import GatedEmbedder

LADDER_NEED = "We need someone with a ladder to hang the lamps"
LADDER_OFFER = "I can lend a ladder and two hours on Saturdays"


def to(sent, user: str) -> list[str]:  # noqa: ANN001
    """The texts of the messages among `sent` that went privately to `user`."""
    return [item.text for item in sent if item.address.user_id == user]


async def ladder_connected(harness: Harness) -> None:
    await harness.start_parks()
    [need] = await harness.say(f"/need {LADDER_NEED}", user="bob")
    assert "Need n1 recorded in #parks" in need.text and not need.message.buttons
    [offer] = await harness.say(f"/offer {LADDER_OFFER}", user="alice")
    assert "Offer o2 recorded in #parks" in offer.text
    assert "n1 · " in offer.text and LADDER_NEED in offer.text
    assert [button.label for button in offer.message.buttons] == ["Connect with n1"]
    asked = await harness.press("Connect with n1", user="alice")
    [question] = to(asked, "bob")
    assert LADDER_OFFER in question and "@alice" not in question
    assert not any("@bob" in text for text in to(asked, "alice"))
    accepted = await harness.press("Accept", user="bob")
    [to_alice] = to(accepted, "alice")
    [to_bob] = to(accepted, "bob")
    assert "@bob on recording" in to_alice and "m1" in to_alice
    assert "@alice on recording" in to_bob


@pytest.mark.embeddings
async def test_the_console_tour_of_a_ladder_lent_for_the_lamps(similar_harness):
    """The first Done-when: the need shown under the offer with Connect, both accept, each receives the
    other's contact, and /given confirmed by both appears in /report."""
    await ladder_connected(similar_harness)
    recorded = await similar_harness.say("/given m1 2h", user="alice")
    assert any("Confirm it" in text for text in to(recorded, "bob"))
    before = await similar_harness.reply_text("/report #parks")
    assert "0 hours given" in before
    await similar_harness.press("Confirm", user="bob")
    sent = await similar_harness.say("/report #parks")
    giving = "Collective giving: 2 hours given, 0 things given; 1 need met."
    assert giving in sent[0].text, sent[0].text
    assert "never ranks anyone" in sent[0].text
    page = report_page(sent)
    assert f"<p>{giving}</p>" in page
    assert not any(name in page for name in ("alice", "bob", "Alice", "Bob"))


@pytest.mark.embeddings
async def test_nothing_is_shared_without_both_sides(similar_harness):
    await similar_harness.start_parks()
    await similar_harness.say(f"/need {LADDER_NEED}", user="bob")
    await similar_harness.say(f"/offer {LADDER_OFFER}", user="alice")
    await similar_harness.press("Connect with n1", user="alice")
    declined = await similar_harness.press("Decline", user="bob")
    assert not any("@" in item.text for item in declined)
    assert "cannot take up" in "\n".join(to(declined, "alice"))
    [match] = similar_harness.rows(ExchangeMatch)
    assert match.status == "declined"


@pytest.mark.embeddings
async def test_a_gift_is_confirmed_only_by_the_other_side(similar_harness):
    await ladder_connected(similar_harness)
    await similar_harness.say("/given m1 the ladder for a day", user="alice")
    mine = await similar_harness.reply_text("/given m1 3h", user="carol")
    assert "Only the two sides of m1" in mine
    own = await similar_harness.press("Confirm", user="alice")
    assert "Only the other side of m1" in own[0].text
    assert all(gift.confirmed_at is None for gift in similar_harness.rows(Gift))
    await similar_harness.press("Confirm", user="bob")
    report = await similar_harness.reply_text("/report #parks")
    assert "0 hours given, 1 thing given; 1 need met." in report


@pytest.mark.embeddings
async def test_a_need_shows_close_offers_and_a_team_posts_needs_for_its_prototype(similar_harness):
    await similar_harness.start_parks()
    await similar_harness.say(f"/offer {LADDER_OFFER}", user="alice")
    await similar_harness.say("/idea More lamps along the path", user="bob")
    await similar_harness.say("/prototype i1 Lamps on the path", user=FACILITATOR)
    refused = await similar_harness.reply_text(f"/need p1 {LADDER_NEED}", user="bob")
    assert "Only the team of p1" in refused
    await similar_harness.say("/team p1", user="bob")
    [need] = await similar_harness.say(f"/need p1 {LADDER_NEED}", user="bob")
    assert "Need n2 of p1 recorded" in need.text and "o1 · " in need.text
    listed = await similar_harness.reply_text("/needs")
    assert "n2 · p1 · " in listed and LADDER_NEED in listed


async def test_offers_are_listed_withdrawn_and_kept_from_strangers(harness):
    await harness.start_parks()
    await harness.say(f"/offer {LADDER_OFFER}", user="alice")
    listed = await harness.reply_text("/offers #parks")
    assert "o1 · " in listed and LADDER_OFFER in listed
    assert "Only the author of o1" in await harness.reply_text("/withdraw o1", user="bob")
    assert "o1 is withdrawn" in await harness.reply_text("/withdraw o1", user="alice")
    assert "No open offer in #parks" in await harness.reply_text("/offers")
    assert "There is no n1" in await harness.reply_text("/withdraw n1", user="alice")


async def test_an_offer_expires_after_its_time_with_a_reminder_first(database_url, tmp_path):
    clock = Clock()
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await harness.start_parks()
        [offer] = await harness.say(f"/offer {LADDER_OFFER} | 30 days", user="alice")
        assert "Offer o1 recorded" in offer.text
        start = clock.moment
        await harness.run_until(clock, start + timedelta(days=24))
        reminder = await harness.wait_for_text("closes on")
        assert "o1" in reminder
        await harness.run_until(clock, start + timedelta(days=31))
        await harness.wait_for_text("has closed after its time")
        [post] = harness.rows(ExchangePost)
        assert post.status == "expired"
        assert "No open offer" in await harness.reply_text("/offers")


async def test_an_offer_kept_open_at_the_reminder_stays_open(database_url, tmp_path):
    clock = Clock()
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await harness.start_parks()
        await harness.say(f"/offer {LADDER_OFFER}", user="alice")
        start = clock.moment
        await harness.run_until(clock, start + timedelta(days=85))
        await harness.press("Keep it open", user="alice")
        await harness.run_until(clock, start + timedelta(days=100))
        [post] = harness.rows(ExchangePost)
        assert post.status == "open"


async def test_an_empty_offer_or_a_wrong_lifetime_stores_nothing(harness):
    await harness.start_parks()
    assert "Say what" in await harness.reply_text("/offer", user="alice")
    assert "from 1 to 365 days" in await harness.reply_text("/offer a van | 900 days", user="alice")
    assert harness.rows(ExchangePost) == []


@pytest.mark.embeddings
async def test_an_offer_made_while_the_model_loads_is_answered_with_close_needs_once_it_is_ready(
    database_url, tmp_path, embedder
):
    gated = GatedEmbedder(embedder)
    clock = Clock()
    async with Harness.running(database_url, tmp_path, embedder=gated, clock=clock) as harness:
        await harness.start_parks()
        await harness.say(f"/need {LADDER_NEED}", user="bob")
        [offer] = await harness.say(f"/offer {LADDER_OFFER}", user="alice")
        assert "Offer o2 recorded" in offer.text and not offer.message.buttons
        clock.advance(seconds=11)
        await harness.run_due_jobs()
        assert not any("About your offer" in sent.text for sent in harness.adapter.sent)
        gated.gate.set()
        assert gated.wait_ready(30)
        clock.advance(seconds=11)
        await harness.run_due_jobs()
        later = await harness.wait_for_text("About your offer o2:")
        assert LADDER_NEED in later
        assert harness.adapter.sent[-1].address.user_id == "alice"
        await harness.press("Connect with n1", user="alice")
        assert any(item.address.user_id == "bob" for item in harness.adapter.sent[-2:])
    gated.close()


@pytest.mark.embeddings
async def test_offers_are_listed_by_theme_and_a_short_list_as_one(similar_harness):
    await similar_harness.start_parks()
    offers = [
        LADDER_OFFER,
        "I can bake bread for the picnic",
        "I have a tall stepladder you can borrow",
        "I can teach guitar to children",
        "I can make cakes and cookies for the party",
        "I can lend my extension ladder for the lamps",
    ]
    for number, offer in enumerate(offers):
        await similar_harness.say(f"/offer {offer}", user=("alice", "bob", "carol")[number % 3])
    listed = (await similar_harness.reply_text("/offers #parks")).split("\n\n")
    assert listed[0] == "Open offers in #parks, by theme, newest first in each:"
    ladders, baking, other = listed[1].splitlines(), listed[2].splitlines(), listed[3].splitlines()
    assert ladders[0] == "Ladder — 3 offers"
    assert [line.split(" · ")[0] for line in ladders[1:]] == ["o6", "o3", "o1"]
    assert baking[0].endswith("— 2 offers") and {line[:2] for line in baking[1:]} == {"o5", "o2"}
    assert (
        other[0] == "Other" and other[1].startswith("o4 · ") and "teach guitar to children (until" in other[1]
    )
    await similar_harness.say(f"/need {LADDER_NEED}", user="bob")
    assert (await similar_harness.reply_text("/needs")).startswith(
        "Open needs in #parks, newest first:\nn7 · "
    )
