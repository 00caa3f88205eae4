"""Themes: found on real ideas, labelled, quoted verbatim, with "other" for outliers and stable ids."""

from __future__ import annotations

import asyncio
import re
import threading
from pathlib import Path

import numpy as np
import pytest

from bot.demo import demo_statements
from bot.testing.harness import FACILITATOR, Harness
from facilitation.intelligence import clustering as themes
from facilitation.intelligence import themes_command
from facilitation.intelligence.theme_labels import is_phrase_of
from facilitation.intelligence.themes import THEME_MAPS_FOLDER, ThemeInputs
from storage.models import Idea, Theme

SAMPLE_SIZE = 60


@pytest.fixture(scope="module")
def sample(embedder) -> tuple[list[str], np.ndarray]:  # noqa: ANN001
    """Real resident statements (the demo's Bowling Green sample) and their vectors, encoded once."""
    texts = demo_statements()[:SAMPLE_SIZE]
    return texts, embedder.encode(texts)


@pytest.mark.embeddings
def test_themes_on_real_ideas_have_labels_counts_and_verbatim_representatives(sample):
    texts, vectors = sample
    found = themes.find_themes(vectors, texts)
    assert len(found.themes) >= 2
    assert sum(theme.count for theme in found.themes) + found.other_count == len(texts)
    for theme in found.themes:
        assert theme.label.text.strip() and theme.keywords
        assert 1 <= len(theme.representatives) <= themes.REPRESENTATIVES
        assert set(theme.representatives) <= set(theme.members)
    counts = [theme.count for theme in found.themes]
    assert counts == sorted(counts, reverse=True)


def clustered_vectors(rng: np.random.Generator) -> tuple[np.ndarray, list[str]]:
    """Three tight groups of ten ideas around orthogonal directions, with their words."""
    centres = np.eye(8)[:3]
    words = ["benches playground seats", "trees shade planting", "buses timetable night"]
    rows, texts = [], []
    for centre, topic in zip(centres, words, strict=True):
        for number in range(10):
            rows.append(centre + 0.05 * rng.standard_normal(8))
            texts.append(f"{topic} {number}")
    matrix = np.array(rows)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True), texts


def test_an_idea_unlike_all_others_goes_to_other():
    vectors, texts = clustered_vectors(np.random.default_rng(1))
    odd = np.zeros(8)
    odd[7] = 1.0
    found = themes.find_themes(np.vstack([vectors, odd]), [*texts, "a recipe for pancakes"])
    assert len(found.themes) == 3
    assert found.other == (30,) and found.other_count == 1
    assert any("benches" in theme.label.text.lower() for theme in found.themes)


def test_merged_ideas_count_with_the_idea_they_joined():
    vectors, texts = clustered_vectors(np.random.default_rng(2))
    weights = [1] * len(texts)
    weights[0] = 4  # three ideas were merged into the first one
    found = themes.find_themes(vectors, texts, weights)
    benches = next(theme for theme in found.themes if 0 in theme.members)
    assert benches.count == 13 and len(benches.members) == 10


def test_found_clusters_keep_the_ids_of_the_themes_they_continue():
    stored = {7: frozenset({1, 2, 3, 4}), 9: frozenset({5, 6, 7})}
    found = [frozenset({5, 6, 7, 8}), frozenset({1, 2, 3, 4, 10}), frozenset({11, 12, 13})]
    assert themes.match_theme_ids(stored, found) == [9, 7, None]


THEME_LINE = re.compile(r"^(t\d+) · (.+) — (\d+) ideas?$", re.MULTILINE)


async def post_ideas(harness: Harness, texts: list[str]) -> None:
    """Residents post at once, as in a busy chat (their ideas are encoded together)."""
    await asyncio.gather(
        *(harness.say(f"/idea #parks {text}", user=f"resident{n}") for n, text in enumerate(texts))
    )


@pytest.mark.embeddings
async def test_themes_command_sends_the_digest_and_a_theme_map_then_keeps_ids(similar_harness, tmp_path):
    await similar_harness.start_parks()
    statements = demo_statements()
    await post_ideas(similar_harness, statements[:40])
    digest, picture = await similar_harness.say("/themes", user="zoe")
    themes_found = THEME_LINE.findall(digest.text)
    assert digest.text.startswith("Themes in #parks — 40 ideas") and len(themes_found) >= 2
    quoted = re.findall(r"Verbatim, i(\d+): “(.+)”", digest.text)
    stored = {idea.id: idea.text for idea in similar_harness.rows(Idea)}
    assert quoted
    for number, text in quoted:
        assert stored[int(number)].startswith(text.removesuffix("…"))
    assert "Labels are phrases picked by the program from each theme's ideas" in digest.text
    for theme in similar_harness.rows(Theme):
        sources = theme.label_source["ideas"]
        assert theme.label_source["method"] in ("phrase", "opening") and sources, theme
        assert is_phrase_of(theme.label, [stored[idea_id] for idea_id in sources]), theme
    assert picture.message.image_path is not None
    image = picture.message.image_path
    assert image.startswith(str(tmp_path)) and Path(image).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    await similar_harness.say(f"/idea #parks {statements[40]}", user="resident40")
    again, _picture = await themes_answer(similar_harness, "zoe")  # news to authors may come meanwhile
    before = {ref for ref, _label, _count in themes_found}
    after = {ref for ref, _label, _count in THEME_LINE.findall(again)}
    assert len(before & after) >= len(before) - 1, (before, after)


