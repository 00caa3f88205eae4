"""Every due-day form README documents for /commit, in English and French, ordinals included."""

from __future__ import annotations

from datetime import date

import pytest

from bot.testing.harness import Clock, Harness
from facilitation.accountability.commitments.due_dates import split_action_and_due
from tests.accountability.test_accountability import START

TODAY = date(2026, 12, 2)  # a Wednesday

DOCUMENTED = [
    ("Fix the benches by 2026-12-15", date(2026, 12, 15)),
    ("Fix the benches by 15/12/2026", date(2026, 12, 15)),
    ("Fix the benches by friday", date(2026, 12, 4)),
    ("Fix the benches by next friday", date(2026, 12, 4)),
    ("Fix the benches by tomorrow", date(2026, 12, 3)),
    ("Fix the benches in 2 weeks", date(2026, 12, 16)),
    ("Fix the benches by in 2 weeks", date(2026, 12, 16)),
    ("Fix the benches by next week", date(2026, 12, 9)),
    ("Fix the benches by 15 December", date(2026, 12, 15)),
    ("Fix the benches by December 15", date(2026, 12, 15)),
    ("Fix the benches by January 1st", date(2027, 1, 1)),
    ("Réparer les bancs d'ici vendredi", date(2026, 12, 4)),
    ("Réparer les bancs d'ici vendredi prochain", date(2026, 12, 4)),
    ("Réparer les bancs d'ici demain", date(2026, 12, 3)),
    ("Réparer les bancs dans 2 semaines", date(2026, 12, 16)),
    ("Réparer les bancs d'ici dans 2 semaines", date(2026, 12, 16)),
    ("Réparer les bancs d'ici la semaine prochaine", date(2026, 12, 9)),
    ("Réparer les bancs d'ici le 15 décembre", date(2026, 12, 15)),
    ("Réparer les bancs d'ici le 1er janvier", date(2027, 1, 1)),
    ("Réparer les bancs avant le 2e jour de mars", None),
]


@pytest.mark.parametrize(("text", "due"), DOCUMENTED)
def test_each_documented_form_gives_the_action_and_its_day(text, due):
    found = split_action_and_due(text, TODAY)
    if due is None:
        assert found is None
        return
    action = "Fix the benches" if text.startswith("Fix") else "Réparer les bancs"
    assert found == (action, due)


def test_an_action_that_says_in_keeps_its_words():
    assert split_action_and_due("Plant trees in the park in 2 weeks", TODAY) == (
        "Plant trees in the park",
        date(2026, 12, 16),
    )


async def test_a_french_commitment_by_an_ordinal_day_is_recorded_with_that_day(database_url, tmp_path):
    async with Harness.running(database_url, tmp_path, clock=Clock(START)) as harness:
        await harness.say("/lang fr")
        answer = await harness.reply_text("/commit Appeler la mairie d'ici le 1er décembre")
        assert "Engagement c1 enregistré : Appeler la mairie — d'ici le" in answer
        assert "1 décembre" in answer


async def test_a_commitment_without_its_action_or_in_a_past_year_is_answered_for_what_it_lacks(
    database_url, tmp_path
):
    async with Harness.running(database_url, tmp_path, clock=Clock(START)) as harness:
        assert "What will you do?" in await harness.reply_text("/commit by friday")
        past = await harness.reply_text("/commit Fix the world by 1999-01-01")
        assert "Friday 1 January 1999 has already passed" in past
        await harness.say("/lang fr")
        assert await harness.reply_text("/done") == (
            "Quel engagement ? /mine liste les vôtres avec leur identifiant, comme c12.\n"
            "Utilisation : /done <engagement>"
        )
