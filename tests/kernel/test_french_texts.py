"""What a French campaign reads: one word for hashtags, French numbers and quotation marks, agreeing words."""

from __future__ import annotations

from bot.testing.harness import FACILITATOR, Clock, Harness
from facilitation.kernel.i18n import translator
from tests.accountability.test_accountability import START


async def test_help_in_french_says_motdiese_never_hashtag(harness):
    await harness.say("/lang fr", user=FACILITATOR)
    help_text = await harness.reply_text("/help", user=FACILITATOR)
    assert "#motdièse" in help_text and "#hashtag" not in help_text


async def test_ratings_and_feedback_quotes_read_the_french_way(harness):
    await harness.start_parks()
    await harness.say("/idea Des lampes solaires le long du chemin")
    await harness.say("/prototype i1 Lampes de nuit", user=FACILITATOR)
    await harness.say("/version p1 Deux lampes", user=FACILITATOR)
    await harness.say("/feedback p1 4 Plus de lumière", user="bob")
    await harness.say("/feedback p1 3", user="carol")
    await harness.say("/lang fr", user="dave")
    shown = await harness.reply_text("/prototype p1", user="dave")
    assert "2 avis · note moyenne 3,5 / 5" in shown
    assert "« Plus de lumière »" in shown and "“" not in shown


async def test_a_closed_round_and_the_commitment_counts_agree_in_french(database_url, tmp_path):
    async with Harness.running(database_url, tmp_path, clock=Clock(START)) as harness:
        await harness.start_parks()
        await harness.say("/round 2h Quoi d'abord ?", user=FACILITATOR)
        await harness.say("/close", user=FACILITATOR)
        await harness.say("/lang fr", user="bob")
        assert "Terminée." in await harness.reply_text("/rounds", user="bob")
        await harness.say("/commit Déneiger l'entrée d'ici vendredi", user="bob")
        await harness.say("/done c1", user="bob")
        report = await harness.reply_text("/report", user="bob")
        assert "1 accompli · 0 en cours" in report


def test_every_french_quotation_uses_guillemets():
    _, _n = translator("fr")
    assert _("“{text}”", text="bancs") == "« bancs »"
