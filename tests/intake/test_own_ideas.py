"""Members edit or withdraw their own ideas only; a withdrawn idea leaves every view like a hidden one."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sqlmodel import Session

from bot.testing.harness import FACILITATOR, state
from facilitation.civic.opendata.package import write_package
from facilitation.intelligence.embeddings import stored_embeddings
from storage.models import Campaign, Idea, IdeaEmbedding, IdeaVote


async def test_an_author_withdraws_their_idea_and_it_leaves_listings_votes_and_open_data(harness, tmp_path):
    await harness.start_parks()
    await harness.say("/idea Benches by the pond", user="alice")
    await harness.say("/idea A dog park by the river", user="bob")
    await harness.say("/vote i2 agree", user="carol")
    answer = await harness.reply_text("/withdraw i2", user="bob")
    assert "Idea i2 is withdrawn" in answer

    listing = await harness.reply_text("/ideas")
    assert "Benches by the pond" in listing and "dog park" not in listing
    assert "no longer shown" in await harness.reply_text("/vote i2 disagree", user="carol")
    [campaign] = harness.rows(Campaign)
    with Session(harness.townhall.database.engine) as session:
        write_package(session, campaign, tmp_path / "open", "secret")
    for name in ("ideas.csv", "comments.csv"):
        assert "dog park" not in (tmp_path / "open" / name).read_text()
    assert len((tmp_path / "open" / "votes.csv").read_text().strip().splitlines()) == 1  # the header only
    assert "already withdrawn" in await harness.reply_text("/withdraw i2", user="bob")
    assert "out of sight" in await harness.reply_text("/hide i2 spam", user=FACILITATOR)


async def test_someone_elses_idea_cannot_be_withdrawn_or_edited_and_nothing_changes(harness):
    await harness.start_parks()
    await harness.say("/idea Benches by the pond", user="alice")
    await harness.say("hello", user="mallory")
    before = state(harness.townhall)
    assert "Only the author of i1 or a facilitator" in await harness.reply_text(
        "/withdraw i1", user="mallory"
    )
    assert "Only the author of i1" in await harness.reply_text("/edit i1 Buy my car", user="mallory")
    assert state(harness.townhall) == before


async def test_a_facilitator_withdraws_an_idea_and_its_author_is_told(harness):
    await harness.start_parks()
    await harness.say("/idea Benches by the pond", user="alice")
    answers = await harness.say("/withdraw i1", user=FACILITATOR)
    assert "Idea i1 is withdrawn" in answers[0].text
    [notice] = [sent for sent in answers if sent.address.user_id == "alice"]
    assert notice.message.private and "withdrew your idea “Benches by the pond”" in notice.text
    assert "No ideas yet" in await harness.reply_text("/ideas")


async def test_an_author_edits_their_idea_and_bad_edits_are_explained(harness):
    await harness.start_parks()
    await harness.say("/idea Benches by the pond", user="alice")
    assert "Idea i1 updated" in await harness.reply_text("/edit i1 Benches and shade by the pond")
    assert "Benches and shade by the pond" in await harness.reply_text("/ideas")
    assert "Your idea is empty" in await harness.reply_text("/edit i1")
    assert "There is no idea i9" in await harness.reply_text("/edit i9 Something")
    await harness.say("/withdraw i1")
    assert "can no longer be edited" in await harness.reply_text("/edit i1 Back again")


async def test_withdraw_and_edit_are_in_help_in_both_languages(harness):
    assert "/withdraw <idea, offer or need id>" in await harness.reply_text("/help")
    assert "/edit <idea id> <new text>" in await harness.reply_text("/help")
    await harness.say("/lang fr")
    french = await harness.reply_text("/help")
    withdraw = "/withdraw <id de l'idée, de l'offre ou du besoin> — Retirer une idée, une offre ou un besoin"
    assert withdraw + " que vous avez partagé" in french
    assert "Changer les mots d'une de vos idées" in french


def vector_of(harness, idea_id: int) -> np.ndarray:  # noqa: ANN001
    with Session(harness.townhall.database.engine) as session:
        stored = session.get_one(IdeaEmbedding, (idea_id, harness.townhall.embedder.name))
        return np.frombuffer(stored.vector, dtype="<f4")


@pytest.mark.embeddings
async def test_an_edit_recomputes_the_embedding_and_the_close_ideas_follow_the_new_words(similar_harness):
    harness = similar_harness
    await harness.start_parks()
    await harness.say("/idea More benches near the playground", user="alice")
    await harness.say("/idea A dog park by the river", user="bob")
    before = vector_of(harness, 1)
    await harness.say("/edit i1 Fenced area where dogs can run off the leash")
    after = vector_of(harness, 1)
    expected = harness.townhall.embedder.encode(["Fenced area where dogs can run off the leash"])[0]
    assert not np.allclose(before, after) and np.allclose(after, expected, atol=1e-5)
    [reply] = await harness.say("/idea We need more benches by the playground", user="carol")
    assert "Close ideas" not in reply.text
    [reply] = await harness.say("/idea An off-leash park for dogs", user="carol")
    assert "i1" in reply.text.split("Close ideas")[1]


@pytest.mark.embeddings
async def test_a_telegram_style_message_edit_recomputes_the_embedding_too(similar_harness):
    harness = similar_harness
    await harness.start_parks()
    await harness.say("More benches near the playground #parks", user="alice", message_id="m1")
    before = vector_of(harness, 1)
    edited = dataclasses.replace(
        harness.adapter.incoming("Plant shade trees along the river #parks", message_id="m1"), edited=True
    )
    answers = await harness._push(edited)
    assert "Idea i1 updated" in answers[0].text
    assert not np.allclose(before, vector_of(harness, 1))


@pytest.mark.embeddings
async def test_withdrawn_and_hidden_ideas_leave_close_idea_matches_and_themes(similar_harness):
    harness = similar_harness
    await harness.start_parks()
    await harness.say("/idea More benches near the playground", user="alice")
    await harness.say("/idea Benches near the playground, please", user="dave")
    await harness.say("/withdraw i1", user="alice")
    assert "no longer shown" in (await harness.press("Support i1", user="dave"))[0].text
    await harness.say("/hide i2 duplicate", user=FACILITATOR)
    [reply] = await harness.say("/idea We need more benches by the playground", user="bob")
    assert "Close ideas" not in reply.text
    with Session(harness.townhall.database.engine) as session:
        ids, _matrix = stored_embeddings(session, 1, harness.townhall.embedder.name)
    assert ids.tolist() == [3]
    await harness.say("/unhide i2", user=FACILITATOR)
    [reply] = await harness.say("/idea Some benches at the playground", user="carol")
    assert "i2" in reply.text and "i1 ·" not in reply.text
    assert harness.rows(IdeaVote) == [] and len(harness.rows(Idea)) == 4