async def themes_answer(harness: Harness, user: str) -> tuple[str, str | None]:
    """The digest /themes answers `user` with, and the map picture's path."""
    sent = await harness.say("/themes", user=user)
    [digest] = [one.text for one in sent if one.text.startswith("Themes in")]
    [picture] = [one.message.image_path for one in sent if one.message.image_path]
    return digest, picture


@pytest.mark.embeddings
async def test_themes_asked_again_are_answered_from_the_stored_ones_until_the_ideas_change(
    similar_harness, tmp_path
):
    """A repeated /themes is the same answer and the same picture, without grouping every idea again or
    writing another map; a new idea, or an edited one, makes the next /themes compute them afresh."""
    await similar_harness.start_parks()
    statements = demo_statements()
    await post_ideas(similar_harness, statements[:30])
    first = await themes_answer(similar_harness, "zoe")
    computed = {theme.id: theme.computed_at for theme in similar_harness.rows(Theme)}
    for user in ("zoe", "yann", "zoe"):
        assert await themes_answer(similar_harness, user) == first
    assert {theme.id: theme.computed_at for theme in similar_harness.rows(Theme)} == computed
    assert len(list((tmp_path / THEME_MAPS_FOLDER).iterdir())) == 1

    await similar_harness.say(f"/idea #parks {statements[30]}", user="resident30")
    digest, _map = await themes_answer(similar_harness, "zoe")
    assert digest.startswith("Themes in #parks — 31 ideas")
    recomputed = max(theme.computed_at for theme in similar_harness.rows(Theme))
    assert recomputed > max(computed.values())
    [first_idea] = [idea for idea in similar_harness.rows(Idea) if idea.id == 1]
    author = f"resident{statements.index(first_idea.text.removeprefix('#parks '))}"
    assert "updated" in await similar_harness.reply_text(
        "/edit i1 Shade over the benches, please", user=author
    )
    await similar_harness.say("/themes", user="zoe")
    assert max(theme.computed_at for theme in similar_harness.rows(Theme)) > recomputed


async def test_themes_without_the_model_get_a_polite_answer(harness):
    await harness.start_parks()
    await harness.say("/idea More benches near the playground", user="alice")
    reply = await harness.reply_text("/themes #parks", user=FACILITATOR)
    assert "Themes need the language model" in reply


@pytest.mark.embeddings
async def test_a_large_campaigns_themes_are_grouped_off_the_worker_while_others_are_answered(
    similar_harness, monkeypatch
):
    """/themes on a campaign too large to group in a moment says the digest is coming; while the ideas
    are grouped, another member's messages are answered; then the digest and the map arrive."""
    monkeypatch.setattr(themes_command, "GROUPED_AT_ONCE_MAX_IDEAS", 10)
    grouping, go_on = threading.Event(), threading.Event()
    group = ThemeInputs.group

    def held_group(inputs: ThemeInputs) -> themes.ThemeMap:
        grouping.set()
        assert go_on.wait(timeout=30), "the test never let the grouping go on"
        return group(inputs)

    monkeypatch.setattr(ThemeInputs, "group", held_group)
    await similar_harness.start_parks()
    await post_ideas(similar_harness, demo_statements()[:30])
    [coming] = await similar_harness.say("/themes", user="zoe")
    assert coming.text == "Grouping 30 ideas of #parks into themes: the digest follows in a moment."
    assert await asyncio.to_thread(grouping.wait, 30)
    assert "Idea i31 recorded" in await similar_harness.reply_text("/idea Benches by the pond", user="bob")
    go_on.set()
    digest = await similar_harness.wait_for_text("Themes in #parks — 30 ideas")
    assert THEME_LINE.findall(digest)
    await similar_harness.wait_for_text("Theme map of #parks")


@pytest.mark.embeddings
async def test_a_campaign_too_small_for_a_map_is_told_so_instead_of_a_few_dots(similar_harness):
    await similar_harness.start_parks()
    await post_ideas(
        similar_harness, ["More lights along the paths at night", "Brighter lamps on the paths at night"]
    )
    sent = await similar_harness.say("/themes", user="zoe")
    assert not [one for one in sent if one.message.image_path]
    assert any(
        "No theme map yet: a map is drawn from 10 ideas, and #parks has 2." in one.text for one in sent
    )
