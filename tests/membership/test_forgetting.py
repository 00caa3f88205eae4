"""/forget forgets: after it, nothing Townhall keeps (tables, files, log) names the person or holds their words."""

from __future__ import annotations

import asyncio
import logging
import zipfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from bot.demo import demo_statements
from bot.testing.harness import FACILITATOR, Clock, Harness
from facilitation.features import FEATURES
from facilitation.kernel.forgetting import REDACTED
from facilitation.kernel.hooks import PERSONAL_DATA
from facilitation.kernel.router import Router
from storage.models import ForgottenAccount, Idea, Identity, Member, OutboxMessage, Theme

START = datetime(2030, 10, 28, 18, tzinfo=UTC)  # a Monday afternoon in Montreal, outside quiet hours
USER = "quillon"
"""The member who leaves: their platform user id, and (title-cased) their display name."""
PLANTED = "zanzibarite"
"""A word only the leaving member writes, in everything they write."""


def pseudonym_of(harness: Harness, user: str) -> str:
    [identity] = [identity for identity in harness.rows(Identity) if identity.platform_user_id == user]
    return next(member.pseudonym for member in harness.rows(Member) if member.id == identity.member_id)


def table_findings(harness: Harness, needles: list[str]) -> list[str]:
    """Every row of every table whose values contain one of `needles` (case-insensitive)."""
    found = []
    with harness.townhall.database.engine.connect() as connection:
        for name, table in SQLModel.metadata.tables.items():
            for row in connection.execute(sa.select(table)):
                values = " ".join(
                    value.decode("utf-8", "replace") if isinstance(value, bytes) else repr(value)
                    for value in row
                ).casefold()
                found += [
                    f"table {name}: {needle} in {tuple(row)!r}" for needle in needles if needle in values
                ]
    return found


def file_findings(folder: Path, needles: list[str]) -> list[str]:
    """Every file under `folder`, and every file inside a zip there, that contains one of `needles`."""
    found = []
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        contents = {str(path): path.read_bytes()}
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                contents |= {f"{path}!{name}": archive.read(name) for name in archive.namelist()}
        for where, data in contents.items():
            text = data.decode("utf-8", "replace").casefold()
            found += [f"file {where}: {needle}" for needle in needles if needle in text]
    return found


