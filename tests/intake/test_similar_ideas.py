"""Close ideas at the moment of posting, with the real model: shown with buttons that do what they say."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import numpy as np
import pytest

from bot.settings import SettingsError, load_settings
from bot.testing.harness import Harness
from facilitation.intelligence.embeddings import Embedder
from facilitation.kernel.text import IDEA_MAX_LENGTH
from storage.models import Idea, IdeaEmbedding, IdeaSupport, Member

BENCHES = "More benches near the playground"
BENCHES_AGAIN = "We need more benches by the playground"
TREES = "Plant shade trees along the path"


async def parks_with_benches(harness: Harness) -> None:
    await harness.start_parks()
    await harness.say(f"/idea {BENCHES}", user="alice")


def labels(sent) -> list[str]:  # noqa: ANN001
    return [button.label for button in sent.message.buttons]


@pytest.mark.embeddings
async def test_close_idea_is_shown_with_support_merge_and_keep_buttons(similar_harness):
    await parks_with_benches(similar_harness)
    [reply] = await similar_harness.say(f"/idea {BENCHES_AGAIN}", user="bob")
    assert "Idea i2 recorded in #parks" in reply.text
    assert "Close ideas already shared in #parks:" in reply.text and BENCHES in reply.text
    assert labels(reply) == ["Support i1", "Merge mine into i1", "Keep mine separate"]
    alice = next(member for member in similar_harness.rows(Member) if member.id == 2)
    assert f"i1 · {alice.pseudonym}: {BENCHES}" in reply.text


@pytest.mark.embeddings
async def test_unrelated_idea_gets_a_plain_confirmation(similar_harness):
    await parks_with_benches(similar_harness)
    [reply] = await similar_harness.say(f"/idea {TREES}", user="bob")
    assert "Close ideas" not in reply.text and not reply.message.buttons


@pytest.mark.embeddings
async def test_the_campaign_tag_does_not_make_unrelated_ideas_close(similar_harness):
    """Read with their tag, these two ideas score 0.82 (the model takes " #parks" as shared meaning);
    without it, 0.59: below the threshold, as ideas about different things should be."""
    await similar_harness.start_parks()
    await similar_harness.say("We need a WHOLE FOOD store. #parks", user="alice")
    [reply] = await similar_harness.say("I think we have enough restaurants. #parks", user="bob")
    assert "Idea i2 recorded" in reply.text and "Close ideas" not in reply.text
    [alone, tagged] = similar_harness.townhall.embedder.encode(
        ["Benches by the pond", "Benches by the pond #parks"]
    )
    assert float(alone @ tagged) == pytest.approx(1.0)


@pytest.mark.embeddings
async def test_own_earlier_idea_is_not_offered_for_support(similar_harness):
    await parks_with_benches(similar_harness)
    [reply] = await similar_harness.say("/idea Benches by the playground for parents", user="alice")
    assert "Idea i2 recorded" in reply.text and not reply.message.buttons


@pytest.mark.embeddings
async def test_support_is_stored_once_per_member(similar_harness):
    await parks_with_benches(similar_harness)
    await similar_harness.say(f"/idea {BENCHES_AGAIN}", user="bob")
    [supported] = await similar_harness.press("Support i1", user="bob")
    assert "You support i1" in supported.text
    [again] = await similar_harness.press("Support i1", user="bob")
    assert "already support i1" in again.text
    [carol] = await similar_harness.press("Support i1", user="carol")
    assert "You support i1" in carol.text
    [own] = await similar_harness.press("Support i1", user="alice")
    assert "your own idea" in own.text
    supports = similar_harness.rows(IdeaSupport)
    assert sorted(support.idea_id for support in supports) == [1, 1]
    assert all(idea.status == "open" for idea in similar_harness.rows(Idea))


@pytest.mark.embeddings
async def test_merge_keeps_text_and_author_and_points_to_the_joined_idea(similar_harness):
    await parks_with_benches(similar_harness)
    await similar_harness.say(
        "/quiet off", user="alice"
    )  # the test may run at any hour: news may reach her then
    await similar_harness.say(f"/idea {BENCHES_AGAIN}", user="bob")
    [refused] = await similar_harness.press("Merge mine into i1", user="alice")
    assert "Only the author of i2" in refused.text
    [merged] = await similar_harness.press("Merge mine into i1", user="bob")
    assert "merged into i1" in merged.text
    ideas = {idea.id: idea for idea in similar_harness.rows(Idea)}
    assert (ideas[2].status, ideas[2].merged_into_id, ideas[2].text) == ("merged", 1, BENCHES_AGAIN)
    bob = ideas[2].member_id
    assert bob is not None and bob != ideas[1].member_id
    news = await similar_harness.wait_for_text("was merged into your idea i1")  # the author of i1 hears
    assert "The close idea i2 was merged into your idea i1" in news
    [again] = await similar_harness.press("Merge mine into i1", user="bob")
    assert "already merged into i1" in again.text

    [third] = await similar_harness.say("/idea More benches close to the playground", user="carol")
    assert "i1" in third.text and BENCHES_AGAIN not in third.text  # the merged idea is not offered


@pytest.mark.embeddings
async def test_keep_separate_leaves_the_idea_open(similar_harness):
    await parks_with_benches(similar_harness)
    await similar_harness.say(f"/idea {BENCHES_AGAIN}", user="bob")
    [kept] = await similar_harness.press("Keep mine separate", user="bob")
    assert "Idea i2 stays separate" in kept.text
    assert [idea.status for idea in similar_harness.rows(Idea)] == ["open", "open"]


@pytest.mark.embeddings
async def test_near_exact_repeat_by_the_same_person_is_kept_once(similar_harness):
    await parks_with_benches(similar_harness)
    for repeat in ("more benches near the playground please", "More benches, near the playground!"):
        [reply] = await similar_harness.say(f"/idea {repeat}", user="alice")
        assert "You already shared this idea in #parks as i1" in reply.text
    [other] = await similar_harness.say("/idea more benches near the playground please", user="bob")
    assert "Idea i2 recorded" in other.text
    assert len(similar_harness.rows(Idea)) == 2


@pytest.mark.embeddings
async def test_unusual_ideas_are_recorded_and_embedded(similar_harness):
    await parks_with_benches(similar_harness)
    long_idea = ("A quiet corner with benches and shade for older residents. " * 40)[:IDEA_MAX_LENGTH]
    for text in ("🌳🌳🌳", "Benches", long_idea, "Plus de bancs près de l'aire de jeux"):
        reply = await similar_harness.reply_text(f"/idea {text}", user="bob")
        assert "recorded in #parks" in reply
    stored = {idea.text for idea in similar_harness.rows(Idea)}
    assert long_idea.strip() in stored and "🌳🌳🌳" in stored
    vectors = similar_harness.rows(IdeaEmbedding)
    assert len(vectors) == 5
    assert all(abs(np.linalg.norm(np.frombuffer(row.vector, dtype="<f4")) - 1) < 1e-4 for row in vectors)


async def test_repeat_is_caught_by_its_words_even_without_a_model(harness):
    await harness.start_parks()
    await harness.say(f"/idea {BENCHES}", user="alice")
    [reply] = await harness.say("/idea more benches NEAR the playground!!", user="alice")
    assert "already shared this idea in #parks as i1" in reply.text
    assert len(harness.rows(Idea)) == 1


class GatedEmbedder(Embedder):
    """The session's model behind a gate: loading ends only when the test opens it."""

    def __init__(self, loaded: Embedder, model: str | None = None) -> None:
        super().__init__(model or loaded.setting)
        self.gate = threading.Event()
        self._loaded = loaded

    def _load(self) -> object:
        self.gate.wait()
        return self._loaded.model


