"""Nothing missed while Townhall was down: at the next start its reconcilers find the pledges whose goal
was reached, the pledges and offers past their date, and the posts whose close ones were never shown;
each person is told once, and a further restart tells nobody again."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session

from bot.testing.harness import Clock, Harness
from storage.models import ExchangePost, GoalMeasurement, Pledge
from tests.exchange.test_offers_and_needs import LADDER_NEED, LADDER_OFFER, to
from tests.exchange.test_pledges import lamps_prototype
from tests.intake.test_similar_ideas import GatedEmbedder


def lose_every_job(harness: Harness) -> None:
    """As if the process died between committing and scheduling: only the stored state is left."""
    for job in harness.townhall.scheduler.jobs():
        harness.townhall.scheduler.remove(job.job_id)


TOLD = ("now holds", "lapsed: its date passed", "has closed after its time", "closes on")


def told(harness: Harness) -> dict[str, list[str]]:
    """Who was told what of `TOLD`, by user."""
    sent: dict[str, list[str]] = {}
    for item in harness.adapter.sent:
        for fragment in TOLD:
            if fragment in item.text:
                sent.setdefault(item.address.user_id, []).append(fragment)
    return sent


async def test_pledges_and_offers_due_while_down_are_told_once_at_start_and_never_again(
    database_url, tmp_path: Path
):
    clock = Clock()
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await lamps_prototype(harness)
        await harness.say("/pledge p1 200 CAD if lamps-installed reaches 10", user="alice")
        await harness.say("/pledge p1 50 EUR in 2 weeks", user="carol")
        await harness.say(f"/offer {LADDER_OFFER} | 30 days", user="dave")
        lose_every_job(harness)
        [goal_id] = {pledge.goal_id for pledge in harness.rows(Pledge) if pledge.goal_id is not None}
        with Session(harness.townhall.database.engine) as session:  # measured, but no one was told
            session.add(GoalMeasurement(goal_id=goal_id, value=12, recorded_at=clock.moment))
            session.commit()
    clock.advance(days=40)
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await harness.run_due_jobs()
        assert told(harness) == {
            "alice": ["now holds"],
            "carol": ["lapsed: its date passed"],
            "dave": ["has closed after its time"],
        }
        pledges = sorted(harness.rows(Pledge), key=lambda pledge: pledge.id)
        assert [pledge.status for pledge in pledges] == ["condition met", "lapsed"]
        assert [post.status for post in harness.rows(ExchangePost)] == ["expired"]
        assert "200 CAD pledged: 0 conditional" in await harness.reply_text("/prototype p1")
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await harness.run_due_jobs()
        assert told(harness) == {}


async def test_an_offer_whose_reminder_fell_due_while_down_is_reminded_once(database_url, tmp_path: Path):
    clock = Clock()
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await harness.start_parks()
        await harness.say(f"/offer {LADDER_OFFER} | 30 days", user="dave")
        lose_every_job(harness)
    clock.advance(days=25)
    for _restart in range(2):
        async with Harness.running(database_url, tmp_path, clock=clock) as harness:
            await harness.run_due_jobs()
            sent = told(harness)
        assert sent == ({"dave": ["closes on"]} if _restart == 0 else {})


@pytest.mark.embeddings
async def test_posts_made_while_the_model_loaded_get_their_close_ones_after_a_restart_once(
    database_url, tmp_path: Path, embedder
):
    gated = GatedEmbedder(embedder)
    clock = Clock()
    async with Harness.running(database_url, tmp_path, embedder=gated, clock=clock) as harness:
        await harness.start_parks()
        await harness.say(f"/need {LADDER_NEED}", user="bob")
        [offer] = await harness.say(f"/offer {LADDER_OFFER}", user="alice")
        assert not offer.message.buttons
        lose_every_job(harness)
    gated.gate.set()
    gated.close()
    for restart in range(2):
        async with Harness.running(database_url, tmp_path, embedder=embedder, clock=clock) as harness:
            clock.advance(seconds=11)
            await harness.run_due_jobs()
            sent = harness.adapter.sent
            answered = {
                user: [text for text in to(sent, user) if "About your" in text] for user in ("alice", "bob")
            }
            if restart == 0:
                [to_alice], [to_bob] = answered["alice"], answered["bob"]
                assert to_alice.startswith("About your offer o2:") and LADDER_NEED in to_alice
                assert to_bob.startswith("About your need n1:") and LADDER_OFFER in to_bob
                assert [button.label for button in sent[-1].message.buttons] in (
                    ["Connect with n1"],
                    ["Connect with o2"],
                )
            else:
                assert answered == {"alice": [], "bob": []}