async def test_forget_with_ideas_leaves_no_trace_in_tables_files_or_log(database_url, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    clock = Clock(START)
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await harness.start_parks()
        await harness.say("/campaign #schools School success | How can every child thrive?", user=FACILITATOR)
        for user in (USER, "bob"):
            await harness.say("/timezone America/Montreal", user=user)
            await harness.say("/join #parks", user=user)
        await harness.say("/join #schools", user=USER)
        await harness.say(f"/idea More {PLANTED} benches near the pond #parks", user=USER)
        await harness.say(f"Shade trees with {PLANTED} bark along the path #parks", user=USER)
        await harness.say("/idea A water fountain by the gate #parks", user="bob")
        await harness.say("/vote i3", user=USER)
        await harness.press("Support", user=USER)
        await harness.press("Agree", user=USER)
        await harness.say(
            f"/idea An unsent {PLANTED} thought", user=USER, private=True
        )  # asks which campaign
        await harness.say("/ideas", user="bob")  # quotes the member's pseudonym and words to bob
        await harness.say("/prototype i1 Pond benches", user=FACILITATOR)
        await harness.say("/team p1", user=USER)
        await harness.say(f"/version p1 Painted the {PLANTED} benches", user=USER)
        await harness.say(f"/feedback p1 5 Lovely {PLANTED} colour", user=USER)
        await harness.say("/goal benches 40 benches #parks", user=FACILITATOR)
        await harness.say(f"/goal benches allow {USER.title()}", user=FACILITATOR)
        await harness.say("/goal benches 12", user=USER)
        await harness.say(f"/commit Sand the {PLANTED} benches by in 3 weeks", user=USER)
        await harness.say(f"/progress c1 40% the {PLANTED} sander works", user=USER)
        await harness.say("/commit Clean the fountain by in 3 weeks", user="bob")
        await harness.say("/pods 2", user=FACILITATOR)  # bob's introduction quotes the member's commitment
        await harness.run_due_jobs()
        clock.advance(days=2)
        await harness.run_due_jobs()  # the first check-ins
        await harness.say(f"/checkin on track: {PLANTED} going well", user=USER)
        await harness.say("/me", user=USER)
        private_update = harness.adapter.incoming("/me", user=USER, private=True)
        await harness._push(replace(private_update, update_key="9001"))  # its delivery key names the chat
        await harness.say("/export #parks", user=FACILITATOR)
        await harness.say("/report #parks", user=FACILITATOR)
        needles = [USER, pseudonym_of(harness, USER).casefold(), PLANTED]
        assert table_findings(harness, needles) and file_findings(tmp_path, needles)  # the search sees them

        await harness.say("/forget", user=USER)
        [done] = await harness.press("Delete me and my ideas", user=USER)
        assert "you and your ideas are deleted" in done.text and done.address.user_id == USER
        assert "3 files made earlier with your words" in done.text  # the zip, its folder and the report
        await harness.run_due_jobs()
        clock.advance(days=30)
        await harness.run_due_jobs()

        assert table_findings(harness, needles) == []
        assert file_findings(tmp_path, needles) == []
        assert [needle for needle in needles if needle in caplog.text.casefold()] == []
        assert "A water fountain by the gate" in await harness.reply_text("/ideas", user="bob")


async def test_forget_keeping_ideas_keeps_their_words_but_not_where_they_came_from(harness):
    await harness.start_parks()
    await harness.say(f"/idea Benches by the {PLANTED} pond #parks", user=USER, private=True)
    await harness.say("/ideas", user="bob")
    pseudonym = pseudonym_of(harness, USER)
    await harness.say("/forget", user=USER)
    await harness.press("keep my ideas anonymously", user=USER)
    [idea] = harness.rows(Idea)
    assert idea.text == f"Benches by the {PLANTED} pond #parks" and idea.member_id is None
    assert idea.source_chat_id == "" and idea.source_message_id is None  # the private chat's id is theirs
    [listing] = [row for row in harness.rows(OutboxMessage) if "Ideas in #parks" in row.payload["text"]]
    assert f"i1 · {REDACTED}: Benches by the {PLANTED} pond" in listing.payload["text"]
    assert (
        pseudonym not in listing.payload["text"]
        and table_findings(harness, [USER, pseudonym.casefold()]) == []
    )


async def test_me_lists_every_category_townhall_holds(harness):
    await harness.start_parks()
    await harness.say("/join #parks", user=USER)
    await harness.say("/me", user=USER)
    [answer] = await harness.say("/me", user=USER)
    for category in (
        "Pseudonym",
        f"recording Quillon ({USER})",
        "#parks",
        "Your ideas, word for word",
        "Ideas you support",
        "votes on ideas",
        "Prototype teams",
        "Prototype versions you published",
        "ratings of prototypes",
        "Your commitments",
        "pods, now or before",
        "Your peers now",
        "check-ins sent to you",
        "goal measurements you recorded",
        "1 message Townhall sent you",  # the first /me answer
    ):
        assert category in answer.text, category


def test_every_table_that_points_at_a_member_is_claimed_by_a_capability():
    """A new table holding something about members is erased by /forget only if its capability says so."""
    claimed = {table for part in Router(FEATURES).hooks.subscribers(PERSONAL_DATA) for table in part.tables}
    pointing = {
        name
        for name, table in SQLModel.metadata.tables.items()
        if any(key.column.table.name == "member" for key in table.foreign_keys)
    }
    assert pointing - claimed == set()


@pytest.mark.embeddings
async def test_forget_takes_the_members_words_out_of_themes_and_theme_maps(similar_harness, tmp_path):
    harness = similar_harness
    await harness.start_parks()
    await asyncio.gather(
        *(
            harness.say(f"/idea #parks {text}", user=f"resident{n}")
            for n, text in enumerate(demo_statements()[:30])
        )
    )
    for place in ("skate park", "playground", "pond", "tennis courts", "dog run"):
        await harness.say(f"/idea #parks {PLANTED} lamps to light the {place} at night", user=USER)
    await harness.say("/themes", user=FACILITATOR)  # news of the themes may go to authors meanwhile
    assert PLANTED in " ".join(theme.label for theme in harness.rows(Theme)).casefold()
    assert list((tmp_path / "theme-maps").iterdir())  # the map, drawn with the themes' labels

    await harness.say("/forget", user=USER)
    done = [sent.text for sent in await harness.press("Delete me and my ideas", user=USER)]
    assert any("1 file made earlier with your words" in text for text in done), done
    assert table_findings(harness, [PLANTED]) == [] and not list((tmp_path / "theme-maps").iterdir())


async def test_writing_after_forget_says_once_that_you_start_afresh(harness):
    """The account that used /forget is kept only as a keyed digest: its next message gets a new profile
    and is told so, once; an account never forgotten is not."""
    await harness.start_parks()
    await harness.say(f"/idea Benches by the {PLANTED} pond #parks", user=USER)
    before = pseudonym_of(harness, USER)
    await harness.say("/forget", user=USER)
    await harness.press("Delete me and my ideas", user=USER)
    [kept] = harness.rows(ForgottenAccount)
    assert USER not in kept.digest and len(kept.digest) == 64

    first = await harness.say("/ideas #parks", user=USER)
    after = pseudonym_of(harness, USER)
    [told] = [sent for sent in first if "You start afresh" in sent.text]
    assert f"You start afresh as {after}" in told.text and told.message.private
    assert after != before and harness.rows(ForgottenAccount) == []
    again = await harness.reply_text("/ideas #parks", user=USER)
    assert "afresh" not in again
    assert "afresh" not in await harness.reply_text("/ideas #parks", user="newcomer")

    await harness.say("/forget", user=USER)
    await harness.press("Delete me and my ideas", user=USER)
    in_french = await harness.reply_text("/ideas #parks", user=USER, language="fr-CA")
    assert "Vous repartez de zéro sous le nom" in in_french
