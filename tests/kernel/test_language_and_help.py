"""Help by role, and a member's language used for everything they are told."""

from __future__ import annotations

from bot.testing.harness import FACILITATOR


async def test_lang_fr_then_help_answers_in_french(harness):
    switched = await harness.reply_text("/lang fr")
    assert "français" in switched
    help_text = await harness.reply_text("/help")
    assert "Commandes" in help_text and "Partager une idée" in help_text


async def test_platform_language_is_the_default_for_new_members(harness):
    assert "Commandes" in await harness.reply_text("/help", user="amelie", language="fr-CA")


async def test_unsupported_language_is_explained(harness):
    answer = await harness.reply_text("/lang klingon")
    assert "en, fr" in answer


async def test_help_shows_facilitator_commands_to_facilitators_only(harness):
    resident_help = await harness.reply_text("/help", user="alice")
    facilitator_help = await harness.reply_text("/help", user=FACILITATOR)
    assert "/idea" in resident_help and "/campaign #hashtag" not in resident_help
    assert "For facilitators" in facilitator_help and "/campaign #hashtag" in facilitator_help
