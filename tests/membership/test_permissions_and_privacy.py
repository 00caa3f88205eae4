"""Roles hold everywhere; fair use; what a person can see and delete of themselves; /status."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

from adapters.console import ConsoleAdapter
from bot.app import Townhall
from bot.testing.harness import FACILITATOR, FACILITATOR_COMMANDS, Clock, Harness, make_settings, state
from facilitation.kernel.fair_use import IDEAS_PER_MINUTE, UPDATES_PER_MINUTE
from storage.models import Idea, Identity, Member, Membership

CAMPAIGN_CREATION = {"campaign"}
ATTEMPTS = ("", "#parks", "i1 because", "#parks i1 Mallory 2 weekly 30m A title | a statement")
"""Argument shapes to try. A resident is refused outright; a facilitator of another campaign may instead
be told how to use the command, and the snapshot shows that nothing changed either way."""


def snapshot(harness: Harness) -> dict[str, list[tuple]]:
    return state(harness.townhall)


async def test_every_facilitator_command_tried_by_residents_is_refused_and_changes_nothing(
    database_url, tmp_path
):
    clock = Clock()
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await try_every_facilitator_command(harness, clock)


async def try_every_facilitator_command(harness: Harness, clock: Clock) -> None:
    await harness.start_parks()
    await harness.say("/campaign #schools School success | How can every child thrive?", user=FACILITATOR)
    await harness.say("/idea Night lights on the path #parks", user="mallory")
    await harness.say("/facilitator @mallory #schools", user=FACILITATOR)  # facilitates another campaign only
    await harness.say("hello", user="eve")
    before = snapshot(harness)
    assert FACILITATOR_COMMANDS, "no facilitator command to try"
    for user in ("eve", "mallory"):
        for name in FACILITATOR_COMMANDS:
            if user == "mallory" and name in CAMPAIGN_CREATION:
                continue  # any facilitator may start a campaign of their own
            clock.advance(timedelta(minutes=1))  # each command's attempts within fair use
            for args in ATTEMPTS:
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
    from facilitation.kernel.outbox import PermanentDeliveryError

    harness.adapter.fail_next(1, PermanentDeliveryError("chat not found"))
    await harness.say("/campaigns", user="ghost")
    [status] = await harness.say("/status", user=FACILITATOR)
    assert "1 failed" in status.text and "chat not found" in status.text and status.message.private


async def console_run(
    database_url: str, data_dir: Path, lines: list[str]
) -> tuple[str, dict[str, list[tuple]]]:
    """Type `lines` into the console adapter of a Townhall run; what it printed, and the state it left."""
    printed = io.StringIO()
    console = ConsoleAdapter(stdin=io.StringIO("\n".join(lines) + "\n"), stdout=printed, interactive=False)
    running = Townhall(make_settings(database_url, data_dir), [console])
    await running.start()
    await console.finished.wait()
    await running.stop()
    return printed.getvalue(), state(running)


async def test_every_facilitator_command_tried_by_a_resident_on_the_console_is_refused_and_changes_nothing(
    database_url, tmp_path
):
    setup = ["/campaign #parks Better parks | How?", "/idea Benches by the pond #parks", "/as Eve", "hello"]
    await console_run(database_url, tmp_path, setup)
    _printed, before = await console_run(database_url, tmp_path, ["/as Eve"])
    tries = [f"/{name} #parks i1 because" for name in FACILITATOR_COMMANDS]
    printed, after = await console_run(database_url, tmp_path, ["/as Eve", *tries])
    assert printed.count("Only facilitators") == len(FACILITATOR_COMMANDS), printed
    assert after == before


async def test_on_the_console_a_resident_is_named_by_their_name_as_a_handle_and_names_stay_short(
    database_url, tmp_path
):
    lines = ["/campaign #parks Better parks | How?", f"/as {'x' * 1_000_000}", "/as bob", "hello", "/as"]
    printed, after = await console_run(database_url, tmp_path, [*lines, "/facilitator @bob #parks"])
    assert "Please choose a name of at most 32 characters." in printed
    assert "now facilitates #parks" in printed
    assert max(len(repr(row)) for rows in after.values() for row in rows) < 1000
