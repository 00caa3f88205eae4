"""French and bilingual campaigns: the campaign's language chooses the model, and ideas that say the same
thing in English and in French are matched and grouped together."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import pytest

from bot.testing.harness import FACILITATOR, Harness
from facilitation.intelligence.multilingual import MULTILINGUAL_EMBEDDING_MODEL
from storage.models import Campaign, Idea, IdeaEmbedding, IdeaTheme

PAIRS_FILE = Path(__file__).resolve().parent.parent / "fixtures" / "bilingual_pairs.csv"


def bilingual_pairs() -> list[tuple[str, str]]:
    """20 ideas written for this test in English, each with a French idea that says the same."""
    with PAIRS_FILE.open(encoding="utf-8", newline="") as file:
        return [(row["en"], row["fr"]) for row in csv.DictReader(file)]


async def start_neighbourhood(harness: Harness, language: str | None = None) -> None:
    await harness.say(
        "/campaign #quartier Our neighbourhood | What would make life here better?", user=FACILITATOR
    )
    await harness.say("/invite #quartier", user=FACILITATOR)
    if language is not None:
        await harness.say(f"/campaign #quartier language {language}", user=FACILITATOR)


def campaign_language(harness: Harness) -> str:
    [campaign] = [campaign for campaign in harness.rows(Campaign) if campaign.hashtag == "quartier"]
    return campaign.language


async def test_a_campaign_takes_its_facilitators_language_and_can_be_set_to_mixed(harness):
    await start_neighbourhood(harness)
    assert campaign_language(harness) == "en"
    reply = await harness.reply_text("/campaign #quartier language mixed", user=FACILITATOR)
    assert reply == "The ideas of #quartier are now read as French and English."
    assert campaign_language(harness) == "mixed"

    await harness.say("/lang fr", user=FACILITATOR)
    reply = await harness.reply_text("/campaign #voisins Nos voisins | Que changer ?", user=FACILITATOR)
    assert "#voisins" in reply
    [french] = [campaign for campaign in harness.rows(Campaign) if campaign.hashtag == "voisins"]
    assert french.language == "fr"
    reply = await harness.reply_text("/campaign #voisins language en", user=FACILITATOR)
    assert reply == "Les idées de #voisins sont maintenant lues en anglais."


async def test_a_language_other_than_en_fr_or_mixed_is_refused_and_only_facilitators_set_it(harness):
    await start_neighbourhood(harness)
    reply = await harness.reply_text("/campaign #quartier language de", user=FACILITATOR)
    assert reply == "Choose the language of #quartier's ideas: en, fr or mixed."
    await harness.reply_text("/campaign #quartier language fr", user="alice")
    assert campaign_language(harness) == "en"
    reply = await harness.reply_text("/campaign #quartier colour blue", user=FACILITATOR)
    assert "A campaign needs a #hashtag, a title" in reply


@pytest.mark.embeddings
async def test_in_a_mixed_campaign_french_ideas_meet_their_english_twins(bilingual_harness):
    harness = bilingual_harness
    await start_neighbourhood(harness, "mixed")
    pairs = bilingual_pairs()
    for number, (english, _french) in enumerate(pairs):
        await harness.say(f"/idea {english}", user=f"resident{number}")
    shown = 0
    for number, (english, french) in enumerate(pairs):
        reply = await harness.reply_text(f"/idea {french}", user=f"voisin{number}")
        shown += "Close ideas already shared in #quartier:" in reply and english in reply
    assert shown == len(pairs)

    await harness.say("/themes #quartier", user=FACILITATOR)
    theme_of = {row.idea_id: row.theme_id for row in harness.rows(IdeaTheme)}
    ids = {idea.text: idea.id for idea in harness.rows(Idea)}
    together = sum(
        theme_of.get(ids[english]) is not None and theme_of.get(ids[english]) == theme_of.get(ids[french])
        for english, french in pairs
    )
    assert together >= 0.8 * len(pairs)
    models = {row.model for row in harness.rows(IdeaEmbedding)}
    assert models == {harness.townhall.multilingual.name}


@pytest.mark.embeddings
async def test_english_campaigns_keep_minilm_and_a_change_of_language_embeds_the_ideas_again(
    bilingual_harness, embedder
):
    harness = bilingual_harness
    await start_neighbourhood(harness)
    english, french = bilingual_pairs()[0]
    await harness.say(f"/idea {english}", user="alice")
    assert {row.model for row in harness.rows(IdeaEmbedding)} == {embedder.name}
    reply = await harness.reply_text(f"/idea {french}", user="bob")
    assert english not in reply  # all-MiniLM-L6-v2 does not see the translation

    await harness.say("/campaign #quartier language fr", user=FACILITATOR)
    multilingual = harness.townhall.multilingual.name
    assert multilingual.startswith(MULTILINGUAL_EMBEDDING_MODEL)
    await wait_for(lambda: sum(row.model == multilingual for row in harness.rows(IdeaEmbedding)) == 2)
    reply = await harness.reply_text(f"/idea {french} !", user="carol")
    assert "Close ideas already shared in #quartier:" in reply and english in reply


@pytest.mark.embeddings
async def test_ideas_stored_before_the_multilingual_model_was_configured_are_embedded_by_it_at_start(
    database_url, tmp_path: Path, embedder, multilingual_embedder
):
    english, french = bilingual_pairs()[1]
    async with Harness.running(database_url, tmp_path, embedder=embedder) as harness:
        await start_neighbourhood(harness, "mixed")
        await harness.say(f"/idea {english}", user="alice")
    async with Harness.running(
        database_url, tmp_path, embedder=embedder, multilingual=multilingual_embedder
    ) as harness:
        await wait_for(
            lambda: multilingual_embedder.name in {row.model for row in harness.rows(IdeaEmbedding)}
        )
        reply = await harness.reply_text(f"/idea {french}", user="bob")
        assert "Close ideas already shared in #quartier:" in reply and english in reply


async def wait_for(condition, timeout: float = 30) -> None:  # noqa: ANN001
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)