async def wait_for(condition, timeout: float = 30) -> None:  # noqa: ANN001
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


@pytest.mark.embeddings
async def test_idea_posted_while_the_model_loads_is_stored_then_answered_with_close_ideas(
    database_url, tmp_path: Path, embedder
):
    gated = GatedEmbedder(embedder)
    async with Harness.running(database_url, tmp_path, embedder=gated) as harness:
        await parks_with_benches(harness)
        [reply] = await harness.say(f"/idea {BENCHES_AGAIN}", user="bob")
        assert "Idea i2 recorded" in reply.text and not reply.message.buttons
        assert len(harness.rows(Idea)) == 2 and not harness.rows(IdeaEmbedding)

        gated.gate.set()
        await wait_for(lambda: any("About your idea i2" in sent.text for sent in harness.adapter.sent))
        follow_up = harness.adapter.sent[-1]
        assert labels(follow_up) == ["Support i1", "Merge mine into i1", "Keep mine separate"]
        assert follow_up.address.chat_id == reply.address.chat_id
        await wait_for(lambda: len(harness.rows(IdeaEmbedding)) == 2)
    gated.close()


@pytest.mark.embeddings
async def test_a_change_of_model_embeds_every_stored_idea_again(database_url, tmp_path: Path, embedder):
    async with Harness.running(database_url, tmp_path, embedder=embedder) as harness:
        await parks_with_benches(harness)
        await harness.say(f"/idea {TREES}", user="bob")
    other = GatedEmbedder(embedder, model="another-model")
    other.gate.set()
    async with Harness.running(database_url, tmp_path, embedder=other) as harness:
        await wait_for(lambda: len(harness.rows(IdeaEmbedding)) == 4)
        models = sorted(row.model for row in harness.rows(IdeaEmbedding))
        assert models == [embedder.name] * 2 + [other.name] * 2
        assert other.name.startswith("another-model")
    other.close()


@pytest.mark.embeddings
def test_requests_waiting_together_are_encoded_in_one_model_call(embedder):
    calls: list[int] = []
    started, release = threading.Event(), threading.Event()

    class CountingModel:
        def encode(self, texts, **options):  # noqa: ANN001, ANN003
            calls.append(len(texts))
            started.set()
            release.wait()
            return embedder.model.encode(texts, **options)

    counting = GatedEmbedder(embedder)
    counting._loaded = type("Loaded", (), {"model": CountingModel()})()
    counting.gate.set()
    first = counting.submit([BENCHES])
    started.wait(30)
    waiting = [counting.submit([text]) for text in (BENCHES_AGAIN, TREES, "Benches")]
    release.set()
    vectors = np.vstack([future.result(30) for future in [first, *waiting]])
    counting.close()
    assert calls == [1, 3]
    expected = embedder.encode([BENCHES, BENCHES_AGAIN, TREES, "Benches"])
    assert np.allclose(vectors, expected, atol=1e-5)


@pytest.mark.parametrize("value", ["", "all-MiniLM-L6-v2"])
def test_embedding_model_setting_accepts_the_bundled_model_or_nothing(value):
    assert load_settings(_env_file=None, embedding_model=value).embedding_model == value


def test_embedding_model_that_is_not_a_model_folder_stops_with_its_name(tmp_path):
    with pytest.raises(
        SettingsError, match="EMBEDDING_MODEL: .*not a local sentence-transformers model folder"
    ):
        load_settings(_env_file=None, embedding_model=str(tmp_path / "missing"))
