"""Roles hold everywhere; fair use; what a person can see and delete of themselves; /status."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import SQLModel

from facilitation.core import FEATURES
from facilitation.fair_use import IDEAS_PER_MINUTE, UPDATES_PER_MINUTE
from facilitation.router import Role, Router
from storage.models import Idea, Identity, Member, Membership
from tests.support import FACILITATOR, Clock, Harness

FACILITATOR_COMMANDS = sorted(
    name for name, c in Router(FEATURES).commands.items() if c.role is Role.FACILITATOR
)
CAMPAIGN_CREATION = {"campaign"}
ATTEMPTS = ("", "#parks", "i1 because", "#parks i1 Mallory 2 weekly 30m A title | a statement")
"""Argument shapes to try. A resident is refused outright; a facilitator of another campaign may instead
be told how to use the command, and the snapshot shows that nothing changed either way."""
BOOKKEEPING_TABLES = {"outboxmessage", "buttonaction"}
"""Replies and their buttons are written for every answer, refusals included."""


def snapshot(harness) -> dict[str, list[tuple]]:
    """Every row of every table that holds campaign state."""
    with harness.townhall.database.engine.connect() as connection:
        return {
            name: sorted(map(tuple, connection.execute(sa.select(table)).all()), key=repr)
            for name, table in SQLModel.metadata.tables.items()
            if name not in BOOKKEEPING_TABLES
        }


async def test_every_facilitator_command_tried_by_residents_is_refused_and_changes_nothing(
    database_url, tmp_path
):
    clock = Clock(datetime.now(UTC))
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await harness.start_parks()
        await harness.say("/campaign #schools School success | How can every child thrive?", user=FACILITATOR)
        await harness.say("/idea Night lights on the path #parks", user="mallory")
        # Mallory facilitates another campaign only.
        await harness.say("/facilitator Mallory #schools", user=FACILITATOR)
        await harness.say("hello", user="eve")
        before = snapshot(harness)
        assert FACILITATOR_COMMANDS, "no facilitator command to try"
        for user in ("eve", "mallory"):
            for name in FACILITATOR_COMMANDS:
                if user == "mallory" and name in CAMPAIGN_CREATION:
                    continue  # any facilitator may start a campaign of their own
                for args in ATTEMPTS:
                    # A patient resident: fair use stays out of a test about roles.
                    clock.advance(seconds=60 / UPDATES_PER_MINUTE + 0.5)
                    answer = await harness.reply_text(f"/{name} {args}", user=user)
                    if user == "eve":
                        assert "Only facilitators" in answer, (user, name, args, answer)
        assert snapshot(harness) == before


async def test_a_flood_from_one_member_is_answered_once_and_others_still_get_replies(harness):
    answers = [await harness.say("/campaigns", user="flooder") for _ in range(UPDATES_PER_MINUTE + 20)]
    slow_down = [sent for batch in answers for sent in batch if "wait a minute" in sent.text]
    assert len(slow_down) == 1
    assert all(batch == [] for batch in answers[UPDATES_PER_MINUTE + 1 :])
    assert "no campaign yet" in await harness.reply_text("/campaigns", user="neighbour")


async def test_ideas_per_minute_are_limited_politely(harness):
    await harness.start_parks()
    for number in range(IDEAS_PER_MINUTE):
        assert "recorded" in await harness.reply_text(f"/idea Idea {number} for #parks")
    answer = await harness.reply_text("/idea One too many for #parks")
    assert f"{IDEAS_PER_MINUTE} ideas in a minute" in answer
    assert len(harness.rows(Idea)) == IDEAS_PER_MINUTE


async def test_me_shows_privately_what_is_held(harness):
    await harness.start_parks()
    await harness.say("/idea Benches by the pond")
    [answer] = await harness.say("/me")
    assert answer.message.private and answer.address.user_id == "alice"
    assert "#parks" in answer.text and "i1" in answer.text and "recording Alice" in answer.text


async def test_forget_keeping_ideas_anonymously(harness):
    await harness.start_parks()
    await harness.say("/idea Benches by the pond")
    question = await harness.say("/forget")
    assert len(question[0].message.buttons) == 2
    done = await harness.press("keep my ideas anonymously")
    assert "your ideas stay" in done[0].text
    assert harness.rows(Member) == [m for m in harness.rows(Member) if m.pseudonym] and not [
        identity for identity in harness.rows(Identity) if identity.platform_user_id == "alice"
    ]
    [idea] = harness.rows(Idea)
    assert idea.text == "Benches by the pond" and idea.member_id is None
    assert harness.rows(Membership) == []
    assert "a former member" in await harness.reply_text("/ideas", user="bob")


async def test_forget_with_ideas_and_only_by_the_person_who_asked(harness):
    await harness.start_parks()
    await harness.say("/idea Benches by the pond")
    await harness.say("/forget")
    refused = await harness.press("Delete me and my ideas", user="bob")
    assert "Only the person who asked" in refused[0].text
    await harness.press("Delete me and my ideas")
    assert harness.rows(Idea) == []


async def test_status_shows_delivery_failures_to_facilitators(harness):
    from facilitation.outbox import PermanentDeliveryError

    harness.adapter.fail_next(1, PermanentDeliveryError("chat not found"))
    await harness.say("/campaigns", user="ghost")
    [status] = await harness.say("/status", user=FACILITATOR)
    assert "1 failed" in status.text and "chat not found" in status.text and status.message.private
